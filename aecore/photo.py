"""Photographs: the bundled photos and their split, the corruptions a user can pick (Gaussian
noise, salt and pepper, JPEG blocking, scratches and holes), the training patches, the classic
denoisers to compare with, and PSNR/SSIM on whole photos.

Images here are float tensors (3, H, W) in [0, 1] unless a docstring says otherwise; the photo
models themselves are :mod:`aecore.models.photo`. scikit-image is imported lazily (a page that
never compares with a classic denoiser does not pay for it).
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw

from .errors import ConfigError
from .metrics import psnr, ssim

PHOTOS_DIR = Path(__file__).resolve().parent.parent / "data" / "photos"
MAX_SIDE = 1024  # the page scales anything larger down to this longest side
NOISES = ("gaussian", "salt_pepper", "jpeg", "scratches")
NOISE_LABELS = {"gaussian": "Gaussian noise", "salt_pepper": "Salt and pepper",
                "jpeg": "JPEG blocking", "scratches": "Scratches and holes (inpainting)"}
# level of each kind: sigma in grey levels of 255; fraction of pixels; JPEG quality; hole fraction
LEVELS = {"gaussian": (5.0, 75.0, 25.0), "salt_pepper": (0.01, 0.3, 0.05),
          "jpeg": (5.0, 60.0, 15.0), "scratches": (0.02, 0.3, 0.08)}
PATCH = 48  # training patch side: several times the network's receptive field at the bottleneck


# the bundled photos

def manifest() -> list[dict]:
    """The entries of ``data/photos/photos.json`` (file, mode, split, licence, credit)."""
    return json.loads((PHOTOS_DIR / "photos.json").read_text())["images"]


def photo_names(split: str, mode: str | None = None) -> list[str]:
    """File names of the bundled photos of ``split`` ("train" or "heldout"), optionally of one
    PIL ``mode`` ("RGB" or "L")."""
    return [e["file"] for e in manifest() if e["split"] == split and (mode is None or e["mode"] == mode)]


def read_photo(name: str) -> torch.Tensor:
    """A bundled photo as (3, H, W) float in [0, 1] (grey photos repeated in three channels)."""
    with Image.open(PHOTOS_DIR / name) as im:
        return to_tensor(im.convert("RGB"))


def to_tensor(im: Image.Image | np.ndarray) -> torch.Tensor:
    """An RGB PIL image or (H, W, 3) uint8 array as (3, H, W) float in [0, 1]."""
    arr = np.array(im, dtype=np.uint8)  # a writable copy
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1).float().div_(255.0)


def to_uint8(img: torch.Tensor) -> np.ndarray:
    """(C, H, W) float in [0, 1] as (H, W, C) uint8 (C = 1 gives (H, W))."""
    arr = img.detach().clamp(0, 1).mul(255).add_(0.5).to(torch.uint8).permute(1, 2, 0).numpy()
    return arr[:, :, 0] if arr.shape[2] == 1 else arr


def fit_side(img: torch.Tensor, max_side: int = MAX_SIDE) -> tuple[torch.Tensor, str | None]:
    """Scale (C, H, W) down (antialiased) so its longest side is at most ``max_side``; returns
    the image and a note for the user when it was scaled, else None."""
    h, w = img.shape[-2:]
    if max(h, w) <= max_side:
        return img, None
    s = max_side / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    out = torch.nn.functional.interpolate(img[None], size=(nh, nw), mode="bilinear",
                                          antialias=True, align_corners=False)[0].clamp(0, 1)
    return out, (f"Your photo is {w}x{h} px; it was scaled down to {nw}x{nh} px (longest side "
                 f"{max_side} px) so the comparison runs in seconds.")


def photo_from_upload(data: bytes, filename: str | None = None) -> tuple[torch.Tensor, list[str]]:
    """An uploaded photo as (3, H, W) in [0, 1] with notes for the user, decoded by the project's
    safe decoder (:func:`aecore.decode.load_image`: size, pixel and bomb limits, first frame,
    EXIF, bit depth, longest side at most 1024 px); transparency is composited on white.
    Raises ImageInputError with a message fit for the user."""
    from .decode import load_image
    im, notes = load_image(data, filename=filename)
    if im.mode in ("LA", "RGBA"):
        sheet = Image.new("RGBA", im.size, (255, 255, 255, 255))
        sheet.alpha_composite(im.convert("RGBA"))
        im = sheet
        notes.append("transparent pixels shown on white")
    return to_tensor(im.convert("RGB")), list(notes)


# corruptions

@dataclass(frozen=True, eq=False)  # eq=False: tensors have no single truth value
class Corrupted:
    """A corrupted photo and what the restorer may know about it."""

    image: torch.Tensor          # (3, H, W) in [0, 1]
    sigma: float                 # Gaussian sigma in [0, 1] units, 0 for the other kinds
    mask: torch.Tensor           # (1, H, W) 1 where pixels are missing (holes), else 0


def _rng(gen: torch.Generator | None) -> np.random.Generator:
    """A numpy generator drawn from ``gen`` (masks and JPEG are drawn with numpy and PIL)."""
    return np.random.default_rng(int(torch.randint(2**31 - 1, (1,), generator=gen)))


def jpeg(img: torch.Tensor, quality: int) -> torch.Tensor:
    """(3, H, W) encoded as JPEG at ``quality`` (1..95) and decoded again: blocking, ringing."""
    buf = io.BytesIO()
    Image.fromarray(to_uint8(img)).save(buf, format="JPEG", quality=int(quality))
    with Image.open(buf) as im:
        return to_tensor(im.convert("RGB"))


def scratch_mask(h: int, w: int, fraction: float, gen: torch.Generator | None = None) -> torch.Tensor:
    """(1, H, W) float mask of random scratches (thin lines) and holes (blobs) covering about
    ``fraction`` of the pixels: what an old, damaged print looks like."""
    rng = _rng(gen)
    im = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(im)
    target, side = fraction * h * w, max(h, w)
    for _ in range(200):
        if np.count_nonzero(np.asarray(im)) >= target:
            break
        if rng.random() < 0.7:  # a scratch: a polyline 1..3% of the side thick
            pts = [(rng.uniform(0, w), rng.uniform(0, h))]
            for _ in range(rng.integers(1, 4)):
                pts.append((pts[-1][0] + rng.normal(0, side / 4), pts[-1][1] + rng.normal(0, side / 4)))
            draw.line(pts, fill=255, width=max(1, int(side * rng.uniform(0.008, 0.025))))
        else:  # a hole: an ellipse up to 8% of the side
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), side * rng.uniform(0.01, 0.06)
            draw.ellipse((cx - r, cy - r * rng.uniform(0.5, 1.5), cx + r, cy + r), fill=255)
    return torch.from_numpy(np.asarray(im) > 0).float()[None]


def corrupt(img: torch.Tensor, kind: str, level: float, gen: torch.Generator | None = None) -> Corrupted:
    """Corrupt a (3, H, W) photo with one of :data:`NOISES` at ``level`` (see :data:`LEVELS`):
    Gaussian sigma in grey levels of 255, salt-and-pepper fraction, JPEG quality, hole fraction."""
    if kind not in NOISES:
        raise ConfigError(f"noise must be one of {', '.join(NOISES)}; got {kind!r}")
    lo, hi, _ = LEVELS[kind]
    if not lo <= level <= hi:
        raise ConfigError(f"{NOISE_LABELS[kind]}: level must be between {lo:g} and {hi:g}, got {level!r}")
    no_mask = img.new_zeros((1, *img.shape[-2:]))
    if kind == "gaussian":
        noisy = (img + (level / 255.0) * torch.randn(img.shape, generator=gen)).clamp_(0, 1)
        return Corrupted(noisy, level / 255.0, no_mask)
    if kind == "salt_pepper":
        u = torch.rand((1, *img.shape[-2:]), generator=gen)  # per pixel, all channels together
        noisy = torch.where(u < level / 2, 0.0, torch.where(u < level, 1.0, img))
        return Corrupted(noisy, 0.0, no_mask)
    if kind == "jpeg":
        return Corrupted(jpeg(img, int(level)), 0.0, no_mask)
    mask = scratch_mask(*img.shape[-2:], level, gen)
    return Corrupted(img * (1 - mask), 0.0, mask)  # holes are black; the mask says where


def model_input(c: Corrupted) -> torch.Tensor:
    """The denoising model's input (1, 5, H, W): RGB, the noise-level map, the hole mask."""
    sig = c.image.new_full((1, *c.image.shape[-2:]), c.sigma)
    return torch.cat([c.image, sig, c.mask])[None]


