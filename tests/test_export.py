"""The decoder payload the page runs (aecore/export.py): every image decoder of the registry is
exported, and a plain numpy reading of the payload, written from the layer records alone the way
``ui/static/decoder.js`` reads them, reproduces PyTorch's decode. Unsupported layers fail clearly."""
from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from aecore.config import MODEL_CONFIGS
from aecore.export import ExportError, decode_reference, decoder_modules, decoder_payload
from aecore.models import REGISTRY, build_model

# every decoder kind; small sizes; activations other than relu too (each has its own JS op)
KINDS = {
    "dense": dict(latent_dim=2, hidden=(32, 16)),
    "dense_gelu": dict(latent_dim=2, hidden=(24,), activation="gelu"),
    "dense_elu": dict(latent_dim=3, hidden=(24,), activation="elu"),
    "dense_leaky": dict(latent_dim=2, hidden=(24,), activation="leaky_relu"),
    "dense_tanh": dict(latent_dim=2, hidden=(24,), activation="tanh"),
    # the decoder's last activation: tanh (pixels scaled to [-1, 1]) and linear (clipped)
    "dense_outtanh": dict(latent_dim=2, hidden=(24,), output="tanh"),
    "dense_outlinear": dict(latent_dim=2, hidden=(24,), output="linear"),
    "conv_outtanh": dict(latent_dim=2, hidden=(4, 8), output="tanh", upsample="transpose"),
    # colour: 3 x 32 x 32 planes, as the photo patches' models decode them
    "conv_rgb": dict(latent_dim=2, hidden=(4, 8), shape=(3, 32, 32)),
    "vae_rgb": dict(latent_dim=4, hidden=(16,), shape=(3, 32, 32)),
    "dense_layer_acts": dict(latent_dim=2, hidden=(32, 16, 24), activations=("tanh", "elu", "gelu")),
    "vae_layer_acts": dict(latent_dim=2, hidden=(32, 16), activations=("sigmoid", "leaky_relu")),
    "conv": dict(latent_dim=2, hidden=(4, 8)),
    "conv_sigmoid": dict(latent_dim=2, hidden=(4, 8), activation="sigmoid"),
    "sparse": dict(latent_dim=8, hidden=(32,), penalty="kl", weight=0.01),
    "contractive": dict(latent_dim=2, hidden=(32,), weight=0.01),
    "vae": dict(latent_dim=2, hidden=(32,)),
    "cvae": dict(latent_dim=2, hidden=(32,)),
    "stacked": dict(latent_dim=2, hidden=(32, 16), pretrain_epochs=1),
}


def _model(name: str, seed: int = 0):
    kind = name.split("_")[0]
    return build_model(MODEL_CONFIGS[kind](**KINDS[name]), seed=seed).eval()


