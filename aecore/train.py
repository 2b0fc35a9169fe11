"""One training loop for every model type, shared by the CLI, the zoo recipes and the app.

Fast on a CPU: the whole training split lives in memory as one uint8 tensor and each batch is a
slice by a random permutation (no per-sample DataLoader or transforms), Adam is fused, BCE works
on logits, and denormal floats are flushed. The loop knows nothing about the UI: the caller passes
callbacks for progress, cancellation and per-epoch snapshots.

Where an epoch goes (torch.profiler, the 784-400-20 VAE, batch 128, 2 cores): about half in the
matmuls (forward addmm + backward mm), 10-13% in fused Adam (one pass over the 0.66 M weights and
both moments per step), 12% in BCE, the rest in small element-wise ops and Python. A larger batch
raises matmul efficiency and halves the optimizer passes; the benchmarks state where they use one
(with a scaled learning rate, at the same test loss). Per step the loop itself adds no sync: the
loss is summed as a tensor and read once per epoch, unless an ``on_step`` callback asks for it.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch

from .config import TrainConfig
from .data import as_float, load_split
from .device import pick_device
from .errors import ConfigError
from .models import Autoencoder
from .losses import check_output_loss
from .noise import add_noise
from .optim import lr_at, make_optimizer

# data sets beyond images and sensors: name -> module with prepare(model, cfg) -> TrainData and
# evaluate(model, dataset, n) -> card metrics (imported when used)
DATA_SOURCES = {"transactions": "aecore.tabular", "breast_cancer": "aecore.tabular",
                "csv": "aecore.tabular", "words": "aecore.text", "sentences": "aecore.text",
                "speech": "aecore.sound_ae"}


@dataclass(frozen=True)
class TrainData:
    """Training and validation inputs held in memory.

    Images stay uint8 (N, H, W) or (N, C, H, W) until a batch is sliced (4x less memory, and the float
    conversion of one batch is cheap); series are float (N, T, C).
    """

    x: torch.Tensor
    y: torch.Tensor | None
    val_x: torch.Tensor
    val_y: torch.Tensor | None

    def batch(self, idx: torch.Tensor | slice, val: bool = False):
        """Float inputs and labels of rows ``idx``: images (B, C, H, W) in [0, 1] (photo
        patches are stored (N, C, P, P))."""
        x = (self.val_x if val else self.x)[idx]
        y = (self.val_y if val else self.y)
        y = None if y is None else y[idx]
        if x.dtype == torch.uint8:
            x = as_float(x)
        return x, y

    def to(self, device: torch.device) -> "TrainData":
        mv = lambda t: None if t is None else t.to(device)  # noqa: E731
        return TrainData(mv(self.x), mv(self.y), mv(self.val_x), mv(self.val_y))


def prepare_data(model: Autoencoder, cfg: TrainConfig) -> TrainData:
    """The training data a config asks for: a seeded split of its data set's training split
    (:mod:`aecore.datasets`) into train / validation, optionally cut to ``cfg.subset``; or normal
    sensor windows. A model whose input shape or kind does not fit the set is a ConfigError."""
    gen = torch.Generator().manual_seed(cfg.seed)
    if cfg.dataset in DATA_SOURCES:
        import importlib
        return importlib.import_module(DATA_SOURCES[cfg.dataset]).prepare(model, cfg)
    if model.data_kind not in ("image", "series", "photo"):
        raise ConfigError(f"a {type(model.cfg).kind} model trains on one of "
                          f"{', '.join(DATA_SOURCES)}, not {cfg.dataset}")
    if model.data_kind == "series":
        from .sensors import SENSOR_WINDOWS, sensor_dataset
        n = cfg.subset or SENSOR_WINDOWS
        mc = model.cfg
        train = sensor_dataset(n, window=mc.seq_len, channels=mc.channels, seed=cfg.seed)
        val = sensor_dataset(max(cfg.val_size // 4, 64), window=mc.seq_len, channels=mc.channels,
                             seed=cfg.seed + 10_000)
        return TrainData(train.x, None, val.x, None)
    if model.data_kind == "photo":  # patches of the training photos, or synthetic pages
        from .photo import photo_train_data
        return photo_train_data(model.cfg, cfg)
    if cfg.dataset == "sensors":
        raise ConfigError("the sensor data set trains only the sequence AE")
    check_fits(model, cfg.dataset)
    split = load_split("train", cfg.dataset)
    perm = torch.randperm(len(split), generator=gen)
    n_val = min(cfg.val_size, len(split) // 5)  # a small set keeps four fifths for training
    val_idx, tr_idx = perm[:n_val], perm[n_val:]
    if cfg.subset:
        tr_idx = tr_idx[: cfg.subset]
    return TrainData(split.images[tr_idx], split.labels[tr_idx],
                     split.images[val_idx], split.labels[val_idx])


def check_fits(model: Autoencoder, dataset: str) -> None:
    """Raise :class:`ConfigError` unless ``model`` can train on ``dataset`` (its kind and shape)."""
    from .datasets import get_dataset
    d = get_dataset(dataset)
    kind = type(model.cfg).kind
    if not d.fits(kind, model.conditional):
        why = "it has no class labels" if model.conditional and not d.classes else \
            f"it fits: {', '.join(d.kinds or ())}"
        raise ConfigError(f"a {kind} model does not fit {d.label} ({why})")
    if tuple(model.in_shape) != d.shape:
        shape = "x".join(map(str, model.in_shape))
        raise ConfigError(f"this model takes {shape} inputs; {d.label} has "
                          f"{'x'.join(map(str, d.shape))} (set the config's shape to the data set's)")


@dataclass(frozen=True)
class Progress:
    """Where a training run is, passed to ``on_step`` and ``on_epoch``."""

    phase: str
    epoch: int            # 1-based, counting every phase
    total_epochs: int
    step: int             # 1-based within the epoch
    steps_per_epoch: int
    global_step: int
    total_steps: int
    loss: float           # this batch's (on_step) or the epoch mean (on_epoch)
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return self.global_step / max(self.total_steps, 1)

    @property
    def eta_s(self) -> float:
        f = self.fraction
        return self.elapsed_s * (1 - f) / f if f > 0 else float("nan")


@dataclass
class Callbacks:
    """Hooks into the loop; all optional. ``should_stop`` is polled every step."""

    on_step: Callable[[Progress], None] | None = None
    on_epoch: Callable[[Progress, dict, Autoencoder], None] | None = None  # (progress, record, model)
    should_stop: Callable[[], bool] | None = None


@dataclass
class History:
    """What a run did: one record per epoch ({phase, epoch, train_loss, val_loss, parts, seconds})."""

    epochs: list[dict] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    best_epoch: int | None = None
    device: str = "cpu"

    def curve(self, key: str = "train_loss", phase: str | None = "train") -> list[float]:
        """One value per epoch of ``phase`` (None: every phase)."""
        return [e[key] for e in self.epochs if phase is None or e["phase"] == phase]

    def card_curve(self) -> dict[str, list]:
        """The run's loss curves for its card (what the Compare page overlays): per epoch of the
        final phase, the training and validation loss (None where not measured) and the
        seconds since the start, every phase's epochs counted."""
        out: dict[str, list] = {"epoch": [], "train_loss": [], "val_loss": [], "seconds": []}
        elapsed = 0.0
        for e in self.epochs:
            elapsed += e["seconds"]
            if e["phase"] != "train":
                continue
            out["epoch"].append(e["epoch"])
            out["train_loss"].append(round(e["train_loss"], 6))
            out["val_loss"].append(None if math.isnan(e["val_loss"]) else round(e["val_loss"], 6))
            out["seconds"].append(round(elapsed, 2))
        return out


