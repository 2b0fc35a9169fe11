"""Results the app would otherwise recompute on a first visit, computed once and shipped in
``pretrained/precomputed.safetensors`` (tensors only: nothing is ever unpickled).

Each entry is an :class:`aecore.shipped.Entry`: a kind, the zoo models it is computed from, the
settings it depends on. The kinds:

* ``pca``: the MNIST PCA basis (the exact fit takes about a second of two cores, 20 s on a busy
  one). The mean and all 784 variances are float32; the leading ``PCA_SHIPPED`` = 256 directions
  (99% of the variance) are int8 with one float32 scale per row: 0.2 MB, where all 784 in float32
  take 2.4 MB and would break the 15 MB budget of ``pretrained/``. On loading they are
  re-orthonormalised and completed by an orthonormal basis of the rest (seeded), so every k up to
  784 works: k <= 256 is the PCA (its test errors agree with the exact fit within 0.1%, checked by
  the tests), k = 784 is exact, and k in between is within the last 1% of the variance of the
  optimum;
* ``codes.<model>``: the codes of all 10,000 test digits, float16 (10000, k);
* ``ood.<model>``: :func:`ood_scores` (the first test digits, then generated images of each
  out-of-distribution kind), float32;
* ``probe.<model>``, ``probe.pca<k>``, ``probe.pixels``: :func:`probe` (5-NN and logistic
  accuracy, float32 (2,)) on a model's codes, on PCA codes and on raw pixels;
* ``curve.<plain>.<dae>``: :func:`denoise_curve_of`, one (4, steps) float64 tensor per noise kind;
* ``overcomplete.<models...>``: :func:`overcomplete_rows` at each noise level of its settings,
  float64 (levels, models, 3);
* ``preview.<model>``: :func:`preview` (the first test digits, their reconstructions and errors;
  the architecture in the entry's metadata), read without torch by :mod:`aecore.shipped`.

Each entry carries, in the file's metadata, the SHA-256 of what it was computed from
(:func:`aecore.shipped.source_of`) and its settings. A reader passes what it has now; an entry
whose source or settings differ (a retrained model, another setting) or a missing or unreadable
file reads as None, and the caller recomputes with no error. Which entries to build is the
caller's: ``python -m aecore precompute`` builds the ones the app declares (:mod:`startup.plan`).
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

import torch
from torch import Tensor

from .pca import PCA
from . import zoo
# the file's format and reader need no torch (a preview is read before torch is imported)
from .shipped import (FORMAT, PRECOMPUTED_FILE, Entry, Preview, codes_entry,  # noqa: F401
                      curve_entry, file_sha256, mnist_source, model_source, ood_entry,
                      overcomplete_entry, path_in, pca_entry, preview_entry, probe_entry, read,
                      read_entry, shipped_preview, source_of)

PCA_SHIPPED = 256  # leading PCA directions shipped (int8): 99% of MNIST's variance, 0.2 MB


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
    """Normal digits against out-of-distribution inputs: images (N, 1, 28, 28) = the first
    ``n_normal`` of ``test_images`` then ``n_per_kind`` generated images of every OOD kind
    (seeded), their kind names, and their reconstruction-error scores (N,)."""
    from . import anomaly as an

    x = test_images[:n_normal]
    ood, names = an.ood_images(n_per_kind, torch.Generator().manual_seed(seed), an.OOD_KINDS)
    images = torch.cat([x, ood])
    return images, an.recon_errors(model, images), ["MNIST digit"] * len(x) + names


def probe(train_codes: Tensor, test_codes: Tensor, n_ref: int, n_test: int) -> Tensor:
    """A classifier probe of codes of the first ``n_ref`` training and ``n_test`` test
    digits (MNIST labels): (5-NN accuracy, logistic accuracy), float32 (2,)."""
    from .data import load_split
    from .features import probe_codes

    r = probe_codes(train_codes, load_split("train").labels[:n_ref], test_codes,
                    load_split("test").labels[:n_test])
    return torch.tensor([r["knn"], r["logistic"]], dtype=torch.float32)


def curve_levels(kind: str, steps: int) -> list[float]:
    """The noise levels of :func:`denoise_curve_of`: MAX/steps .. MAX of ``kind`` (level 0, whose
    PSNR is infinite, left out)."""
    from .noise import MAX_LEVEL
    return [MAX_LEVEL[kind] * i / steps for i in range(1, steps + 1)]


def curve_series(plain: torch.nn.Module, dim: int = 784) -> tuple[str, str, str, str]:
    """The names of :func:`denoise_curve_of`'s series, in order (PCA's k is the plain AE's, at
    most ``dim``: the PCA's numbers per image, 784 for MNIST, 3072 for a 3x32x32 photo patch)."""
    k = min(plain.latent_dim, dim)  # PCA cannot have more components than pixels
    return ("noisy input", "plain AE", "denoising AE", f"PCA, k = {k}")


