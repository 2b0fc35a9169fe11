"""Background trainings for a shared server: a bounded pool, a FIFO queue, jobs the UI polls.

A classroom runs one server for many browsers. :class:`JobManager` runs at most
``max_concurrent`` trainings at once on daemon worker threads; later submissions wait in a FIFO
queue and know their position. A :class:`Job` is plain data a page polls (status, progress,
one history record and one snapshot per epoch, the final model and card); nothing here knows
about Streamlit. ``Job.cancel()`` sets an Event that the training loop polls every step, so a
running training stops within one batch and keeps its best validated epoch.

Threads: torch's intra-op pool is process-global, so the manager bounds it for everyone,
``torch.set_num_threads(max(1, cores // max_concurrent))``, when it starts and again at the start
of each job. Two trainings on two cores then use one thread each instead of fighting over both
(oversubscribed OpenMP threads on a busy machine run several times slower, not a bit slower).
Anything else in the process that calls ``torch.set_num_threads`` changes it for running jobs too
(the app sets this same share once for its own inference: ``startup.runtime``).

Priority: on Linux each worker lowers its own thread's CPU priority (niceness ``TRAIN_NICE``,
which Linux keeps per thread), so on a busy server a page's rerun goes before a training step
and a slider stays quick while the class trains. With one torch thread per job (the default on
2 cores) the training's maths runs on that thread; with more, torch's shared pool is not reniced.

Fair use: the queue holds a class (``AE_QUEUE_MAX``, default 64 waiting), but one owner (a
browser) may have at most ``AE_QUEUE_PER_OWNER`` trainings queued or running (default 2) and one
client address at most ``AE_QUEUE_PER_ADDRESS`` (default 40, a class behind one NAT), so many
tabs, or many cookie-less sessions, cannot fill it. A training whose owner has had no session
for ``AE_ABANDONED_JOB_MIN`` minutes (default 20; :mod:`aecore.presence`) is cancelled: a
running one keeps its best epoch, which its ``on_result`` saves as "interrupted".

Configuration (read once, by :func:`get_manager`): ``AE_MAX_TRAININGS`` (trainings at once,
default 2), ``AE_MAX_EPOCHS`` (default 50) and ``AE_MAX_SUBSET`` (training images, default
60,000) for one browser training, and the fair-use settings above.
"""
from __future__ import annotations

import atexit
import collections
import itertools
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from . import presence
from .config import TrainConfig, config_to_dict, env_number
from .data import load_split
from .errors import AecoreError, ConfigError
from .evaluate import reconstruct_all, to_uint8, vae_test_loss
from .metrics import mse, psnr, ssim, sse
from .models import REGISTRY, Autoencoder, build_model
from .model_types import total_epochs
from .train import Callbacks, Progress, prepare_data, train
from .weight_pictures import first_layer, tile
from .weights import clean_metrics, make_card

N_DIGITS = 8            # reconstructions of these fixed test digits are kept every epoch
N_CODES = 2000          # fixed test sample whose 2-D codes are kept every epoch when k = 2
SNAPSHOT_FILTERS = 32   # first-layer weight pictures kept every epoch (the live weights view)
SAMPLE_SEED = 0         # the 2,000-digit sample is the same for every job, so runs compare


# limits