@torch.no_grad()
def validation_loss(model: Autoencoder, data: TrainData, cfg: TrainConfig, chunk: int = 1000) -> float:
    """Mean training objective on the validation split (clean inputs, fixed noise seed)."""
    n = data.val_x.shape[0]
    if n == 0:
        return float("nan")
    was_training = model.training
    model.eval()
    gen = torch.Generator(device=data.val_x.device).manual_seed(cfg.seed + 1)
    total = 0.0
    for i in range(0, n, chunk):
        x, y = data.batch(slice(i, i + chunk), val=True)
        x_in = add_noise(x, cfg.noise, cfg.noise_level, gen) if cfg.noise != "none" else x
        loss, _ = model.loss(x_in, x, y, cfg.loss, gen)
        total += loss.item() * x.shape[0]
    model.train(was_training)
    return total / n


def train(model: Autoencoder, cfg: TrainConfig, data: TrainData | None = None,
          callbacks: Callbacks | None = None, device: torch.device | str | None = None) -> History:
    """Train ``model`` in place by ``cfg`` and return its :class:`History`.

    Deterministic for a seed on a given device and thread count: the permutation, the noise and
    the VAE's samples all come from one ``torch.Generator``. A stacked AE first runs its greedy
    stages (``pretrain_epochs`` each), then fine-tunes. If ``should_stop`` returns True the loop
    stops within a step and the model keeps the weights of its best validated epoch so far.
    The model ends on the CPU in eval mode.
    """
    check_output_loss(model.output, cfg.loss)  # before any work: a clear message, not a step's
    torch.set_flush_denormal(True)  # denormals in late training slow CPU matmuls many-fold
    try:
        # dropout draws its masks from torch's global generator: seeded here, the caller's
        # random state restored after
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            return _train_loop(model, cfg, data, callbacks, device)
    finally:
        torch.set_flush_denormal(False)  # per thread: leave the caller's float mode as it was


