"""Scanned documents: synthetic dirty pages to train the document autoencoder on, the classic
baseline (median filter + Otsu threshold), and the figures on pages no model saw.

A clean page is black text on white, set in DejaVu Sans (Debian's ``fonts-dejavu-core``) or, where
that is missing, Pillow's built-in font; its dirty twin adds uneven light, coffee stains, creases,
blur and sensor noise. Pages are (1, H, W) float tensors in [0, 1], 1 = white paper.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .metrics import psnr

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf")
WORDS = ("the of and to in is was for that with as on by it at from his an were are which this "
         "be or has had not first one their its new after who they have two her she been other "
         "when there all also into during time only would more most some these may then could "
         "such about than over many where years world before under while between both page "
         "letter report noise paper scan image light stain model encoder decoder").split()
PAGE = 192  # side of a synthetic training page; patches are cut from it
SEEN_SEED, UNSEEN_SEED = 0, 987_654  # training pages vs the pages every figure is measured on


def _font(rng: np.random.Generator, size: int) -> ImageFont.ImageFont:
    """A TrueType font from fonts-dejavu-core at ``size`` px, or Pillow's default font."""
    for d in FONT_DIRS:
        names = [f for f in FONTS if (d / f).exists()]
        if names:
            return ImageFont.truetype(str(d / names[int(rng.integers(len(names)))]), size)
    return ImageFont.load_default(size)


def clean_page(rng: np.random.Generator, h: int = PAGE, w: int = PAGE) -> np.ndarray:
    """(h, w) uint8 page of random words in lines, black on white, size 11..24 px."""
    im = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(im)
    size = int(rng.integers(11, 25))
    font = _font(rng, size)
    y = int(rng.integers(-size // 2, size))
    while y < h:
        x = int(rng.integers(-20, 10))
        while x < w:
            word = WORDS[int(rng.integers(len(WORDS)))]
            draw.text((x, y), word, fill=int(rng.integers(0, 60)), font=font)
            x += int(draw.textlength(word + " ", font=font))
        y += int(size * rng.uniform(1.2, 1.8))
    return np.asarray(im)


def dirty(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The page (h, w) uint8 as a bad scan: uneven light, stains, a crease, blur and noise."""
    h, w = page.shape
    x = page.astype(np.float32) / 255
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    light = 1 - rng.uniform(0, 0.45) * ((xx - rng.uniform()) ** 2 + (yy - rng.uniform()) ** 2)
    x = x * light * rng.uniform(0.8, 1.0)  # a shadowed, dimmer sheet
    stains = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(stains)
    for _ in range(int(rng.integers(0, 4))):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(8, 50)
        d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=int(rng.integers(60, 160)),
                  width=int(rng.integers(2, 6)), fill=int(rng.integers(10, 70)))  # a cup ring
    s = np.asarray(stains.filter(ImageFilter.GaussianBlur(rng.uniform(1, 4)))).astype(np.float32) / 255
    x = x * (1 - 0.6 * s)
    if rng.random() < 0.6:  # a crease: a dark line with a bright edge beside it
        crease = Image.new("L", (w, h), 0)
        p = [(rng.uniform(0, w), 0), (rng.uniform(0, w), h)] if rng.random() < 0.5 else \
            [(0, rng.uniform(0, h)), (w, rng.uniform(0, h))]
        ImageDraw.Draw(crease).line(p, fill=255, width=int(rng.integers(1, 4)))
        c = np.asarray(crease.filter(ImageFilter.GaussianBlur(1.0))).astype(np.float32) / 255
        x = x * (1 - 0.5 * c) + 0.15 * np.roll(c, 2, axis=1)
    out = Image.fromarray((x.clip(0, 1) * 255).astype(np.uint8))
    x = np.asarray(out.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.2)))).astype(np.float32) / 255
    x = x + rng.normal(0, rng.uniform(0.01, 0.08), x.shape)
    return (x.clip(0, 1) * 255 + 0.5).astype(np.uint8)


def page_pairs(n: int, seed: int, h: int = PAGE, w: int = PAGE) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` (dirty, clean) synthetic pages, each (n, 1, h, w) float in [0, 1]."""
    rng = np.random.default_rng(seed)
    clean = [clean_page(rng, h, w) for _ in range(n)]
    dirt = [dirty(c, rng) for c in clean]
    t = lambda a: torch.from_numpy(np.stack(a)).float().div_(255)[:, None]  # noqa: E731
    return t(dirt), t(clean)


def page_patches(n: int, seed: int, patch: int = 48) -> torch.Tensor:
    """(n, 2, patch, patch) uint8 training patches: channel 0 dirty, channel 1 clean, 16 from
    each synthetic page (``seed`` picks the pages; figures use other seeds)."""
    pages = -(-n // 16)
    dirt, clean = page_pairs(pages, seed)
    rng = np.random.default_rng(seed + 1)
    both = torch.cat([dirt, clean], 1)  # (pages, 2, PAGE, PAGE)
    out = []
    for k in range(n):
        i, j = rng.integers(0, PAGE - patch + 1, size=2)
        out.append(both[k // 16, :, i:i + patch, j:j + patch])
    return torch.stack(out).mul(255).add_(0.5).to(torch.uint8)


def median_otsu(page: torch.Tensor) -> torch.Tensor:
    """The classic cleaner: a 3x3 median filter, then Otsu's global threshold, (1, H, W) -> 0/1."""
    from scipy.ndimage import median_filter
    from skimage.filters import threshold_otsu
    m = median_filter(page[0].numpy(), size=3)
    return torch.from_numpy(m > threshold_otsu(m)).float()[None]


@torch.inference_mode()
def clean_document(model, page: torch.Tensor, on_progress=None, should_stop=None) -> torch.Tensor:
    """The document model's clean page (1, H, W) of a grey scan (1, H, W), in tiles."""
    from .photo import run_model
    return run_model(model, page[None], True, on_progress, should_stop)[0]


def benchmark_pages(model, n: int = 6) -> dict:
    """PSNR (dB) against the clean page on ``n`` unseen synthetic pages: ours, the median +
    Otsu baseline, and the dirty input."""
    dirt, clean = page_pairs(n, UNSEEN_SEED, 256, 256)
    ours = torch.stack([clean_document(model, d) for d in dirt])
    base = torch.stack([median_otsu(d) for d in dirt])
    f = lambda x: round(float(psnr(x, clean).mean()), 2)  # noqa: E731
    return {"ours": f(ours), "baseline": f(base), "input": f(dirt)}


def document_metrics(model) -> dict:
    """A document model's card figures on 4 unseen synthetic pages: mse, psnr, psnr_input."""
    dirt, clean = page_pairs(4, UNSEEN_SEED, 128, 128)
    with torch.inference_mode():
        out = model.reconstruct(dirt)
    return {"mse": float((out - clean).square().mean()), "psnr": float(psnr(out, clean).mean()),
            "psnr_input": float(psnr(dirt, clean).mean())}
