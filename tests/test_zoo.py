"""The shipped zoo: every recipe has its file, every card describes the weights beside it."""
from __future__ import annotations

import pytest

from aecore.config import config_to_dict
from aecore.evaluate import CHECK_N, check_metrics
from aecore.presets import ZOO
from aecore.zoo import PRETRAINED_DIR, load_zoo_model, zoo_cards

CARD_KEYS = {"format_version", "model", "config", "train", "data", "epochs", "seed",
             "train_seconds", "metrics", "command", "storage", "check"}


def test_every_recipe_is_shipped_and_nothing_else():
    cards = zoo_cards()
    assert set(cards) == set(ZOO)
    assert not [p for p in PRETRAINED_DIR.iterdir() if p.suffix not in (".json", ".safetensors")]


def test_the_zoo_fits_its_size_budget():
    total = sum(p.stat().st_size for p in PRETRAINED_DIR.iterdir())
    assert total <= 30 * 1024 * 1024


@pytest.mark.parametrize("name", list(ZOO))
def test_card_matches_its_recipe_and_its_weights(name):
    model, card = load_zoo_model(name)
    assert CARD_KEYS <= set(card), CARD_KEYS - set(card)
    preset = ZOO[name]
    # reproducible by one CLI command: the card holds exactly the recipe's configs
    assert card["config"] == config_to_dict(preset.model)
    assert card["train"] == config_to_dict(preset.train)
    assert card["command"] == f"python -m aecore train --preset {name} --out pretrained"
    # the figures in the card are those of these weights (recomputed on a fixed sample)
    got = check_metrics(model)
    assert got["n"] == CHECK_N == card["check"]["n"]
    for k, v in card["check"].items():
        assert got[k] == pytest.approx(v, rel=1e-4, abs=1e-6), k
