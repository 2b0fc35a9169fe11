"""What every first visit of a page would recompute, computed once and shipped in ``pretrained/``.

One file, ``pretrained/precomputed.safetensors`` (tensors only: nothing is ever unpickled), holds:

* ``pca``: the MNIST PCA basis (Reconstruct, Bottleneck, Denoise, Features and Types use it; the
  exact fit takes about a second of two cores, 20 s on a busy one). The mean and all 784
  variances are float32; the leading ``PCA_SHIPPED`` = 256 directions (99% of the variance) are
  int8 with one float32 scale per row: 0.2 MB, where all 784 in float32 take 2.4 MB and would
  break the 15 MB budget of ``pretrained/``. On loading they are re-orthonormalised and completed
  by an orthonormal basis of the rest (seeded), so every k up to 784 works: k <= 256 is the PCA
  (its test errors agree with the exact fit within 0.1%, checked by the tests), k =
  784 is exact, and k in between is within the last 1% of the variance of the optimum;
* ``codes.<model>``: the codes of all 10,000 test digits under a shipped model (Latent space's
  map), float16 (10000, k);
* ``ood.<model>``: the anomaly scores of the Anomaly page's default scoring (the first 2,000 test
  digits, then 100 generated images of each out-of-distribution kind), float32;
* ``probe.<model>``, ``probe.pca<k>``, ``probe.pixels``: the Features page's classifier probes
  (5-NN and logistic accuracy, float32 (2,)) on the codes of its default models, on PCA codes of
  the same k and on raw pixels (about 20 fits, seconds of CPU, on every first visit);
* ``curve.<plain>.<dae>``: the Denoise page's PSNR curves (:func:`denoise_curve_of`) for its
  default plain and denoising AEs, one (4, steps) float64 tensor per noise kind (0.5-0.7 s of its
  first visit, mostly the conv DAE);
* ``overcomplete``: the Types page's undercomplete-vs-overcomplete table
  (:func:`overcomplete_rows`) at every stop of its noise slider, float64 (levels, models, 3);
* ``home.<model>``: what the Home page shows of its default model (:func:`home_preview`: the
  first test digits, their reconstructions and errors; the architecture in the entry's
  metadata), read without torch by :mod:`aecore.shipped`, so a server that has just started
  draws Home while it is still importing torch.

Each entry carries, in the file's metadata, the SHA-256 of what it was computed from: the model's
``.safetensors`` file, or for the PCA the MNIST training images as pinned in ``data/SHA256SUMS``,
plus the settings it depends on. A reader passes the source it has now; an entry whose source or
settings differ (a retrained model, a changed setting) or a missing or unreadable file reads as
None, and the caller recomputes with no error. Rebuild with ``python -m aecore precompute``
(``make pretrained`` runs it after the zoo).
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .errors import ConfigError
from .pca import PCA
from . import zoo
# the file's format and reader need no torch (the Home page reads it before torch is imported)
from .shipped import (FORMAT, HOME_FOR, HOME_SETTINGS, PRECOMPUTED_FILE,  # noqa: F401
                      HomePreview, file_sha256, home_source, mnist_source, model_source,
                      path_in, read_entry, shipped_home)

CODES_FOR = ("ae_k2", "vae_k2")  # the Latent page's 2-D models (ae_k2 is its default)
OOD_FOR = ("ae_k32",)  # the Anomaly page's default model
# the Anomaly page's default scoring: first N test digits, then N per kind of every OOD kind
OOD_SETTINGS = {"n_normal": 2000, "n_per_kind": 100, "seed": 0}
PROBE_FOR = ("ae_k2", "ae_k4", "ae_k8", "ae_k16", "ae_k32", "ae_k64")  # the Features page's sweep
PROBE_PCA_KS = (2, 4, 8, 16, 32, 64)
# the Features page's probe: first N training digits to fit on, first N test digits to score
PROBE_SETTINGS = {"n_ref": 10_000, "n_test": 2_000}
PCA_SHIPPED = 256  # leading PCA directions shipped (int8): 99% of MNIST's variance, 0.2 MB
CURVE_FOR = (("ae_k32", "dae_conv"),)  # the Denoise page's default (plain AE, denoising AE)
# the Denoise page's curve: the first N test digits, levels MAX/steps .. MAX, one noise seed
CURVE_SETTINGS = {"n": 200, "steps": 7, "seed": 0}
# the Types page's table: these models on the first N test digits, Gaussian noise at each level
OVERCOMPLETE_MODELS = ("ae_k32", "ae_overcomplete", "sparse_l1", "dae_conv")
OVERCOMPLETE_SETTINGS = {"n": 500, "levels": [round(0.1 * i, 1) for i in range(1, 9)], "seed": 0}


# what is shipped, computed

def pca_tensors(pca: PCA, n: int = PCA_SHIPPED) -> dict[str, Tensor]:
    """A PCA as shipped: mean and variances float32, the leading ``n`` directions int8 with a
    float32 scale per row."""
    comps = pca.components[:n].float()  # (n, D), rows orthonormal
    scale = (comps.abs().amax(dim=1) / 127.0).clamp_min(1e-12)  # (n,)
    q = (comps / scale[:, None]).round().clamp(-127, 127).to(torch.int8)
    return {"mean": pca.mean.float().contiguous(), "variance": pca.explained_variance.float().contiguous(),
            "components_q": q.contiguous(), "components_scale": scale.contiguous()}


def pca_from_tensors(t: dict[str, Tensor]) -> PCA:
    """The PCA an entry of :func:`pca_tensors` holds, with a full (D, D) orthonormal basis: the
    shipped rows dequantised and re-orthonormalised (signs kept), then a seeded orthonormal
    basis of their complement (one 784 x 784 QR, a few tens of ms)."""
    lead = t["components_q"].float() * t["components_scale"][:, None]  # (n, D)
    n, d = lead.shape
    rest = torch.randn(d, d - n, generator=torch.Generator().manual_seed(0))  # (D, D - n)
    # one QR of [shipped | random]: its first n columns span the shipped directions (exactly
    # orthonormal now), the other D - n an orthonormal basis of what they leave out
    q, r = torch.linalg.qr(torch.cat([lead.T, rest], dim=1))  # (D, D) each
    sign = torch.sign(torch.diagonal(r))
    q = q * torch.where(sign == 0, 1.0, sign)  # keep each shipped direction's own sign
    comps = q.T.contiguous()  # (D, D), rows orthonormal
    return PCA(mean=t["mean"], components=comps, explained_variance=t["variance"])


def ood_scores(model: torch.nn.Module, test_images: Tensor, n_normal: int, n_per_kind: int,
               seed: int = 0) -> tuple[Tensor, Tensor, list[str]]:
    """The Anomaly page's default scoring: images (N, 1, 28, 28) = the first ``n_normal`` of
    ``test_images`` then ``n_per_kind`` generated images of every OOD kind (seeded), their kind
    names, and their reconstruction-error scores (N,)."""
    from . import anomaly as an

    x = test_images[:n_normal]
    ood, names = an.ood_images(n_per_kind, torch.Generator().manual_seed(seed), an.OOD_KINDS)
    images = torch.cat([x, ood])
    return images, an.recon_errors(model, images), ["MNIST digit"] * len(x) + names


def probe(train_codes: Tensor, test_codes: Tensor, n_ref: int, n_test: int) -> Tensor:
    """The Features page's probe of codes of the first ``n_ref`` training and ``n_test`` test
    digits (MNIST labels): (5-NN accuracy, logistic accuracy), float32 (2,)."""
    from .data import load_split
    from .features import probe_codes

    r = probe_codes(train_codes, load_split("train").labels[:n_ref], test_codes,
                    load_split("test").labels[:n_test])
    return torch.tensor([r["knn"], r["logistic"]], dtype=torch.float32)


def curve_levels(kind: str, steps: int) -> list[float]:
    """The noise levels of the Denoise page's curve: MAX/steps .. MAX of ``kind`` (level 0, whose
    PSNR is infinite, left out)."""
    from .noise import MAX_LEVEL
    return [MAX_LEVEL[kind] * i / steps for i in range(1, steps + 1)]


def curve_series(plain: torch.nn.Module) -> tuple[str, str, str, str]:
    """The names of :func:`denoise_curve_of`'s series, in order (PCA's k is the plain AE's)."""
    k = min(plain.latent_dim, 784)  # PCA cannot have more components than pixels
    return ("noisy input", "plain AE", "denoising AE", f"PCA, k = {k}")