def _f32(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<f4")


def _w(r: dict) -> np.ndarray:
    """A layer's weights, flat float32: as sent, or int8 rows times their scale."""
    if "w" in r:
        return _f32(r["w"])
    q = np.frombuffer(base64.b64decode(r["wq"]), dtype=np.int8).astype(np.float32)
    s = _f32(r["ws"])
    return (q.reshape(len(s), -1) * s[:, None]).reshape(-1)


def run_payload(p: dict, z: np.ndarray, y: int | None = None) -> np.ndarray:
    """The payload's forward pass in numpy, float32, one code: pixels (C * H * W,)."""
    k, nc = p["latent_dim"], p["n_classes"]
    h = np.zeros(k + nc, np.float32)
    h[:k] = z
    if nc:
        h[k + y] = 1.0
    for r in p["layers"]:
        op = r["op"]
        if op == "linear":
            h = _w(r).reshape(r["out"], r["in"]) @ h.reshape(-1) + _f32(r["b"])
        elif op == "relu":
            h = np.maximum(h, 0)
        elif op == "leaky_relu":
            h = np.where(h > 0, h, h * r["slope"])
        elif op == "elu":
            h = np.where(h > 0, h, r["alpha"] * (np.exp(np.minimum(h, 0)) - 1))
        elif op == "gelu":
            h = 0.5 * h * (1 + np.vectorize(math.erf)(h / math.sqrt(2)))
        elif op == "sigmoid":
            h = 1 / (1 + np.exp(-h))
        elif op == "tanh":
            h = np.tanh(h)
        elif op == "identity":
            pass
        elif op == "reshape":
            h = h.reshape(r["shape"])
        elif op == "upsample":
            s = r["scale"]
            h = h.repeat(s, 1).repeat(s, 2)
        elif op == "conv2d":
            (kh, kw), (sh, sw), (ph, pw) = r["k"], r["stride"], r["padding"]
            w = _w(r).reshape(r["cout"], r["cin"], kh, kw)
            x = np.pad(h, ((0, 0), (ph, ph), (pw, pw)))
            oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
            out = np.zeros((r["cout"], oh, ow), np.float64) + _f32(r["b"])[:, None, None]
            for ky in range(kh):
                for kx in range(kw):
                    patch = x[:, ky:ky + sh * oh:sh, kx:kx + sw * ow:sw]  # (cin, oh, ow)
                    out += np.einsum("oc,chw->ohw", w[:, :, ky, kx], patch)
            h = out
        elif op == "conv_transpose2d":
            (kh, kw), (sh, sw), (ph, pw) = r["k"], r["stride"], r["padding"]
            w = _w(r).reshape(r["cin"], r["cout"], kh, kw)
            c, hh, ww = h.shape
            full = np.zeros((r["cout"], (hh - 1) * sh + kh, (ww - 1) * sw + kw))
            for ky in range(kh):
                for kx in range(kw):
                    full[:, ky:ky + sh * hh:sh, kx:kx + sw * ww:sw] += np.einsum(
                        "co,chw->ohw", w[:, :, ky, kx], h)
            oph, opw = r["output_padding"]
            full = np.pad(full, ((0, 0), (0, oph), (0, opw)))
            h = full[:, ph:full.shape[1] - ph, pw:full.shape[2] - pw] + _f32(r["b"])[:, None, None]
        else:
            raise AssertionError(f"unknown op {op}")
        h = h.astype(np.float32)
    h = h.reshape(-1).astype(np.float64)
    pixels = {"sigmoid": lambda: 1 / (1 + np.exp(-h)), "tanh": lambda: (np.tanh(h) + 1) / 2,
              "linear": lambda: np.clip(h, 0, 1)}[p["output"]]()
    return pixels.astype(np.float32)


def test_every_image_kind_of_the_registry_is_covered():
    image_kinds = {k for k, cls in REGISTRY.items() if cls.data_kind == "image"}
    assert image_kinds == {n.split("_")[0] for n in KINDS}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_payload_reproduces_torch_decode(name):
    model = _model(name)
    p = decoder_payload(model)
    json.dumps(p)  # JSON-able as it is
    assert p["latent_dim"] == model.latent_dim and p["out_shape"] == list(model.in_shape)
    z = np.random.default_rng(0).normal(0, 2, (6, model.latent_dim)).astype(np.float32)
    y = np.arange(6) % 10 if model.conditional else None
    want = decode_reference(model, z, y)  # (6, 784)
    got = np.stack([run_payload(p, z[i], None if y is None else int(y[i])) for i in range(6)])
    assert np.abs(got - want).max() <= 1e-5, name
    assert want.std() > 1e-3  # not a constant image: the comparison means something


def test_payload_carries_the_weights_once_and_names_the_model_by_content():
    a, b = _model("dense", seed=0), _model("dense", seed=1)
    pa, pb = decoder_payload(a), decoder_payload(b)
    assert pa["id"] == decoder_payload(a)["id"] and pa["id"] != pb["id"]
    n_weights = sum(p.numel() for lay in a.dec for p in lay.parameters())
    assert pa["nbytes"] == 4 * n_weights


def test_conv_transpose_and_flatten_layers_export():
    """A decoder with layers no shipped model uses yet: ConvTranspose2d (stride 2, output
    padding), Flatten, an Identity."""
    model = _model("conv")
    torch.manual_seed(3)
    model.decoder = nn.Sequential(
        nn.Linear(2, 8 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (8, 7, 7)),
        nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.LeakyReLU(0.2),
        nn.Identity(), nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1), nn.Tanh(),
        nn.Flatten(), nn.Linear(2 * 28 * 28, 784), nn.Unflatten(1, (1, 28, 28)))
    p = decoder_payload(model)
    assert [r["op"] for r in p["layers"]].count("conv_transpose2d") == 2
    z = np.array([[0.3, -1.2], [2.0, 0.5]], np.float32)
    want = decode_reference(model, z)
    got = np.stack([run_payload(p, zi) for zi in z])
    assert np.abs(got - want).max() <= 1e-5


