"""Model types: the one declaration of each autoencoder type the Train page, the presets and the
command line offer.

Two words, two meanings:

* a model **kind** is a registered model class (``aecore.models.REGISTRY``) and its config class;
  a card's ``config["kind"]`` names it ("dense", "conv", "sparse", "vae", ...);
* a model **type** is what a user picks on the Train page: a kind plus the settings that make it
  a recipe family, e.g. the types "sparse_l1" and "sparse_kl" are both of kind "sparse" (with
  ``penalty`` pinned), and "denoising" is kind "dense" or "conv" trained on corrupted inputs.

A :class:`ModelType` declares, as data, its label and summary, its config class, the config
values it pins, and its own settings (:class:`Field`: name, label, widget kind, bounds, default,
URL parameter, where the value goes in the configs). Everything else is derived from
:data:`TYPES`: :func:`make_configs` (settings -> configs), :func:`type_of` and
:func:`preset_settings` (configs -> type and settings), the Train page's form (it draws
:func:`form_fields` generically), its preset buttons (:func:`form_values`) and ``python -m aecore
list``. A new type is one :func:`register_type` call next to its model class (see
``tests/test_model_types.py``, which adds one in a single module).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .config import (ACTIVATIONS, LOSSES, OUTPUTS, PRECISIONS, UPSAMPLES, AEConfig, ContractiveAEConfig, ConvAEConfig,
                     CVAEConfig, SeqAEConfig, SparseAEConfig, StackedAEConfig, TrainConfig, VAEConfig)
from .device import bf16_fast
from .errors import ConfigError
from .losses import check_output_loss
from .noise import LABELS as NOISE_LABELS
from .noise import MAX_LEVEL
from .optim import OPTIMIZERS, SCHEDULES

# a bound: a number, or a function of (values drawn so far, limits) -> number; ``limits`` is an
# object with the caps of aecore.jobs.BrowserLimits (max_latent, max_width, ...), or None
Bound = Any
N_TRAIN = 58_000  # MNIST train minus the 2,000 validation digits


@dataclass(frozen=True)
class Field:
    """One setting of a model type, and the Train-page widget that sets it.

    ``name`` is its key in the settings of :func:`make_configs`; ``target`` says where its value
    goes: ``"model.ATTR"`` or ``"train.ATTR"`` (an attribute of the model or train config), or
    ``""`` (read by the type itself, e.g. which config class to build). ``kind`` is the widget:
    "int" / "float" (number inputs), "slider", "select_slider", "select", "radio".
    """

    name: str
    label: str
    kind: str
    default: Any
    lo: Bound = None
    hi: Bound = None
    step: float | int | None = None
    options: tuple = ()
    labels: Mapping[Any, str] | None = None  # option -> the text shown for it
    fmt: str | None = None                    # number format, e.g. "%.3f"
    help: str | None = None
    key: str = ""       # widget key after "trn_" (default: name)
    param: str = ""     # URL parameter (default: key)
    target: str = ""
    row: str = ""       # consecutive fields with the same row share a line of columns
    section: str = "model"  # "top" (before the shared model settings), "model" or "train"
    when: Callable[[Mapping[str, Any]], bool] | None = None  # drawn only if true of values so far
    # the form's default where it is known only at run time (a measurement), not at import;
    # ``default`` stays what make_configs and the CLI take
    form_default: Callable[[], Any] | None = None

    @property
    def widget_key(self) -> str:
        return f"trn_{self.key or self.name}"

    @property
    def url_name(self) -> str:
        return self.param or self.key or self.name

    def initial(self) -> Any:
        """The value the Train form starts from."""
        return self.form_default() if self.form_default is not None else self.default

    def bounds(self, values: Mapping[str, Any], limits: Any = None) -> tuple[Any, Any]:
        """(lo, hi) for the values drawn so far and the server's limits."""
        def at(b: Bound) -> Any:
            return b(values, limits) if callable(b) else b
        return at(self.lo), at(self.hi)

    def read(self, model_cfg: Any, train_cfg: TrainConfig) -> Any:
        """This setting's value in a config pair (the inverse of ``target``)."""
        where, _, attr = self.target.partition(".")  # a config without it: the default
        return getattr(model_cfg if where == "model" else train_cfg, attr, self.default)


def _limit(name: str, default: int, cap: int | None = None) -> Callable[[Mapping, Any], int]:
    """A bound read from the server's limits (``default`` without them), capped at ``cap``."""
    def bound(values: Mapping[str, Any], limits: Any) -> int:
        v = getattr(limits, name, default) if limits is not None else default
        return min(v, cap) if cap is not None else v
    return bound