def curve_denoisers(plain: torch.nn.Module, dae: torch.nn.Module, pca: PCA) -> dict[str, Any]:
    """The Denoise page's three denoisers by their series names (:func:`curve_series`): the
    plain AE's and the DAE's ``reconstruct``, and PCA at the plain AE's k (clipped to [0, 1])."""
    import functools

    _, p, d, lin = curve_series(plain)
    k = min(plain.latent_dim, 784)
    return {p: plain.reconstruct, d: dae.reconstruct,
            lin: functools.partial(pca.reconstruct, k=k, clip=True)}


def denoise_curve_of(plain: torch.nn.Module, dae: torch.nn.Module, pca: PCA, kind: str, n: int,
                     steps: int, seed: int) -> dict[str, list[float]]:
    """The Denoise page's curves: mean PSNR over the first ``n`` test digits of the noisy input
    and of :func:`curve_denoisers`, at :func:`curve_levels` (``aecore.evaluate.denoise_curve``;
    series :func:`curve_series`)."""
    from .data import load_split
    from .evaluate import denoise_curve

    x = load_split("test").float_images(slice(0, n))  # (n, 1, 28, 28)
    return denoise_curve(curve_denoisers(plain, dae, pca), x, kind, curve_levels(kind, steps),
                         seed=seed, noisy_label=curve_series(plain)[0])