def curve_denoisers(plain: torch.nn.Module, dae: torch.nn.Module, pca: PCA) -> dict[str, Any]:
    """The three denoisers of :func:`denoise_curve_of` by their series names (:func:`curve_series`): the
    plain AE's and the DAE's ``reconstruct``, and PCA at the plain AE's k (clipped to [0, 1]).
    Each maps a batch (B, C, H, W) of the PCA's data set to the same shape."""
    import functools

    _, p, d, lin = curve_series(plain, pca.dim)
    k = min(plain.latent_dim, pca.dim)
    return {p: plain.reconstruct, d: dae.reconstruct,
            lin: functools.partial(pca.reconstruct, k=k, clip=True)}


def denoise_curve_of(plain: torch.nn.Module, dae: torch.nn.Module, pca: PCA, kind: str, n: int,
                     steps: int, seed: int, dataset: str = "mnist") -> dict[str, list[float]]:
    """Denoising curves: mean PSNR over the first ``n`` test items of ``dataset`` (the one the
    models and ``pca`` were fitted on) of the noisy input and of :func:`curve_denoisers`, at
    :func:`curve_levels` (``aecore.evaluate.denoise_curve``; series :func:`curve_series`)."""
    from .data import load_split
    from .evaluate import denoise_curve

    x = load_split("test", dataset).float_images(slice(0, n))  # (n, C, H, W)
    return denoise_curve(curve_denoisers(plain, dae, pca), x, kind, curve_levels(kind, steps),
                         seed=seed, noisy_label=curve_series(plain, pca.dim)[0])


