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
from typing import Any, Callable

import torch

from .config import TrainConfig
from .data import load_split
from .device import pick_device
from .errors import ConfigError
from .models import Autoencoder
from .noise import add_noise

SENSOR_WINDOWS = 6000  # normal-behaviour windows generated for a sequence AE (subset caps it)
# data sets beyond images and sensors: name -> module with prepare(model, cfg) -> TrainData and
# evaluate(model, dataset, n) -> card metrics (imported when used)
DATA_SOURCES = {"transactions": "aecore.tabular", "breast_cancer": "aecore.tabular",
                "csv": "aecore.tabular", "words": "aecore.text", "sentences": "aecore.text"}


@dataclass(frozen=True)
class TrainData:
    """Training and validation inputs held in memory.

    Images stay uint8 (N, 28, 28) until a batch is sliced (4x less memory, and the float
    conversion of one batch is cheap); series are float (N, T, C).
    """

    x: torch.Tensor
    y: torch.Tensor | None
    val_x: torch.Tensor
    val_y: torch.Tensor | None

    def batch(self, idx: torch.Tensor | slice, val: bool = False):
        """Float inputs and labels of rows ``idx``: images (B, 1, 28, 28) in [0, 1]."""
        x = (self.val_x if val else self.x)[idx]
        y = (self.val_y if val else self.y)
        y = None if y is None else y[idx]
        if x.dtype == torch.uint8:
            x = x.unsqueeze(1).float().div_(255.0)
        return x, y

    def to(self, device: torch.device) -> "TrainData":
        mv = lambda t: None if t is None else t.to(device)  # noqa: E731
        return TrainData(mv(self.x), mv(self.y), mv(self.val_x), mv(self.val_y))


def prepare_data(model: Autoencoder, cfg: TrainConfig) -> TrainData:
    """The training data a config asks for: a seeded split of MNIST (or Fashion-MNIST) train
    into train / validation, optionally cut to ``cfg.subset``; or normal sensor windows."""
    gen = torch.Generator().manual_seed(cfg.seed)
    if cfg.dataset in DATA_SOURCES:
        import importlib
        return importlib.import_module(DATA_SOURCES[cfg.dataset]).prepare(model, cfg)
    if model.data_kind not in ("image", "series"):
        raise ConfigError(f"a {type(model.cfg).kind} model trains on one of "
                          f"{', '.join(DATA_SOURCES)}, not {cfg.dataset}")
    if model.data_kind == "series":
        from .sensors import sensor_dataset
        n = cfg.subset or SENSOR_WINDOWS
        mc = model.cfg
        train = sensor_dataset(n, window=mc.seq_len, channels=mc.channels, seed=cfg.seed)
        val = sensor_dataset(max(cfg.val_size // 4, 64), window=mc.seq_len, channels=mc.channels,
                             seed=cfg.seed + 10_000)
        return TrainData(train.x, None, val.x, None)
    if cfg.dataset == "sensors":
        raise ConfigError("the sensor data set trains only the sequence AE")
    split = load_split("train", cfg.dataset)
    perm = torch.randperm(len(split), generator=gen)
    val_idx, tr_idx = perm[: cfg.val_size], perm[cfg.val_size:]
    if cfg.subset:
        tr_idx = tr_idx[: cfg.subset]
    return TrainData(split.images[tr_idx], split.labels[tr_idx],
                     split.images[val_idx], split.labels[val_idx])


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


def _optimizer(params: list[torch.nn.Parameter], cfg: TrainConfig, device: torch.device):
    kw: dict[str, Any] = dict(lr=cfg.lr, weight_decay=cfg.weight_decay)
    try:  # fused Adam: one kernel for all parameters (CPU support since torch 2.4)
        return torch.optim.Adam(params, fused=True, **kw)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, foreach=True, **kw)


def _lr_at(cfg: TrainConfig, t: int, total: int) -> float:
    if cfg.schedule == "constant":
        return cfg.lr
    # cosine decay to 5% of the peak: better final loss than a constant rate, no extra knob
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(t / max(total, 1), 1.0))))


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
    torch.set_flush_denormal(True)  # denormals in late training slow CPU matmuls many-fold
    try:
        return _train_loop(model, cfg, data, callbacks, device)
    finally:
        torch.set_flush_denormal(False)  # per thread: leave the caller's float mode as it was


