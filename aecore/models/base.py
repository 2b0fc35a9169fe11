"""The interface every autoencoder shares, and the one registry of model kinds
(model classes; the Train page's *types* built on them are :mod:`aecore.model_types`).

Images are (B, 1, 28, 28) floats in [0, 1]; decoders emit logits and ``decode`` applies the
sigmoid, so BCE-with-logits and MSE both work from the same output. A type changes behaviour by
overriding one hook (``penalty`` or ``loss``), never by copying ``forward``.
"""
from __future__ import annotations

import threading
from typing import Any, ClassVar, Sequence

import torch
from torch import nn

from ..config import MODEL_CONFIGS
from ..errors import ConfigError
from ..losses import output_image, recon_loss

REGISTRY: dict[str, type["Autoencoder"]] = {}
_init_lock = threading.Lock()  # model init draws from torch's global RNG; keep it per-seed exact


def register(cls: type["Autoencoder"]) -> type["Autoencoder"]:
    """Class decorator: add a model kind to :data:`REGISTRY` under its config's ``kind``, and its
    config class to :data:`aecore.config.MODEL_CONFIGS` (so its cards load), both in one place."""
    kind = cls.config_cls.kind
    if MODEL_CONFIGS.setdefault(kind, cls.config_cls) is not cls.config_cls:
        raise ConfigError(f"model kind {kind!r} is registered already, by another config class")
    REGISTRY[kind] = cls
    return cls


ACT = {"relu": nn.ReLU, "gelu": nn.GELU, "elu": nn.ELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
       "leaky_relu": lambda: nn.LeakyReLU(0.1)}


def mlp(sizes: list[int], activation: str | Sequence[str], last_act: bool = False,
        dropout: float = 0.0) -> nn.Sequential:
    """Linear layers through ``sizes`` with an activation between them (and after, if asked),
    each activation followed by dropout when ``dropout`` > 0. ``activation`` is one name for
    every layer, or one name per layer that has one, in order."""
    n_acts = len(sizes) - 1 if last_act else max(len(sizes) - 2, 0)
    names = [activation] * n_acts if isinstance(activation, str) else list(activation)
    if len(names) != n_acts:
        raise ConfigError(f"{n_acts} activations needed for layers {sizes}, got {len(names)}")
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < n_acts:  # module indices as before per-layer names: old weight files still load
            layers.append(ACT[names[i]]())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """Base class: ``encode`` (x -> code), ``decode`` (code -> image in [0, 1]), ``forward``
    (x -> reconstruction logits) and ``loss`` (the training objective)."""

    config_cls: ClassVar[type]
    conditional: ClassVar[bool] = False  # needs a label y (conditional VAE)
    variational: ClassVar[bool] = False
    data_kind: ClassVar[str] = "image"   # "image" (MNIST-like) or "series" (sensor windows)

    def __init__(self, cfg: Any) -> None:
        super().__init__()
        self.cfg = cfg

    @property
    def in_shape(self) -> tuple[int, ...]:
        """(C, H, W) of one input image (the config's ``shape``; MNIST's where it has none)."""
        return tuple(getattr(self.cfg, "shape", (1, 28, 28)))

    @property
    def n_pixels(self) -> int:
        """C * H * W: the values of one input."""
        c, h, w = self.in_shape
        return c * h * w

    @property
    def latent_dim(self) -> int:
        return self.cfg.latent_dim

    @property
    def output(self) -> str:
        """The decoder's last activation: "sigmoid", "tanh" or "linear"."""
        return getattr(self.cfg, "output", "sigmoid")

    # the three calls every page uses
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Code of each input, (B, k); a VAE returns the posterior mean."""
        raise NotImplementedError

    def decode_logits(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Decoder output before its last activation, (B, 1, 28, 28)."""
        raise NotImplementedError

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [0, 1] decoded from codes ``z`` (B, k)."""
        return output_image(self.decode_logits(z, y), self.output)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Reconstruction logits of ``x``."""
        return self.decode_logits(self.encode(x, y), y)

    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Reconstruction of ``x`` in the data's own range."""
        return output_image(self(x, y), self.output)

    # training objective: reconstruction + the type's own penalty
    def penalty(self, x: torch.Tensor, code: torch.Tensor,
                gen: torch.Generator | None) -> tuple[torch.Tensor, dict[str, float]]:
        """The type's regulariser (zero for a plain AE)."""
        return code.new_zeros(()), {}

    def loss(self, x_in: torch.Tensor, target: torch.Tensor, y: torch.Tensor | None,
             recon: str, gen: torch.Generator | None) -> tuple[torch.Tensor, dict[str, float]]:
        """Objective for one batch: ``x_in`` may be corrupted, ``target`` is the clean input.

        Returns the scalar loss and its named parts (detached 0-dim tensors, read once an epoch:
        no device sync a step) for the curves.
        """
        code = self.encode(x_in, y)
        rec = recon_loss(self.decode_logits(code, y), target, recon, output=self.output)
        pen, parts = self.penalty(x_in, code, gen)
        return rec + pen, {"recon": rec.detach(), **parts}

    def describe(self) -> list[tuple[str, str]]:
        """(stage, shape) rows from input to output, for the architecture diagram."""
        k, s = self.latent_dim, "x".join(map(str, self.in_shape))
        return [("input", s), ("code", f"{k}"), ("output", s)]


def build_model(cfg: Any, seed: int = 0) -> Autoencoder:
    """Instantiate the registered model type for ``cfg`` with weights initialised from ``seed``.

    Initialisation uses torch's global RNG inside ``fork_rng``, under a lock, so the caller's
    random state is untouched and two threads building models do not interleave.
    """
    kind = getattr(type(cfg), "kind", None)
    if kind not in REGISTRY or MODEL_CONFIGS.get(kind) is not type(cfg):
        raise ConfigError(f"no model type registered for {type(cfg).__name__}")
    with _init_lock, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return REGISTRY[kind](cfg)
