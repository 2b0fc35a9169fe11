// The live parts of the pages: the entry module of the Components v2 component ae_live
// (ui/live.py mounts it). Everything runs in the page: pointer moves and slider drags redraw
// without asking the server; only a pin (click, Enter, the end of a key step) calls
// setStateValue, which is one script run. data.kind picks the part:
//   "carry"   a decoder payload (aecore/export.py), sent once per model   carry.js
//   "map"     the 2-D latent map, the code under the pointer decoded live map.js
//   "pin"     the server's z pair, drawn as the map's ring                map.js
//   "stops"   precomputed panels following a native slider's thumb       panels.js
//   "rows"    one such panel and no slider                               panels.js
//   "samples" prior samples decoded in the page                          samples.js

import { Carry } from "./carry.js";
import { mark } from "./debug.js";
import { el } from "./dom.js";
import { LatentMap, MapPin } from "./map.js";
import { Rows, Stops } from "./panels.js";
import { Samples } from "./samples.js";

const KINDS = { carry: Carry, map: LatentMap, pin: MapPin, stops: Stops, samples: Samples, rows: Rows };
const CONTROLLERS = new WeakMap();  // parentElement -> the part drawn there

export default function ({ data, parentElement, setStateValue }) {
  if (!data || !KINDS[data.kind]) return undefined;
  let ctl = CONTROLLERS.get(parentElement);
  if (!ctl || ctl.constructor !== KINDS[data.kind]) {
    if (ctl) ctl.destroy();
    const root = parentElement.querySelector(".ae-root") || el("div", { class: "ae-root" }, parentElement);
    root.replaceChildren();
    ctl = new KINDS[data.kind](root);
    CONTROLLERS.set(parentElement, ctl);
  }
  mark(data.kind);
  ctl.update(data, setStateValue);
  return () => { ctl.destroy(); CONTROLLERS.delete(parentElement); };
}