@dataclass(frozen=True)
class ModelType:
    """One Train-page type: its words, its config class, what it pins, and its own settings.

    ``config`` is the model config class, or a function of the settings that picks one (the
    denoising type builds a dense or a conv AE). ``fixed`` holds model-config values the type
    pins (``penalty="l1"``); ``train_fixed`` the train-config values it pins (the sequence AE
    trains on the sensor windows with mean squared error, whatever the page's data picker says),
    and ``hides`` names shared settings its form leaves out (they do not apply to it). ``matches`` recognises a config pair as this type where the class
    and ``fixed`` are not enough (a noisy training is the denoising type). ``check`` raises
    :class:`ConfigError` for settings the config classes alone would accept.
    """

    name: str
    label: str
    summary: str
    config: type | Callable[[Mapping[str, Any]], type]
    fields: tuple[Field, ...] = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)
    train_fixed: Mapping[str, Any] = field(default_factory=dict)
    hides: tuple[str, ...] = ()
    matches: Callable[[Any, TrainConfig], bool] | None = None
    check: Callable[[Mapping[str, Any]], None] | None = None

    def config_for(self, settings: Mapping[str, Any]) -> type:
        """The model config class these settings build."""
        return self.config if isinstance(self.config, type) else self.config(settings)

    def conv(self, settings: Mapping[str, Any]) -> bool:
        """Whether ``hidden`` holds conv channel counts (else dense widths)."""
        return issubclass(self.config_for(settings), ConvAEConfig)

    @property
    def kind(self) -> str | None:
        """The model kind this type trains (None where the settings pick it)."""
        return self.config.kind if isinstance(self.config, type) else None

    def is_type_of(self, model_cfg: Any, train_cfg: TrainConfig) -> bool:
        if self.matches is not None:
            return self.matches(model_cfg, train_cfg)
        return (type(model_cfg) is self.config and train_cfg.noise == "none"
                and all(getattr(model_cfg, k, None) == v for k, v in self.fixed.items()))

    @property
    def dataset(self) -> str:
        """The data set this type always trains on ("" = the one the page picks)."""
        return self.train_fixed.get("dataset", "")


TYPES: dict[str, ModelType] = {}


def register_type(t: ModelType) -> ModelType:
    """Add a type to :data:`TYPES` (the Train page's list, in registration order)."""
    clash = {f.name for f in t.fields} & {f.name for f in COMMON if f.name != "hidden"}
    if clash:
        raise ConfigError(f"type {t.name!r} redeclares the shared setting(s) {', '.join(sorted(clash))}")
    TYPES[t.name] = t
    return t


def unregister_type(name: str) -> None:
    """Remove a type (tests that add a toy type clean up after themselves)."""
    TYPES.pop(name, None)


# the settings every type shares, in the order the Train page draws them

def _dense(values: Mapping[str, Any]) -> bool:
    return not values["_conv"]


def _width(i: int) -> Field:
    return Field(f"w{i}", f"Width {i + 1}", "int", (256, 128, 64)[i], lo=8,
                 hi=_limit("max_width", 1024), step=8, key=f"w{i}", param=f"w{i + 1}",
                 row="widths", when=lambda v, i=i: _dense(v) and i < v.get("layers", 1))


SAME = "same"  # a hidden layer's activation option: the shared Activation's


def _layer_act(i: int) -> Field:
    return Field(f"a{i}", f"Activation {i + 1}", "select", SAME, options=(SAME, *ACTIVATIONS),
                 labels={SAME: "same as Activation", **{a: a for a in ACTIVATIONS}},
                 key=f"a{i}", param=f"act{i + 1}", row="acts",
                 when=lambda v, i=i: _dense(v) and i < v.get("layers", 1),
                 help=f"The activation after hidden layer {i + 1} of the encoder, and after the "
                      "decoder layer that mirrors it.")


def _channels(i: int) -> Field:
    return Field(f"c{i}", f"Conv {i + 1} channels", "int", (32, 64)[i], lo=4,
                 hi=_limit("max_channels", 128), step=4, key=f"c{i}", param=f"ch{i + 1}",
                 row="channels", when=lambda v: v["_conv"])


PRECISION_LABELS = {"fp32": "float32", "bf16": "bf16 mixed precision"}
BATCHES = (16, 32, 64, 128, 256, 512, 1024)
RATES = (1e-4, 3e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2)

