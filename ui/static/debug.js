// Counters for the benchmarks and browser tests, off in the product. A page turns them on by
// defining globalThis.__aeLive = {} before the app loads (Playwright's add_init_script, see
// benchmarks/_browser.py's LIVE_DEBUG); the counters and the decoders are then put there.

const hook = globalThis.__aeLive;

export const stats = hook ? (hook.stats = {
  decodes: 0, frames: 0, decodeMs: [], flips: 0, flipMs: [], firstLiveAt: null, pins: 0, marks: {},
}) : null;

export function exposeDecoders(map) {
  if (hook) hook.decoders = map;
}

function keep(list, v) {
  if (list.length >= 5000) list.shift();
  list.push(v);
}

// decode() timed and counted where the counters are on; as is otherwise
export function timedDecode(dec, z, label) {
  if (!stats) return dec.decode(z, label);
  const t0 = performance.now(), px = dec.decode(z, label);
  stats.decodes++;
  keep(stats.decodeMs, performance.now() - t0);
  return px;
}

export function liveFrame() {
  if (!stats) return;
  stats.frames++;
  if (stats.firstLiveAt === null) stats.firstLiveAt = performance.now();
}

// one update of a live slider's panels, which took `ms`: counted on the page and on the part
export function flipped(wrap, ms) {
  if (!stats) return;
  stats.flips++;
  keep(stats.flipMs, ms);
  wrap.dataset.flips = String(Number(wrap.dataset.flips || 0) + 1);
  liveFrame();
}

export function pinned() {
  if (stats) stats.pins++;
}

// when a part (or the first decoder) first ran, in ms since the page started
export function mark(name) {
  if (stats && stats.marks[name] === undefined) stats.marks[name] = performance.now();
}
