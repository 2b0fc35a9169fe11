"""Compare runs: two to four models side by side: loss curves, reconstructions, metrics, settings."""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from aecore.config import config_to_dict, train_config_from_card
from ui import catalog, charts, query, recon, widgets
from views import specs

DEFAULT = [f"zoo:{name}" for name in specs.COMPARE.defaults["models"]]
METRICS = {"mse": "test MSE", "psnr": "test PSNR (dB)", "ssim": "test SSIM",
           "vae_loss": "VAE test loss"}


def _settings(model, card: dict) -> dict[str, str]:
    """A model's settings as text, model config first, then the training's."""
    out = {f"model: {k}": str(v) for k, v in config_to_dict(model.cfg).items()}
    tcfg = config_to_dict(train_config_from_card(card))
    if not isinstance(card.get("train"), dict):
        tcfg = {k: "not recorded" for k in tcfg}
    out.update({f"train: {k}": str(v) for k, v in tcfg.items()})
    out["parameters"] = f"{sum(p.numel() for p in model.parameters()):,}"
    return out


def _table(names: list[str], models: list, cards: list[dict]) -> pd.DataFrame:
    rows = {METRICS[m]: [c.get("metrics", {}).get(m) for c in cards] for m in METRICS}
    rows = {k: v for k, v in rows.items() if any(x is not None for x in v)}
    settings = [_settings(m, c) for m, c in zip(models, cards)]
    rows.update({k: [s.get(k, "-") for s in settings] for k in dict.fromkeys(
        k for s in settings for k in s)})  # every setting of any model, in order of first sight
    # one type per column for the table: numbers shown as text beside the settings
    text = {k: ["-" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v) for v in vals]
            for k, vals in rows.items()}
    return pd.DataFrame(text, index=names).T


def _highlight_differences(df: pd.DataFrame):
    """Rows whose values differ between the models, marked for the eye and in words."""
    differ = df.astype(str).nunique(axis=1) > 1
    return df.style.apply(lambda row: ["font-weight: bold; background-color: #fff3c4"
                                       if differ[row.name] else "" for _ in row], axis=1)


def _curves(names: list[str], cards: list[dict]) -> None:
    by = query.radio("x", "Against", ["epoch", "seconds"], "epoch", key="cmp_x", horizontal=True,
                     format_func=lambda v: "epochs" if v == "epoch" else "wall-clock seconds")
    fig = None
    missing = []
    for name, card in zip(names, cards):
        curve = card.get("curve")
        if not isinstance(curve, dict) or not curve.get("train_loss"):
            missing.append(name)
            continue
        name = html.escape(name)  # a user's model name: Plotly would render its tags
        part = charts.lines(curve[by], {f"{name}: training": curve["train_loss"]})
        vals = [v for v in curve.get("val_loss", []) if v is not None]
        if len(vals) == len(curve[by]):
            part.add_scatter(x=curve[by], y=vals, name=f"{name}: validation", mode="lines",
                             line_dash="dot")
        if fig is None:
            fig = part
        else:
            fig.add_traces(part.data)
    if fig is not None:
        fig.update_layout(title="Loss curves", xaxis_title="epoch" if by == "epoch" else "seconds",
                          yaxis_title="loss")
        for i, tr in enumerate(fig.data):
            tr.line.color = charts.DIGIT_COLORS[i % 10]
        charts.show(fig, key="cmp_curves")
    if missing:
        st.caption("No loss curve recorded for: " + ", ".join(missing) + " (models trained "
                   "before the app kept curves in the card). Models trained now keep theirs.")


st.title("Compare runs")
st.markdown("Pick two to four models: the zoo's or your own. Their loss curves, the same test "
            "digits rebuilt by each, and their metrics and settings, the differences marked.")
entries = catalog.entries(catalog.is_image)
labels = {e.key: e.label for e in entries}
picked = query.multiselect("models", "Models", list(labels), [k for k in DEFAULT if k in labels],
                           key="cmp_models", format_func=lambda k: labels.get(k, k),
                           max_selections=4)
if len(picked) < 2:
    st.info("Pick at least two models to compare.")
    st.stop()
models, cards, names = [], [], []
for key in picked:
    model, card = widgets.load_or_stop(key)
    models.append(model)
    cards.append(card)
    names.append(labels[key])

st.subheader("Loss curves")
_curves(names, cards)

st.subheader("The same digits, rebuilt by each")
test, _ = recon.data_or_stop()
idx = widgets.digit_indices("cmp_digits", 8, test.labels, mode_default="By index")
if idx:
    x, y = test.float_images(idx), test.labels[idx]
    rows = [("Original", x, recon.digit_captions(idx, test.labels))]
    for name, model in zip(names, models):
        r = recon.model_recon(model, x, y)
        rows.append((name, r.images, r.captions()))
    recon.grid("cmp_grid", rows)

st.subheader("Metrics and settings")
df = _table(names, models, cards)
st.dataframe(_highlight_differences(df), key="cmp_table")
st.caption("Highlighted rows differ between the models. Metrics come from each model's card "
           "(measured on the MNIST test set when it was trained).")
