// base64 of the server's numpy bytes (ui/live.py's b64) as typed arrays: the page's one base64
// decoder. Little-endian, as numpy's "<f4" and "u1" wrote them.

export function bytes(b64) {
  const bin = atob(b64), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function floats(b64) {
  return new Float32Array(bytes(b64).buffer);
}

export function int8s(b64) {
  return new Int8Array(bytes(b64).buffer);
}