def overcomplete_rows(models: dict[str, torch.nn.Module], level: float, n: int,
                      seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """Undercomplete against overcomplete: for each model, (clean MSE, PSNR of the noisy input, PSNR of its
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


def preview(model: torch.nn.Module, test_images: Tensor, labels: Tensor | None = None) -> Preview:
    """A model at a glance (:class:`aecore.shipped.Preview`) on the test digits ``test_images``
    (n, 1, 28, 28) in [0, 1] (with their ``labels`` for a conditional model): one computation for
    the shipped entry and the app's live path alike."""
    with torch.inference_mode():
        rec = model.reconstruct(test_images, labels if model.conditional else None)
    from .evaluate import to_uint8

    mse = (rec - test_images).pow(2).flatten(1).mean(1)  # (n,)
    return Preview(list(model.describe()), int(model.latent_dim), to_uint8(test_images),
                       to_uint8(rec), mse.float().numpy())


class _Inputs:
    """What the entries are computed from, each read or fitted once: the MNIST splits, the exact
    PCA, the PCA as the app reads it back from the file, the zoo models of ``folder``."""

    def __init__(self, folder: Path) -> None:
        from .data import load_split
        self.folder = folder
        self.train, self.test = load_split("train"), load_split("test")
        self._pca: PCA | None = None
        self._models: dict[str, torch.nn.Module] = {}

    def pca(self) -> PCA:
        if self._pca is None:
            self._pca = PCA.fit(self.train.float_images())
        return self._pca

    def model(self, name: str) -> torch.nn.Module:
        if name not in self._models:
            self._models[name] = zoo.load_zoo_model(name, self.folder)[0]
        return self._models[name]


def _pca_tensors(e: Entry, inp: _Inputs) -> dict[str, Tensor]:
    return pca_tensors(inp.pca())


def _codes(e: Entry, inp: _Inputs) -> dict[str, Tensor]:
    from .evaluate import encode_all
    model = inp.model(e.keys[0])
    y = inp.test.labels if model.conditional else None
    return {"codes": encode_all(model, inp.test.float_images(), y).half().contiguous()}


def _ood(e: Entry, inp: _Inputs) -> dict[str, Tensor]:
    with torch.inference_mode():
        _, scores, _ = ood_scores(inp.model(e.keys[0]), inp.test.float_images(), **e.settings)
    return {"scores": scores.float().contiguous()}


def _probe(e: Entry, inp: _Inputs) -> dict[str, Tensor]:
    from .evaluate import encode_all
    n_ref, n_test, key = e.settings["n_ref"], e.settings["n_test"], e.keys[0]
    xtr, xte = inp.train.float_images(slice(0, n_ref)), inp.test.float_images(slice(0, n_test))
    if key == "pixels":
        ctr, cte = xtr.flatten(1), xte.flatten(1)
    elif key.startswith("pca"):
        k = int(key[3:])
        ctr, cte = inp.pca().encode(xtr, k), inp.pca().encode(xte, k)
    else:
        ctr, cte = encode_all(inp.model(key), xtr), encode_all(inp.model(key), xte)
    return {"accuracy": probe(ctr, cte, n_ref, n_test)}


def _curve(e: Entry, inp: _Inputs) -> dict[str, Tensor]:
    from .noise import KINDS
    plain, dae = (inp.model(n) for n in e.keys)
    app_like = pca_from_tensors(pca_tensors(inp.pca()))  # the PCA the app reads from this file
    return {kind: torch.tensor(list(denoise_curve_of(plain, dae, app_like, kind,
                                                     **e.settings).values()),
                               dtype=torch.float64)  # (4, steps)
            for kind in KINDS}


def _overcomplete(e: Entry, inp: _Inputs) -> dict[str, Tensor]:
    models = {n: inp.model(n) for n in e.keys}
    s = e.settings
    return {"table": torch.tensor(
        [list(overcomplete_rows(models, lv, s["n"], s["seed"]).values()) for lv in s["levels"]],
        dtype=torch.float64)}  # (levels, models, 3)


def _preview(e: Entry, inp: _Inputs) -> dict[str, Tensor]:
    n = e.settings["digits"]
    p = preview(inp.model(e.keys[0]), inp.test.float_images(slice(0, n)), inp.test.labels[:n])
    return {k: torch.from_numpy(getattr(p, k)).contiguous() for k in ("digits", "recon", "mse")}


# each kind's computation: (entry, inputs) -> {tensor name: tensor}
COMPUTE: dict[str, Callable[[Entry, _Inputs], dict[str, Tensor]]] = {
    "pca": _pca_tensors, "codes": _codes, "ood": _ood, "probe": _probe, "curve": _curve,
    "overcomplete": _overcomplete, "preview": _preview}


def _info(e: Entry, inp: _Inputs) -> dict:
    # what a torch-free reader needs beside the tensors (a preview's architecture rows)
    if e.kind != "preview":
        return {}
    model = inp.model(e.keys[0])
    return {"info": {"rows": [list(r) for r in model.describe()],
                     "latent_dim": int(model.latent_dim)}}


def build(entries: Iterable[Entry], folder: Path | None = None) -> Path:
    """Compute ``entries`` (once each, by name) from the models in ``folder`` (default
    ``pretrained/``) and the bundled MNIST, and write ``precomputed.safetensors`` there
    (atomically, holding these entries only); returns its path."""
    from safetensors.torch import save_file

    folder = folder or zoo.PRETRAINED_DIR
    inp = _Inputs(folder)
    tensors: dict[str, Tensor] = {}
    meta: dict[str, dict] = {}
    for e in entries:
        if e.name in meta:
            continue
        if e.kind not in COMPUTE:
            raise ValueError(f"no precomputed kind {e.kind!r}; known: {sorted(COMPUTE)}")
        for k, v in COMPUTE[e.kind](e, inp).items():
            tensors[f"{e.name}.{k}"] = v
        meta[e.name] = {"source": source_of(e, folder), "settings": dict(e.settings),
                        **_info(e, inp)}
    path = path_in(folder)
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata={"format": FORMAT, "entries": json.dumps(meta)})
    tmp.replace(path)
    return path