# a phase: (name, epochs, parameters, loss(x_in, x, y) -> (loss, parts))
Phase = tuple[str, int, list, Callable]


def _phases(model: Autoencoder, cfg: TrainConfig, gen: torch.Generator) -> list[Phase]:
    """A stacked AE's greedy stages (``pretrain_epochs`` each, when set), then the whole model."""
    def full_loss(x_in, x, y):
        return model.loss(x_in, x, y, cfg.loss, gen)

    phases: list[Phase] = []
    stages = getattr(model, "n_stages", 0)
    pre = getattr(model.cfg, "pretrain_epochs", 0)
    for s in range(stages if pre else 0):
        stage_fn = (lambda s: lambda x_in, x, y: (model.stage_loss(s, x_in, cfg.loss), {}))(s)
        phases.append((f"pretrain layer {s + 1}", pre, model.stage_parameters(s), stage_fn))
    phases.append(("train", cfg.epochs, list(model.parameters()), full_loss))
    return phases


@dataclass
class _Run:
    """What one training carries from epoch to epoch."""
    model: Autoencoder
    cfg: TrainConfig
    data: TrainData
    cb: Callbacks
    dev: torch.device
    gen: torch.Generator
    steps_per_epoch: int
    total_epochs: int
    hist: History
    t0: float = field(default_factory=time.perf_counter)
    global_step: int = 0
    epoch_no: int = 0
    best_val: float = math.inf
    best_state: dict | None = None

    @property
    def total_steps(self) -> int:
        return self.total_epochs * self.steps_per_epoch


