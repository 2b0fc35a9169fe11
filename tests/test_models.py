"""Every registered model type: shapes, a short real training that lowers the loss, and a
save/load round trip with identical outputs."""
from __future__ import annotations

import math

import pytest
import torch

from aecore.config import MODEL_CONFIGS, SeqAEConfig, TrainConfig
from aecore.models import REGISTRY, build_model
from aecore.train import prepare_data, train, validation_loss
from aecore.weights import load_model, make_card, save_model

# small configs so each trains in a second or two on one core
SMALL = {
    "dense": dict(latent_dim=8, hidden=(64,)),
    "conv": dict(latent_dim=8, hidden=(8, 16)),
    "sparse": dict(latent_dim=32, hidden=(64,), penalty="kl", weight=0.01),
    "contractive": dict(latent_dim=8, hidden=(64,), weight=0.01),
    "vae": dict(latent_dim=4, hidden=(64,)),
    "cvae": dict(latent_dim=4, hidden=(64,)),
    "stacked": dict(latent_dim=8, hidden=(64, 32), pretrain_epochs=1),
    "seq": dict(latent_dim=4, hidden=(16,), channels=4, seq_len=32),
    "photo": dict(task="denoise", width=8, latent_dim=8),
    "tabular": dict(latent_dim=3, hidden=(16,), n_features=9),
    "text": dict(latent_dim=8, hidden=(32,), max_len=12),
    "sound": dict(latent_dim=4, hidden=(16,), context=1, n_fft=128),
}
DATASET = {"tabular": "transactions", "text": "words"}  # kinds that train on a data set beyond images


def small_model(kind: str, seed: int = 0):
    return build_model(MODEL_CONFIGS[kind](**SMALL[kind]), seed=seed)


def sample_input(model, n: int = 5):
    g = torch.Generator().manual_seed(1)
    if model.data_kind == "series":
        return torch.randn(n, model.cfg.seq_len, model.cfg.channels, generator=g), None
    if model.data_kind == "photo":  # RGB, noise-level map, hole mask; any size
        return torch.rand(n, 5, 36, 44, generator=g), None
    if model.data_kind != "image":
        return model.check_input(n), None
    return torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 10


def test_registry_covers_every_config():
    assert set(REGISTRY) == set(MODEL_CONFIGS) == set(SMALL)


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_shapes(kind):
    m = small_model(kind).eval()
    x, y = sample_input(m)
    z = m.encode(x, y)
    if m.data_kind == "photo":  # a feature map at a quarter of the size, and the skip
        assert z[0].shape == (5, m.latent_dim, 9, 11)
        assert m.reconstruct(x).shape == (5, 3, 36, 44)
    elif m.data_kind == "sound":  # frames with context in, a mask of the middle frame out
        assert z.shape == (5, m.latent_dim)
        mask = m.mask(x).detach()
        assert mask.shape == (5, m.n_freq) and 0 <= float(mask.min()) <= float(mask.max()) <= 1
    else:
        assert z.shape == (5, m.latent_dim)
        assert m.reconstruct(x, y).shape == x.shape
    if m.data_kind == "image":
        dec = m.decode(z, y).detach()
        assert dec.shape == (5, 1, 28, 28)
        assert float(dec.min()) >= 0.0 and float(dec.max()) <= 1.0
    rows = m.describe()
    assert rows[0][0] == "input" and rows[-1][0] == "output"
    assert any(stage in ("code", "sample z") for stage, _ in rows)


# the photo AE trains on photo patches, not MNIST: tests/test_photo_core.py trains it; the
# sound AE on rows of speech frames: tests/test_sound_ae.py trains it
DIGIT_KINDS = sorted(k for k in SMALL if k not in ("photo", "sound"))


@pytest.mark.parametrize("kind", DIGIT_KINDS)
def test_short_training_lowers_the_loss(kind):
    m = small_model(kind)
    cfg = TrainConfig(epochs=2, batch_size=64, lr=3e-3, subset=1500, val_size=300,
                      loss="mse" if kind == "seq" else "bce", dataset=DATASET.get(kind, "mnist"))
    data = prepare_data(m, cfg)
    before = validation_loss(m, data, cfg)
    hist = train(m, cfg, data=data, device="cpu")
    after = validation_loss(m, data, cfg)
    assert after < before * 0.95, (before, after)
    assert len(hist.curve("val_loss")) == 2
    assert not m.training


@pytest.mark.parametrize("kind", DIGIT_KINDS)
def test_bf16_mixed_precision_training_lowers_the_loss_and_keeps_fp32_weights(kind):
    # the Train page's default on CPUs with fast bf16 matmuls: every type must still learn,
    # with finite losses, and save float32 weights
    m = small_model(kind)
    cfg = TrainConfig(epochs=2, batch_size=64, lr=3e-3, subset=1500, val_size=300,
                      loss="mse" if kind == "seq" else "bce", precision="bf16",
                      dataset=DATASET.get(kind, "mnist"))
    data = prepare_data(m, cfg)
    before = validation_loss(m, data, cfg)
    hist = train(m, cfg, data=data, device="cpu")
    after = validation_loss(m, data, cfg)
    assert after < before * 0.95, (before, after)
    assert all(math.isfinite(e["train_loss"]) for e in hist.epochs)
    assert {p.dtype for p in m.parameters()} == {torch.float32}


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_save_load_round_trip_gives_identical_outputs(kind, tmp_path):
    m = small_model(kind, seed=3).eval()
    path = save_model(m, tmp_path / kind, make_card(m, epochs=0))
    m2, card = load_model(path)
    x, y = sample_input(m)
    with torch.inference_mode():
        assert torch.equal(m.reconstruct(x, y), m2.reconstruct(x, y))
    assert card["model"] == kind and card["storage"] == "float32"


def test_seeds_make_different_initial_weights_and_same_seed_the_same():
    a, b, c = (small_model("dense", s) for s in (0, 0, 1))
    wa, wb, wc = (next(m.parameters()) for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)


def test_vae_samples_and_kl():
    m = small_model("vae").eval()
    g = torch.Generator().manual_seed(0)
    s = m.sample(6, g, temperature=0.5)
    assert s.shape == (6, 1, 28, 28)
    mu, logvar = m.encode_dist(torch.rand(3, 1, 28, 28))
    assert mu.shape == logvar.shape == (3, 4)


def test_cvae_label_changes_the_output():
    m = small_model("cvae").eval()
    z = torch.zeros(1, 4)
    assert not torch.allclose(m.decode(z, torch.tensor([1])), m.decode(z, torch.tensor([7])))
    with pytest.raises(ValueError):
        m.decode(z)


def test_sequence_ae_accepts_other_lengths():
    m = build_model(SeqAEConfig(latent_dim=4, hidden=(8,), channels=3, seq_len=16, cell="gru"))
    x = torch.randn(2, 40, 3)
    assert m.reconstruct(x).shape == (2, 40, 3)


def test_the_conv_decoders_upsample_equals_torchs_nearest_interpolation_and_its_gradient():
    import torch.nn.functional as F

    from aecore.models.conv import Upsample2d

    x = torch.randn(3, 5, 7, 6, requires_grad=True)
    ref = x.detach().clone().requires_grad_(True)
    for s in (2, 3):
        out, want = Upsample2d(s)(x), F.interpolate(ref, scale_factor=s, mode="nearest")
        assert out.shape == (3, 5, 7 * s, 6 * s) and torch.equal(out, want)
        g = torch.randn_like(out)
        (gx,), (gr,) = torch.autograd.grad(out, x, g), torch.autograd.grad(want, ref, g)
        assert torch.allclose(gx, gr, atol=1e-5)
