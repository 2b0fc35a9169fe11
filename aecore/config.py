"""Frozen configuration dataclasses: one per model type, plus the training settings.

pythae-style chain: each variant's config holds only what it adds (``AEConfig`` ->
``SparseAEConfig``, ``VAEConfig`` -> ``CVAEConfig``). The same config object trains in the CLI
and in the browser, and is saved as JSON in the card beside the weights, so that loading is
``build_model(config_from_dict(card["config"]))``. Every number is bounded here (the widgets
bound them too), so a bad value fails early with a clear :class:`ConfigError`.
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from .errors import ConfigError
from .optim import OPTIMIZERS, SCHEDULES

ACTIVATIONS = ("relu", "gelu", "elu", "tanh", "sigmoid", "leaky_relu")
LOSSES = ("bce", "mse")
NOISE_KINDS = ("none", "gaussian", "salt_pepper", "masking", "speckle", "mixed")
OUTPUTS = ("sigmoid", "tanh", "linear")  # the decoder's last activation (aecore.losses.output_image)
UPSAMPLES = ("nearest", "transpose")  # the conv decoder's upsampling
MNIST_SHAPE = (1, 28, 28)  # (C, H, W): a config without ``shape`` (every older card) means MNIST
# a user's own image set in the library: "user-" and its record id (aecore.imageset)
USER_DATASET = re.compile(r"user-[0-9a-f]{8,64}")


# helpers

def env_number(name: str, default: float, lo: float, hi: float) -> float:
    """A server setting from the environment variable ``name``, else ``default``: a whole number
    where ``default`` is one, within [lo, hi]; anything else raises :class:`ConfigError`."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    whole = isinstance(default, int) and not isinstance(default, bool)
    try:
        value = int(raw) if whole else float(raw)
    except ValueError as exc:
        kind = "an integer" if whole else "a number"
        raise ConfigError(f"environment variable {name} must be {kind}, got {raw!r}") from exc
    if not lo <= value <= hi:
        raise ConfigError(f"environment variable {name} must be between {lo:g} and {hi:g}, "
                          f"got {raw}")
    return value


