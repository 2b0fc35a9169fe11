"""A model's decoder as a small JSON-able payload, for the forward pass the page runs itself.

The app decodes latent codes in the browser (``ui/static/decoder.js``) so that the latent map and
the sample sliders answer every pointer move without a server round trip. This module turns a
decoder into what that script reads: a list of layers in order, each with its float32 weights as
base64 (little-endian, row-major, PyTorch's own layout), and a content hash that names the model in
the page (the weights are sent once per model, then found again by that hash).

Weights whose rows are exactly int8 times a float16 scale (the zoo's storage) travel as int8
with one scale per row, a quarter of the bytes, and widen to the same float32 values in the page.

Supported layers: Linear, ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Identity, Unflatten, Flatten,
Upsample (nearest, integer scale), Conv2d and ConvTranspose2d (groups = 1, zeros padding). Every
decoder of :data:`aecore.models.REGISTRY` is built from these, except the sequence AE's recurrent
decoder, which raises :class:`ExportError` with the layer it cannot export.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Any

import numpy as np
import torch
from torch import nn

from .errors import AecoreError
from .models import Autoencoder, DenseAE

FORMAT = 1  # bump when the layer list changes meaning; decoder.js refuses other formats


class ExportError(AecoreError):
    """A decoder holds a layer the in-page forward pass does not implement."""


# helpers

def _b64(t: torch.Tensor) -> str:
    """float32, little-endian, C order, as base64 text."""
    a = np.ascontiguousarray(t.detach().to("cpu", torch.float32).numpy()).astype("<f4")
    return base64.b64encode(a.tobytes()).decode("ascii")


def _weight(t: torch.Tensor) -> dict[str, str]:
    """A weight tensor as ``{"w": float32}`` or, when every output row is exactly an int8 vector
    times one float16 scale (the zoo's int8 storage, widened on load), ``{"wq": int8, "ws":
    float32 scale per row}``: a quarter of the bytes, and ``wq * ws`` in float32 gives back every
    weight bit for bit (|q| <= 127 times an 11-bit mantissa fits float32's 24 bits)."""
    w = t.detach().to("cpu", torch.float32)
    rows = w.reshape(w.shape[0], -1)  # (out, fan-in) for Linear, Conv2d and ConvTranspose2d
    scale = rows.abs().amax(dim=1) / 127.0  # (out,) the int8 packer makes |q| = 127 per row
    if rows.numel() >= 4096 and bool((scale > 0).all()) and torch.equal(scale.half().float(), scale):
        q = rows / scale[:, None]
        if torch.equal(q, q.round()) and torch.equal((q.round() * scale[:, None]), rows):
            return {"wq": base64.b64encode(q.round().to(torch.int8).numpy().tobytes()).decode(),
                    "ws": _b64(scale)}
    return {"w": _b64(w)}


def _pair(v: Any) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(x) for x in v]


def decoder_modules(model: Autoencoder) -> list[nn.Module]:
    """The decoder of ``model`` as the flat list of modules it applies to a code, in order.

    Dense AEs (plain, sparse, contractive, stacked) keep their decoder as Linear layers with an
    activation between them (each layer's own, none after the last); the conv AE and the VAEs hold an
    ``nn.Sequential``. Raises :class:`ExportError` for a model without an image decoder.
    """
    if getattr(model, "data_kind", "image") != "image":
        raise ExportError(f"{type(model).__name__} decodes sensor series, not images: its "
                          "recurrent decoder cannot run in the page")
    if isinstance(model, DenseAE):
        out: list[nn.Module] = []
        for i, lin in enumerate(model.dec):
            out.append(lin)
            if i < len(model.dec) - 1:
                out.append(model.dec_act(i))
        return out
    dec = getattr(model, "decoder", None)
    if isinstance(dec, nn.Sequential):
        return _flatten(dec)
    raise ExportError(f"{type(model).__name__} has no decoder the page can run "
                      f"(expected an nn.Sequential, found {type(dec).__name__})")


def _flatten(seq: nn.Sequential) -> list[nn.Module]:
    out: list[nn.Module] = []
    for m in seq:
        out.extend(_flatten(m) if isinstance(m, nn.Sequential) else [m])
    return out


# dropout is the identity once trained
_PLAIN_OPS = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.Identity: "identity",
              nn.Dropout: "identity"}


def _activation(m: nn.Module) -> dict | None:
    """An element-wise module as a layer record (the shape is unchanged), or None."""
    if isinstance(m, nn.LeakyReLU):
        return {"op": "leaky_relu", "slope": float(m.negative_slope)}
    if isinstance(m, nn.ELU):
        return {"op": "elu", "alpha": float(m.alpha)}
    if isinstance(m, nn.GELU):
        return {"op": "gelu_tanh" if m.approximate != "none" else "gelu"}
    op = next((op for cls, op in _PLAIN_OPS.items() if isinstance(m, cls)), None)
    return {"op": op} if op else None


def _reshape(m: nn.Flatten | nn.Unflatten, shape: list[int]) -> tuple[dict, list[int]]:
    if isinstance(m, nn.Flatten):
        n = int(np.prod(shape))
        return {"op": "reshape", "shape": [n]}, [n]
    new = [int(s) for s in m.unflattened_size]
    if m.dim not in (1, -1) or len(shape) != 1 or int(np.prod(new)) != shape[0]:
        raise ExportError(f"Unflatten(dim={m.dim}, {new}) does not fit input {shape}")
    return {"op": "reshape", "shape": new}, new


