"""The tuned loop is the same training: its loss falls, its epoch record is right, and the speed
benchmark's setting (batch 256, lr 3e-3) reaches the pytorch/examples loop's test loss."""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import torch

from aecore.config import TrainConfig, VAEConfig
from aecore.data import load_split
from aecore.evaluate import vae_test_loss
from aecore.models import build_model
from aecore.train import TrainData, train

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_train_speed", ROOT / "benchmarks" / "train_speed.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _data(n: int) -> TrainData:
    s = load_split("train")
    return TrainData(s.images[:n], s.labels[:n], s.images[:0], s.labels[:0])


def test_vae_loss_falls_and_the_epoch_record_sums_every_step():
    model = build_model(VAEConfig(latent_dim=20, hidden=(400,)))
    cfg = TrainConfig(epochs=3, batch_size=256, lr=3e-3, loss="bce", schedule="constant",
                      val_size=0)
    hist = train(model, cfg, data=_data(2048), device="cpu")
    train_losses = hist.curve("train_loss")
    assert train_losses[2] < train_losses[1] < train_losses[0]
    for rec in hist.epochs:  # the parts are floats summed over the epoch, recon + KL = loss
        assert isinstance(rec["train_loss"], float) and set(rec["parts"]) == {"recon", "kl"}
        assert all(isinstance(v, float) for v in rec["parts"].values())
        assert rec["parts"]["recon"] + rec["parts"]["kl"] == pytest.approx(rec["train_loss"], rel=1e-4)


def test_on_step_still_gets_each_batch_loss_as_a_float():
    seen = []
    from aecore.train import Callbacks
    hist = train(build_model(VAEConfig(latent_dim=4, hidden=(32,))),
                 TrainConfig(epochs=1, batch_size=512, lr=3e-3, val_size=0, schedule="constant"),
                 data=_data(2048), device="cpu", callbacks=Callbacks(on_step=lambda p: seen.append(p.loss)))
    assert len(seen) == 4 and all(isinstance(v, float) and math.isfinite(v) for v in seen)
    assert hist.epochs[0]["train_loss"] == pytest.approx(sum(seen) / 4, rel=1e-5)


@pytest.mark.slow
def test_the_benchmark_setting_matches_the_examples_test_loss():
    """One epoch on all 60,000 digits, as benchmarks/train_speed.py runs it: ours at batch 256 /
    lr 3e-3 against the examples' loop at batch 128 / lr 1e-3; test loss on the 10,000 test
    digits, mean of two seeds. Ours may be better, never worse by more than 1% (on a 20,000-digit
    subset the larger batch takes too few steps to keep up: the setting holds for a full epoch)."""
    bench = _bench()
    torch.set_num_threads(2)
    n = 60_000
    s, t = load_split("train"), load_split("test")
    data = _data(n)
    x_test = t.float_images()
    ref_test = bench.MNISTLike(t.images, t.labels)
    ref_train = bench.MNISTLike(s.images[:n], s.labels[:n])
    ours, ref = [], []
    for seed in (0, 1):
        model = build_model(VAEConfig(latent_dim=20, hidden=(400,)), seed=seed)
        train(model, TrainConfig(epochs=1, batch_size=256, lr=3e-3, loss="bce", schedule="constant",
                                 val_size=0, seed=seed), data=data, device="cpu")
        ours.append(vae_test_loss(model, x_test, seed=seed))
        ref_model, _ = bench.reference_epoch(ref_train, seed=seed)
        ref.append(bench.reference_test_loss(ref_model, ref_test, seed=seed))
    assert sum(ours) / 2 <= 1.01 * sum(ref) / 2, (ours, ref)
