"""The background training service (aecore.jobs) and the Train page's model types (aecore.model_types)."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from aecore import jobs
from aecore.config import AEConfig, StackedAEConfig, TrainConfig
from aecore.errors import ConfigError
from aecore.jobs import BrowserLimits, JobManager
from aecore.models import build_model
from aecore.presets import TEACHING
from aecore.model_types import TYPES, make_configs, preset_settings, total_epochs
from conftest import until

TINY = AEConfig(latent_dim=2, hidden=(32,))


def _train_cfg(**kw) -> TrainConfig:
    # small validation split: each epoch's validation pass stays cheap on a shared CPU
    return TrainConfig(**{"epochs": 3, "subset": 300, "val_size": 200, "batch_size": 64, **kw})


@pytest.fixture
def manager():
    m = JobManager(max_concurrent=1, threads_per_job=1)
    yield m
    m.close()


# jobs

def test_history_and_snapshots_have_every_epoch(manager):
    job = manager.submit(TINY, _train_cfg(epochs=3), "tiny")
    assert job.wait(60), "a 3-epoch training on 300 digits did not finish"
    assert job.status == "done", job.error
    assert [h["epoch"] for h in job.history] == [1, 2, 3]
    assert all(np.isfinite(h["train_loss"]) and np.isfinite(h["val_loss"]) for h in job.history)
    snaps = job.snapshots
    assert [s.epoch for s in snaps] == [0, 1, 2, 3]  # epoch 0 is the untrained network
    assert snaps[0].recon.shape == (jobs.N_DIGITS, 28, 28) and snaps[0].recon.dtype == np.uint8
    assert snaps[-1].codes.shape == (jobs.N_CODES, 2)
    assert job.sample_labels.shape == (jobs.N_CODES,)
    assert not np.array_equal(snaps[0].recon, snaps[-1].recon), "reconstructions never changed"
    model, card = job.result()
    assert card["model"] == "dense" and card["epochs"] == 3 and "mse" in card["metrics"]
    with torch.inference_mode():
        assert model.encode(torch.rand(4, 1, 28, 28)).shape == (4, 2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_trainings_run_below_the_pages_cpu_priority(manager, monkeypatch):
    """A training's thread runs at niceness TRAIN_NICE, so a page rerun on the same server goes
    first; the thread that submitted it (a page's) keeps its own priority."""
    import os
    import threading

    seen = []
    monkeypatch.setattr(jobs.Job, "_run", lambda self, probe, device: (
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id())),
        self._finish("done", "")))
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    job = manager.submit(TINY, _train_cfg(epochs=1, subset=200), "n")
    assert until(lambda: job.finished)
    assert seen == [max(before, jobs.TRAIN_NICE)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_queue_runs_one_at_a_time_and_shows_positions(manager):
    long = _train_cfg(epochs=50, subset=2000)
    a, b, c = (manager.submit(TINY, long, n) for n in "abc")
    assert until(lambda: a.status == "running")
    assert (b.status, b.queue_position) == ("queued", 1)
    assert (c.status, c.queue_position) == ("queued", 2)
    assert manager.counts() == {"queued": 2, "running": 1, "max_concurrent": 1}
    b.cancel()  # leaving the queue moves everyone behind forward
    assert b.status == "cancelled" and c.queue_position == 1
    a.cancel()
    assert until(lambda: c.status == "running")
    assert a.finished and manager.counts()["running"] == 1
    c.cancel()
    assert c.wait(30)


def test_cancel_stops_at_the_next_step_and_keeps_the_best_epoch(manager):
    job = manager.submit(TINY, _train_cfg(epochs=50, subset=2000), "stopme")
    assert until(lambda: len(job.history) >= 2, 60)
    epochs = len(job.history)
    job.cancel()
    # the loop polls the cancel flag every step: it stops within the epoch in progress then
    assert until(lambda: job.stage != "training", 120), "the loop still trains after cancel"
    assert len(job.history) <= epochs + 1
    assert job.wait(30)
    assert job.status == "cancelled"
    model, card = job.result()
    assert card["cancelled"] and 1 <= card["best_epoch"] <= len(job.history) < 50
    best = min(job.history, key=lambda h: h["val_loss"])
    assert card["best_epoch"] == best["epoch"]


def test_a_failing_job_reports_its_error_and_the_pool_goes_on(manager, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "train", broken)
    job = manager.submit(TINY, _train_cfg(), "broken")
    assert job.wait(30)
    assert job.status == "failed" and "disk on fire" in job.error
    assert job.result() is None
    monkeypatch.undo()
    ok = manager.submit(TINY, _train_cfg(epochs=1), "ok")
    assert ok.wait(60) and ok.status == "done", ok.error


def test_a_full_queue_is_refused():
    m = JobManager(max_concurrent=1, max_queued=1, threads_per_job=1)
    try:
        long = _train_cfg(epochs=50, subset=2000)
        first = m.submit(TINY, long, "a")
        assert until(lambda: first.status == "running")
        m.submit(TINY, long, "b")
        with pytest.raises(ConfigError, match="queue is full"):
            m.submit(TINY, long, "c")
    finally:
        m.close()


# limits

@pytest.mark.parametrize("train_kw, model, match", [
    (dict(epochs=51, subset=1000), TINY, "epochs is more than"),
    (dict(epochs=40, subset=1000), StackedAEConfig(latent_dim=8, hidden=(64, 32), pretrain_epochs=5),
     "pretraining epochs per layer count too"),
    (dict(subset=0, val_size=0), TINY, "at most 50,000"),
    (dict(batch_size=4, subset=1000), TINY, "batch size"),
    (dict(subset=1000), AEConfig(latent_dim=2, hidden=(2048,)), "at most 1024"),
])
def test_browser_limits_refuse_oversized_runs(train_kw, model, match):
    limits = BrowserLimits(max_subset=50_000)
    with pytest.raises(ConfigError, match=match):
        limits.check(model, TrainConfig(**train_kw))


def test_limits_and_pool_size_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("AE_MAX_TRAININGS", "3")
    monkeypatch.setenv("AE_MAX_EPOCHS", "7")
    m = JobManager.from_env()
    assert m.max_concurrent == 3 and m.limits.max_epochs == 7
    m.close()
    monkeypatch.setenv("AE_MAX_TRAININGS", "lots")
    with pytest.raises(ConfigError, match="AE_MAX_TRAININGS"):
        JobManager.from_env()


# model types

@pytest.mark.parametrize("type_name", list(TYPES))
def test_every_type_makes_a_model_that_trains_in_the_browser(type_name):
    kw = dict(latent_dim=4, hidden=(8, 8) if type_name in ("conv", "denoising") else (24,), epochs=2,
              subset=500)
    if type_name == "denoising":
        kw.update(base="conv", noise="masking", noise_level=0.3)
    model_cfg, train_cfg = make_configs(type_name, **kw)
    BrowserLimits().check(model_cfg, train_cfg)
    model = build_model(model_cfg)
    x = torch.rand(3, *model.in_shape)  # (3, 1, 28, 28) digits, or (3, 64, 4) sensor windows
    y = torch.tensor([1, 2, 3]) if model.conditional else None
    with torch.inference_mode():
        assert model.reconstruct(x, y).shape == x.shape
    assert (train_cfg.noise != "none") == (type_name == "denoising")


@pytest.mark.parametrize("name", list(TEACHING))
def test_teaching_presets_round_trip_through_the_form_settings(name):
    preset = TEACHING[name]
    type_name, settings = preset_settings(preset)
    model_cfg, train_cfg = make_configs(type_name, **settings)
    assert model_cfg == preset.model and train_cfg == preset.train


@pytest.mark.parametrize("kw, match", [
    (dict(noise_level=0.0), "noise level above 0"),
    (dict(noise="gaussian", noise_level=1.5), "at most 1"),
    (dict(base="pca"), "dense or a conv"),
])
def test_bad_denoising_settings_are_refused(kw, match):
    with pytest.raises(ConfigError, match=match):
        make_configs("denoising", **kw)


def test_unknown_type_or_setting_is_refused():
    with pytest.raises(ConfigError, match="unknown autoencoder type"):
        make_configs("transformer")
    with pytest.raises(ConfigError, match="unknown setting"):
        make_configs("dense", batchnorm=True)


def test_total_epochs_counts_stacked_pretraining():
    m, t = make_configs("stacked", hidden=(64, 32), pretrain_epochs=2, epochs=5)
    assert total_epochs(m, t) == 5 + 2 * 3
