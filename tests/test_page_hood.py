"""Under the hood, Compare runs, and the Train form's new choices, through AppTest."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from aecore import weight_pictures as wp
from aecore.config import AEConfig, ConvAEConfig, CVAEConfig, SeqAEConfig, TrainConfig
from aecore.models import build_model
from aecore.optim import OPTIMIZERS, SCHEDULES, lr_at, lr_curve, make_optimizer
from conftest import open_page


def test_weight_pictures_have_the_image_shapes():
    dense = build_model(AEConfig(latent_dim=4, hidden=(32,)))
    first, what = wp.first_layer(dense)
    assert first.shape == (32, 1, 28, 28) and "32 hidden units" in what
    assert wp.last_layer(dense)[0].shape == (32, 1, 28, 28)
    cvae = build_model(CVAEConfig(latent_dim=4, hidden=(16,)))
    assert wp.first_layer(cvae)[0].shape == (16, 1, 28, 28)  # the label inputs are left out
    conv = build_model(ConvAEConfig(latent_dim=4, hidden=(8, 16)))
    assert wp.first_layer(conv)[0].shape == (8, 1, 3, 3)
    assert wp.last_layer(conv)[0].shape == (8, 1, 3, 3)
    maps = wp.feature_maps(conv, torch.rand(1, 1, 28, 28))
    assert [m.shape for _, m in maps] == [(8, 14, 14), (16, 7, 7)]
    assert wp.first_layer(build_model(SeqAEConfig())) is None
    img = wp.tile(first, limit=10, scale=2)
    assert img.dtype == np.uint8 and img.shape == (3 * 57 - 1, 4 * 57 - 1, 3)  # 10 in 4 columns


def test_a_weight_picture_shows_the_sign_of_each_weight():
    w = np.zeros((1, 1, 2, 2), np.float32)
    w[0, 0, 0, 0], w[0, 0, 1, 1] = 1.0, -1.0
    img = wp.tile(w)
    assert tuple(img[0, 0]) == (255, 0, 0)      # positive: red
    assert tuple(img[1, 1]) == (0, 0, 255)      # negative: blue
    assert tuple(img[0, 1]) == (255, 255, 255)  # zero: white


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimiser_trains_and_is_the_one_asked_for(name):
    model = torch.nn.Linear(3, 1)
    opt = make_optimizer(list(model.parameters()), TrainConfig(optimizer=name, lr=0.1))
    assert type(opt).__name__.lower() == {"sgd": "sgd", "adam": "adam", "adamw": "adamw",
                                          "rmsprop": "rmsprop"}[name]
    x, y = torch.randn(64, 3), torch.randn(64, 1)
    before = torch.nn.functional.mse_loss(model(x), y).item()
    for _ in range(20):
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < before


def test_schedules_start_at_the_rate_and_decay_as_declared():
    for name in SCHEDULES:
        cfg = TrainConfig(lr=0.01, schedule=name)
        steps, rates = lr_curve(cfg, 1000)
        assert len(steps) == len(rates) <= 201 and max(rates) <= 0.01 + 1e-12
    step = TrainConfig(lr=0.01, schedule="step")
    assert [lr_at(step, t, 900) for t in (0, 299, 300, 600)] == pytest.approx([0.01, 0.01, 0.001, 0.0001])
    warm = TrainConfig(lr=0.01, schedule="warmup_cosine")
    assert lr_at(warm, 0, 1000) < lr_at(warm, 49, 1000) == pytest.approx(0.01)
    assert lr_at(TrainConfig(lr=0.01, schedule="cosine"), 1000, 1000) == pytest.approx(0.0005)


def test_hood_page_shows_code_weights_and_rules(app):
    at = open_page(app, "hood")
    assert not at.exception, [e.value for e in at.exception]
    code = at.get("code")
    assert code and "class Autoencoder(nn.Module)" in code[0].value
    assert any("Download model.py" in b.label for b in at.get("download_button"))
    at.session_state["hood_tab"] = "Weights as pictures"
    at.run()
    assert not at.exception
    captions = " ".join(c for el in at.get("image") for c in el.captions)
    assert "hidden units" in captions and "principal components" in captions
    at.session_state["hood_model"] = "zoo:dae_conv"
    at.run()
    assert not at.exception
    assert "Feature maps" in " ".join(c for el in at.get("image") for c in el.captions)
    at.session_state["hood_tab"] = "Optimisers"
    at.run()
    assert not at.exception
    latex = " ".join(m.value for m in at.latex)
    assert r"\theta_t" in latex and len(at.latex) == len(OPTIMIZERS)


def test_hood_page_on_a_sequence_model_says_its_weights_are_no_pictures(app):
    at = open_page(app, "hood")
    at.session_state["hood_model"] = "zoo:seq_lstm"
    at.session_state["hood_tab"] = "Weights as pictures"
    at.run()
    assert not at.exception
    assert any("not an image" in i.value for i in at.info)


def test_compare_page_with_two_models_of_different_kinds(app):
    at = open_page(app, "compare")
    assert not at.exception, [e.value for e in at.exception]
    at.session_state["cmp_models"] = ["zoo:ae_k32", "zoo:dae_conv"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    df = at.dataframe[0].value
    assert len(df.columns) == 2 and df.columns[0] == "Dense AE, k = 32"
    assert set(df.loc["model: kind"]) == {"dense", "conv"}
    at.session_state["cmp_models"] = ["zoo:ae_k32"]
    at.run()
    assert any("at least two" in i.value for i in at.info)


def test_train_form_offers_every_optimiser_and_schedule(app):
    at = open_page(app, "train")
    opt = next(s for s in at.selectbox if s.key == "trn_opt")
    assert set(opt.options) == {r.label for r in OPTIMIZERS.values()}
    assert not [s for s in at.slider if s.key == "trn_mom"]  # Adam: no momentum
    opt.set_value("sgd").run()
    assert [s for s in at.slider if s.key == "trn_mom"]
    latex = " ".join(m.value for m in at.latex)
    assert r"v_t = \mu" in latex


def test_a_trained_models_card_keeps_its_loss_curve_through_the_schema():
    """Cards of new trainings carry their curve (the Compare page draws it), and it survives the
    uploaded-card schema; a crafted curve is refused."""
    from aecore.card_schema import CardError, check_card
    from aecore.train import TrainData, train
    from aecore.weights import make_card

    model = build_model(AEConfig(latent_dim=2, hidden=(16,)))
    x = torch.randint(0, 255, (64, 28, 28), dtype=torch.uint8)
    hist = train(model, TrainConfig(epochs=2, batch_size=32, val_size=0),
                 data=TrainData(x, None, x[:0], None), device="cpu")
    card = check_card(make_card(model, curve=hist.card_curve()))
    assert card["curve"]["epoch"] == [1, 2] and len(card["curve"]["train_loss"]) == 2
    assert card["curve"]["val_loss"] == [None, None]  # no validation split: not measured
    with pytest.raises(CardError):
        check_card(make_card(model, curve={"epoch": ["<b>x</b>"]}))