@dataclass(frozen=True)
class BrowserLimits:
    """Caps on what one browser may ask a shared server to train (tighter than the CLI's).

    ``max_epochs`` counts a stacked AE's pretraining epochs too. Environment overrides:
    ``AE_MAX_EPOCHS``, ``AE_MAX_SUBSET``.
    """

    max_epochs: int = 50
    max_subset: int = 60_000       # training images; the 2,000 validation digits come on top
    max_latent: int = 256
    max_width: int = 1024          # dense widths; conv channels are capped at 128
    max_channels: int = 128
    min_batch: int = 16            # tiny batches make an epoch thousands of Python steps
    max_batch: int = 1024

    @classmethod
    def from_env(cls) -> "BrowserLimits":
        """Defaults, with ``AE_MAX_EPOCHS`` / ``AE_MAX_SUBSET`` applied when set."""
        return cls(max_epochs=env_number("AE_MAX_EPOCHS", cls.max_epochs, 1, 200),
                   max_subset=env_number("AE_MAX_SUBSET", cls.max_subset, 100, 60_000))

    def check(self, model_cfg: Any, train_cfg: TrainConfig) -> None:
        """Raise :class:`ConfigError` if a run asks for more than a browser may."""
        n_ep = total_epochs(model_cfg, train_cfg)
        if n_ep > self.max_epochs:
            extra = " (pretraining epochs per layer count too)" if n_ep != train_cfg.epochs else ""
            raise ConfigError(f"{n_ep} epochs is more than this server allows for one training "
                              f"in the browser ({self.max_epochs}){extra}; train longer runs with "
                              "the command line: python -m aecore train")
        n_images = train_cfg.subset or 60_000 - train_cfg.val_size  # 0 = the whole split
        if n_images > self.max_subset:
            raise ConfigError(f"the training subset must be at most {self.max_subset:,} images "
                              f"here, got {n_images:,}")
        if not self.min_batch <= train_cfg.batch_size <= self.max_batch:
            raise ConfigError(f"the batch size must be between {self.min_batch} and "
                              f"{self.max_batch} here, got {train_cfg.batch_size}")
        seq = getattr(model_cfg, "kind", None) == "seq"
        if train_cfg.dataset == "sensors" and not seq:
            raise ConfigError("the sensor data set trains only the sequence AE")
        if seq and train_cfg.dataset != "sensors":
            raise ConfigError("the sequence AE trains on the sensor signals, not on "
                              f"{train_cfg.dataset}")
        if model_cfg.latent_dim > self.max_latent:
            raise ConfigError(f"the latent size k must be at most {self.max_latent} here, "
                              f"got {model_cfg.latent_dim}")
        top = self.max_channels if type(model_cfg).kind == "conv" else self.max_width
        if max(model_cfg.hidden) > top:
            raise ConfigError(f"layer sizes must be at most {top} here, got {max(model_cfg.hidden)}")


# jobs


@dataclass(frozen=True)
class Snapshot:
    """What the model did after one epoch (epoch 0: before training)."""

    epoch: int
    recon: np.ndarray               # (N_DIGITS, 28, 28) uint8 reconstructions of the fixed digits
    codes: np.ndarray | None = None  # (N_CODES, 2) float32 codes of the fixed sample when k = 2
    filters: np.ndarray | None = None  # (H, W, 3) uint8: the first layer's weights as pictures


@dataclass(frozen=True)
class Probe:
    """The fixed test digits every snapshot is taken on (same for every job)."""

    digits: torch.Tensor            # (N_DIGITS, 1, 28, 28) float in [0, 1]
    digit_labels: torch.Tensor      # (N_DIGITS,)
    sample: torch.Tensor            # (N_CODES, 1, 28, 28)
    sample_labels: torch.Tensor     # (N_CODES,)

    @classmethod
    def from_test_set(cls, dataset: str = "mnist") -> "Probe":
        """The first test example of classes 0..7 (the first 8 items where a set has fewer
        classes), and a seeded sample of 2,000 test items, of ``dataset``."""
        test = load_split("test", dataset)
        first = [int(torch.nonzero(test.labels == d)[0]) for d in range(N_DIGITS)
                 if (test.labels == d).any()]
        if len(first) < N_DIGITS:
            first = list(range(min(N_DIGITS, len(test))))
        idx = torch.randperm(len(test), generator=torch.Generator().manual_seed(SAMPLE_SEED))[:N_CODES]
        return cls(test.float_images(first), test.labels[first], test.float_images(idx),
                   test.labels[idx])

    @torch.inference_mode()
    def snapshot(self, model: Autoencoder, epoch: int) -> Snapshot:
        """Reconstructions (and 2-D codes when k = 2) of the fixed digits under ``model``
        (none for a photo model, which does not take digits)."""
        if model.data_kind == "photo":
            return Snapshot(epoch, np.zeros((0, 28, 28), np.uint8))
        dev = next(model.parameters()).device
        cond = model.conditional
        rec = model.reconstruct(self.digits.to(dev), self.digit_labels.to(dev) if cond else None)
        recon = to_uint8(rec)  # (8, 28, 28), as the page draws them
        codes = None
        if model.latent_dim == 2:
            z = model.encode(self.sample.to(dev), self.sample_labels.to(dev) if cond else None)
            codes = z.float().cpu().numpy()
        first = first_layer(model)
        filters = None if first is None else tile(first[0], limit=SNAPSHOT_FILTERS, scale=2)
        return Snapshot(epoch, recon, codes, filters)


