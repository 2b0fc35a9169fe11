"""aecore.anomaly and aecore.features: scores, OOD generators, one-class split, series scoring."""
from __future__ import annotations

import pytest
import torch

from aecore import anomaly as an
from aecore import features as fe
from aecore.config import AEConfig, SeqAEConfig
from aecore.errors import ConfigError
from aecore.models import build_model
from aecore.sensors import generate_series


@pytest.mark.parametrize("kind", an.OOD_KINDS)
def test_ood_images_are_images_and_reproducible(kind):
    a, names = an.ood_images(5, torch.Generator().manual_seed(1), [kind])
    b, _ = an.ood_images(5, torch.Generator().manual_seed(1), [kind])
    c, _ = an.ood_images(5, torch.Generator().manual_seed(2), [kind])
    assert a.shape == (5, 1, 28, 28) and names == [kind] * 5
    assert a.min() >= 0 and a.max() <= 1 and a.max() > 0.5  # something bright is drawn
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_ood_rejects_unknown_kind_and_bad_counts():
    with pytest.raises(ConfigError):
        an.ood_images(3, torch.Generator(), ["zebras"])
    with pytest.raises(ConfigError):
        an.noise_images(0, torch.Generator())


def test_one_class_labels_and_data_hold_only_the_normal_digit():
    labels = torch.tensor([0, 1, 2, 1, 3] * 300)
    assert an.one_class_labels(labels, 1).tolist()[:5] == [True, False, True, False, True]
    assert not an.one_class_labels(labels, [0, 1, 2, 3]).any()
    images = torch.arange(len(labels), dtype=torch.uint8)[:, None, None].expand(-1, 28, 28)
    data = an.one_class_data(images, labels, 1, val_size=100, subset=50)
    assert (data.y == 1).all() and (data.val_y == 1).all()
    assert data.x.shape[0] == 50 and data.val_x.shape[0] == 100
    with pytest.raises(ConfigError):
        an.one_class_data(images, labels, 11)


def test_recon_errors_match_hand_computed_mse():
    model = build_model(AEConfig(latent_dim=4, hidden=(16,)), seed=0).eval()
    x = torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    s = an.recon_errors(model, x, chunk=4)
    with torch.no_grad():
        ref = (model.reconstruct(x) - x).square().flatten(1).mean(1)
    assert s.shape == (6,) and torch.allclose(s, ref, atol=1e-6)
    rec, err = an.error_maps(model, x)
    assert torch.allclose(err.square().flatten(1).mean(1), s, atol=1e-6)


def test_quantile_threshold_flags_the_top_fraction():
    s = torch.arange(100.0)
    thr = an.quantile_threshold(s, 0.9)
    assert int((s > thr).sum()) == 10


def test_series_scores_shapes_and_uncovered_tail():
    model = build_model(SeqAEConfig(latent_dim=4, hidden=(8,), seq_len=16, channels=4), seed=0).eval()
    s = generate_series(70, channels=4, faults=("spike",), seed=0)  # 70 is not a whole number of strides
    sc = an.series_scores(model, s.x)
    assert sc.recon.shape == (70, 4) and sc.step_error.shape == (70,)
    assert torch.isfinite(sc.step_error).all() and (sc.step_error >= 0).all()
    assert sc.window_error.shape == sc.starts.shape


def test_shipped_sequence_ae_scores_faults_higher():
    from aecore.zoo import load_zoo_model
    from aecore.metrics import auroc
    model, _ = load_zoo_model("seq_lstm")
    s = generate_series(512, channels=4, faults=("spike", "drift"), seed=5)
    sc = an.series_scores(model, s.x)
    area = auroc(sc.step_error, s.fault_mask)
    # the same area by counting pairs: a fault step outscores a normal one (ties count half)
    err, fault = sc.step_error.numpy(), s.fault_mask.numpy()
    diff = err[fault][:, None] - err[~fault][None, :]  # (faulty, normal)
    assert area == pytest.approx(((diff > 0) + 0.5 * (diff == 0)).mean(), abs=1e-12)
    # the shipped weights and the seeded series fix it: 0.788 (spikes stand out, drifts less)
    assert area == pytest.approx(0.788, abs=0.01)


def test_flagged_spans():
    f = torch.tensor([0, 1, 1, 0, 0, 1, 0, 1], dtype=torch.bool)
    assert an.flagged_spans(f) == [(1, 3), (5, 6), (7, 8)]
    assert an.flagged_spans(torch.zeros(4, dtype=torch.bool)) == []


def test_identity_likeness_and_linear_map():
    il = fe.identity_likeness(torch.eye(5) * 2 + 0.1)
    assert il["diag"] == pytest.approx(2.1) and il["offdiag"] == pytest.approx(0.1)
    model = build_model(AEConfig(latent_dim=8, hidden=()), seed=0)
    assert fe.linear_map(model).shape == (784, 784)
    with pytest.raises(ConfigError):
        fe.linear_map(build_model(AEConfig(latent_dim=8, hidden=(16,)), seed=0))


def test_activation_stats_counts_zeros():
    from aecore.config import SparseAEConfig
    model = build_model(SparseAEConfig(latent_dim=8, hidden=(), penalty="l1"), seed=0).eval()
    with torch.no_grad():
        model.enc[0].bias[:4] = -1e3  # four ReLU units can never switch on
    st = fe.activation_stats(model, torch.rand(20, 1, 28, 28))
    assert st.dead_units >= 4 and st.near_zero >= 0.5 and st.values.shape == (160,)


def test_code_sensitivity_is_zero_for_a_constant_encoder():
    model = build_model(AEConfig(latent_dim=4, hidden=()), seed=0).eval()
    with torch.no_grad():
        model.enc[0].weight.zero_()
        model.enc[0].bias.copy_(torch.arange(4.0))
    x = torch.rand(5, 1, 28, 28)
    s = fe.code_sensitivity(model, x, 0.1, torch.Generator().manual_seed(0))
    assert s["jacobian_raw"] == 0 and s["shift"] == 0
