"""Reading the live component (ui/live.py) in AppTest: its elements are ``bidi_component``
protos whose data is the JSON the page receives."""
from __future__ import annotations

import base64
import json

import numpy as np


def live_parts(at, kind: str | None = None) -> list[dict]:
    """The data of every ``ae_live`` element on the page (of ``kind`` if given), in page order."""
    out = []
    for el in at.get("bidi_component"):
        p = el.proto
        if p.component_name != "ae_live":
            continue
        field = p.WhichOneof("data")
        raw = p.mixed.json if field == "mixed" else p.json
        data = json.loads(raw)
        if kind is None or data.get("kind") == kind:
            out.append(data)
    return out


def live_part(at, kind: str) -> dict:
    """The one ``ae_live`` element of ``kind`` (fails when there is none or several)."""
    (data,) = live_parts(at, kind)
    return data


def grid_rows(at) -> list[tuple[str, list[str]]]:
    """The page's one grid of image rows (``ui.live.rows``): (label, captions) of each row, in
    order; every cell's image checked to be a 28 x 28 grey digit."""
    data = live_part(at, "rows")
    out = []
    for r in data["stops"][0]["rows"]:
        assert all(u8(data["images"][c["img"]]).size == data["h"] * data["w"] == 784
                   for c in r["cells"])
        out.append((r["label"], [c["caption"] for c in r["cells"]]))
    return out


def copy_links(node) -> list[str]:
    """The links of the copy boxes (``ui.share.copy_box``) under ``node`` (an AppTest, or a block
    such as ``at.sidebar``), in page order."""
    return [json.loads(el.proto.json)["url"] for el in node.get("bidi_component")
            if el.proto.component_name == "ae_copy_link"]


def plotly_figures(at) -> list[dict]:
    """The page's Plotly figures (their JSON), each trace's ``x`` and ``y`` as plain lists."""
    figs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    for fig in figs:
        for trace in fig.get("data", []):
            for axis in ("x", "y"):
                v = trace.get(axis)
                if isinstance(v, dict) and "bdata" in v:
                    trace[axis] = np.frombuffer(base64.b64decode(v["bdata"]),
                                                dtype=np.dtype(v["dtype"])).tolist()
    return figs


def f32(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<f4")


def u8(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=np.uint8)


def stop_captions(data: dict, index: int | None = None) -> list[str]:
    """Every caption, title and heading of a ``stops`` part at ``index`` (default: the stop the
    server put the slider on)."""
    page = data["stops"][data["index"] if index is None else index]
    out = [page.get("heading") or "", page.get("note") or ""]
    for row in page["rows"]:
        out.append(row.get("label") or "")
        for c in row["cells"]:
            out += [c.get("title") or "", c.get("caption") or ""]
    return [t for t in out if t]


# codes (n, k) decoded by the page's own decoder, as base64 float32 pixels (n, 784)
DECODE_MANY = """([id, b64, k]) => {
  const dec = globalThis.__aeLive.decoders.get(id);
  const bin = atob(b64), bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const size = dec.channels * dec.height * dec.width;  // 784 for a digit, 3072 for a 32x32 colour patch
  const z = new Float32Array(bytes.buffer), n = z.length / k, out = new Float32Array(n * size);
  for (let i = 0; i < n; i++) out.set(dec.decode(z.subarray(i * k, (i + 1) * k)), i * size);
  const u8 = new Uint8Array(out.buffer); let s = "";
  for (let i = 0; i < u8.length; i += 8192) s += String.fromCharCode.apply(null, u8.subarray(i, i + 8192));
  return btoa(s);
}"""