def quick_metrics(model: Autoencoder, n: int = 1000, n_ssim: int = 250,
                  dataset: str = "mnist") -> dict[str, float]:
    """Card metrics on the first ``n`` test digits: mse (per pixel), sse (per image), psnr and
    the VAE test loss, and ssim on the first ``n_ssim`` (SSIM's windows cost ~1 ms a digit on one
    core); well under a second, unlike the zoo's full :func:`evaluate`. A photo model gets its
    held-out photo figures instead."""
    model.eval()
    if model.data_kind == "photo":
        from .photo import photo_metrics
        return photo_metrics(model.cpu())
    test = load_split("test", dataset)
    x, y = test.float_images(slice(0, n)), test.labels[:n]
    y_in = y if model.conditional else None
    rec = reconstruct_all(model.cpu(), x, y_in)
    out = {"mse": mse(rec, x).mean().item(), "sse": sse(rec, x).mean().item(),
           "psnr": psnr(rec, x).mean().item(), "ssim": ssim(rec[:n_ssim], x[:n_ssim]).mean().item(),
           "n_test": n}
    if model.variational:
        out["vae_loss"] = vae_test_loss(model, x, y_in)
    return out


def _items(dataset: str) -> str:
    """The plural word for a data set's items ("digits", "garments")."""
    from .datasets import DATASETS
    d = DATASETS.get(dataset)
    return d.items if d is not None else "images"


_ids = itertools.count(1)