def _check_range(name: str, value: float, lo: float, hi: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not (lo <= value <= hi):
        raise ConfigError(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def _check_widths(name: str, widths: tuple[int, ...], lo: int, hi: int, max_len: int,
                  min_len: int = 1) -> None:
    if not isinstance(widths, tuple) or not (min_len <= len(widths) <= max_len):
        raise ConfigError(f"{name} needs {min_len} to {max_len} layer sizes, got {widths!r}")
    for w in widths:
        if not isinstance(w, int) or not (lo <= w <= hi):
            raise ConfigError(f"each of {name} must be an integer between {lo} and {hi}, got {w!r}")


def _check_layer_activations(names: tuple[str, ...], hidden: tuple[int, ...]) -> None:
    """``names``: empty, or one name of :data:`ACTIVATIONS` per hidden width."""
    if not isinstance(names, tuple) or (names and len(names) != len(hidden)):
        raise ConfigError(f"per-layer activations need one name per hidden layer ({len(hidden)}), "
                          f"or none; got {names!r}")
    for name in names:
        _check_choice("each per-layer activation", name, ACTIVATIONS)


def _as_tuples(cfg: Any, *names: str) -> None:
    """JSON gives lists: keep tuples, so that configs stay hashable and comparable."""
    for name in names:
        if isinstance(getattr(cfg, name, None), list):
            object.__setattr__(cfg, name, tuple(getattr(cfg, name)))


# model configs

def _check_shape(shape: tuple[int, ...], conv: bool = False) -> None:
    """(C, H, W) of an image model's input: 1 or 3 channels, sides 8 to 64 (a multiple of 4 for
    a conv AE: two stride-2 convs)."""
    ok = (isinstance(shape, tuple) and len(shape) == 3 and all(isinstance(v, int) for v in shape)
          and shape[0] in (1, 3) and all(8 <= v <= 64 for v in shape[1:]))
    if not ok or (conv and (shape[1] % 4 or shape[2] % 4)):
        need = " with sides a multiple of 4" if conv else ""
        raise ConfigError(f"input shape must be (1 or 3, H, W) with H and W from 8 to 64{need}; "
                          f"got {shape!r}")


@dataclass(frozen=True)
class AEConfig:
    """Dense autoencoder on C x H x W images (28x28 grey by default): D -> hidden... -> k ->
    ...hidden -> D, D = C * H * W."""

    kind: ClassVar[str] = "dense"
    latent_dim: int = 32
    hidden: tuple[int, ...] = (512, 256)  # mirrored in the decoder; () = one layer each way
    activation: str = "relu"
    output: str = "sigmoid"  # "tanh" trains against data scaled to [-1, 1]; both need no clipping
    dropout: float = 0.0  # drop probability after every hidden activation, while training
    shape: tuple[int, ...] = MNIST_SHAPE  # (C, H, W) of the data set it is trained on
    # one activation per hidden layer of the encoder, the decoder's mirrored (the layer that
    # makes width hidden[i] uses activations[i] on both sides); () = ``activation`` everywhere,
    # which every config and card older than this field means
    activations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # JSON gives lists; keep tuples so configs stay hashable and comparable
        _as_tuples(self, "hidden", "shape", "activations")
        self.validate()

    def layer_activations(self) -> tuple[str, ...]:
        """The activation after each hidden layer of the encoder, ``len(hidden)`` names; the
        decoder applies them in reverse order (its hidden layers mirror the encoder's)."""
        return self.activations or (self.activation,) * len(self.hidden)

    def validate(self) -> None:
        """Raise :class:`ConfigError` if a field is out of its documented range."""
        _check_range("latent size k", self.latent_dim, 1, 2048)
        _check_widths("hidden widths", self.hidden, 1, 4096, 5, min_len=0)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_layer_activations(self.activations, self.hidden)
        _check_choice("output activation", self.output, OUTPUTS)
        _check_range("dropout", self.dropout, 0.0, 0.9)
        _check_shape(self.shape, conv=False)


@dataclass(frozen=True)
class ConvAEConfig(AEConfig):
    """Convolutional AE: strided convs down to 7x7, a dense bottleneck of size k, and
    nearest-upsample + conv back up (faster than ConvTranspose2d on the CPU)."""

    kind: ClassVar[str] = "conv"
    hidden: tuple[int, ...] = (32, 64)  # channels of the two 3x3 stride-2 convs (28->14->7)
    # "nearest": upsample, then a 3x3 conv (no checkerboard artefacts); "transpose": a 4x4
    # ConvTranspose2d of stride 2, the texts' Conv2DTranspose
    upsample: str = "nearest"

    def validate(self) -> None:
        _check_range("latent size k", self.latent_dim, 1, 2048)
        if len(self.hidden) != 2:
            raise ConfigError(f"the conv AE takes exactly 2 channel widths, got {self.hidden!r}")
        _check_widths("conv channels", self.hidden, 1, 256, 2)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("output activation", self.output, OUTPUTS)
        _check_range("dropout", self.dropout, 0.0, 0.9)
        _check_choice("upsampling", self.upsample, UPSAMPLES)
        _check_shape(self.shape, conv=True)
        if self.activations:  # its two widths are channel counts of conv layers, not dense ones
            raise ConfigError("per-layer activations are for dense layers; the conv AE uses one "
                              "activation (set activation instead)")


@dataclass(frozen=True)
class SparseAEConfig(AEConfig):
    """Dense AE whose code is pushed towards sparsity: an L1 penalty on the activations
    (weight * mean |h|) or a KL penalty to a target mean activation rho (Ng, CS294A notes)."""

    kind: ClassVar[str] = "sparse"
    penalty: str = "l1"  # "l1" | "kl"
    weight: float = 1e-3
    rho: float = 0.05  # target mean activation for the KL penalty

    def validate(self) -> None:
        super().validate()
        _check_choice("sparsity penalty", self.penalty, ("l1", "kl"))
        _check_range("sparsity weight", self.weight, 0.0, 100.0)
        _check_range("target activation rho", self.rho, 1e-4, 0.5)


@dataclass(frozen=True)
class ContractiveAEConfig(AEConfig):
    """Dense AE with a penalty on ||d code / d input||_F^2 (Rifai et al., ICML 2011)."""

    kind: ClassVar[str] = "contractive"
    weight: float = 1e-2

    def validate(self) -> None:
        super().validate()
        _check_range("contraction weight", self.weight, 0.0, 100.0)


@dataclass(frozen=True)
class VAEConfig(AEConfig):
    """Dense VAE (Kingma & Welling 2014); beta weights the KL term (Higgins et al. 2017)."""

    kind: ClassVar[str] = "vae"
    latent_dim: int = 20
    hidden: tuple[int, ...] = (400,)  # pytorch/examples: 784-400-20
    beta: float = 1.0

    def validate(self) -> None:
        super().validate()
        if not self.hidden:
            raise ConfigError("a VAE needs at least one hidden layer")
        _check_range("beta", self.beta, 0.0, 100.0)


@dataclass(frozen=True)
class CVAEConfig(VAEConfig):
    """Conditional VAE: the one-hot label joins the encoder input and the decoder input."""

    kind: ClassVar[str] = "cvae"
    n_classes: int = 10

    def validate(self) -> None:
        super().validate()
        _check_range("number of classes", self.n_classes, 2, 100)


@dataclass(frozen=True)
class StackedAEConfig(AEConfig):
    """Dense AE trained greedily one layer pair at a time, then fine-tuned end to end."""

    kind: ClassVar[str] = "stacked"
    pretrain_epochs: int = 1  # epochs per greedy stage, before fine-tuning

    def validate(self) -> None:
        super().validate()
        _check_range("pretraining epochs per layer", self.pretrain_epochs, 0, 50)


class _HiddenChecked:
    """A config whose ``hidden`` widths are kept as a tuple and which checks itself when made
    (its ``validate``); shared by the configs that are not :class:`AEConfig`'s."""

    def __post_init__(self) -> None:
        _as_tuples(self, "hidden")
        self.validate()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SeqAEConfig(_HiddenChecked):
    """Sequence AE for (T, C) multichannel time series: an LSTM/GRU encoder's last state is
    projected to k, and a recurrent decoder unrolls it back to T steps."""

    kind: ClassVar[str] = "seq"
    latent_dim: int = 16
    hidden: tuple[int, ...] = (64,)  # recurrent width (one layer)
    cell: str = "lstm"  # "lstm" | "gru"
    channels: int = 4
    seq_len: int = 64

    def validate(self) -> None:
        _check_range("latent size k", self.latent_dim, 1, 512)
        _check_widths("recurrent width", self.hidden, 2, 1024, 1)
        _check_choice("cell", self.cell, ("lstm", "gru"))
        _check_range("channels", self.channels, 1, 64)
        _check_range("sequence length", self.seq_len, 4, 4096)


TASKS = ("denoise", "colourise", "document")  # what a photo AE is trained to do


@dataclass(frozen=True)
class PhotoConfig:
    """Fully convolutional AE on photos of any size: ``width`` channels at half resolution,
    ``latent_dim`` channels at the quarter-resolution bottleneck."""

    kind: ClassVar[str] = "photo"
    task: str = "denoise"   # "denoise" (noise, JPEG, holes) | "colourise" | "document"
    width: int = 32          # channels at half resolution: 32 keeps a 640x427 photo near 1 s
    latent_dim: int = 64     # bottleneck channels at a quarter of the resolution

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` if a field is out of its documented range."""
        _check_choice("task", self.task, TASKS)
        _check_range("width", self.width, 4, 128)
        _check_range("bottleneck channels", self.latent_dim, 4, 256)

@dataclass(frozen=True)
class TabularAEConfig(AEConfig):
    """Dense AE on F standardised numeric columns: F -> hidden... -> k -> ...hidden -> F."""

    kind: ClassVar[str] = "tabular"
    latent_dim: int = 4
    hidden: tuple[int, ...] = (32, 16)
    n_features: int = 9
    columns: tuple[str, ...] = ()  # column names, shown beside per-feature errors; () = unnamed

    def __post_init__(self) -> None:
        if isinstance(self.columns, list):
            object.__setattr__(self, "columns", tuple(self.columns))
        super().__post_init__()

    def validate(self) -> None:
        super().validate()
        _check_range("number of columns", self.n_features, 1, 512)
        if self.columns and (len(self.columns) != self.n_features
                             or not all(isinstance(c, str) and len(c) <= 200 for c in self.columns)):
            raise ConfigError(f"columns must be {self.n_features} names of at most 200 characters")


LETTERS = "abcdefghijklmnopqrstuvwxyz"
TEXT_CELLS = ("lstm", "gru", "transformer")


@dataclass(frozen=True)
class TextAEConfig(_HiddenChecked):
    """Character-level sequence AE for words or short sentences: an LSTM, GRU or small
    Transformer encoder reads the characters, its final state becomes a code of k numbers, and
    a decoder of the same kind spells the text back one character at a time."""

    kind: ClassVar[str] = "text"
    latent_dim: int = 32
    hidden: tuple[int, ...] = (256,)  # recurrent width, or the Transformer's model width
    cell: str = "gru"
    alphabet: str = LETTERS  # index 0 ends the text; characters are 1..len(alphabet)
    max_len: int = 12
    embed: int = 32  # character embedding size (recurrent cells)
    typo_rate: float = 0.0  # share of training inputs given one random typo: a denoising text AE
    # recurrent encoders: read the text both ways, the two final states (2H) becoming the code;
    # the backward one ends on the first letters, which the decoder spells first
    bidirectional: bool = False

    def validate(self) -> None:
        _check_range("latent size k", self.latent_dim, 1, 512)
        _check_widths("hidden width", self.hidden, 8, 1024, 1)
        _check_choice("cell", self.cell, TEXT_CELLS)
        if not isinstance(self.alphabet, str) or not 1 <= len(self.alphabet) <= 128 \
                or len(set(self.alphabet)) != len(self.alphabet):
            raise ConfigError("the alphabet must be 1 to 128 distinct characters")
        _check_range("maximum length", self.max_len, 2, 256)
        _check_range("embedding size", self.embed, 2, 512)
        _check_range("typo rate", self.typo_rate, 0.0, 1.0)
        if not isinstance(self.bidirectional, bool):
            raise ConfigError("bidirectional must be true or false")
        if self.cell == "transformer" and self.bidirectional:
            raise ConfigError("the Transformer encoder already reads both ways; bidirectional is "
                              "for the LSTM and GRU")
        if self.cell == "transformer" and self.hidden[0] % 4:
            raise ConfigError("the Transformer's width must be a multiple of its 4 heads")


@dataclass(frozen=True)
class SoundAEConfig(_HiddenChecked):
    """Denoising AE for speech over STFT frames (8 kHz, ``n_fft``-sample Hann frames, half
    overlap): the standardised log magnitudes of a frame and ``context`` frames each side,
    (2c+1) * F numbers with F = n_fft / 2 + 1, go through hidden... -> k -> ...hidden to F mask
    logits; the frame's sigmoid mask times the noisy magnitude, with the noisy phase, is
    resynthesised (aecore.sound_ae)."""

    kind: ClassVar[str] = "sound"
    latent_dim: int = 64
    hidden: tuple[int, ...] = (256,)  # mirrored in the decoder
    context: int = 3  # frames each side of the one masked (16 ms hop: +-48 ms)
    n_fft: int = 256  # 32 ms frames at 8 kHz: F = 129 frequencies
    activation: str = "relu"

    def validate(self) -> None:
        _check_range("latent size k", self.latent_dim, 1, 1024)
        _check_widths("hidden widths", self.hidden, 8, 2048, 3)
        _check_range("context frames", self.context, 0, 10)
        if self.n_fft not in (128, 256, 512):
            raise ConfigError(f"frame length must be 128, 256 or 512 samples; got {self.n_fft!r}")
        _check_choice("activation", self.activation, ACTIVATIONS)


MODEL_CONFIGS: dict[str, type] = {c.kind: c for c in (
    AEConfig, ConvAEConfig, SparseAEConfig, ContractiveAEConfig, VAEConfig, CVAEConfig,
    StackedAEConfig, SeqAEConfig, PhotoConfig, TabularAEConfig, TextAEConfig, SoundAEConfig)}


# training config

MAX_EPOCHS = 200
MAX_BATCH = 4096


PRECISIONS = ("fp32", "bf16")  # TrainConfig.precision
# generated or tabular sets that only their own kinds train on (image sets are declared in
# aecore.datasets): sensor windows, the photo AE's synthetic pages, and the data beyond images
# (aecore.train.DATA_SOURCES)
OTHER_DATASETS = ("sensors", "documents", "transactions", "breast_cancer", "csv", "words",
                  "sentences", "speech")


@dataclass(frozen=True)
class TrainConfig:
    """How to train: shared by the CLI, the presets and the Train page."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    loss: str = "bce"  # "bce" (with logits) | "mse"; VAEs use BCE summed over pixels + KL
    schedule: str = "cosine"  # a name in aecore.optim.SCHEDULES
    weight_decay: float = 0.0
    optimizer: str = "adam"  # a name in aecore.optim.OPTIMIZERS
    momentum: float = 0.9  # SGD's and RMSProp's (Adam's betas stay torch's defaults)
    noise: str = "none"  # corrupt the input, keep the clean target: a denoising AE
    noise_level: float = 0.0  # sigma, probability or fraction by noise kind; "mixed" draws up to it
    subset: int = 0  # use only the first n shuffled training examples; 0 = all
    val_size: int = 2000  # held out from the training split for the validation curve
    seed: int = 0
    # a name in aecore.datasets.DATASETS, a user's "user-<id>", or the generated sets that only
    # their own kinds train on: "sensors" (sequence AE), "documents" (photo AE's synthetic pages)
    dataset: str = "mnist"
    # "bf16": the forward pass under bfloat16 autocast (weights, optimizer and losses stay
    # float32), for CPUs whose bf16 matmuls outrun fp32 (AVX-512 BF16, AMX; aecore.device
    # probes it, benchmarks/train_speed.py). "fp32" everywhere else, and in every shipped recipe.
    precision: str = "fp32"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        _check_range("epochs", self.epochs, 1, MAX_EPOCHS)
        _check_range("batch size", self.batch_size, 1, MAX_BATCH)
        _check_range("learning rate", self.lr, 1e-6, 1.0)
        _check_choice("loss", self.loss, LOSSES)
        _check_choice("schedule", self.schedule, tuple(SCHEDULES))
        _check_range("weight decay", self.weight_decay, 0.0, 1.0)
        _check_choice("optimizer", self.optimizer, tuple(OPTIMIZERS))
        _check_range("momentum", self.momentum, 0.0, 0.999)
        _check_choice("noise", self.noise, NOISE_KINDS)
        _check_range("noise level", self.noise_level, 0.0, 2.0)
        _check_range("training subset", self.subset, 0, 1_000_000)
        _check_range("validation size", self.val_size, 0, 20_000)
        _check_range("seed", self.seed, 0, 2**31 - 1)
        _check_dataset(self.dataset)
        _check_choice("precision", self.precision, PRECISIONS)


def _check_dataset(name: str) -> None:
    from .datasets import DATASETS  # lazily: the registry imports aecore.data
    generated = OTHER_DATASETS
    if not (name in DATASETS or name in generated
            or (isinstance(name, str) and USER_DATASET.fullmatch(name))):
        raise ConfigError(f"dataset must be one of {', '.join([*DATASETS, *generated])} or a "
                          f"user's image set; got {name!r}")


# (de)serialisation

def config_to_dict(cfg: Any) -> dict:
    """A JSON-ready dict of a model config, with its ``kind`` so the loader can rebuild it."""
    d = dataclasses.asdict(cfg)
    for k, v in d.items():
        if isinstance(v, tuple):
            d[k] = list(v)
    if d.get("shape") == list(MNIST_SHAPE):
        del d["shape"]  # MNIST's shape is the default: older cards and MNIST models stay as they were
    if d.get("activations") == []:
        del d["activations"]  # one activation everywhere: the card stays as it was before the field
    if hasattr(type(cfg), "kind"):
        d = {"kind": type(cfg).kind, **d}
    return d


def _from_dict(cls: type, d: dict) -> Any:
    if not isinstance(d, dict):
        raise ConfigError(f"a config must be a JSON object, got {type(d).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = set(d) - names - {"kind"}
    if unknown:
        raise ConfigError(f"unknown setting(s) for {cls.__name__}: {', '.join(sorted(unknown))}")
    try:
        return cls(**{k: v for k, v in d.items() if k in names})
    except TypeError as exc:
        raise ConfigError(f"bad settings for {cls.__name__}: {exc}") from exc


def model_config_from_dict(d: dict) -> Any:
    """Rebuild a model config from :func:`config_to_dict` output; the ``kind`` picks the class."""
    kind = d.get("kind") if isinstance(d, dict) else None
    if kind not in MODEL_CONFIGS:
        raise ConfigError(f"unknown model type {kind!r}; known: {', '.join(MODEL_CONFIGS)}")
    return _from_dict(MODEL_CONFIGS[kind], d)


def train_config_from_dict(d: dict) -> TrainConfig:
    """Rebuild a :class:`TrainConfig` from a dict (unknown keys are an error, not ignored)."""
    return _from_dict(TrainConfig, d)


def train_config_from_card(card: Any) -> TrainConfig:
    """The training settings a model card records, or the defaults where it records none (the
    zoo's oldest cards) or records them in a form this version cannot read."""
    raw = card.get("train") if isinstance(card, dict) else None
    try:
        return train_config_from_dict(raw) if isinstance(raw, dict) else TrainConfig()
    except ConfigError:
        return TrainConfig()


def replace(cfg: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` that re-validates (the frozen configs validate in __post_init__)."""
    return dataclasses.replace(cfg, **changes)

