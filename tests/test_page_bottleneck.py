"""The Bottleneck sizes page through the real app (AppTest), and the PCA baseline it plots."""
from __future__ import annotations

import base64
import json
import re

import pytest
import torch

import aecore.zoo
from aecore.pca import PCA, pca_test_mse
from aecore.zoo import zoo_cards
from conftest import open_page
from live_util import grid_rows, live_part


def _sweep() -> list[tuple[str, int]]:
    """(name, k) of the ae_kN cards, by k."""
    cards = zoo_cards()
    return sorted(((n, int(c["config"]["latent_dim"])) for n, c in cards.items()
                   if re.fullmatch(r"ae_k\d+", n)), key=lambda t: t[1])


def _metric(at, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def _traces(at) -> dict[str, dict]:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return {t["name"]: t for t in spec["data"]}




def test_pca_test_mse_matches_direct_reconstruction():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(300, 1, 4, 4, generator=gen) * torch.linspace(0.1, 1.0, 16).view(1, 1, 4, 4)
    pca = PCA.fit(x[:200])
    got = pca_test_mse([1, 3, 8, 16, 40], pca, x[200:], chunk=30)
    want = [(pca.reconstruct(x[200:], min(k, 16)) - x[200:]).pow(2).mean().item()
            for k in (1, 3, 8, 16, 40)]
    assert got == pytest.approx(want, rel=1e-4, abs=1e-9)
    assert got[-1] == pytest.approx(0.0, abs=1e-9)  # k above D: every component, exact copy


def test_grid_shows_every_model_of_the_sweep(app):
    at = open_page(app, "bottleneck")
    assert not at.exception and not at.error
    sweep = _sweep()
    rows = grid_rows(at)
    labels = [label for label, _ in rows]
    assert labels[0] == "Original\n784 pixels"
    for _, k in sweep:
        assert f"k = {k}\n{round(784 / k, 2):g}x smaller" in labels, k
    if "ae_overcomplete" in zoo_cards():
        k_over = zoo_cards()["ae_overcomplete"]["config"]["latent_dim"]
        assert labels[-1] == f"k = {k_over}\nbigger than the image"
    # the originals row and one row per model, all over the same digits, each with its error
    n = len(rows[0][1])
    assert n == 6 and all(len(caps) == n for _, caps in rows)
    assert all(c.startswith("MSE") for _, caps in rows[1:] for c in caps)


def test_mse_chart_has_autoencoder_and_pca_at_the_same_ks(app):
    at = open_page(app, "bottleneck")
    traces = _traces(at)
    ae, lin = traces["Autoencoder"], traces["PCA (same k)"]
    sweep = _sweep()
    assert len(sweep) == 6
    ks = [k for _, k in sweep]
    assert ae["x"] == ks and lin["x"] == ks
    assert len(ae["y"]) == len(lin["y"]) == 6
    assert ae["y"] == pytest.approx([zoo_cards()[n]["metrics"]["mse"] for n, _ in sweep])
    assert all(a > b for a, b in zip(lin["y"], lin["y"][1:]))  # more components, less error
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["xaxis"]["type"] == "log"


def _closer(at, index: int | None = None) -> dict[str, list[str]]:
    """The live closer look at the slider's stop (or ``index``): {row label: captions}."""
    part = live_part(at, "stops")
    page = part["stops"][part["index"] if index is None else index]
    return {r["label"]: [c["caption"] for c in r["cells"]] for r in page["rows"]}


def test_picking_k_updates_the_closer_look(app):
    at = open_page(app, "bottleneck")
    pca_before = [v for lab, v in _closer(at).items() if lab.startswith("PCA")]
    name, k = _sweep()[2]
    at.select_slider(key="bot_k").set_value(k).run()
    assert not at.exception
    rows = _closer(at)
    assert f"Autoencoder\nk = {k}" in rows and f"PCA\nk = {k}" in rows
    card = zoo_cards()[name]
    assert _metric(at, "Test MSE") == f"{card['metrics']['mse']:.4f}"
    assert _metric(at, "Epochs") == str(card["epochs"])
    assert rows[f"PCA\nk = {k}"] != pca_before[0]  # PCA with fewer components


def test_every_stop_of_the_k_slider_equals_what_the_server_shows_at_it(app):
    """The closer look is sent for every k at once; each stop must be what the server's own
    path (ui.recon on that k's model) gives, the same as picking that k."""
    at = open_page(app, "bottleneck")
    cards = zoo_cards()
    sweep = _sweep() + [("ae_overcomplete", cards["ae_overcomplete"]["config"]["latent_dim"])
                        for _ in range("ae_overcomplete" in cards)]  # then the overcomplete AE
    part = live_part(at, "stops")
    assert part["by_index"] and part["values"] == [k for _, k in sweep]
    for i, (name, k) in enumerate(sweep):
        at.select_slider(key="bot_k").set_value(k).run()
        now = live_part(at, "stops")
        assert now["index"] == i and now["stops"] == part["stops"] and now["images"] == part["images"]
        assert any(m.value.startswith(f"**{zoo_cards()[name]['title']}**") for m in at.markdown)
        mses = [float(c.split()[0].replace("MSE\u00a0", "")) if "MSE" in c else float(c)
                for c in _closer(at)[f"Autoencoder\nk = {k}"]]
        assert _metric(at, "Autoencoder MSE") == f"{sum(mses) / len(mses):.4f}"


def test_overcomplete_output_on_a_noisy_digit_beside_k32(app):
    if "ae_overcomplete" not in zoo_cards():
        pytest.skip("no overcomplete model in pretrained/")
    at = open_page(app, "bottleneck")
    k_over = zoo_cards()["ae_overcomplete"]["config"]["latent_dim"]
    demo = at.image[-1].captions
    assert demo[0] == "clean" and demo[1].startswith("noisy")
    assert demo[2].startswith(f"k = {k_over} output") and demo[3].startswith("k = 32 output")


def test_broken_model_file_shows_an_error_and_the_rest(app, tmp_path, monkeypatch, clear_caches):
    for p in aecore.zoo.PRETRAINED_DIR.iterdir():
        (tmp_path / p.name).symlink_to(p)
    name, k = _sweep()[1]
    data = (aecore.zoo.PRETRAINED_DIR / f"{name}.safetensors").read_bytes()
    (tmp_path / f"{name}.safetensors").unlink()
    (tmp_path / f"{name}.safetensors").write_bytes(data[: len(data) // 3])
    monkeypatch.setattr(aecore.zoo, "PRETRAINED_DIR", tmp_path)
    at = open_page(app, "bottleneck")
    assert not at.exception
    assert any(name in e.value for e in at.error)
    other = _sweep()[2][1]
    labels = [label for label, _ in grid_rows(at)]
    assert any(v.startswith(f"k = {other}\n") for v in labels)  # the others still show
    assert not any(v.startswith(f"k = {k}\n") for v in labels)  # and not the broken one
    at.select_slider(key="bot_k").set_value(k).run()
    assert not at.exception
    assert any(name in e.value for e in at.error)


def _set_sweep(dataset: str) -> list[tuple[str, int]]:
    """(name, k) of the zoo's AE sweep trained on ``dataset`` (its cards' data and latent size)."""
    from aecore.datasets import card_dataset
    return sorted(((n, int(c["config"]["latent_dim"])) for n, c in zoo_cards().items()
                   if re.fullmatch(r"\w+_ae_k\d+", n) and card_dataset(c) == dataset),
                  key=lambda t: t[1])


def _page_text(at) -> str:
    """The page's own words: its markdown, subheaders and captions (not the sidebar's)."""
    return " ".join(e.value for e in (*at.main.markdown, *at.main.subheader, *at.main.caption))


def test_a_link_opens_fashion_mnist_with_its_sweep_and_words():
    from conftest import open_with
    from aecore.datasets.fashion import CLASSES
    sweep = _set_sweep("fashion-mnist")
    if len(sweep) < 2:
        pytest.skip("the Fashion-MNIST sweep is not in pretrained/")
    at = open_with("bottleneck", data="fashion-mnist")
    assert not at.error
    assert at.selectbox(key="bot_data").value == "fashion-mnist"
    rows = grid_rows(at)
    labels = [label for label, _ in rows]
    assert labels == ["Original\n784 pixels"] + [f"k = {k}\n{round(784 / k, 2):g}x smaller"
                                                for _, k in sweep]
    # the originals are captioned by their garment class, never as digits
    assert all(c.split(" · ")[1] in CLASSES for c in rows[0][1])
    text = _page_text(at)
    assert "garments" in text and "digit" not in text
    # the closer look flips between the set's own k, on one garment of each class
    part = live_part(at, "stops")
    assert part["values"] == [k for _, k in sweep]
    assert [r["label"] for r in part["stops"][0]["rows"]][0] == "Original"
    assert len(part["stops"][0]["rows"][0]["cells"]) == len(CLASSES)


def test_fashion_mse_chart_has_an_ae_point_per_k_and_both_curves_fall():
    from conftest import open_with
    from live_util import plotly_figures
    sweep = _set_sweep("fashion-mnist")
    if len(sweep) < 2:
        pytest.skip("the Fashion-MNIST sweep is not in pretrained/")
    at = open_with("bottleneck", data="fashion-mnist")
    traces = {t["name"]: t for t in plotly_figures(at)[0]["data"]}
    ae, lin = traces["Autoencoder"], traces["PCA (same k)"]
    ks = [k for _, k in sweep]
    assert ae["x"] == ks and lin["x"] == ks and "overcomplete" not in " ".join(traces)
    assert all(a > b for a, b in zip(ae["y"], ae["y"][1:]))  # a bigger code, a smaller error
    assert all(a > b for a, b in zip(lin["y"], lin["y"][1:]))
    assert ae["y"][0] < lin["y"][0]  # at k = 2 the nonlinear code beats the best linear one
    # measured on a few hundred test garments: near each card's figure over all 10,000
    cards = zoo_cards()
    assert ae["y"] == pytest.approx([cards[n]["metrics"]["mse"] for n, _ in sweep], rel=0.15)


def test_photos_show_colour_patches_through_their_sweep():
    from conftest import open_with
    sweep = _set_sweep("photos")
    if not sweep:
        pytest.skip("no photos_ae_kN model in pretrained/")
    at = open_with("bottleneck", data="photos")
    assert not at.error
    grid = live_part(at, "rows")
    assert (grid["h"], grid["w"]) == (32, 32)
    rows = grid["stops"][0]["rows"]
    assert [r["label"] for r in rows] == ["Original\n3,072 numbers"] + [
        f"k = {k}\n{round(3072 / k, 2):g}x smaller" for _, k in sweep]
    assert all(len(base64.b64decode(grid["images"][c["img"]])) == 3 * 32 * 32  # RGB bytes
               for r in rows for c in r["cells"])
    assert "photo patches" in _page_text(at) and "digit" not in _page_text(at)
    assert live_part(at, "stops")["values"] == [k for _, k in sweep]


def test_the_picker_offers_only_sets_with_a_sweep(app):
    from aecore.datasets import DATASETS
    from aecore.zoo import zoo_sweep
    at = open_page(app, "bottleneck")
    offered = at.selectbox(key="bot_data").options
    assert offered[0] == DATASETS["mnist"].label  # the default, as before the picker
    for name, d in DATASETS.items():
        assert (d.label in offered) == bool(zoo_sweep(zoo_cards(), name)), name
