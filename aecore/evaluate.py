"""Test-set metrics of a trained model: what the cards hold and the quality table checks."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch

from .data import load_split
from .errors import ConfigError
from .metrics import knn_accuracy, mse, psnr, sse, ssim
from .models import Autoencoder
from .noise import add_noise

CHECK_N = 500  # test images behind a card's "check" block, recomputed exactly by the tests
# rows per forward pass when a page scores many digits: a conv decoder's activations of 128
# digits stay in the CPU's caches (benchmarks/startup.py times the pages that score many)
CHUNK = 128

# the denoising settings the zoo's bars are set at: (name, noise kind, level)
DENOISE_CASES = (("gauss_0.5", "gaussian", 0.5), ("gauss_0.3", "gaussian", 0.3),
                 ("mask_0.5", "masking", 0.5))


@torch.inference_mode()
def reconstruct_all(model: Autoencoder, x: torch.Tensor, y: torch.Tensor | None = None,
                    chunk: int = CHUNK) -> torch.Tensor:
    """Reconstructions of every row of ``x`` in chunks (bounded memory)."""
    outs = [model.reconstruct(x[i:i + chunk], None if y is None else y[i:i + chunk])
            for i in range(0, x.shape[0], chunk)]
    return torch.cat(outs)


@torch.inference_mode()
def encode_all(model: Autoencoder, x: torch.Tensor, y: torch.Tensor | None = None,
               chunk: int = CHUNK) -> torch.Tensor:
    """Codes of every row of ``x``, (N, k)."""
    return torch.cat([model.encode(x[i:i + chunk], None if y is None else y[i:i + chunk])
                      for i in range(0, x.shape[0], chunk)])


@torch.inference_mode()
def vae_test_loss(model: Autoencoder, x: torch.Tensor, y: torch.Tensor | None = None,
                  seed: int = 0, chunk: int = 2000) -> float:
    """pytorch/examples' test loss: BCE summed over pixels + KL, per image, one posterior
    sample per image (beta ignored, so every VAE is compared on the same ELBO)."""
    gen = torch.Generator().manual_seed(seed)
    total = 0.0
    for i in range(0, x.shape[0], chunk):
        xb, yb = x[i:i + chunk], None if y is None else y[i:i + chunk]
        rec, kl = model.elbo_terms(xb, xb, yb, gen)
        total += (rec + kl).item() * xb.shape[0]
    return total / x.shape[0]


@torch.inference_mode()
def denoise_psnr(model: Autoencoder, x: torch.Tensor, kind: str, level: float,
                 seed: int = 0) -> tuple[float, float]:
    """Mean PSNR per image of (noisy input, model output) against the clean ``x``."""
    noisy = add_noise(x, kind, level, torch.Generator().manual_seed(seed))
    out = reconstruct_all(model, noisy)
    return psnr(noisy, x).mean().item(), psnr(out, x).mean().item()


def to_uint8(images: torch.Tensor):
    """Images in [0, 1], (n, 1, H, W), (n, H, W) or colour (n, 3, H, W), as the pages draw them:
    round(255 * clip(x, 0, 1)), a (n, H, W) uint8 numpy array, or (n, H, W, 3) for colour
    (``ui.widgets.to_uint8`` does the same to one image)."""
    x = images.detach().clamp(0, 1).mul(255).add(0.5).to(torch.uint8)
    if x.dim() == 4 and x.shape[1] == 3:
        return x.permute(0, 2, 3, 1).contiguous().cpu().numpy()
    return x.reshape(-1, *x.shape[-2:]).cpu().numpy()


def check_metrics(model: Autoencoder, dataset: str = "mnist") -> dict:
    """Deterministic figures on the first :data:`CHECK_N` test images of ``dataset`` (or sensor
    windows), stored in each card so a test can confirm the card describes the weights beside it."""
    if model.data_kind not in ("image", "series", "photo"):  # tables, text, sound: a seeded input
        with torch.inference_mode():
            out = model(model.check_input(CHECK_N)).float()
        return {"n": CHECK_N, "mse": round(float(out.pow(2).mean()), 6)}
    m = evaluate(model, n=CHECK_N, dataset=dataset)
    keep = ("mse", "sse", "mse_normal")
    return {"n": CHECK_N, **{k: round(v, 6) for k, v in m.items() if k in keep}}


def evaluate(model: Autoencoder, n: int | None = None, denoise: bool = False,
             dataset: str = "mnist") -> dict:
    """Metrics on a data set's test split (MNIST's by default; the first ``n`` images if given).

    Every image model: mse (per pixel), sse (per image), psnr, ssim. VAEs add ``vae_loss``; 2-D
    codes of a labelled set add ``knn_2d`` (5-NN accuracy of test codes against train codes, where
    its training split is on this machine); ``denoise`` adds
    PSNR under the zoo's noise cases. The sequence AE is measured on sensor windows instead.
    """
    if model.data_kind == "photo":  # photographs, measured on the held-out photos
        from .photo import photo_metrics
        return photo_metrics(model)
    from .train import DATA_SOURCES
    if dataset in DATA_SOURCES:  # a data set beyond images: measured by its own module
        import importlib
        return importlib.import_module(DATA_SOURCES[dataset]).evaluate(model, dataset, n)
    if model.data_kind == "series":
        from .sensors import sensor_dataset
        from .metrics import auroc
        cfg = model.cfg
        ds = sensor_dataset(2000, window=cfg.seq_len, channels=cfg.channels, fault_fraction=0.5,
                            seed=12345)
        with torch.inference_mode():
            err = (model.reconstruct(ds.x) - ds.x).pow(2).mean(dim=(1, 2))
        normal = ~ds.labels
        return {"mse_normal": err[normal].mean().item(), "mse_faulty": err[~normal].mean().item(),
                "auroc": auroc(err.numpy(), ds.labels.numpy())}
    model.eval()
    from .datasets import get_dataset
    test = load_split("test", dataset)
    x = test.float_images(slice(0, n))
    y = test.labels[:n] if n else test.labels
    y_in = y if model.conditional else None
    rec = reconstruct_all(model, x, y_in)
    out = {"mse": mse(rec, x).mean().item(), "sse": sse(rec, x).mean().item(),
           "psnr": psnr(rec, x).mean().item(), "ssim": ssim(rec, x).mean().item()}
    if model.variational:
        out["vae_loss"] = vae_test_loss(model, x, y_in)
    if model.latent_dim == 2 and not model.conditional and get_dataset(dataset).classes:
        train = load_split("train", dataset)
        tr_codes = encode_all(model, train.float_images())
        out["knn_2d"] = knn_accuracy(tr_codes, train.labels, encode_all(model, x), y, k=5)
    if denoise:
        for name, kind, level in DENOISE_CASES:
            out[f"psnr_{name}"] = denoise_psnr(model, x, kind, level)[1]
    return out


Denoiser = Callable[[torch.Tensor], torch.Tensor]  # (B, C, H, W) noisy -> (B, C, H, W) output


@torch.inference_mode()
def denoise_curve(denoisers: Mapping[str, Denoiser], x: torch.Tensor, kind: str,
                  levels: Sequence[float], seed: int = 0, noisy_label: str = "noisy input",
                  chunk: int = CHUNK) -> dict[str, list[float]]:
    """Mean PSNR (dB) against the clean ``x`` of each denoiser's output, one value per level.

    ``denoisers`` maps a name to any callable from a noisy batch to its cleaned version (a model's
    ``reconstruct``, a PCA projection, ...); outputs are clipped to [0, 1] before scoring. ``x`` is
    a clean batch (B, C, H, W) in [0, 1] (grey digits or colour patches). At every level the corruption is drawn from a generator
    seeded with ``seed``, so the curves differ only by the level. The result also holds the PSNR
    of the noisy input itself under ``noisy_label`` (infinite PSNR at level 0 is capped at 100 dB
    by :func:`psnr`). Raises ConfigError for an unknown noise kind or a level out of range.
    """
    if noisy_label in denoisers:
        raise ConfigError(f"denoise_curve: {noisy_label!r} is reserved for the noisy input")
    out: dict[str, list[float]] = {noisy_label: [], **{name: [] for name in denoisers}}
    for level in levels:
        noisy = add_noise(x, kind, float(level), torch.Generator().manual_seed(seed))
        out[noisy_label].append(psnr(noisy, x).mean().item())
        for name, fn in denoisers.items():
            cleaned = torch.cat([fn(noisy[i:i + chunk]) for i in range(0, x.shape[0], chunk)])
            out[name].append(psnr(cleaned.clamp(0.0, 1.0), x).mean().item())
    return out


@torch.inference_mode()
def recon_error_quantile(fn: Denoiser, x: torch.Tensor, q: float = 0.99,
                         chunk: int = CHUNK) -> float:
    """The ``q`` quantile of the per-image reconstruction MSE of ``fn`` over the batch ``x``.

    With ``fn`` a model's ``reconstruct`` and ``x`` test digits, an input whose error is above the
    0.99 quantile is rebuilt worse than 99 % of real digits: a sign that it looks unlike the data
    the model was trained on.
    """
    if not 0.0 <= q <= 1.0:
        raise ConfigError(f"recon_error_quantile: q must be in [0, 1], got {q!r}")
    rec = torch.cat([fn(x[i:i + chunk]) for i in range(0, x.shape[0], chunk)])
    return torch.quantile(mse(rec.clamp(0.0, 1.0), x), q).item()