def _train_loop(model: Autoencoder, cfg: TrainConfig, data: TrainData | None,
                callbacks: Callbacks | None, device: torch.device | str | None) -> History:
    cb = callbacks or Callbacks()
    dev = torch.device(device) if device is not None else pick_device()
    data = (data or prepare_data(model, cfg)).to(dev)
    n = data.x.shape[0]
    if n == 0:
        raise ConfigError("no training data: the subset is empty")
    if hasattr(model, "fit_data"):  # a model that learns from the data before training (scaling)
        model.to(dev).fit_data(data.x)
    gen = torch.Generator(device=dev).manual_seed(cfg.seed)
    model.to(dev).train()
    bf16 = cfg.precision == "bf16"

    # phases: (name, epochs, parameters, loss(x_in, x, y) -> (loss, parts))
    def full_loss(x_in, x, y):
        return model.loss(x_in, x, y, cfg.loss, gen)

    phases: list[tuple[str, int, list, Callable]] = []
    stages = getattr(model, "n_stages", 0)
    pre = getattr(model.cfg, "pretrain_epochs", 0)
    for s in range(stages if pre else 0):
        stage_fn = (lambda s: lambda x_in, x, y: (model.stage_loss(s, x_in, cfg.loss), {}))(s)
        phases.append((f"pretrain layer {s + 1}", pre, model.stage_parameters(s), stage_fn))
    phases.append(("train", cfg.epochs, list(model.parameters()), full_loss))

    steps_per_epoch = math.ceil(n / cfg.batch_size)
    total_epochs = sum(p[1] for p in phases)
    total_steps = total_epochs * steps_per_epoch
    hist = History(device=str(dev))
    best_val, best_state = math.inf, None
    t0 = time.perf_counter()
    global_step, epoch_no = 0, 0

    for phase, n_epochs, params, loss_fn in phases:
        opt = _optimizer(params, cfg, dev)
        phase_steps, t_phase = n_epochs * steps_per_epoch, 0
        for _ in range(n_epochs):
            epoch_no += 1
            t_ep = time.perf_counter()
            perm = torch.randperm(n, generator=gen, device=dev)
            loss_sum, parts_sum = torch.zeros((), device=dev), {}  # summed on the device: no sync a step
            for step in range(steps_per_epoch):
                if cb.should_stop is not None and cb.should_stop():
                    hist.cancelled = True
                    break
                idx = perm[step * cfg.batch_size:(step + 1) * cfg.batch_size]
                x, y = data.batch(idx)  # x (B, 1, 28, 28) float, or (B, T, C) series
                x_in = add_noise(x, cfg.noise, cfg.noise_level, gen) if cfg.noise != "none" else x
                if cfg.schedule != "constant":
                    for g in opt.param_groups:
                        g["lr"] = _lr_at(cfg, t_phase, phase_steps)
                with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
                    loss, parts = loss_fn(x_in, x, y)  # the losses themselves are fp32
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                t_phase += 1
                global_step += 1
                loss_sum += loss.detach()
                for k, v in parts.items():
                    parts_sum[k] = parts_sum.get(k, 0.0) + v
                if cb.on_step is not None:
                    cb.on_step(Progress(phase, epoch_no, total_epochs, step + 1, steps_per_epoch,
                                        global_step, total_steps, loss.item(),
                                        time.perf_counter() - t0))
            if hist.cancelled:
                break
            val = validation_loss(model, data, cfg) if phase == "train" else float("nan")
            rec = {"phase": phase, "epoch": epoch_no, "train_loss": loss_sum.item() / steps_per_epoch,
                   "val_loss": val, "seconds": time.perf_counter() - t_ep,
                   "parts": {k: float(v) / steps_per_epoch for k, v in parts_sum.items()}}
            hist.epochs.append(rec)
            if phase == "train":
                score = val if not math.isnan(val) else rec["train_loss"]
                if score < best_val:
                    best_val, hist.best_epoch = score, epoch_no
                    best_state = copy.deepcopy(model.state_dict())
            if cb.on_epoch is not None:
                model.eval()
                cb.on_epoch(Progress(phase, epoch_no, total_epochs, steps_per_epoch, steps_per_epoch,
                                     global_step, total_steps, rec["train_loss"],
                                     time.perf_counter() - t0), rec, model)
                model.train()
        if hist.cancelled:
            break

    if hist.cancelled and best_state is not None:
        model.load_state_dict(best_state)  # keep the best validated epoch, not a half epoch
    hist.seconds = time.perf_counter() - t0
    model.to("cpu").eval()
    return hist
