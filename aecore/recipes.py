"""From a type name and a few plain settings to (model config, train config), and back.

The Train page (and any script) speaks in the words a class uses: "a denoising conv AE with
k = 16, Gaussian noise 0.5, 10 epochs". :func:`make_configs` turns those words into the frozen
configs of :mod:`aecore.config`, so every range check stays in one place and raises
:class:`ConfigError` with a clear message. :func:`preset_settings` goes the other way, so a
preset button can fill the form.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import (AEConfig, ContractiveAEConfig, ConvAEConfig, CVAEConfig, SparseAEConfig,
                     StackedAEConfig, TrainConfig, VAEConfig)
from .device import bf16_fast
from .errors import ConfigError
from .noise import MAX_LEVEL
from .presets import Preset


@dataclass(frozen=True)
class TypeInfo:
    """One entry of the Train page's type list."""

    label: str
    summary: str


TYPES: dict[str, TypeInfo] = {
    "dense": TypeInfo("Dense AE", "Fully connected encoder and decoder around a code of k numbers."),
    "conv": TypeInfo("Convolutional AE", "Strided convolutions down to 7x7, a dense code of k, "
                                         "and upsampling convolutions back to 28x28."),
    "denoising": TypeInfo("Denoising AE", "A dense or conv AE fed corrupted digits and asked for "
                                          "the clean ones."),
    "sparse_l1": TypeInfo("Sparse AE (L1)", "An L1 penalty keeps most code units at zero."),
    "sparse_kl": TypeInfo("Sparse AE (KL)", "A KL penalty pulls each unit's mean activation "
                                            "to a small target rho."),
    "contractive": TypeInfo("Contractive AE", "A penalty on the encoder's Jacobian: codes move "
                                              "little when the input moves a little."),
    "vae": TypeInfo("VAE / beta-VAE", "A probabilistic code: reconstruction plus beta times a KL "
                                      "pull towards N(0, I)."),
    "cvae": TypeInfo("Conditional VAE", "A VAE that is also told the digit's label."),
    "stacked": TypeInfo("Stacked AE", "Pretrained greedily one layer pair at a time, then "
                                      "fine-tuned end to end."),
}

# the denoising type's corruptions: every kind of aecore.noise plus "mixed" (random kind and level)
DENOISE_NOISES = ("gaussian", "salt_pepper", "masking", "speckle", "mixed")

DEFAULTS: dict[str, Any] = dict(
    latent_dim=32, hidden=(256, 128), activation="relu", loss="bce", base="dense",
    noise="gaussian", noise_level=0.5, sparsity_weight=1e-3, rho=0.05, contraction_weight=1e-2,
    beta=1.0, pretrain_epochs=1, epochs=5, batch_size=128, lr=1e-3, subset=10_000, seed=0,
    # the Train page trains on the CPU (aecore.jobs): bf16 autocast where its matmuls are faster
    schedule="cosine", precision="bf16" if bf16_fast("cpu") else "fp32")


def max_noise_level(noise: str) -> float:
    """Largest sensible level for a noise kind (speckle's sigma may exceed 1; mixed draws up to 1)."""
    return MAX_LEVEL.get(noise, 1.0)