def stale(entries: Iterable[Entry], folder: Path | None = None) -> list[str]:
    """The names of ``entries`` the file in ``folder`` does not hold for the current model files
    and settings (what ``build`` would add or refresh), in order."""
    return [e.name for e in entries if read(e, folder) is None]


# what the app reads (computed here when the shipped entry is missing or stale)

_pca: PCA | None = None
_pca_lock = threading.Lock()


def app_pca(folder: Path | None = None) -> PCA:
    """The MNIST PCA for the app: the shipped basis when it matches the bundled data, else the
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
    """Whether :func:`app_pca` holds its PCA already (the app may say it is fitting)."""
    return _pca is not None


def shipped_codes(name: str, folder: Path | None = None) -> Tensor | None:
    """The shipped test-set codes of zoo model ``name`` as float32 (10000, k), or None when
    there are none for its current weights."""
    found = read(codes_entry(name), folder)
    return None if found is None else found[1]["codes"].float()


def shipped_ood_scores(name: str, n_normal: int, n_per_kind: int, seed: int = 0,
                       folder: Path | None = None) -> Tensor | None:
    """The shipped scores of :func:`ood_scores` (all OOD kinds) for zoo model ``name`` with
    these settings, (n_normal + n_per_kind * kinds,) float32, or None."""
    found = read(ood_entry(name, n_normal, n_per_kind, seed), folder)
    return None if found is None else found[1]["scores"]


def zoo_name(tag: str) -> str | None:
    """The shipped model a cache tag (``"zoo:<name>#<card hash>"``, ui.loaders.model_tag) names,
    or None for any other model (a trained or uploaded one has nothing shipped)."""
    if not tag.startswith("zoo:"):
        return None
    return tag[4:].partition("#")[0] or None


def shipped_probe(key: str, n_ref: int, n_test: int,
                  folder: Path | None = None) -> dict[str, float] | None:
    """The shipped probe ``{"knn", "logistic"}`` of ``key`` with these subset sizes: ``key`` a
    zoo model's name, ``"pca<k>"`` or ``"pixels"`` (checked against the model file, or the MNIST
    data); None when not shipped for them."""
    found = read(probe_entry(key, n_ref, n_test), folder)
    if found is None:
        return None
    knn, logistic = found[1]["accuracy"].tolist()
    return {"knn": knn, "logistic": logistic}


def shipped_curve(plain: str, dae: str, kind: str, n: int, steps: int, seed: int,
                  folder: Path | None = None) -> list[list[float]] | None:
    """The shipped :func:`denoise_curve_of` values of zoo models ``plain`` and ``dae`` for
    ``kind`` with these settings, one list per series in its order, or None."""
    found = read(curve_entry(plain, dae, n, steps, seed), folder)
    return None if found is None or kind not in found[1] else found[1][kind].tolist()


def shipped_overcomplete(models: Iterable[str], levels: Iterable[float], level: float, n: int,
                         seed: int = 0, folder: Path | None = None
                         ) -> dict[str, tuple[float, float, float]] | None:
    """The shipped :func:`overcomplete_rows` of zoo ``models`` at ``level``, one of ``levels``
    (the entry's stops), or None (another level, other settings, or a model that changed)."""
    models, levels = tuple(models), list(levels)
    found = read(overcomplete_entry(models, levels, n, seed), folder)
    at = [i for i, lv in enumerate(levels) if abs(lv - level) < 1e-9]
    if found is None or not at:
        return None
    rows = found[1]["table"][at[0]].tolist()  # (models, 3)
    return {name: tuple(r) for name, r in zip(models, rows)}