def _train_loop(model: Autoencoder, cfg: TrainConfig, data: TrainData | None,
                callbacks: Callbacks | None, device: torch.device | str | None) -> History:
    dev = torch.device(device) if device is not None else pick_device()
    data = (data or prepare_data(model, cfg)).to(dev)
    n = data.x.shape[0]
    if n == 0:
        raise ConfigError("no training data: the subset is empty")
    if hasattr(model, "fit_data"):  # a model that learns from the data before training (scaling)
        model.to(dev).fit_data(data.x)
    gen = torch.Generator(device=dev).manual_seed(cfg.seed)
    model.to(dev).train()
    phases = _phases(model, cfg, gen)
    run = _Run(model, cfg, data, callbacks or Callbacks(), dev, gen,
               steps_per_epoch=math.ceil(n / cfg.batch_size),
               total_epochs=sum(p[1] for p in phases), hist=History(device=str(dev)))
    for phase, n_epochs, params, loss_fn in phases:
        opt = make_optimizer(params, cfg)
        for i in range(n_epochs):
            run.epoch_no += 1
            t_ep = time.perf_counter()
            sums = _epoch(run, phase, opt, loss_fn, i * run.steps_per_epoch,
                          n_epochs * run.steps_per_epoch)
            if run.hist.cancelled:
                break
            _end_epoch(run, phase, *sums, t_ep)
        if run.hist.cancelled:
            break
    if run.hist.cancelled and run.best_state is not None:
        model.load_state_dict(run.best_state)  # keep the best validated epoch, not a half epoch
    run.hist.seconds = time.perf_counter() - run.t0
    model.to("cpu").eval()
    return run.hist


def _epoch(run: _Run, phase: str, opt: torch.optim.Optimizer, loss_fn: Callable, t_phase: int,
           phase_steps: int) -> tuple[torch.Tensor, dict]:
    """One pass over a fresh permutation of the data; (summed loss, summed parts). Stops within
    a step when ``should_stop`` says so (``hist.cancelled``)."""
    cfg, cb, dev, gen, data = run.cfg, run.cb, run.dev, run.gen, run.data
    bf16 = cfg.precision == "bf16"
    perm = torch.randperm(data.x.shape[0], generator=gen, device=dev)
    loss_sum, parts_sum = torch.zeros((), device=dev), {}  # summed on the device: no sync a step
    for step in range(run.steps_per_epoch):
        if cb.should_stop is not None and cb.should_stop():
            run.hist.cancelled = True
            break
        idx = perm[step * cfg.batch_size:(step + 1) * cfg.batch_size]
        x, y = data.batch(idx)  # x (B, 1, 28, 28) float, or (B, T, C) series
        x_in = add_noise(x, cfg.noise, cfg.noise_level, gen) if cfg.noise != "none" else x
        if cfg.schedule != "constant":
            for g in opt.param_groups:
                g["lr"] = lr_at(cfg, t_phase, phase_steps)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            loss, parts = loss_fn(x_in, x, y)  # the losses themselves are fp32
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        t_phase += 1
        run.global_step += 1
        loss_sum += loss.detach()
        for k, v in parts.items():
            parts_sum[k] = parts_sum.get(k, 0.0) + v
        if cb.on_step is not None:
            cb.on_step(Progress(phase, run.epoch_no, run.total_epochs, step + 1,
                                run.steps_per_epoch, run.global_step, run.total_steps,
                                loss.item(), time.perf_counter() - run.t0))
    return loss_sum, parts_sum


def _end_epoch(run: _Run, phase: str, loss_sum: torch.Tensor, parts_sum: dict,
               t_ep: float) -> None:
    """Validate, record the epoch, keep the best weights of the "train" phase, call on_epoch."""
    model, steps = run.model, run.steps_per_epoch
    val = validation_loss(model, run.data, run.cfg) if phase == "train" else float("nan")
    rec = {"phase": phase, "epoch": run.epoch_no, "train_loss": loss_sum.item() / steps,
           "val_loss": val, "seconds": time.perf_counter() - t_ep,
           "parts": {k: float(v) / steps for k, v in parts_sum.items()}}
    run.hist.epochs.append(rec)
    if phase == "train":
        score = val if not math.isnan(val) else rec["train_loss"]
        if score < run.best_val:
            run.best_val, run.hist.best_epoch = score, run.epoch_no
            run.best_state = copy.deepcopy(model.state_dict())
    if run.cb.on_epoch is not None:
        model.eval()
        run.cb.on_epoch(Progress(phase, run.epoch_no, run.total_epochs, steps, steps,
                                 run.global_step, run.total_steps, rec["train_loss"],
                                 time.perf_counter() - run.t0), rec, model)
        model.train()