def overcomplete_rows(models: dict[str, torch.nn.Module], level: float, n: int,
                      seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """The Types page's table: for each model, (clean MSE, PSNR of the noisy input, PSNR of its
    output) on the first ``n`` test digits, Gaussian noise of sd ``level``."""
    from .data import load_split
    from .evaluate import denoise_psnr, reconstruct_all
    from .metrics import mse

    x = load_split("test").float_images(slice(0, n))
    out = {}
    for name, model in models.items():
        clean = mse(reconstruct_all(model, x), x).mean().item()
        noisy_in, cleaned = denoise_psnr(model, x, "gaussian", level, seed=seed)
        out[name] = (clean, noisy_in, cleaned)
    return out


def home_preview(model: torch.nn.Module, test_images: Tensor, labels: Tensor | None = None
                 ) -> HomePreview:
    """What the Home page shows of ``model`` (:class:`aecore.shipped.HomePreview`) for the test
    digits ``test_images`` (n, 1, 28, 28) in [0, 1] (with their ``labels`` for a conditional
    model): one computation for the shipped entry and the page's live path alike."""
    with torch.inference_mode():
        rec = model.reconstruct(test_images, labels if model.conditional else None)
    from .evaluate import to_uint8

    mse = (rec - test_images).pow(2).flatten(1).mean(1)  # (n,)
    return HomePreview(list(model.describe()), int(model.latent_dim), to_uint8(test_images),
                       to_uint8(rec), mse.float().numpy())


def _sources(names: tuple[str, ...], folder: Path | None = None) -> str:
    # an entry computed from several models (and the test digits): each file's hash, in order
    return "+".join(model_source(n, folder) for n in names)


def build(folder: Path | None = None, codes_for: tuple[str, ...] = CODES_FOR,
          ood_for: tuple[str, ...] = OOD_FOR, probe_for: tuple[str, ...] = PROBE_FOR,
          probe_pca_ks: tuple[int, ...] = PROBE_PCA_KS,
          curve_for: tuple[tuple[str, str], ...] = CURVE_FOR,
          overcomplete_models: tuple[str, ...] = OVERCOMPLETE_MODELS,
          home_for: tuple[str, ...] = HOME_FOR) -> Path:
    """Compute every entry from the models in ``folder`` (default ``pretrained/``) and the
    bundled MNIST, and write ``precomputed.safetensors`` there (atomically); returns its path."""
    from safetensors.torch import save_file

    from .data import load_split
    from .evaluate import encode_all
    from .zoo import load_zoo_model

    folder = folder or zoo.PRETRAINED_DIR
    tensors: dict[str, Tensor] = {}
    entries: dict[str, dict] = {}
    train, test = load_split("train"), load_split("test")
    exact = PCA.fit(train.float_images())
    for k, v in pca_tensors(exact).items():
        tensors[f"pca.{k}"] = v
    entries["pca"] = {"source": mnist_source(), "settings": {}}
    n_ref, n_test = PROBE_SETTINGS["n_ref"], PROBE_SETTINGS["n_test"]
    xtr, xte = train.float_images(slice(0, n_ref)), test.float_images(slice(0, n_test))
    probes: dict[str, tuple[Tensor, Tensor]] = {"pixels": (xtr.flatten(1), xte.flatten(1))}
    probes.update({f"pca{k}": (exact.encode(xtr, k), exact.encode(xte, k)) for k in probe_pca_ks})
    for name in probe_for:
        model, _ = load_zoo_model(name, folder)
        probes[name] = (encode_all(model, xtr), encode_all(model, xte))
    for key, (ctr, cte) in probes.items():
        tensors[f"probe.{key}.accuracy"] = probe(ctr, cte, n_ref, n_test)
        source = model_source(key, folder) if key in probe_for else mnist_source()
        entries[f"probe.{key}"] = {"source": source, "settings": dict(PROBE_SETTINGS)}
    x_test = test.float_images()  # (10000, 1, 28, 28)
    for name in codes_for:
        model, _ = load_zoo_model(name, folder)
        y = test.labels if model.conditional else None
        tensors[f"codes.{name}.codes"] = encode_all(model, x_test, y).half().contiguous()
        entries[f"codes.{name}"] = {"source": model_source(name, folder), "settings": {}}
    for name in ood_for:
        model, _ = load_zoo_model(name, folder)
        with torch.inference_mode():
            _, scores, _ = ood_scores(model, x_test, **OOD_SETTINGS)
        tensors[f"ood.{name}.scores"] = scores.float().contiguous()
        entries[f"ood.{name}"] = {"source": model_source(name, folder), "settings": dict(OOD_SETTINGS)}
    from .noise import KINDS
    app_like = pca_from_tensors(pca_tensors(exact))  # the PCA the pages read from this file
    for plain_name, dae_name in curve_for:
        plain, _ = load_zoo_model(plain_name, folder)
        dae, _ = load_zoo_model(dae_name, folder)
        for kind in KINDS:
            c = denoise_curve_of(plain, dae, app_like, kind, **CURVE_SETTINGS)
            tensors[f"curve.{plain_name}.{dae_name}.{kind}"] = torch.tensor(
                list(c.values()), dtype=torch.float64)  # (4, steps)
        entries[f"curve.{plain_name}.{dae_name}"] = {
            "source": _sources((plain_name, dae_name), folder) + "+" + mnist_source(),
            "settings": dict(CURVE_SETTINGS)}
    if overcomplete_models:
        models = {n: load_zoo_model(n, folder)[0] for n in overcomplete_models}
        s = OVERCOMPLETE_SETTINGS
        tensors["overcomplete.table"] = torch.tensor(
            [list(overcomplete_rows(models, lv, s["n"], s["seed"]).values()) for lv in s["levels"]],
            dtype=torch.float64)  # (levels, models, 3)
        entries["overcomplete"] = {"source": _sources(overcomplete_models, folder),
                                   "settings": {**s, "models": list(overcomplete_models)}}
    n_home = HOME_SETTINGS["digits"]
    for name in home_for:
        model, _ = load_zoo_model(name, folder)
        hp = home_preview(model, test.float_images(slice(0, n_home)), test.labels[:n_home])
        for k in ("digits", "recon", "mse"):
            tensors[f"home.{name}.{k}"] = torch.from_numpy(getattr(hp, k)).contiguous()
        entries[f"home.{name}"] = {"source": home_source(name, folder),
                                   "settings": dict(HOME_SETTINGS),
                                   "info": {"rows": [list(r) for r in hp.rows],
                                            "latent_dim": hp.latent_dim}}
    path = path_in(folder)
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata={"format": FORMAT, "entries": json.dumps(entries)})
    tmp.replace(path)
    return path


