"""Reconstruct & compress: an image (a digit, a garment, a photo patch, ...) through a code of k
numbers and back, beside PCA of the same data set at the same k."""
from __future__ import annotations

import streamlit as st
import torch

from aecore.models import Autoencoder
from ui import catalog, charts, datasets, downloads, query, recon, widgets
from views import specs

DEFAULTS = specs.RECONSTRUCT.defaults

FLOAT_BYTES = 4  # a float32 code number


def model_code(model: Autoencoder, x: torch.Tensor, y: torch.Tensor | None = None) -> list[float]:
    """The code of one image x (1, C, H, W) as a list of k floats."""
    with torch.inference_mode():
        return model.encode(x, y if model.conditional else None)[0].tolist()


def size_text(before: float, after: float) -> str:
    """How ``after`` compares with ``before``: "6.13x smaller" or "1.02x larger"."""
    r = before / after
    return f"{r:.3g}x smaller" if r >= 1 else f"{1 / r:.3g}x larger"


# the zoo's k = 32 model of each shipped data set
DEFAULT_MODEL = {"mnist": f"zoo:{DEFAULTS['model']}", "fashion-mnist": "zoo:fashion_ae_k32",
                 "photos": "zoo:photos_ae_k32"}

st.title("Reconstruct & compress")
data = datasets.picker("rec_data")
item, items, names = data.item, data.items, data.classes
c, h, w = data.shape
PIXELS = c * h * w  # numbers in one image; one uint8 byte each on disk
size = f"{h}x{w}" + (" colour" if data.colour else "")
st.markdown(
    f"Each {item} ({size}: {PIXELS:,} numbers) is squeezed into a **code of k numbers** and "
    "rebuilt from that code alone: the closer a reconstruction looks to its original, the less "
    "the squeeze lost. **PCA** with the same k is the best any *linear* squeeze can do, the bar "
    "to beat.")

test, pca = recon.data_or_stop(data.name)
left, right = st.columns([1, 2])
with left:
    key = query.model_picker("model", "Model", "rec_model", datasets.on(data, catalog.any_image),
                             DEFAULT_MODEL.get(data.name, ""))
with right:
    idx = widgets.digit_indices("rec_digits", DEFAULTS["digits"], test.labels, mode_default="By index",
                                names=names, item=item, n_total=len(test))
if key is None:
    st.info(f"No model trained on {data.label} yet: train one on the Train page.")
    st.stop()
model, card = widgets.load_or_stop(key)
if not idx:
    st.warning(f"No {items} to show: pick another class or index.")
    st.stop()

k = model.latent_dim
x, y = test.float_images(idx), test.labels[idx]  # (B, C, H, W), (B,)
try:
    ae = recon.model_recon(model, x, y)
except (RuntimeError, ValueError) as exc:  # a user's model whose shapes do not fit the data
    st.error(f"This model could not reconstruct these {items}: {exc}")
    st.stop()
pk = recon.pca_k(k, pca)
lin = recon.pca_recon(pca, x, pk)

st.subheader("Originals and reconstructions")
captions = recon.digit_captions(idx, test.labels, None if data.name == "mnist" else names)
recon.grid("rec_grid", [(f"Original\n{PIXELS:,} numbers", x, captions),
                        (f"Autoencoder\nk = {k}", ae.images, ae.captions()),
                        (f"PCA\nk = {pk}", lin.images, lin.captions())])
st.caption("Under each image: its mean squared error per pixel (lower is better) and, for up to 8 "
           f"{items}, its PSNR in dB (higher is better), against the original."
           + ("" if pk == k else f" PCA cannot use more than {PIXELS} components: at {PIXELS} it "
                                 f"copies the {item} exactly."))

st.subheader("How much smaller?")
c1, c2, c3, c4 = st.columns(4)
c1.metric(f"Compression ratio ({PIXELS} / k)", f"{round(PIXELS / k, 2):g}x",
          help="How many pixels each code number stands for.")
c2.metric("Code, float32", f"{FLOAT_BYTES * k:,} bytes", help=f"{k} numbers x 4 bytes")
c3.metric(f"{item.capitalize()}, uint8 pixels", f"{PIXELS:,} bytes", help=f"{PIXELS} values x 1 byte")
c4.metric(f"{item.capitalize()}, float32 pixels", f"{FLOAT_BYTES * PIXELS:,} bytes",
          help=f"{PIXELS} values x 4 bytes")
m1, m2, _ = st.columns([1, 1, 2])
m1.metric(f"Mean MSE, autoencoder ({len(idx)} {items})", f"{ae.mean_mse:.4f}",
          delta=f"{ae.mean_mse - lin.mean_mse:+.4f} vs PCA", delta_color="inverse")
m2.metric(f"Mean MSE, PCA k = {pk}", f"{lin.mean_mse:.4f}")
st.caption(f"In bytes the float32 code is {size_text(PIXELS, FLOAT_BYTES * k)} than the "
           f"uint8 image and {size_text(FLOAT_BYTES * PIXELS, FLOAT_BYTES * k)} than the "
           "float32 one. Only the code travels"
           + (f" (with the {item}'s label, which this conditional model also needs)"
              if model.conditional else "")
           + ": the decoder (its weights) is shared once by sender and receiver, like a dictionary.")

st.subheader(f"The code of one {item}")
c_pick, c_bar = st.columns([1, 3], vertical_alignment="center")
with c_pick:
    label = dict(zip(idx, captions))
    pick = query.select("code", item.capitalize(), idx, idx[0], key="rec_code_digit",
                        format_func=label.get)
    pos = idx.index(pick)
    widgets.image_row([x[pos], ae.images[pos]], ["original", "rebuilt"],
                      alts=[f"test digit {int(y[pos])}, #{pick}",
                            f"reconstruction by {card.get('title', key)}, k = {k}, "
                            f"MSE {ae.mse[pos]:.4f}"])
code = model_code(model, x[pos:pos + 1], y[pos:pos + 1])
fig = charts.bars(code, f"The {k} numbers the encoder keeps for test {item} #{pick}",
                  xlabel="code unit", ylabel="value")
fig.update_xaxes(tickmode="linear", dtick=max(1, k // 16))  # whole-number ticks for any k
charts.show(fig, key="rec_code_chart", where=c_bar)  # its modebar: "Download plot as png"
downloads.download_buttons(fig, f"code-of-test-{item.replace(' ', '-')}-{pick}", "rec_code_dl",
                           where=c_bar)
