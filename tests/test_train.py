"""The one training loop: determinism, callbacks, cancellation, denoising, stacked phases."""
from __future__ import annotations

import pytest
import torch

from aecore.config import AEConfig, StackedAEConfig, TrainConfig
from aecore.errors import ConfigError
from aecore.models import build_model
from aecore.train import Callbacks, prepare_data, train

CFG = TrainConfig(epochs=2, batch_size=100, lr=3e-3, subset=600, val_size=200, seed=7)


def tiny(seed=0):
    return build_model(AEConfig(latent_dim=4, hidden=(32,)), seed=seed)


def test_same_seed_same_weights_other_seed_differs():
    a, b, c = tiny(), tiny(), tiny()
    train(a, CFG, device="cpu")
    train(b, CFG, device="cpu")
    train(c, TrainConfig(**{**CFG.__dict__, "seed": 8}), device="cpu")
    pa, pb, pc = (torch.cat([p.flatten() for p in m.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb)
    assert not torch.equal(pa, pc)


def test_callbacks_see_every_step_and_epoch():
    steps, epochs = [], []
    hist = train(tiny(), CFG, callbacks=Callbacks(
        on_step=lambda p: steps.append((p.epoch, p.step, p.global_step, p.total_steps)),
        on_epoch=lambda p, rec, m: epochs.append((rec["epoch"], rec["val_loss"], m.training))),
        device="cpu")
    assert len(steps) == 2 * 6 and steps[-1][2:] == (12, 12)
    assert [e[0] for e in epochs] == [1, 2]
    assert all(not training for *_, training in epochs)  # snapshots see an eval-mode model
    assert len(hist.epochs) == 2 and hist.best_epoch in (1, 2)


def test_cancel_stops_at_once_and_keeps_the_best_epoch():
    calls = {"n": 0}
    best = {}

    def on_epoch(p, rec, m):
        best["state"] = {k: v.clone() for k, v in m.state_dict().items()}

    def stop():
        calls["n"] += 1
        return calls["n"] > 8  # in the second epoch (6 steps an epoch)

    m = tiny()
    hist = train(m, TrainConfig(**{**CFG.__dict__, "epochs": 5}),
                 callbacks=Callbacks(on_epoch=on_epoch, should_stop=stop), device="cpu")
    assert hist.cancelled and len(hist.epochs) == 1
    for k, v in m.state_dict().items():  # the weights of epoch 1, not the half-trained epoch 2
        assert torch.equal(v, best["state"][k])


def test_denoising_training_uses_noisy_inputs_and_clean_targets():
    seen = []
    m = tiny()
    orig = m.loss

    def spy(x_in, target, y, recon, gen):
        seen.append((x_in.clone(), target.clone()))
        return orig(x_in, target, y, recon, gen)

    m.loss = spy
    train(m, TrainConfig(**{**CFG.__dict__, "epochs": 1, "noise": "masking", "noise_level": 0.5}),
          device="cpu")
    x_in, target = seen[0]
    assert not torch.equal(x_in, target)
    assert ((x_in == 0) | (x_in == target)).all()  # masking only zeroes pixels


def test_stacked_runs_greedy_stages_then_fine_tunes():
    m = build_model(StackedAEConfig(latent_dim=4, hidden=(32, 16), pretrain_epochs=1))
    hist = train(m, CFG, device="cpu")
    phases = [e["phase"] for e in hist.epochs]
    assert phases == ["pretrain layer 1", "pretrain layer 2", "pretrain layer 3", "train", "train"]
    first = hist.epochs[0]["train_loss"]
    assert hist.epochs[-1]["train_loss"] < first


def test_subset_and_validation_split_are_disjoint():
    d = prepare_data(tiny(), CFG)
    assert d.x.shape[0] == 600 and d.val_x.shape[0] == 200
    flat = lambda t: {bytes(r.numpy()) for r in t.flatten(1)}  # noqa: E731
    assert not flat(d.x[:200]) & flat(d.val_x)


def test_bad_settings_are_refused_with_a_message():
    with pytest.raises(ConfigError, match="epochs must be between"):
        TrainConfig(epochs=0)
    with pytest.raises(ConfigError, match="learning rate"):
        TrainConfig(lr=5.0)
    with pytest.raises(ConfigError, match="noise must be one of"):
        TrainConfig(noise="thermal")
    with pytest.raises(ConfigError, match="precision must be one of"):
        TrainConfig(precision="fp8")
    with pytest.raises(ConfigError, match="latent size"):
        AEConfig(latent_dim=-1)