# what the app reads (computed here when the shipped entry is missing or stale)

_pca: PCA | None = None
_pca_lock = threading.Lock()


def app_pca(folder: Path | None = None) -> PCA:
    """The MNIST PCA for the pages: the shipped basis when it matches the bundled data, else the
    exact fit of :func:`aecore.pca.mnist_pca`. Once per process, from any thread."""
    global _pca
    with _pca_lock:
        if _pca is None:
            t = read_entry("pca", mnist_source(), folder=folder)
            if t is not None:
                _pca = pca_from_tensors(t)
            else:
                from .pca import mnist_pca
                _pca = mnist_pca()
        return _pca


def app_pca_ready() -> bool:
    """Whether :func:`app_pca` holds its PCA already (a page may say it is fitting)."""
    return _pca is not None


def shipped_codes(name: str, folder: Path | None = None) -> Tensor | None:
    """The shipped test-set codes of zoo model ``name`` as float32 (10000, k), or None when
    there are none for its current weights."""
    try:
        t = read_entry(f"codes.{name}", model_source(name, folder), folder=folder)
    except (OSError, ConfigError):
        return None
    return None if t is None else t["codes"].float()


def shipped_ood_scores(name: str, n_normal: int, n_per_kind: int, seed: int = 0,
                       folder: Path | None = None) -> Tensor | None:
    """The shipped scores of :func:`ood_scores` (all OOD kinds) for zoo model ``name`` with
    these settings, (n_normal + n_per_kind * kinds,) float32, or None."""
    settings = {"n_normal": n_normal, "n_per_kind": n_per_kind, "seed": seed}
    try:
        t = read_entry(f"ood.{name}", model_source(name, folder), settings, folder=folder)
    except (OSError, ConfigError):
        return None
    return None if t is None else t["scores"]