COMMON: tuple[Field, ...] = (
    Field("latent_dim", "Latent size k", "int", 32, lo=1, hi=_limit("max_latent", 2048), step=1,
          key="k", target="model.latent_dim", row="k",
          help="How many numbers the code has. k = 2 draws the latent map."),
    Field("activation", "Activation", "select", "relu", options=ACTIVATIONS, key="act",
          target="model.activation", row="k"),
    Field("output", "Output activation", "select", "sigmoid", options=OUTPUTS, key="out",
          labels={"sigmoid": "sigmoid", "tanh": "tanh (data scaled to [-1, 1])",
                  "linear": "linear (none)"},
          target="model.output", row="k",
          help="The decoder's last activation. Binary cross-entropy needs the sigmoid."),
    # ``hidden`` is made from these: the conv channel counts, or the first ``layers`` widths
    *(_channels(i) for i in range(2)),
    Field("upsample", "Upsampling", "radio", "nearest", options=UPSAMPLES, key="up",
          labels={"nearest": "upsample + conv", "transpose": "ConvTranspose2d"},
          target="model.upsample", when=lambda v: v["_conv"],
          help="How the conv decoder doubles its size: nearest-neighbour upsampling then a "
               "convolution, or a transposed convolution (Keras' Conv2DTranspose)."),
    Field("layers", "Hidden layers (each side of the code)", "slider", 2, lo=1, hi=3,
          when=_dense),
    *(_width(i) for i in range(3)),
    *(_layer_act(i) for i in range(3)),
    Field("dropout", "Dropout", "slider", 0.0, lo=0.0, hi=0.5, step=0.05, key="drop",
          target="model.dropout",
          help="While training, each hidden unit is dropped with this probability."),
    Field("loss", "Reconstruction loss", "radio", "bce", options=LOSSES, target="train.loss",
          labels={"bce": "binary cross-entropy", "mse": "mean squared error"}, section="loss"),
    Field("epochs", "Epochs", "int", 5, lo=1, hi=_limit("max_epochs", 200), step=1,
          target="train.epochs", row="epochs", section="train"),
    Field("subset", "Training images", "int", 10_000, lo=100,
          hi=_limit("max_subset", N_TRAIN, cap=N_TRAIN), step=500, target="train.subset",
          row="epochs", section="train",
          help="Up to {hi:,} MNIST digits; 2,000 more are held out for the validation curve."),
    Field("batch_size", "Batch size", "select_slider", 128, options=BATCHES, key="batch",
          target="train.batch_size", row="batch", section="train"),
    Field("lr", "Learning rate", "select_slider", 1e-3, options=RATES, target="train.lr",
          row="batch", section="train"),
    Field("seed", "Seed", "int", 0, lo=0, hi=1_000_000, step=1, target="train.seed", row="batch",
          section="train"),
    Field("optimizer", "Optimiser", "select", "adam", options=tuple(OPTIMIZERS),
          labels={k: r.label for k, r in OPTIMIZERS.items()}, key="opt", param="opt",
          target="train.optimizer", row="optim", section="train",
          help="How each step moves the weights; the page shows the update rule."),
    Field("momentum", "Momentum mu", "slider", 0.9, lo=0.0, hi=0.99, step=0.01, key="mom",
          param="momentum", target="train.momentum", row="optim", section="train",
          when=lambda v: v.get("optimizer") in ("sgd", "rmsprop")),
    Field("schedule", "Learning-rate schedule", "select", "cosine", options=tuple(SCHEDULES),
          labels={k: r.label for k, r in SCHEDULES.items()}, key="sched", param="schedule",
          target="train.schedule", row="optim", section="train"),
    # the Train page trains on the CPU (aecore.jobs): bf16 autocast where the probe measured it
    # faster, found when the form is first drawn (not at import: the probe takes a moment);
    # the CLI and the presets train in fp32, like every shipped recipe
    Field("precision", "Precision", "radio", "fp32",
          form_default=lambda: "bf16" if bf16_fast("cpu") else "fp32",
          options=PRECISIONS, labels=PRECISION_LABELS, key="prec", param="precision",
          target="train.precision",
          section="train",
          help="bf16: the forward pass in bfloat16, weights and losses in float32. About 1.3x "
               "faster on CPUs with AVX-512 BF16 or AMX (the default there), slower elsewhere. "
               "The same seed gives slightly different weights in each precision."),
)
_COMMON_BY_NAME = {f.name: f for f in COMMON}