def estimate_sigma(img: torch.Tensor) -> float:
    """Gaussian noise sigma (in [0, 1] units) of an uploaded photo, by scikit-image's wavelet
    estimator (Donoho's median absolute deviation), averaged over the channels."""
    from skimage.restoration import estimate_sigma as est
    return float(est(to_uint8(img).astype(np.float32) / 255.0, channel_axis=-1, average_sigmas=True))


# training data

def _patches_of(scaled: list[torch.Tensor], patch: int, rng: np.random.Generator) -> torch.Tensor:
    """One random crop of a photo at a random scale (``scaled``: its copies at 1, 3/4 and 1/2),
    randomly flipped and turned by a multiple of 90 degrees."""
    fits = [s for s in scaled if min(s.shape[-2:]) >= patch]
    src = fits[int(rng.integers(0, len(fits)))]
    h, w = src.shape[-2:]
    i, j = int(rng.integers(0, h - patch + 1)), int(rng.integers(0, w - patch + 1))
    p = src[:, i:i + patch, j:j + patch]
    if rng.random() < 0.5:
        p = p.flip(-1)
    return torch.rot90(p, int(rng.integers(0, 4)), dims=(-2, -1))


def _scales(img: torch.Tensor) -> list[torch.Tensor]:
    """(3, H, W) at scales 1, 3/4 and 1/2 (antialiased): augmentation by scale."""
    return [img] + [torch.nn.functional.interpolate(img[None], scale_factor=s, mode="bilinear",
                                                    antialias=True)[0].clamp(0, 1)
                    for s in (0.75, 0.5)]