def zoo_name(tag: str) -> str | None:
    """The shipped model a cache tag (``"zoo:<name>#<card hash>"``, ui.loaders.model_tag) names,
    or None for any other model (a trained or uploaded one has nothing shipped)."""
    if not tag.startswith("zoo:"):
        return None
    return tag[4:].partition("#")[0] or None


def shipped_probe(key: str, n_ref: int, n_test: int,
                  folder: Path | None = None) -> dict[str, float] | None:
    """The shipped Features-page probe ``{"knn", "logistic"}`` of ``key`` with these subset
    sizes: ``key`` a zoo model's name, ``"pca<k>"`` or ``"pixels"`` (checked against the model
    file, or the MNIST data); None when not shipped for them."""
    try:
        source = mnist_source() if key == "pixels" or key.startswith("pca") \
            else model_source(key, folder)
        t = read_entry(f"probe.{key}", source, {"n_ref": n_ref, "n_test": n_test}, folder=folder)
    except (OSError, ConfigError):
        return None
    if t is None:
        return None
    knn, logistic = t["accuracy"].tolist()
    return {"knn": knn, "logistic": logistic}


def shipped_curve(plain: str, dae: str, kind: str, n: int, steps: int, seed: int,
                  folder: Path | None = None) -> list[list[float]] | None:
    """The shipped :func:`denoise_curve_of` values of zoo models ``plain`` and ``dae`` for
    ``kind`` with these settings, one list per series in its order, or None."""
    try:
        source = _sources((plain, dae), folder) + "+" + mnist_source()
        t = read_entry(f"curve.{plain}.{dae}", source, {"n": n, "steps": steps, "seed": seed},
                       folder=folder)
    except (OSError, ConfigError):
        return None
    return None if t is None or kind not in t else t[kind].tolist()


def shipped_overcomplete(level: float, n: int, seed: int = 0, folder: Path | None = None
                         ) -> dict[str, tuple[float, float, float]] | None:
    """The shipped :func:`overcomplete_rows` of ``OVERCOMPLETE_MODELS`` at ``level``, or None
    (another level, other settings, or a model that changed)."""
    levels = OVERCOMPLETE_SETTINGS["levels"]
    settings = {"n": n, "levels": levels, "seed": seed, "models": list(OVERCOMPLETE_MODELS)}
    try:
        t = read_entry("overcomplete", _sources(OVERCOMPLETE_MODELS, folder), settings,
                       folder=folder)
    except (OSError, ConfigError):
        return None
    at = [i for i, lv in enumerate(levels) if abs(lv - level) < 1e-9]
    if t is None or not at:
        return None
    rows = t["table"][at[0]].tolist()  # (models, 3)
    return {name: tuple(r) for name, r in zip(OVERCOMPLETE_MODELS, rows)}