class Job:
    """One training: plain data written by a worker thread and read by the UI.

    Read ``status``, ``queue_position``, ``progress``, ``history``, ``snapshots``, ``error``,
    ``model`` and ``card``; call ``cancel()``. The lists are returned as tuples (copies), so a
    reader never sees one change under it.
    """

    def __init__(self, model_cfg: Any, train_cfg: TrainConfig, name: str, title: str = "",
                 data: Any = None, on_result: Any = None, owner: str = "",
                 client: str = "") -> None:
        self.id = f"job{next(_ids)}"
        self.owner, self.client = owner, client  # who asked: the fair-use limits count these
        self.data = data  # optional TrainData (e.g. one digit class only); None = prepare_data
        self.name = name
        self.title = title or name
        self.model_cfg = model_cfg
        self.train_cfg = train_cfg
        self.total_epochs = total_epochs(model_cfg, train_cfg)
        self.status = "queued"
        self.stage = "waiting"      # what a running job is doing: preparing, training, measuring
        self.queue_position = 0     # 1-based while queued, 0 otherwise
        self.progress: Progress | None = None
        self.error: str | None = None
        self.model: Autoencoder | None = None
        self.card: dict | None = None
        self.submitted = time.time()
        self.started: float | None = None
        self.finished_at: float | None = None
        self.sample_labels: np.ndarray | None = None   # labels of the 2-D code sample (k = 2)
        self.digits: np.ndarray | None = None          # (N_DIGITS, 28, 28) uint8 originals
        self._history: list[dict] = []
        self._snapshots: list[Snapshot] = []
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._on_cancel: Any = None   # set by the manager: drop a queued job from its queue
        # on_result(job) -> anything: called on the worker thread once a model exists (done or
        # cancelled with a best epoch), BEFORE the job reads as finished, e.g. to save it in the
        # model library; its return value is ``saved``, its error message ``save_error``
        self._on_result = on_result
        self.saved: Any = None
        self.save_error: str | None = None
        self._stopping = False  # the server is stopping: keep the model, skip the measuring

    # what the UI reads
    @property
    def history(self) -> tuple[dict, ...]:
        """One record per finished epoch ({phase, epoch, train_loss, val_loss, parts, seconds})."""
        return tuple(self._history)

    @property
    def snapshots(self) -> tuple[Snapshot, ...]:
        """Epoch 0 (before training), then one per finished epoch."""
        return tuple(self._snapshots)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "cancelled", "failed")

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Stop: a queued job leaves the queue; a running one stops within one batch and keeps
        its best validated epoch (no model if none had finished)."""
        self._cancel.set()
        if self._on_cancel is not None:
            self._on_cancel(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (for scripts and tests); True if it has."""
        return self._done.wait(timeout)

    def result(self) -> tuple[Autoencoder, dict] | None:
        """``(model, card)`` once finished with a model, else None."""
        return (self.model, self.card) if self.finished and self.model is not None else None

    # what the worker writes
    def _finish(self, status: str, error: str | None = None) -> None:
        self.error = error
        self.finished_at = time.time()
        self.queue_position = 0
        self.stage = status
        self.status = status
        self._done.set()

    def _run(self, probe: Probe | None, device: torch.device | str | None) -> None:
        cfg = self.train_cfg
        self.stage = "preparing"
        model = build_model(self.model_cfg, seed=cfg.seed)
        image = model.data_kind == "image"  # tables, text and sound have no digit snapshots
        if image:
            self.digits = to_uint8(probe.digits)  # (8, H, W) grey or (8, H, W, 3) colour
        if image and model.latent_dim == 2:
            self.sample_labels = probe.sample_labels.numpy()
        data = self.data if self.data is not None else prepare_data(model, cfg)
        model.eval()
        if image:
            self._snapshots.append(probe.snapshot(model, 0))

        def on_epoch(p: Progress, rec: dict, m: Autoencoder) -> None:
            self._history.append(dict(rec))
            if image:
                self._snapshots.append(probe.snapshot(m, p.epoch))

        self.stage = "training"
        hist = train(model, cfg, data, Callbacks(on_step=self._on_step, on_epoch=on_epoch,
                                                 should_stop=self._cancel.is_set), device=device)
        if hist.cancelled and hist.best_epoch is None:
            self._finish("cancelled", "cancelled before the first epoch finished: nothing to keep")
            return
        self.stage = "measuring"
        metrics = ({} if self._stopping or model.data_kind not in ("image", "photo")
                   else clean_metrics(quick_metrics(model, dataset=cfg.dataset)))
        items = _items(cfg.dataset) if image else "examples"
        description = f"Trained in the browser: {len(hist.epochs)} epoch(s) on {data.x.shape[0]:,} {items}"
        if hist.cancelled:
            description += f", cancelled early; the best epoch ({hist.best_epoch}) was kept"
        self.card = make_card(
            model, name=self.name, title=self.title, description=description + ".",
            train=config_to_dict(cfg), data=cfg.dataset, epochs=len(hist.epochs), seed=cfg.seed,
            train_seconds=round(hist.seconds, 1), threads=torch.get_num_threads(),
            cancelled=hist.cancelled, best_epoch=hist.best_epoch, source="browser",
            metrics=metrics, curve=hist.card_curve())
        self.model = model.eval()
        self._keep()
        self._finish("cancelled" if hist.cancelled else "done")

    def _keep(self) -> None:
        if self._on_result is None:
            return
        try:
            self.saved = self._on_result(self)
        except AecoreError as exc:  # e.g. the owner's quota: a message for the page
            self.save_error = str(exc)
        except Exception as exc:  # noqa: BLE001 - the training itself succeeded; say why not kept
            self.save_error = f"the model could not be saved: {type(exc).__name__}"

    def _on_step(self, p: Progress) -> None:
        self.progress = p  # a frozen object: one atomic assignment


# the manager