# make_configs' defaults for the shared settings (``hidden`` stands for layers and widths,
# ``activations`` for the per-layer activations a0.., () = the shared activation everywhere)
DEFAULTS: dict[str, Any] = {
    **{f.name: f.default for f in COMMON if f.target}, "hidden": (),  # () = the form's widths
    "activations": ()}


def shown(t: ModelType, f: Field, values: Mapping[str, Any]) -> bool:
    """Whether the form draws ``f`` given the values drawn before it (widths or channels, and
    only the first ``layers`` widths); never one the type hides."""
    if f.name in t.hides:
        return False
    return f.when is None or f.when({**values, "_conv": t.conv(values)})


def form_fields(t: ModelType) -> list[Field]:
    """Every field of type ``t`` in the order the Train page draws them: the type's "top"
    fields, the shared model fields, the type's own, the loss, then training."""
    own = {s: [f for f in t.fields if f.section == s] for s in ("top", "model", "train")}
    common = {s: [f for f in COMMON if f.section == s] for s in ("model", "loss", "train")}
    return [*own["top"], *common["model"], *own["model"], *common["loss"], *common["train"],
            *own["train"]]


def hidden_of(t: ModelType, values: Mapping[str, Any]) -> tuple[int, ...]:
    """``hidden`` from the form's values: the two conv channel counts, or ``layers`` widths."""
    if t.conv(values):
        return tuple(int(values[f"c{i}"]) for i in range(2))
    # a type that hides ``layers`` has one width (the sequence AE's recurrent width)
    return tuple(int(values[f"w{i}"]) for i in range(int(values.get("layers", 1))))


def activations_of(t: ModelType, values: Mapping[str, Any]) -> tuple[str, ...]:
    """``activations`` from the form's values: () where every hidden layer keeps the shared
    activation (or the model is a conv AE), else one name per hidden layer, "same" read as the
    shared ``activation``."""
    if t.conv(values) or "activation" in t.hides:  # the sequence AE: its cells' own
        return ()
    names = [values.get(f"a{i}", SAME) for i in range(int(values.get("layers", 1)))]
    if all(n == SAME for n in names):
        return ()
    return tuple(values["activation"] if n == SAME else n for n in names)