def _upsample(m: nn.Upsample, shape: list[int]) -> tuple[dict, list[int]]:
    s = m.scale_factor
    s = s if isinstance(s, (int, float)) else (s[0] if len(set(s)) == 1 else None)
    if m.mode != "nearest" or s is None or float(s) != int(s) or m.size is not None:
        raise ExportError(f"Upsample(mode={m.mode!r}, scale_factor={m.scale_factor}) is not "
                          "supported: only nearest with one whole-number scale")
    c, h, w = shape
    return {"op": "upsample", "scale": int(s)}, [c, h * int(s), w * int(s)]


def _conv(m: nn.Conv2d | nn.ConvTranspose2d, shape: list[int]) -> tuple[dict, list[int]]:
    if m.groups != 1 or m.padding_mode != "zeros" or _pair(m.dilation) != [1, 1]:
        raise ExportError(f"{type(m).__name__} with groups, dilation or non-zero padding is "
                          "not supported")
    if len(shape) != 3 or shape[0] != m.in_channels:
        raise ExportError(f"{type(m).__name__}({m.in_channels}, ...) gets input {shape}")
    if isinstance(m.padding, str):
        raise ExportError(f"{type(m).__name__}(padding={m.padding!r}) is not supported")
    (kh, kw), (sh, sw), (ph, pw) = _pair(m.kernel_size), _pair(m.stride), _pair(m.padding)
    c, h, w = shape
    bias = m.bias if m.bias is not None else torch.zeros(m.out_channels)
    rec = {"cin": m.in_channels, "cout": m.out_channels, "k": [kh, kw], "stride": [sh, sw],
           "padding": [ph, pw], **_weight(m.weight), "b": _b64(bias)}
    if isinstance(m, nn.Conv2d):
        oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
        return {"op": "conv2d", **rec}, [m.out_channels, oh, ow]
    oph, opw = _pair(m.output_padding)
    oh, ow = (h - 1) * sh - 2 * ph + kh + oph, (w - 1) * sw - 2 * pw + kw + opw
    return ({"op": "conv_transpose2d", **rec, "output_padding": [oph, opw]},
            [m.out_channels, oh, ow])


def _layer(m: nn.Module, shape: list[int]) -> tuple[dict, list[int]]:
    """One module as a layer record, and the activation shape after it (without the batch)."""
    if isinstance(m, nn.Linear):
        if shape != [m.in_features]:
            raise ExportError(f"Linear({m.in_features}, {m.out_features}) gets input {shape}")
        bias = m.bias if m.bias is not None else torch.zeros(m.out_features)
        return ({"op": "linear", "in": m.in_features, "out": m.out_features,
                 **_weight(m.weight), "b": _b64(bias)}, [m.out_features])
    act = _activation(m)
    if act is not None:
        return act, shape
    if isinstance(m, (nn.Flatten, nn.Unflatten)):
        return _reshape(m, shape)
    if isinstance(m, nn.Upsample):
        return _upsample(m, shape)
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        return _conv(m, shape)
    raise ExportError(f"the page cannot run a {type(m).__name__} layer; supported: Linear, "
                      "activations, Unflatten, Upsample (nearest), Conv2d, ConvTranspose2d")


# the payload

def decoder_payload(model: Autoencoder) -> dict:
    """The decoder of an image model as a JSON-able dict for ``ui/static/decoder.js``.

    Keys: ``format``, ``id`` (a SHA-256 prefix of the layer list and weights: the model's name
    in the page), ``latent_dim`` (k), ``n_classes`` (one-hot label inputs appended to the code,
    0 unless the model is conditional), ``out_shape`` ((C, H, W): [1, 28, 28] for MNIST),
    ``layers`` (records as
    documented in the module docstring), ``output`` (the decoder's last activation, which the
    page applies after the last layer to get pixels in [0, 1], as
    :func:`aecore.losses.output_image` does: "sigmoid", "tanh" or "linear") and ``nbytes``
    (weight bytes before base64).
    """
    mods = decoder_modules(model)
    n_cond = int(model.cfg.n_classes) if getattr(model, "conditional", False) else 0
    shape = [int(model.latent_dim) + n_cond]
    layers: list[dict] = []
    for m in mods:
        rec, shape = _layer(m, shape)
        layers.append(rec)
    out = [int(v) for v in model.in_shape]
    if int(np.prod(shape)) != int(np.prod(out)):
        raise ExportError(f"the decoder ends in shape {shape}, not the {out} of its images")
    # layer kinds, sizes, every weight and the output: two decoders differing only in their
    # last activation draw different pixels, so they are different models to the page
    digest = hashlib.sha256(repr((layers, model.output)).encode())
    nbytes = sum(len(r[f]) * 3 // 4 - r[f][-2:].count("=")  # base64 -> bytes, less padding
                 for r in layers for f in ("w", "wq", "ws", "b") if f in r)
    return {"format": FORMAT, "id": digest.hexdigest()[:16], "latent_dim": int(model.latent_dim),
            "n_classes": n_cond, "out_shape": out, "layers": layers, "output": model.output,
            "nbytes": nbytes}


def decode_reference(model: Autoencoder, z: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """What the page's forward pass must produce: ``model.decode`` of codes ``z`` (N, k) as
    float32 pixels (N, C * H * W) in [0, 1]; the parity tests compare the page against this."""
    with torch.inference_mode():
        zt = torch.as_tensor(np.asarray(z, dtype=np.float32))
        yt = None if y is None else torch.as_tensor(np.asarray(y)).long()
        return model.decode(zt, yt).reshape(len(zt), -1).float().numpy()