def make_configs(type_name: str, **settings: Any) -> tuple[Any, TrainConfig]:
    """The (model config, train config) for a Train-page type and its settings.

    ``settings`` are the keys of :data:`DEFAULTS` (missing ones take those defaults; unknown ones
    are an error). ``hidden`` is the dense widths, or the two conv channel counts when the type is
    conv (or denoising with ``base="conv"``). Only the settings a type uses matter: a dense AE
    ignores ``beta``. Raises :class:`ConfigError` with a message fit for a user.
    """
    if type_name not in TYPES:
        raise ConfigError(f"unknown autoencoder type {type_name!r}; choose one of {', '.join(TYPES)}")
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    s = {**DEFAULTS, **settings}
    hidden = tuple(int(h) for h in s["hidden"]) if isinstance(s["hidden"], (list, tuple)) else s["hidden"]
    common = dict(latent_dim=s["latent_dim"], hidden=hidden, activation=s["activation"])
    noise, level = "none", 0.0

    if type_name == "denoising":
        if s["base"] not in ("dense", "conv"):
            raise ConfigError(f"a denoising AE is built on a dense or a conv AE, not {s['base']!r}")
        if s["noise"] not in DENOISE_NOISES:
            raise ConfigError(f"noise must be one of {', '.join(DENOISE_NOISES)}; got {s['noise']!r}")
        noise, level = s["noise"], s["noise_level"]
        top = max_noise_level(noise)
        if not isinstance(level, (int, float)) or not (0 < level <= top):
            raise ConfigError(f"a denoising AE needs a noise level above 0 and at most {top:g} "
                              f"for {noise} noise; got {level!r}")
    model_cfg: Any
    if type_name == "conv" or (type_name == "denoising" and s["base"] == "conv"):
        model_cfg = ConvAEConfig(**common)
    elif type_name in ("dense", "denoising"):
        model_cfg = AEConfig(**common)
    elif type_name in ("sparse_l1", "sparse_kl"):
        model_cfg = SparseAEConfig(**common, penalty=type_name[-2:], weight=s["sparsity_weight"],
                                   rho=s["rho"])
    elif type_name == "contractive":
        model_cfg = ContractiveAEConfig(**common, weight=s["contraction_weight"])
    elif type_name == "vae":
        model_cfg = VAEConfig(**common, beta=s["beta"])
    elif type_name == "cvae":
        model_cfg = CVAEConfig(**common, beta=s["beta"])
    else:  # stacked
        model_cfg = StackedAEConfig(**common, pretrain_epochs=s["pretrain_epochs"])
    train_cfg = TrainConfig(epochs=s["epochs"], batch_size=s["batch_size"], lr=s["lr"],
                            loss=s["loss"], schedule=s["schedule"], noise=noise,
                            noise_level=float(level), subset=s["subset"], seed=s["seed"],
                            precision=s["precision"])
    return model_cfg, train_cfg


def type_of(model_cfg: Any, train_cfg: TrainConfig) -> str:
    """The Train-page type name of a config pair (the inverse of :func:`make_configs`)."""
    kind = type(model_cfg).kind
    if train_cfg.noise != "none" and kind in ("dense", "conv"):
        return "denoising"
    if kind == "sparse":
        return f"sparse_{model_cfg.penalty}"
    if kind in TYPES:
        return kind
    raise ConfigError(f"the Train page cannot train a {kind!r} model")


def preset_settings(preset: Preset) -> tuple[str, dict[str, Any]]:
    """``(type_name, settings)`` that :func:`make_configs` turns back into ``preset``'s configs."""
    m, t = preset.model, preset.train
    type_name = type_of(m, t)
    s: dict[str, Any] = dict(latent_dim=m.latent_dim, hidden=tuple(m.hidden), activation=m.activation,
                             loss=t.loss, epochs=t.epochs, batch_size=t.batch_size, lr=t.lr,
                             subset=t.subset, seed=t.seed, schedule=t.schedule,
                             precision=t.precision)
    if type_name == "denoising":
        s.update(base=type(m).kind, noise=t.noise, noise_level=t.noise_level)
    if type_name.startswith("sparse"):
        s.update(sparsity_weight=m.weight, rho=m.rho)
    if type_name == "contractive":
        s.update(contraction_weight=m.weight)
    if type_name in ("vae", "cvae"):
        s.update(beta=m.beta)
    if type_name == "stacked":
        s.update(pretrain_epochs=m.pretrain_epochs)
    return type_name, s


def total_epochs(model_cfg: Any, train_cfg: TrainConfig) -> int:
    """Epochs a run will take, counting a stacked AE's greedy pretraining (one stage per layer
    pair: len(hidden) + 1 stages)."""
    pre = getattr(model_cfg, "pretrain_epochs", 0) or 0
    stages = len(model_cfg.hidden) + 1 if isinstance(model_cfg, StackedAEConfig) else 0
    return train_cfg.epochs + pre * stages
