"""Photo restoration against the classic denoisers, on the held-out photos (issue 26).

Each classic denoiser first gets its best parameter per noise level from a small grid searched on
crops of the *training* photos; then everything is measured on centre crops (``--crop``, default
192 px) of the held-out colour photos: PSNR and SSIM at sigma 15, 25 and 50 (/255), inpainting
against scikit-image's biharmonic, colourisation, documents, and the time and memory of a whole
photo. Ends with one JSON line:
psnr_gauss, ssim_gauss, inpaint_psnr, colourise, documents, photo_640_s, photo_2048_s, peak_rss_mb.

    nice -n 10 .venv/bin/python benchmarks/restore.py [--crop 256] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from aecore import photo  # noqa: E402
from aecore.zoo import PRETRAINED_DIR, load_zoo_model  # noqa: E402

SIGMAS = (15, 25, 50)
METHODS = ("nl_means", "tv", "wavelet", "bilateral", "bm3d")


def crop(img: torch.Tensor, side: int) -> torch.Tensor:
    h, w = img.shape[-2:]
    i, j = max((h - side) // 2, 0), max((w - side) // 2, 0)
    return img[:, i:i + side, j:j + side]


def classic(name: str, img: torch.Tensor, sigma: float, p: float) -> torch.Tensor:
    return photo.bm3d_denoise(img, sigma, p) if name == "bm3d" else photo.CLASSIC[name](img, sigma, p)


def search(train_crops: list[torch.Tensor], methods: tuple[str, ...]) -> dict:
    """{sigma: {method: best parameter}} by mean PSNR on noisy training crops."""
    best: dict = {}
    for s in SIGMAS:
        noisy = [photo.corrupt(c, "gaussian", s, torch.Generator().manual_seed(100 + k)).image
                 for k, c in enumerate(train_crops)]
        best[s] = {}
        for m in methods:
            scores = {p: sum(photo.photo_psnr(classic(m, n, s / 255, p), c)
                             for n, c in zip(noisy, train_crops)) for p in photo.GRIDS[m]}
            best[s][m] = max(scores, key=scores.get)
    return best


def gauss_tables(model, test: list[torch.Tensor], best: dict, methods) -> tuple[dict, dict]:
    psnr_t, ssim_t = {}, {}
    for s in SIGMAS:
        outs: dict[str, list] = {"ours": [], "noisy": [], **{m: [] for m in methods}}
        for k, img in enumerate(test):
            c = photo.corrupt(img, "gaussian", s, torch.Generator().manual_seed(k))
            outs["noisy"].append(c.image)
            outs["ours"].append(photo.restore(model, c, tiled=False))
            for m in methods:
                outs[m].append(classic(m, c.image, s / 255, best[s][m]))
        psnr_t[str(s)] = {m: round(sum(photo.photo_psnr(o, t) for o, t in zip(v, test)) / len(test), 2)
                          for m, v in outs.items()}
        ssim_t[str(s)] = {m: round(sum(photo.photo_ssim(o, t) for o, t in zip(v, test)) / len(test), 4)
                          for m, v in outs.items()}
        print(f"sigma {s}: {psnr_t[str(s)]}", file=sys.stderr, flush=True)
    return psnr_t, ssim_t


def inpaint(model, test: list[torch.Tensor]) -> dict:
    ours, bih, hole = [], [], []
    for k, img in enumerate(test):
        c = photo.corrupt(img, "scratches", 0.08, torch.Generator().manual_seed(k))
        hole.append(photo.photo_psnr(c.image, img))
        ours.append(photo.photo_psnr(photo.restore(model, c, tiled=False), img))
        bih.append(photo.photo_psnr(photo.biharmonic(c.image, c.mask), img))
    n = len(test)
    return {"ours": round(sum(ours) / n, 2), "biharmonic": round(sum(bih) / n, 2),
            "damaged": round(sum(hole) / n, 2)}


def colourise_figures(test: list[torch.Tensor]) -> dict | None:
    if not (PRETRAINED_DIR / "photo_colourise.safetensors").exists():
        return None
    model, _ = load_zoo_model("photo_colourise")
    outs = [photo.colourise(model, photo.greyscale(t), tiled=False) for t in test]
    greys = [photo.greyscale(t) for t in test]
    n = len(test)
    return {"psnr_ours": round(sum(photo.photo_psnr(o, t) for o, t in zip(outs, test)) / n, 2),
            "psnr_grey": round(sum(photo.photo_psnr(g, t) for g, t in zip(greys, test)) / n, 2),
            "colourfulness_ours": round(sum(map(photo.colourfulness, outs)) / n, 4),
            "colourfulness_grey": round(sum(map(photo.colourfulness, greys)) / n, 4),
            "colourfulness_original": round(sum(map(photo.colourfulness, test)) / n, 4)}


def documents_figures() -> dict | None:
    if not (PRETRAINED_DIR / "photo_document.safetensors").exists():
        return None
    from aecore.documents import benchmark_pages
    model, _ = load_zoo_model("photo_document")
    return benchmark_pages(model)


def big(side_w: int, side_h: int) -> dict:
    """Time one 25-sigma photo of side_w x side_h (a held-out photo resized), in this process."""
    model, _ = load_zoo_model("photo_denoise")
    img = torch.nn.functional.interpolate(photo.read_photo("chelsea.png")[None], size=(side_h, side_w),
                                          mode="bilinear", align_corners=False)[0].clamp(0, 1)
    c = photo.corrupt(img, "gaussian", 25, torch.Generator().manual_seed(0))
    photo.restore(model, photo.corrupt(img[:, :64, :64], "gaussian", 25))  # warm the kernels
    ticks: list[int] = []
    t = time.perf_counter()
    out = photo.restore(model, c, tiled=side_w > 1024, on_progress=lambda d, n: ticks.append(d))
    s = time.perf_counter() - t
    assert out.shape == img.shape
    return {"seconds": round(s, 3), "tiles": len(ticks),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def timed(w: int, h: int) -> dict:
    """:func:`big` in a fresh process, so its peak memory is that photo's alone."""
    out = subprocess.run([sys.executable, __file__, "--big", f"{w}x{h}"], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def figures(folder: Path) -> list[Path]:
    """One before/after PNG per task in ``folder`` (docs/): held-out photos and the real scan."""
    from PIL import Image
    from aecore.documents import clean_document, median_otsu
    row = lambda ims: Image.fromarray(torch.cat(  # noqa: E731
        [torch.nn.functional.pad(i, (0, 4), value=1.0) for i in ims], 2).permute(1, 2, 0)
        .mul(255).add(0.5).clamp(0, 255).byte().numpy())
    out = []
    model, _ = load_zoo_model("photo_denoise")
    img = crop(photo.read_photo("chelsea.png"), 256)
    c = photo.corrupt(img, "gaussian", 25, torch.Generator().manual_seed(0))
    s = photo.corrupt(img, "scratches", 0.08, torch.Generator().manual_seed(0))
    ims = [c.image, photo.restore(model, c), photo.nl_means(c.image, 25 / 255, photo.BEST_CLASSIC[25][1]),
           s.image, photo.restore(model, s), img]
    out.append(folder / "restore_denoise.png")
    row(ims).save(out[-1])
    if (PRETRAINED_DIR / "photo_colourise.safetensors").exists():
        col, _ = load_zoo_model("photo_colourise")
        img = crop(photo.read_photo("flower.jpg"), 256)
        grey = photo.greyscale(img)
        out.append(folder / "restore_colourise.png")
        row([grey, photo.colourise(col, grey), img]).save(out[-1])
    if (PRETRAINED_DIR / "photo_document.safetensors").exists():
        doc, _ = load_zoo_model("photo_document")
        page = photo.read_photo("page.png")[:1]
        rgb = lambda t: t.expand(3, -1, -1)  # noqa: E731
        out.append(folder / "restore_document.png")
        row([rgb(page), rgb(clean_document(doc, page)), rgb(median_otsu(page))]).save(out[-1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--crop", type=int, default=192, help="centre crop side of each held-out photo")
    ap.add_argument("--quick", action="store_true", help="64 px crops, no BM3D (a smoke test)")
    ap.add_argument("--big", help=argparse.SUPPRESS)
    ap.add_argument("--figures", help="write the before/after PNGs of docs/RESTORE.md here, then stop")
    args = ap.parse_args()
    if args.figures:
        print(json.dumps({"figures": [str(p) for p in figures(Path(args.figures))]}))
        return
    if args.big:
        w, h = map(int, args.big.split("x"))
        print(json.dumps(big(w, h)))
        return
    side = 64 if args.quick else args.crop
    methods = METHODS[:-1] if args.quick else METHODS
    model, _ = load_zoo_model("photo_denoise")
    train = [crop(photo.read_photo(n), side // 2 if args.quick else 96) for n in ("astronaut.png", "coffee.png")]
    test = [crop(photo.read_photo(n), side) for n in photo.photo_names("heldout", "RGB")]
    t0 = time.perf_counter()
    best = search(train, methods)
    print(f"best parameters (training photos): {best}", file=sys.stderr, flush=True)
    psnr_t, ssim_t = gauss_tables(model, test, best, methods)
    t640, t2048 = timed(640, 427), timed(2048, 1536)
    result = {
        "psnr_gauss": psnr_t, "ssim_gauss": ssim_t, "inpaint_psnr": inpaint(model, test),
        "colourise": colourise_figures(test), "documents": documents_figures(),
        "photo_640_s": t640["seconds"], "photo_2048_s": t2048["seconds"],
        "peak_rss_mb": t2048["peak_rss_mb"]}
    print(f"best parameters: {best}; 2048 photo in {t2048['tiles']} tiles; crops {side} px; "
          f"{time.perf_counter() - t0:.0f} s; load average {os.getloadavg()}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
