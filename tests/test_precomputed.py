"""What pages' first visits would recompute is shipped in pretrained/precomputed.safetensors:
it equals a fresh computation, and a stale or missing entry reads as None (then recomputed)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors import safe_open

from aecore import precomputed as pc
from aecore.data import load_split
from aecore.evaluate import encode_all
from aecore.pca import PCA, pca_test_mse
from aecore.zoo import PRETRAINED_DIR, load_zoo_model
from views.specs import ANOMALY, DENOISE, FEATURES, HOME, LATENT, TYPES

# what the pages declare (views/specs.py), which the shipped file is built for
CODES_FOR = LATENT.defaults["maps"]
OOD_FOR = (ANOMALY.defaults["model"],)
OOD_SETTINGS = {k: ANOMALY.defaults[k] for k in ("n_normal", "n_per_kind", "seed")}
PROBE_FOR = tuple(FEATURES.defaults["sweep"].values())
PROBE_PCA_KS = tuple(FEATURES.defaults["sweep"])
PROBE_SETTINGS = {k: FEATURES.defaults[k] for k in ("n_ref", "n_test")}
CURVE_FOR = ((DENOISE.defaults["plain"], DENOISE.defaults["dae"]),)
CURVE_SETTINGS = {k: DENOISE.defaults[f"curve_{k}"] for k in ("n", "steps", "seed")}
OVERCOMPLETE_MODELS = TYPES.defaults["overcomplete"]
OVERCOMPLETE_LEVELS = TYPES.defaults["overcomplete_levels"]
OVERCOMPLETE_N = TYPES.defaults["overcomplete_n"]
HOME_FOR = (HOME.defaults["model"],)
HOME_DIGITS = HOME.defaults["digits"]

SHIPPED = PRETRAINED_DIR / pc.PRECOMPUTED_FILE


def test_the_shipped_file_is_tensors_with_a_source_per_entry():
    with safe_open(str(SHIPPED), framework="pt") as f:
        meta = f.metadata()
        keys = set(f.keys())
    assert meta["format"] == pc.FORMAT
    entries = json.loads(meta["entries"])
    assert set(entries) == {"pca", *(f"codes.{n}" for n in CODES_FOR),
                            *(f"ood.{n}" for n in OOD_FOR), "probe.pixels",
                            *(f"probe.{n}" for n in PROBE_FOR),
                            *(f"probe.pca{k}" for k in PROBE_PCA_KS),
                            *(f"curve.{p}.{d}" for p, d in CURVE_FOR), ".".join(("overcomplete", *OVERCOMPLETE_MODELS)),
                            *(f"preview.{n}" for n in HOME_FOR)}
    for name, entry in entries.items():
        assert any(k.startswith(name + ".") for k in keys), name
        # a SHA-256 each: of the model file, or of each file it was computed from
        assert all(len(s) == 64 for s in entry["source"].split("+")), name
    # every entry is current: the shipped models and data are what it was computed from
    assert pc.read_entry("pca", pc.mnist_source()) is not None
    for n in CODES_FOR:
        assert pc.shipped_codes(n) is not None, n
    for n in OOD_FOR:
        assert pc.shipped_ood_scores(n, **OOD_SETTINGS) is not None, n
    for key in (*PROBE_FOR, "pixels", *(f"pca{k}" for k in PROBE_PCA_KS)):
        r = pc.shipped_probe(key, **PROBE_SETTINGS)
        assert r is not None and 0.1 < r["knn"] <= 1 and 0.1 < r["logistic"] <= 1, key
    assert pc.shipped_probe("ae_k2", 5000, 2000) is None  # other subset sizes: not shipped
    for p, d in CURVE_FOR:
        assert pc.shipped_curve(p, d, "speckle", **CURVE_SETTINGS) is not None
    assert _overcomplete(0.4, OVERCOMPLETE_N) is not None
    for n in HOME_FOR:
        assert pc.shipped_preview(n, HOME_DIGITS) is not None, n


def test_a_shipped_probe_equals_a_fresh_one():
    model, _ = load_zoo_model("ae_k2")
    n_ref, n_test = PROBE_SETTINGS["n_ref"], PROBE_SETTINGS["n_test"]
    xtr = load_split("train").float_images(slice(0, n_ref))
    xte = load_split("test").float_images(slice(0, n_test))
    fresh = pc.probe(encode_all(model, xtr), encode_all(model, xte), n_ref, n_test)
    shipped = pc.shipped_probe("ae_k2", n_ref, n_test)
    assert shipped["knn"] == pytest.approx(float(fresh[0]), abs=0.003)
    assert shipped["logistic"] == pytest.approx(float(fresh[1]), abs=0.01)


@pytest.fixture(scope="module")
def exact_pca() -> PCA:
    return PCA.fit(load_split("train").float_images())


def test_the_shipped_pca_equals_the_exact_fit(exact_pca):
    shipped = pc.pca_from_tensors(pc.read_entry("pca", pc.mnist_source()))
    eye = torch.eye(784)
    assert torch.allclose(shipped.components @ shipped.components.T, eye, atol=1e-4)
    assert torch.allclose(shipped.mean, exact_pca.mean, atol=1e-6)
    assert torch.allclose(shipped.explained_variance, exact_pca.explained_variance, rtol=1e-5)
    # the shipped directions are the fitted ones (int8: cosine above 0.9999 each)
    n = pc.PCA_SHIPPED
    cos = (shipped.components[:n] * exact_pca.components[:n]).sum(1)
    assert cos.min() > 0.9999
    # the quality table's PCA errors (k <= 64, given to 3 digits) agree within 0.1%; k = 784 is exact
    x = load_split("test").float_images()
    ks = [2, 4, 8, 16, 32, 64, 128, 784]
    got, want = pca_test_mse(ks, shipped, x), pca_test_mse(ks, exact_pca, x)
    for k, g, w in zip(ks[:-1], got, want):
        assert g == pytest.approx(w, rel=1e-3), k
    assert got[-1] < 1e-9
    # codes of a few digits match too (signs kept)
    assert torch.allclose(shipped.encode(x[:50], 8), exact_pca.encode(x[:50], 8), atol=1e-2)  # of +-5


@pytest.mark.parametrize("name", CODES_FOR)
def test_shipped_codes_equal_the_model_codes(name):
    model, _ = load_zoo_model(name)
    test = load_split("test")
    y = test.labels if model.conditional else None
    fresh = encode_all(model, test.float_images(), y)
    shipped = pc.shipped_codes(name)
    assert shipped.shape == fresh.shape == (10_000, model.latent_dim)
    scale = fresh.abs().max()
    assert (shipped - fresh).abs().max() <= 2e-3 * scale  # float16


@pytest.mark.parametrize("name", OOD_FOR)
def test_shipped_anomaly_scores_equal_a_fresh_scoring(name):
    model, _ = load_zoo_model(name)
    with torch.inference_mode():
        _, fresh, groups = pc.ood_scores(model, load_split("test").float_images(), **OOD_SETTINGS)
    shipped = pc.shipped_ood_scores(name, **OOD_SETTINGS)
    assert shipped.shape == fresh.shape == (len(groups),)
    assert torch.allclose(shipped, fresh, rtol=1e-4, atol=1e-7)
    # other settings were not shipped: None, never a wrong array
    assert pc.shipped_ood_scores(name, 1000, 100) is None


@pytest.mark.parametrize("kind", ["gaussian", "masking"])
def test_the_shipped_denoise_curve_equals_the_pages_own_computation(kind):
    plain_name, dae_name = CURVE_FOR[0]
    plain, dae = load_zoo_model(plain_name)[0], load_zoo_model(dae_name)[0]
    fresh = pc.denoise_curve_of(plain, dae, pc.app_pca(), kind, **CURVE_SETTINGS)
    shipped = pc.shipped_curve(plain_name, dae_name, kind, **CURVE_SETTINGS)
    assert list(fresh) == list(pc.curve_series(plain)) and len(shipped) == len(fresh)
    for row, (name, values) in zip(shipped, fresh.items()):
        assert np.allclose(row, values, atol=1e-3), name  # dB
    # other settings or models were not shipped: None, never a wrong curve
    assert pc.shipped_curve(plain_name, dae_name, kind, 100, 7, 0) is None
    assert pc.shipped_curve("ae_k8", dae_name, kind, **CURVE_SETTINGS) is None


def _overcomplete(level: float, n: int):
    return pc.shipped_overcomplete(OVERCOMPLETE_MODELS, OVERCOMPLETE_LEVELS, level, n)


def test_the_shipped_overcomplete_table_equals_a_fresh_one_at_its_stops():
    models = {n: load_zoo_model(n)[0] for n in OVERCOMPLETE_MODELS}
    n = OVERCOMPLETE_N
    for level in (0.1, 0.1 * 4, 0.8):  # a slider value, not always the rounded stop
        shipped, fresh = _overcomplete(level, n), pc.overcomplete_rows(models, level, n)
        assert list(shipped) == list(fresh) == list(OVERCOMPLETE_MODELS)
        for name in fresh:
            assert np.allclose(shipped[name], fresh[name], rtol=1e-4, atol=1e-6), name
    assert _overcomplete(0.45, n) is None and _overcomplete(0.4, 100) is None


@pytest.mark.parametrize("name", HOME_FOR)
def test_the_shipped_home_preview_is_what_the_home_page_would_compute(name):
    model, _ = load_zoo_model(name)
    test = load_split("test")
    n = HOME_DIGITS
    fresh = pc.preview(model, test.float_images(slice(0, n)), test.labels[:n])
    shipped = pc.shipped_preview(name, n)
    assert shipped.rows == fresh.rows == list(model.describe())
    assert shipped.latent_dim == model.latent_dim
    assert shipped.digits.dtype == shipped.recon.dtype == np.uint8
    assert np.array_equal(shipped.digits, test.images[:n].numpy())  # the test digits themselves
    assert np.abs(shipped.recon.astype(int) - fresh.recon.astype(int)).max() <= 1  # a grey level
    assert np.allclose(shipped.mse, fresh.mse, rtol=1e-4, atol=1e-7)
    # as the page draws it: the same pixels as the page's converter gives the model's output
    from ui.widgets import to_uint8
    with torch.inference_mode():
        rec = model.reconstruct(test.float_images(slice(0, n)))
    assert np.array_equal(np.stack([to_uint8(r, 1) for r in rec]), fresh.recon)
    assert pc.shipped_preview("ae_k8", n) is None  # not shipped: the page loads and runs that model


@pytest.fixture
def zoo_copy(tmp_path):
    """A copy of pretrained/ to alter."""
    folder = tmp_path / "pretrained"
    shutil.copytree(PRETRAINED_DIR, folder)
    return folder


def test_a_retrained_model_makes_its_entries_stale(zoo_copy):
    name = CODES_FOR[0]
    assert pc.shipped_codes(name, zoo_copy) is not None
    weights = zoo_copy / f"{name}.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # other weights: another SHA-256
    weights.write_bytes(bytes(data))
    assert pc.shipped_codes(name, zoo_copy) is None
    assert pc.shipped_codes(CODES_FOR[1], zoo_copy) is not None  # the others still hold
    home = HOME_FOR[0]
    assert pc.shipped_preview(home, HOME_DIGITS, zoo_copy) is not None
    weights = zoo_copy / f"{home}.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert pc.shipped_preview(home, HOME_DIGITS, zoo_copy) is None  # Home then loads and runs the model


def test_a_missing_or_damaged_file_reads_as_none(zoo_copy):
    target = zoo_copy / pc.PRECOMPUTED_FILE
    target.write_bytes(target.read_bytes()[:1000])  # truncated
    assert pc.read_entry("pca", pc.mnist_source(), folder=zoo_copy) is None
    assert pc.shipped_codes(CODES_FOR[0], zoo_copy) is None
    target.unlink()
    assert pc.shipped_ood_scores(OOD_FOR[0], folder=zoo_copy, **OOD_SETTINGS) is None
    assert pc.read_entry("pca", "0" * 64, folder=PRETRAINED_DIR) is None  # other data: stale


def test_app_pca_falls_back_to_the_exact_fit_when_nothing_is_shipped(zoo_copy, monkeypatch):
    (zoo_copy / pc.PRECOMPUTED_FILE).unlink()
    fitted = object()
    monkeypatch.setattr(pc, "_pca", None)
    monkeypatch.setattr("aecore.pca.mnist_pca", lambda: fitted)
    assert pc.app_pca(zoo_copy) is fitted
    monkeypatch.setattr(pc, "_pca", None)
    shipped = pc.app_pca(PRETRAINED_DIR)
    assert isinstance(shipped, PCA) and shipped.components.shape == (784, 784)


def test_build_writes_what_it_reads(zoo_copy):
    (zoo_copy / pc.PRECOMPUTED_FILE).unlink()
    path = pc.build([pc.codes_entry("ae_k2")], zoo_copy)
    assert path.exists() and path.stat().st_size < 400_000
    codes = pc.shipped_codes("ae_k2", zoo_copy)
    assert codes is not None and np.isfinite(codes.numpy()).all()
    assert pc.shipped_codes("vae_k2", zoo_copy) is None  # not asked for


def test_zoo_name_reads_a_cache_tag():
    assert pc.zoo_name("zoo:ae_k2#abc123") == "ae_k2"
    assert pc.zoo_name("lib:42#abc") is None
    assert pc.zoo_name("zoo:") is None