def settings_of_values(t: ModelType, values: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`make_configs` settings from the Train form's values (widths folded into ``hidden``,
    the per-layer activations into ``activations``)."""
    skip = {"layers", "w0", "w1", "w2", "c0", "c1", "a0", "a1", "a2"}
    out = {k: v for k, v in values.items() if k not in skip and not k.startswith("_")}
    out["hidden"] = hidden_of(t, values)
    out["activations"] = activations_of(t, values)
    return out


# the types

DENOISE_NOISES = ("gaussian", "salt_pepper", "masking", "speckle", "mixed")
NOISES = {**NOISE_LABELS, "mixed": "Mixed (random kind and level up to the maximum)"}


def max_noise_level(noise: str) -> float:
    """Largest sensible level for a noise kind (speckle's sigma may exceed 1; mixed draws up to 1)."""
    return MAX_LEVEL.get(noise, 1.0)


def _check_denoising(s: Mapping[str, Any]) -> None:
    if s["base"] not in ("dense", "conv"):
        raise ConfigError(f"a denoising AE is built on a dense or a conv AE, not {s['base']!r}")
    if s["noise"] not in DENOISE_NOISES:
        raise ConfigError(f"noise must be one of {', '.join(DENOISE_NOISES)}; got {s['noise']!r}")
    level, top = s["noise_level"], max_noise_level(s["noise"])
    if not isinstance(level, (int, float)) or not (0 < level <= top):
        raise ConfigError(f"a denoising AE needs a noise level above 0 and at most {top:g} "
                          f"for {s['noise']} noise; got {level!r}")


def _sparse(penalty: str, label: str, summary: str, weight: float) -> ModelType:
    rho = (Field("rho", "Target activation rho", "slider", 0.05, lo=0.01, hi=0.5, step=0.01,
                 target="model.rho", row="sparse"),) if penalty == "kl" else ()
    return ModelType(
        f"sparse_{penalty}", label, summary, SparseAEConfig, fixed={"penalty": penalty},
        fields=(Field("sparsity_weight", "Sparsity weight", "float", weight, lo=0.0, hi=10.0,
                      step=0.001, fmt="%.3f", key="sw", param="sparsity", target="model.weight",
                      row="sparse"), *rho))


for _t in (
    ModelType("dense", "Dense AE", "Fully connected encoder and decoder around a code of k numbers.",
              AEConfig),
    ModelType("conv", "Convolutional AE", "Strided convolutions down to 7x7, a dense code of k, "
                                          "and upsampling convolutions back to 28x28.", ConvAEConfig),
    ModelType(
        "denoising", "Denoising AE", "A dense or conv AE fed corrupted digits and asked for the "
                                     "clean ones.",
        config=lambda s: ConvAEConfig if s.get("base") == "conv" else AEConfig,
        fields=(
            Field("base", "Built on", "radio", "dense", options=("dense", "conv"), section="top",
                  labels={"dense": "dense AE", "conv": "conv AE"}),
            Field("noise", "Noise", "select", "gaussian", options=tuple(NOISES), labels=NOISES,
                  target="train.noise", row="noise"),
            Field("noise_level", "Noise level", "slider", 0.5, lo=0.0,
                  hi=lambda v, limits: max_noise_level(v["noise"]), step=0.05, key="level",
                  target="train.noise_level", row="noise",
                  help="Gaussian/speckle: standard deviation; salt-and-pepper and masking: "
                       "fraction of pixels; mixed: the largest level drawn.")),
        matches=lambda m, t: t.noise != "none" and type(m) in (AEConfig, ConvAEConfig),
        check=_check_denoising),
    _sparse("l1", "Sparse AE (L1)", "An L1 penalty keeps most code units at zero.", 0.05),
    _sparse("kl", "Sparse AE (KL)", "A KL penalty pulls each unit's mean activation to a small "
                                    "target rho.", 0.01),
    ModelType("contractive", "Contractive AE", "A penalty on the encoder's Jacobian: codes move "
                                               "little when the input moves a little.",
              ContractiveAEConfig,
              fields=(Field("contraction_weight", "Contraction weight", "float", 0.1, lo=0.0,
                            hi=10.0, step=0.01, fmt="%.3f", key="cw", param="contraction",
                            target="model.weight"),)),
    *(ModelType(name, label, summary, cfg,
                fields=(Field("beta", "beta (1 = plain VAE)", "slider", 1.0, lo=0.0, hi=10.0,
                              step=0.1, target="model.beta"),))
      for name, label, summary, cfg in (
          ("vae", "VAE / beta-VAE", "A probabilistic code: reconstruction plus beta times a KL "
                                    "pull towards N(0, I).", VAEConfig),
          ("cvae", "Conditional VAE", "A VAE that is also told the digit's label.", CVAEConfig))),
    ModelType("stacked", "Stacked AE", "Pretrained greedily one layer pair at a time, then "
                                       "fine-tuned end to end.", StackedAEConfig,
              fields=(Field("pretrain_epochs", "Pretraining epochs per layer", "int", 1, lo=0,
                            hi=5, step=1, key="pre", param="pretrain",
                            target="model.pretrain_epochs"),)),
    # the sensor demo's recurrent AE: LSTM or GRU cells, one recurrent width (w0), trained on
    # the generated normal sensor windows (aecore.sensors) with mean squared error on values
    ModelType("sequence", "Sequence AE (LSTM / GRU) on sensor signals",
              "A recurrent encoder reads a window of 64 steps of 4 sensor signals into a code of "
              "k; a recurrent decoder unrolls it back. Trained on normal windows only.",
              SeqAEConfig, train_fixed={"dataset": "sensors", "loss": "mse", "subset": 0},
              hides=("activation", "a0", "a1", "a2", "output", "dropout", "layers", "loss",
                     "subset"),
              fields=(Field("cell", "Recurrent cell", "radio", "lstm", options=("lstm", "gru"),
                            labels={"lstm": "LSTM", "gru": "GRU"}, target="model.cell",
                            section="top",
                            help="LSTM: a cell state beside the hidden state, three gates. GRU: "
                                 "no cell state, two gates, about a quarter fewer weights."),)),
):
    register_type(_t)


# settings <-> configs

def _type(type_name: str) -> ModelType:
    if type_name not in TYPES:
        raise ConfigError(f"unknown autoencoder type {type_name!r}; choose one of {', '.join(TYPES)}")
    return TYPES[type_name]


def make_configs(type_name: str, **settings: Any) -> tuple[Any, TrainConfig]:
    """The (model config, train config) for a Train-page type and its settings.

    ``settings`` are :data:`DEFAULTS`' keys (the shared settings, ``hidden`` for the dense widths
    or the two conv channel counts) and any type's own field names; missing ones take their
    defaults, unknown ones are an error, and another type's settings are ignored (a dense AE
    ignores ``beta``). Raises :class:`ConfigError` with a message fit for a user.
    """
    t = _type(type_name)
    known = set(DEFAULTS) | {f.name for ty in TYPES.values() for f in ty.fields}
    unknown = set(settings) - known
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    s = {**DEFAULTS, **{f.name: f.default for f in t.fields}, **settings}
    if t.check is not None:
        t.check(s)
    # no ``hidden`` given: the form's default widths (dense) or channels (conv)
    hidden = settings.get("hidden") or hidden_of(t, {**{f.name: f.default for f in COMMON
                                                        if f.name not in t.hides}, **s})
    acts = s["activations"]
    model_kw: dict[str, Any] = {"hidden": tuple(int(h) for h in hidden)
                                if isinstance(hidden, (list, tuple)) else hidden,
                                "activations": tuple(acts) if isinstance(acts, list) else acts,
                                **t.fixed}
    train_kw: dict[str, Any] = {}
    for f in (*COMMON, *t.fields):
        where, _, attr = f.target.partition(".")
        if where:
            (model_kw if where == "model" else train_kw)[attr] = s[f.name]
    if "noise_level" in train_kw:
        train_kw["noise_level"] = float(train_kw["noise_level"])
    train_kw.update(t.train_fixed)
    cls = t.config_for(s)
    own = {f.name for f in dataclasses.fields(cls)}  # a conv-only setting is not a dense AE's
    model_cfg = cls(**{k: v for k, v in model_kw.items() if k in own})
    train_cfg = TrainConfig(**train_kw)
    check_output_loss(getattr(model_cfg, "output", "linear"), train_cfg.loss)
    return model_cfg, train_cfg


def type_of(model_cfg: Any, train_cfg: TrainConfig) -> str:
    """The Train-page type name of a config pair (the inverse of :func:`make_configs`): a type
    with its own ``matches`` wins over one that matches by config class."""
    own = [t for t in TYPES.values() if t.matches is not None and t.is_type_of(model_cfg, train_cfg)]
    plain = [t for t in TYPES.values() if t.matches is None and t.is_type_of(model_cfg, train_cfg)]
    for t in (*own, *plain):
        return t.name
    raise ConfigError(f"the Train page cannot train a {type(model_cfg).kind!r} model")


def preset_settings(preset: Any) -> tuple[str, dict[str, Any]]:
    """``(type_name, settings)`` that :func:`make_configs` turns back into ``preset``'s configs
    (``preset`` has ``.model`` and ``.train``: an :class:`aecore.presets.Preset`)."""
    m, tr = preset.model, preset.train
    t = TYPES[type_of(m, tr)]
    s: dict[str, Any] = {f.name: f.read(m, tr) for f in COMMON if f.target}
    s.update(hidden=tuple(m.hidden), activations=tuple(getattr(m, "activations", ())))
    for f in t.fields:
        s[f.name] = f.read(m, tr) if f.target else type(m).kind  # "" target: the kind (base)
    return t.name, s


def form_values(preset: Any) -> tuple[str, dict[str, Any]]:
    """``(type_name, {field name: value})`` that fill the Train form with ``preset``: the
    widths spread over ``layers``/``w0``.. or ``c0``/``c1``; a subset of 0 (all) is every
    training image."""
    type_name, s = preset_settings(preset)
    t = TYPES[type_name]
    values = {k: v for k, v in s.items() if k not in ("hidden", "activations")}
    hidden, acts = s["hidden"], s["activations"]
    if t.conv(s):
        values.update({f"c{i}": int(w) for i, w in enumerate(hidden)})
    else:
        values["layers"] = len(hidden)
        values.update({f"w{i}": int(w) for i, w in enumerate(hidden)})
        # every per-layer select, so a preset without them resets what the form showed
        values.update({f"a{i}": acts[i] if i < len(acts) else SAME for i in range(3)})
    values["subset"] = int(values["subset"]) or N_TRAIN
    return type_name, values


def total_epochs(model_cfg: Any, train_cfg: TrainConfig) -> int:
    """Epochs a run will take, counting a stacked AE's greedy pretraining (one stage per layer
    pair: len(hidden) + 1 stages)."""
    pre = getattr(model_cfg, "pretrain_epochs", 0) or 0
    stages = len(model_cfg.hidden) + 1 if isinstance(model_cfg, StackedAEConfig) else 0
    return train_cfg.epochs + pre * stages