def photo_patches(n: int, seed: int, patch: int = PATCH, colour_only: bool = False) -> torch.Tensor:
    """(n, 3, patch, patch) uint8 patches of the *training* photos (never the held-out ones),
    drawn evenly from each photo with scale, flip and rotation augmentation."""
    names = [m for m in photo_names("train", "RGB" if colour_only else None)
             if m != "text.png"]  # a text sample, not a photograph
    rng = np.random.default_rng(seed)
    scaled = [_scales(read_photo(m)) for m in names]
    x = torch.stack([_patches_of(scaled[i % len(names)], patch, rng) for i in range(n)])
    return x.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)


def training_pair(task: str, x: torch.Tensor, gen: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The corrupted input and clean target of one training batch ``x`` (B, C, P, P) in [0, 1],
    for the photo model's ``task``: denoise (RGB -> RGB + sigma map + mask), colourise
    (L* -> a*b*) or document (channel 0 dirty, channel 1 clean)."""
    if task == "colourise":
        lab = rgb_to_lab(x)
        return lab[:, :1], lab[:, 1:]
    if task == "document":
        return x[:, :1], x[:, 1:2]
    return _denoise_batch(x, gen), x


def _denoise_batch(x: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    """(B, 5, P, P) inputs: per sample, Gaussian noise (55%, sigma up to 60/255), salt and pepper,
    JPEG or holes (15% each), at a level drawn uniformly within the page's range."""
    rows = []
    u = torch.rand(x.shape[0], 2, generator=gen)  # (B, 2): kind, level
    for img, (k, t) in zip(x, u.tolist()):
        if k < 0.55:
            rows.append(model_input(_gauss(img, t * 60.0 / 255.0, gen)))
            continue
        kind = NOISES[1 + min(int((k - 0.55) / 0.15), 2)]
        lo, hi, _ = LEVELS[kind]
        rows.append(model_input(corrupt(img, kind, lo + t * (hi - lo), gen)))
    return torch.cat(rows)


def _gauss(img: torch.Tensor, sigma: float, gen: torch.Generator | None) -> Corrupted:
    """Gaussian noise at any sigma in [0, 1] units (training also sees nearly clean patches)."""
    noisy = (img + sigma * torch.randn(img.shape, generator=gen)).clamp_(0, 1)
    return Corrupted(noisy, sigma, img.new_zeros((1, *img.shape[-2:])))


# colour

_XYZ = torch.tensor([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                     [0.019334, 0.119193, 0.950227]])  # sRGB (D65) -> XYZ, as skimage.color
_WHITE = torch.tensor([0.95047, 1.0, 1.08883])


def rgb_to_lab(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) sRGB in [0, 1] -> (B, 3, H, W) CIE Lab scaled: L*/100 in [0, 1], a*/128 and
    b*/128 in about [-1, 1] (skimage.color.rgb2lab's formulas, in torch for training)."""
    lin = torch.where(x > 0.04045, ((x + 0.055) / 1.055) ** 2.4, x / 12.92)
    xyz = torch.einsum("ij,bjhw->bihw", _XYZ, lin) / _WHITE[None, :, None, None]
    f = torch.where(xyz > 0.008856, xyz.clamp_min(1e-12) ** (1 / 3), 7.787 * xyz + 16 / 116)
    L = 116 * f[:, 1] - 16
    a = 500 * (f[:, 0] - f[:, 1])
    b = 200 * (f[:, 1] - f[:, 2])
    return torch.stack([L / 100, a / 128, b / 128], dim=1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_lab`: (B, 3, H, W) scaled Lab -> sRGB clipped to [0, 1]."""
    L, a, b = lab[:, 0] * 100, lab[:, 1] * 128, lab[:, 2] * 128
    fy = (L + 16) / 116
    f = torch.stack([fy + a / 500, fy, fy - b / 200], dim=1)
    xyz = torch.where(f > 0.2068966, f ** 3, (f - 16 / 116) / 7.787) * _WHITE[None, :, None, None]
    lin = torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_XYZ), xyz).clamp_min(0)
    return torch.where(lin > 0.0031308, 1.055 * lin ** (1 / 2.4) - 0.055, 12.92 * lin).clamp(0, 1)


# metrics on whole photos

def photo_psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR in dB of two (C, H, W) images in [0, 1] (:func:`aecore.metrics.psnr`)."""
    return float(psnr(a[None], b[None]))


def photo_ssim(a: torch.Tensor, b: torch.Tensor, tile: int = 138) -> float:
    """SSIM of two (C, H, W) images, exactly :func:`aecore.metrics.ssim` of the whole images,
    computed on tiles overlapping by the 10-pixel window margin so memory and time grow with the
    area, not with its cube (the whole-image form multiplies H x H banded matrices)."""
    h, w = a.shape[-2:]
    total, count, m = 0.0, 0, 10  # the 11x11 window's valid map loses 10 rows and columns
    for i in range(0, max(h - m, 1), tile - m):
        for j in range(0, max(w - m, 1), tile - m):
            ta, tb = a[:, i:i + tile, j:j + tile], b[:, i:i + tile, j:j + tile]
            th, tw = ta.shape[-2:]
            if th <= m or tw <= m:
                continue
            n = (th - m) * (tw - m)
            total += float(ssim(ta[None], tb[None])) * n
            count += n
    return total / max(count, 1)


# classic denoisers (scikit-image), given their parameter

def _np(img: torch.Tensor) -> np.ndarray:
    return img.permute(1, 2, 0).double().numpy()  # (H, W, 3) float64


def _back(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(arr)).float().permute(2, 0, 1).clamp(0, 1)


def nl_means(img: torch.Tensor, sigma: float, h_factor: float) -> torch.Tensor:
    """scikit-image's non-local means (Buades et al. 2005), fast mode, h = h_factor * sigma."""
    from skimage.restoration import denoise_nl_means
    return _back(denoise_nl_means(_np(img), h=h_factor * sigma, sigma=sigma, fast_mode=True,
                                  patch_size=5, patch_distance=6, channel_axis=-1))


def tv(img: torch.Tensor, sigma: float, weight: float) -> torch.Tensor:
    """scikit-image's total-variation denoiser (Chambolle 2004) at ``weight``."""
    from skimage.restoration import denoise_tv_chambolle
    return _back(denoise_tv_chambolle(_np(img), weight=weight, channel_axis=-1))


def wavelet(img: torch.Tensor, sigma: float, scale: float) -> torch.Tensor:
    """scikit-image's wavelet denoiser (BayesShrink, YCbCr) with sigma scaled by ``scale``."""
    from skimage.restoration import denoise_wavelet
    return _back(denoise_wavelet(_np(img), sigma=max(scale * sigma, 1e-4), channel_axis=-1,
                                 convert2ycbcr=True, method="BayesShrink", mode="soft",
                                 rescale_sigma=True))


def bilateral(img: torch.Tensor, sigma: float, color_factor: float) -> torch.Tensor:
    """scikit-image's bilateral filter, colour sigma = color_factor * sigma, spatial sigma 2."""
    from skimage.restoration import denoise_bilateral
    return _back(denoise_bilateral(_np(img), sigma_color=color_factor * max(sigma, 1e-3),
                                   sigma_spatial=2, channel_axis=-1))


def bm3d_denoise(img: torch.Tensor, sigma: float, scale: float = 1.0) -> torch.Tensor:
    """BM3D (Dabov et al. 2007) from the ``bm3d`` package (a benchmark-only dependency)."""
    import bm3d
    return _back(bm3d.bm3d_rgb(_np(img), sigma_psd=scale * sigma))


CLASSIC: dict[str, Callable[[torch.Tensor, float, float], torch.Tensor]] = {
    "nl_means": nl_means, "tv": tv, "wavelet": wavelet, "bilateral": bilateral}
CLASSIC_LABELS = {"nl_means": "non-local means", "tv": "total variation", "wavelet": "wavelet",
                  "bilateral": "bilateral", "bm3d": "BM3D", "median": "median filter",
                  "biharmonic": "biharmonic inpainting"}
# grids searched by benchmarks/restore.py on the training photos, per classic denoiser
GRIDS = {"nl_means": (0.6, 0.8, 1.0, 1.2), "tv": (0.04, 0.08, 0.12, 0.2),
         "wavelet": (0.75, 1.0, 1.5), "bilateral": (0.5, 1.0, 2.0), "bm3d": (1.0,)}
# best (denoiser, parameter) per sigma (grey levels), found by that search on the training photos
BEST_CLASSIC = {15: ("nl_means", 0.6), 25: ("nl_means", 0.6), 50: ("nl_means", 0.6)}


def median(img: torch.Tensor, size: int = 3) -> torch.Tensor:
    """A ``size`` x ``size`` median filter per channel (the classic cure for salt and pepper)."""
    from scipy.ndimage import median_filter
    return _back(median_filter(_np(img), size=(size, size, 1)))


def biharmonic(img: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """scikit-image's biharmonic inpainting of the pixels where ``mask`` (1, H, W) is 1."""
    from skimage.restoration import inpaint_biharmonic
    return _back(inpaint_biharmonic(_np(img), mask[0].numpy().astype(bool), channel_axis=-1,
                                    split_into_regions=True))


def best_classic(img: Corrupted, kind: str) -> tuple[str, torch.Tensor]:
    """The classic method for a corruption ``kind``, and its result: for Gaussian noise the
    denoiser the search found best at the nearest sigma; a median filter for salt and pepper;
    TV for JPEG blocking; biharmonic inpainting for holes."""
    if kind == "scratches":
        return "biharmonic", biharmonic(img.image, img.mask)
    if kind == "salt_pepper":
        return "median", median(img.image)
    sigma = img.sigma if kind == "gaussian" else estimate_sigma(img.image)
    if kind == "jpeg":
        return "tv", tv(img.image, sigma, 0.04)
    s = min(BEST_CLASSIC, key=lambda k: abs(k - sigma * 255))
    name, p = BEST_CLASSIC[s]
    return name, CLASSIC[name](img.image, sigma, p)


# data and figures for the training loop and the cards

def photo_train_data(model_cfg, train_cfg):
    """:class:`aecore.train.TrainData` for a photo model: ``subset`` (default 4,000) training
    patches and ``val_size`` validation patches, both from the training photos with their own
    seeds; colourisation uses the colour photos only; documents use synthetic pages."""
    from .train import TrainData
    n, n_val = train_cfg.subset or 4000, max(train_cfg.val_size, 1)
    if model_cfg.task == "document":
        from .documents import page_patches
        x, v = page_patches(n, train_cfg.seed), page_patches(n_val, train_cfg.seed + 10_000)
    else:
        colour = model_cfg.task == "colourise"
        x = photo_patches(n, train_cfg.seed, colour_only=colour)
        v = photo_patches(n_val, train_cfg.seed + 10_000, colour_only=colour)
    return TrainData(x, None, v, None)


EVAL_CROP = 192  # centre crop of each held-out photo behind a card's figures (a few seconds)


def _centre(img: torch.Tensor, side: int = EVAL_CROP) -> torch.Tensor:
    h, w = img.shape[-2:]
    i, j = max((h - side) // 2, 0), max((w - side) // 2, 0)
    return img[:, i:i + side, j:j + side]


@torch.inference_mode()
def photo_metrics(model) -> dict:
    """A photo model's card figures on centre crops of the held-out colour photos (seeded):
    ``mse`` and ``psnr`` of its task (denoising at sigma 25; colourisation from grey; documents
    on unseen synthetic pages), and ``psnr_input`` for the input it was given."""
    model.eval()
    task = model.cfg.task
    if task == "document":
        from .documents import document_metrics
        return document_metrics(model)
    outs, ins, targets = [], [], []
    for k, name in enumerate(photo_names("heldout", "RGB")):
        img = _centre(read_photo(name))
        if task == "colourise":
            lab = rgb_to_lab(img[None])
            grey = lab_to_rgb(torch.cat([lab[:, :1], torch.zeros_like(lab[:, 1:])], 1))[0]
            out = lab_to_rgb(torch.cat([lab[:, :1], model.reconstruct(lab[:, :1])], 1))[0]
            ins.append(grey)
        else:
            c = corrupt(img, "gaussian", 25.0, torch.Generator().manual_seed(k))
            out = model.reconstruct(model_input(c))[0]
            ins.append(c.image)
        outs.append(out)
        targets.append(img)
    o, i, t = torch.stack(outs), torch.stack(ins), torch.stack(targets)
    return {"mse": float((o - t).square().mean()), "psnr": float(psnr(o, t).mean()),
            "psnr_input": float(psnr(i, t).mean())}


# running the models on whole photos

@torch.inference_mode()
def run_model(model, x: torch.Tensor, tiled: bool = True, on_progress=None, should_stop=None) -> torch.Tensor:
    """A photo model's clipped output for (1, C, H, W) input, over overlapping tiles
    (:func:`aecore.tiles.run_tiled`: bounded memory, progress, cancel) or in one pass."""
    from .tiles import run_tiled
    model.eval()
    if not tiled:
        return model.reconstruct(x)
    return run_tiled(model.reconstruct, x, on_progress=on_progress, should_stop=should_stop)


def restore(model, c: Corrupted, tiled: bool = True, on_progress=None, should_stop=None) -> torch.Tensor:
    """The denoising model's restoration (3, H, W) of a corrupted photo."""
    return run_model(model, model_input(c), tiled, on_progress, should_stop)[0]


def greyscale(img: torch.Tensor) -> torch.Tensor:
    """(3, H, W) photo with its colour taken out: L* kept, a* = b* = 0, as RGB (3, H, W)."""
    lab = rgb_to_lab(img[None])
    return lab_to_rgb(torch.cat([lab[:, :1], torch.zeros_like(lab[:, 1:])], 1))[0]


def colourise(model, img: torch.Tensor, tiled: bool = True, on_progress=None, should_stop=None) -> torch.Tensor:
    """Colour (3, H, W) put back into a grey (or colour: only its L* is used) (3, H, W) photo by
    the colourisation model: L* in, a*b* out."""
    L = rgb_to_lab(img[None])[:, :1]
    ab = run_model(model, L, tiled, on_progress, should_stop)
    return lab_to_rgb(torch.cat([L, ab], 1))[0]


def colourfulness(img: torch.Tensor) -> float:
    """Hasler and Suesstrunk's (2003) colourfulness of a (3, H, W) photo in [0, 1] (0 for grey;
    about 0.1 is 'fairly colourful', on the 0..1 scale)."""
    r, g, b = img[0], img[1], img[2]
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(torch.sqrt(rg.var() + yb.var()) + 0.3 * torch.sqrt(rg.mean() ** 2 + yb.mean() ** 2))
