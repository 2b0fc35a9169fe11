// Decoders sent to the page ("carry" parts, ui/live.py's carry): built once per payload id; the
// map and the samples wait for theirs by id. Module state, shared by every element of the
// component (the page loads this module once).

import { exposeDecoders, mark } from "./debug.js";
import { makeDecoder } from "./decoder.js";

const decoders = new Map();  // payload id -> decoder
const waiting = new Map();   // payload id -> [resolve]
exposeDecoders(decoders);

export function whenDecoder(id) {
  if (decoders.has(id)) return Promise.resolve(decoders.get(id));
  return new Promise((resolve) => {
    waiting.set(id, [...(waiting.get(id) || []), resolve]);
  });
}

export class Carry {
  constructor(root) { this.root = root; }
  update(data) {
    const p = data.payload;
    if (!decoders.has(p.id)) {
      decoders.set(p.id, makeDecoder(p));
      mark("decoder");
      for (const resolve of waiting.get(p.id) || []) resolve(decoders.get(p.id));
      waiting.delete(p.id);
    }
    this.root.setAttribute("data-model", p.id);
  }
  destroy() {}
}