class JobManager:
    """A thread-safe FIFO queue of trainings served by at most ``max_concurrent`` daemon threads.

    ``submit`` checks the browser limits, queues the job and returns it at once; workers pick
    jobs in order. The manager forgets a job once it has finished: the session that submitted it
    keeps its :class:`Job`, so a busy server does not hold every model ever trained.
    """

    def __init__(self, max_concurrent: int = 2, limits: BrowserLimits | None = None,
                 max_queued: int = 64, per_owner: int = 2, per_client: int = 40,
                 abandoned_after_s: float = 1200.0,
                 threads_per_job: int | None = None, device: str | None = "cpu") -> None:
        if not 1 <= max_concurrent <= 64:
            raise ConfigError(f"max_concurrent must be between 1 and 64, got {max_concurrent}")
        self.max_concurrent = max_concurrent
        self.limits = limits or BrowserLimits()
        self.max_queued = max_queued
        self.per_owner, self.per_client = per_owner, per_client
        self.abandoned_after_s = abandoned_after_s
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        self.threads_per_job = threads_per_job or max(1, cores // max_concurrent)
        self.device = device
        self._lock = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()
        self._running: list[Job] = []
        self._workers: list[threading.Thread] = []
        self._closed = False
        self._probes: dict[str, Probe] = {}  # by data set
        torch.set_num_threads(self.threads_per_job)
        # torch imports its compiler stack the first time an optimizer is built (1-3 s): do it
        # now, in the background, rather than while the first user watches "Preparing..."
        threading.Thread(target=_warm_up, name="ae-train-warm-up", daemon=True).start()
        # a daemon thread still holding torch's thread pools at interpreter exit makes the C++
        # runtime abort ("terminate called without an active exception"): stop workers first
        atexit.register(self._shutdown)
        if abandoned_after_s > 0:
            threading.Thread(target=self._reap_loop, name="ae-train-reaper", daemon=True).start()

    @classmethod
    def from_env(cls) -> "JobManager":
        """A manager configured by ``AE_MAX_TRAININGS`` (default 2), the browser limits and the
        fair-use settings (module docstring)."""
        return cls(max_concurrent=env_number("AE_MAX_TRAININGS", 2, 1, 64),
                   limits=BrowserLimits.from_env(),
                   max_queued=env_number("AE_QUEUE_MAX", 64, 1, 10_000),
                   per_owner=env_number("AE_QUEUE_PER_OWNER", 2, 1, 1000),
                   per_client=env_number("AE_QUEUE_PER_ADDRESS", 40, 1, 10_000),
                   abandoned_after_s=60 * env_number("AE_ABANDONED_JOB_MIN", 20, 0, 1e6))

    # public
    def submit(self, model_cfg: Any, train_cfg: TrainConfig, name: str = "my_model",
               title: str = "", data: Any = None, on_result: Any = None, owner: str = "",
               client: str = "") -> Job:
        """Queue a training and return its :class:`Job` at once. ``data`` (a
        :class:`~aecore.train.TrainData`) replaces the config's MNIST split, e.g. for a one-class
        anomaly detector. ``owner`` (the browser's token) and ``client`` (its hashed address)
        are counted against the per-owner and per-address limits ("" counts for no one).
        Raises :class:`ConfigError` for settings beyond the limits, when this owner or address
        already has its share of the queue, or when the queue is full."""
        self.limits.check(model_cfg, train_cfg)
        job = Job(model_cfg, train_cfg, name, title, data=data, on_result=on_result,
                  owner=owner, client=client)
        job._on_cancel = self._dequeue
        with self._lock:
            if self._closed:
                raise ConfigError("the training service has shut down")
            self._check_fair_use(owner, client)
            if len(self._queue) >= self.max_queued:
                raise ConfigError(f"the training queue is full ({self.max_queued} waiting); "
                                  "try again in a few minutes")
            self._queue.append(job)
            self._renumber()
            if len(self._workers) < self.max_concurrent:
                t = threading.Thread(target=self._work, name=f"ae-train-{len(self._workers) + 1}",
                                     daemon=True)
                self._workers.append(t)
                t.start()
            self._lock.notify()
        return job

    def _check_fair_use(self, owner: str, client: str) -> None:
        active = [*self._running, *self._queue]
        if owner and sum(j.owner == owner for j in active) >= self.per_owner:
            raise ConfigError(f"you already have {self.per_owner} training(s) queued or running "
                              "on this server (in this or another tab); wait for one to finish "
                              "or cancel it")
        if client and sum(j.client == client for j in active) >= self.per_client:
            raise ConfigError(f"your network address already has {self.per_client} trainings "
                              "queued or running on this server; try again in a few minutes")

    def reap(self, now: float | None = None) -> int:
        """Cancel the trainings of owners with no session for ``abandoned_after_s`` (a running
        one keeps its best epoch; ``on_result`` saves it); returns how many were cancelled.
        An owner this process never saw (a script, a test) is left alone."""
        now = time.time() if now is None else now
        with self._lock:
            active = [*self._running, *self._queue]
        gone = [j for j in active if j.owner and not j.cancel_requested
                and (seen := presence.last_seen(j.owner)) is not None
                and now - seen > self.abandoned_after_s]
        for job in gone:
            job.cancel()
        return len(gone)

    def _reap_loop(self) -> None:
        period = max(1.0, min(60.0, self.abandoned_after_s / 4))
        while not self._closed:
            time.sleep(period)
            self.reap()

    def counts(self) -> dict[str, int]:
        """How many jobs are queued and running, and the limit."""
        with self._lock:
            return {"queued": len(self._queue), "running": len(self._running),
                    "max_concurrent": self.max_concurrent}

    def close(self, cancel: bool = True) -> None:
        """Stop taking jobs; with ``cancel``, cancel every queued and running one."""
        with self._lock:
            self._closed = True
            pending = [*self._running, *self._queue]
            self._lock.notify_all()
        if cancel:
            for job in pending:
                job.cancel()

    def stop(self, timeout: float = 2.0) -> int:
        """Server shutdown: take no more jobs, cancel all, and wait up to ``timeout`` seconds in
        all for the running ones to keep their best epoch (``on_result`` runs; the measuring step
        is skipped). Returns how many running jobs had not finished in time."""
        with self._lock:
            running = list(self._running)
        for job in running:
            job._stopping = True
        self.close(cancel=True)
        deadline = time.monotonic() + timeout
        return sum(not job.wait(max(0.0, deadline - time.monotonic())) for job in running)

    # internals
    def _shutdown(self, timeout: float = 5.0) -> None:
        self.close(cancel=True)
        for t in list(self._workers):
            t.join(timeout)

    def _renumber(self) -> None:
        for i, queued in enumerate(self._queue, 1):
            queued.queue_position = i

    def _dequeue(self, job: Job) -> None:
        with self._lock:
            if job in self._queue:
                self._queue.remove(job)
                self._renumber()
                job._finish("cancelled", "cancelled while waiting in the queue")

    def _work(self) -> None:
        lower_priority()
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._lock.wait()
                if not self._queue:  # closed and drained
                    return
                job = self._queue.popleft()
                self._renumber()
                job.queue_position = 0
                job.status = "running"
                job.started = time.time()
                self._running.append(job)
            self._run_one(job)
            with self._lock:
                self._running.remove(job)

    def _run_one(self, job: Job) -> None:
        try:
            torch.set_num_threads(self.threads_per_job)
            ds = job.train_cfg.dataset
            from .datasets import DATASETS
            if ds not in self._probes and ds in DATASETS:  # image sets: fixed test images
                self._probes[ds] = Probe.from_test_set(ds)
            job._run(self._probes.get(ds), self.device)  # tables and text: no image probe
        except AecoreError as exc:
            job._finish("failed", str(exc))
        except MemoryError:
            job._finish("failed", "out of memory: try a smaller model, batch or subset")
        except Exception as exc:  # noqa: BLE001 - a worker must survive any job and report it
            job._finish("failed", f"training failed unexpectedly: {type(exc).__name__}: {exc}")
        if not job.finished:  # _run returned without finishing (should not happen)
            job._finish("failed", "training ended without a result")


TRAIN_NICE = 10  # niceness of training threads: below the server's page reruns (0)


def lower_priority() -> bool:
    """Lower the calling thread's CPU priority to ``TRAIN_NICE``, never raise it (Linux only:
    elsewhere a thread id is not something ``setpriority`` takes). True when it is that low."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < TRAIN_NICE:
            os.setpriority(os.PRIO_PROCESS, tid, TRAIN_NICE)
        return True
    except OSError:  # not allowed here: the trainings simply compete with the pages
        return False


def _warm_up() -> None:
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


_manager: JobManager | None = None
_manager_lock = threading.Lock()


def stop_manager(timeout: float = 2.0) -> int:
    """:meth:`JobManager.stop` on the process-wide manager if one was ever created (else 0)."""
    with _manager_lock:
        manager = _manager
    return manager.stop(timeout) if manager is not None else 0


def get_manager() -> JobManager:
    """The process-wide manager, created on first use from the environment."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = JobManager.from_env()
        return _manager
