"""The page is the unit of declaration (views/specs.py): start-up, the warm-up and the shipped
file follow each page's DEFAULTS and NEEDS, and a changed default is never silently stale."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil

import numpy as np
import pytest
import torch

from conftest import ROOT

from aecore import cli
from aecore import precomputed as pc
from aecore.data import load_split
from aecore.zoo import PRETRAINED_DIR, load_zoo_model
from startup import plan, warmup
from views import specs


def _with_model(page: specs.Page, model: str) -> specs.Page:
    return dataclasses.replace(page, defaults={**page.defaults, "model": model})


def test_the_shipped_file_holds_every_entry_the_pages_declare():
    # a default changed in views/specs.py without `python -m aecore precompute` fails here,
    # instead of a page recomputing on every first visit with no error
    assert pc.stale(plan.entries()) == [], "run: python -m aecore precompute"


def test_changing_a_default_model_alone_rebuilds_the_right_entry(tmp_path, monkeypatch):
    shipped = specs.ANOMALY.defaults["model"]
    changed = _with_model(specs.ANOMALY, "ae_k16")
    d = changed.defaults
    settings = {k: d[k] for k in ("n_normal", "n_per_kind", "seed")}
    # the shipped file has nothing for the new default: it is recomputed, not read stale
    assert pc.stale(plan.entries([changed])) == ["ood.ae_k16"]
    assert pc.shipped_ood_scores("ae_k16", **settings) is None
    assert pc.shipped_ood_scores(shipped, **settings) is not None

    # `python -m aecore precompute` builds what the declarations call for, the new default's too
    folder = tmp_path / "pretrained"
    shutil.copytree(PRETRAINED_DIR, folder)
    monkeypatch.setattr(specs, "PAGES", (changed,))
    assert cli.main(["precompute", "--out", str(folder)]) == 0
    assert pc.stale(plan.entries(), folder) == []
    model, _ = load_zoo_model("ae_k16")
    with torch.inference_mode():
        _, fresh, _ = pc.ood_scores(model, load_split("test").float_images(), **settings)
    built = pc.shipped_ood_scores("ae_k16", folder=folder, **settings)
    assert built is not None and np.allclose(built.numpy(), fresh.numpy(), rtol=1e-5, atol=1e-7)
    assert pc.shipped_ood_scores(shipped, folder=folder, **settings) is None  # not declared now


def test_a_changed_count_is_a_new_entry_too():
    d = specs.FEATURES.defaults
    changed = dataclasses.replace(specs.FEATURES, defaults={**d, "n_ref": 5000})
    assert "probe.ae_k2" in pc.stale(plan.entries([changed]))
    assert pc.shipped_probe("ae_k2", 5000, d["n_test"]) is None


def test_every_page_of_the_router_is_declared_once():
    routed = re.findall(r'st\.Page\("views/(\w+)\.py"', (ROOT / "app.py").read_text())
    names = [p.name for p in specs.PAGES]
    assert routed == names  # the same pages, in the sidebar's order
    assert len(set(names)) == len(names)


def test_torch_is_waited_for_only_where_a_page_declares_it():
    assert not plan.needs_torch("home") and not plan.needs_torch("lesson")
    assert not plan.needs_torch("")  # Streamlit's URL path of the default page: Home
    assert plan.needs_torch("reconstruct") and plan.needs_torch("anomaly")
    assert plan.needs_torch("a_page_nobody_declared")  # the safe side


def test_declared_live_elements_and_warm_steps_exist():
    for page in specs.PAGES:
        source = (ROOT / "views" / f"{page.name}.py").read_text()
        for key in page.needs.live:
            assert key.rstrip("*") in source, (page.name, key)
        for step in page.needs.warm:
            assert step in warmup.STEPS, (page.name, step)
        for kind in page.needs.precomputed:
            assert kind in plan.ENTRIES, (page.name, kind)


def test_the_warm_up_goes_page_by_page_libraries_before_their_loaders():
    order = plan.warm_order()
    assert order.index(("import", "sklearn.metrics")) < order.index(("step", "detection_figures"))
    assert order.index(("step", "zoo_models")) < order.index(("import", "sklearn.metrics"))
    assert len(order) == len(set(order))


def test_the_core_names_no_page():
    text = (ROOT / "aecore" / "precomputed.py").read_text() + (ROOT / "aecore" / "shipped.py").read_text()
    assert not re.search(r"\bpages?\b", text, re.IGNORECASE)
    with pytest.raises(ValueError):
        pc.build([pc.Entry("no_such_kind")], PRETRAINED_DIR / "nowhere")
    assert json.dumps([e.settings for e in plan.entries()])  # plain data