@pytest.mark.parametrize("layer, words", [
    (nn.Upsample(scale_factor=2, mode="bilinear"), "bilinear"),
    (nn.BatchNorm2d(8), "BatchNorm2d"),
    (nn.Conv2d(8, 8, 3, padding=1, groups=2), "groups"),
])
def test_an_unsupported_layer_raises_a_clear_error(layer, words):
    model = _model("conv")
    mods = list(model.decoder)
    mods.insert(3, layer)  # after Unflatten: (B, 8, 7, 7)
    model.decoder = nn.Sequential(*mods)
    with pytest.raises(ExportError, match=words):
        decoder_payload(model)


def test_the_sequence_model_is_refused_with_a_reason():
    model = build_model(MODEL_CONFIGS["seq"](latent_dim=2, hidden=(8,), channels=3, seq_len=16))
    with pytest.raises(ExportError, match="sensor series"):
        decoder_payload(model)


def test_the_zoo_two_d_models_export_with_their_int8_weights_exactly():
    from aecore.zoo import load_zoo_model
    for name in ("ae_k2", "vae_k2"):
        model, _ = load_zoo_model(name)
        p = decoder_payload(model)
        big = [r for r in p["layers"] if r["op"] == "linear" and r["in"] * r["out"] >= 4096]
        assert big and all("wq" in r for r in big)  # a quarter of the bytes of float32
        lins = [m for m in decoder_modules(model) if isinstance(m, nn.Linear)]
        for r, lin in zip([r for r in p["layers"] if r["op"] == "linear"], lins, strict=True):
            assert np.array_equal(_w(r), lin.weight.detach().numpy().reshape(-1))  # bit for bit
        z = np.array([[0.5, -0.5]], np.float32)
        assert np.abs(run_payload(p, z[0]) - decode_reference(model, z)[0]).max() <= 1e-5


NODE_DECODE = """
import { makeDecoder } from "%s";
import { readFileSync } from "node:fs";
const { payload, codes } = JSON.parse(readFileSync(0, "utf8"));
const dec = makeDecoder(payload);
console.log(JSON.stringify(codes.map((z) => Array.from(dec.decode(z)))));
"""


@pytest.mark.parametrize("name", ["dense", "dense_outtanh", "dense_outlinear", "conv_outtanh",
                                  "conv_rgb", "vae_rgb"])
def test_the_pages_own_decoder_script_reproduces_torch_for_every_output(name):
    """ui/static/decoder.js itself (run by Node, the engine Chromium shares) draws what PyTorch
    draws, for each last activation: sigmoid, tanh and linear."""
    import shutil
    import subprocess
    from pathlib import Path
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (the browser tests run decoder.js in Chromium)")
    script = Path(__file__).resolve().parents[1] / "ui" / "static" / "decoder.js"
    model = _model(name)
    z = np.random.default_rng(1).normal(0, 2, (4, model.latent_dim)).astype(np.float32)
    want = decode_reference(model, z)
    if model.output == "linear":  # pixels clipped at both ends: the clip is exercised
        assert (want == 0).any() and (want == 1).any()
    run = subprocess.run([node, "--input-type=module", "-e", NODE_DECODE % script.as_uri()],
                         input=json.dumps({"payload": decoder_payload(model),
                                           "codes": z.tolist()}),
                         capture_output=True, text=True, timeout=60, check=True)
    got = np.array(json.loads(run.stdout), np.float32)
    assert got.shape == want.shape and np.abs(got - want).max() <= 1e-5, name


def test_decoders_differing_only_in_their_output_are_different_models_to_the_page():
    a = _model("dense_outtanh")
    b = build_model(MODEL_CONFIGS["dense"](latent_dim=2, hidden=(24,), output="sigmoid"), seed=0)
    b.load_state_dict(a.state_dict())
    pa, pb = decoder_payload(a), decoder_payload(b)
    assert pa["layers"] == pb["layers"] and pa["output"] == "tanh" and pb["output"] == "sigmoid"
    assert pa["id"] != pb["id"]
