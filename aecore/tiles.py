"""Run a fully convolutional network over a large image in overlapping tiles, blended without
seams, so memory stays bounded and a page can show progress and cancel between tiles.

Each tile's output is weighted by a ramp that rises from near 0 to 1 over the overlap on every
side that has a neighbour (and is 1 up to the image's own borders); the blended image is the
weighted sum divided by the summed weights. Pixels near a tile's edge, where the network saw
padding instead of the neighbouring pixels, so count for little next to the neighbour's view of
them.
"""
from __future__ import annotations

from typing import Callable

import torch

from .errors import AecoreError

TILE = 384      # tile side: a 640x427 photo is 2x2 tiles, a 2048x1536 one 6x5
OVERLAP = 48    # pixels shared by neighbouring tiles: about the network's receptive field


class Cancelled(AecoreError):
    """Raised between tiles when ``should_stop`` returns True."""


def tile_starts(n: int, tile: int, overlap: int) -> list[int]:
    """Start offsets along a side of ``n`` pixels: every ``tile - overlap``, the last one flush
    with the end (so it may overlap its neighbour by more)."""
    if n <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, n - tile, step))
    return starts + [n - tile]


def _ramp(length: int, overlap: int, before: bool, after: bool) -> torch.Tensor:
    """(length,) weights: rising over ``overlap`` pixels where a neighbour comes ``before``,
    falling where one comes ``after``, 1 elsewhere."""
    i = torch.arange(length, dtype=torch.float32)
    w = torch.ones(length)
    if before:
        w = torch.minimum(w, (i + 0.5) / overlap)
    if after:
        w = torch.minimum(w, (length - i - 0.5) / overlap)
    return w


def run_tiled(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, tile: int = TILE,
              overlap: int = OVERLAP, on_progress: Callable[[int, int], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> torch.Tensor:
    """``fn`` applied to (1, C, H, W) ``x`` tile by tile, blended: (1, C_out, H, W).

    ``fn`` maps (1, C, h, w) to (1, C_out, h, w) for any tile size. ``on_progress(done, total)``
    is called after each tile; ``should_stop()`` is polled before each and raises
    :class:`Cancelled`. An image no larger than one tile is one call of ``fn``.
    """
    if not 0 < 2 * overlap < tile:
        raise AecoreError(f"tiles: need 0 < 2 * overlap < tile, got tile {tile}, overlap {overlap}")
    h, w = x.shape[-2:]
    rows, cols = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    total, done = len(rows) * len(cols), 0
    out = weight = None
    for a, i in enumerate(rows):
        for b, j in enumerate(cols):
            if should_stop is not None and should_stop():
                raise Cancelled("cancelled: the photo was not finished")
            y = fn(x[..., i:i + tile, j:j + tile])  # (1, C_out, th, tw)
            th, tw = y.shape[-2:]
            if out is None:
                out = y.new_zeros((*y.shape[:2], h, w))
                weight = y.new_zeros((1, 1, h, w))
            wt = (_ramp(th, overlap, a > 0, a < len(rows) - 1)[:, None]
                  * _ramp(tw, overlap, b > 0, b < len(cols) - 1)[None, :])  # (th, tw)
            out[..., i:i + th, j:j + tw] += y * wt
            weight[..., i:i + th, j:j + tw] += wt
            done += 1
            if on_progress is not None:
                on_progress(done, total)
    return out / weight
