"""Every cached loader of the app, in one place, and the one caching rule.

The rule:

1. **Data is cached once.** What the core already holds once per process (the MNIST splits in
   :mod:`aecore.data`, the MNIST PCA in :mod:`aecore.pca`; the core needs them for training and
   the CLI) is read through here *without* a second Streamlit cache.
2. **Models are keyed by name and card hash, never by ``id()``.** A result computed from a model
   is cached under :func:`model_tag`: its catalogue key plus :func:`aecore.weights.card_hash` of
   its card, so a retrained model under the same key (a new card) gets new results, and one
   model's results are shared by every session that shows it. The model itself is passed as an
   unhashed ``_model`` argument.
3. ``st.cache_resource`` for objects shared by all sessions (models: eval mode, used only under
   ``torch.inference_mode()``, never mutated); ``st.cache_data`` for arrays and tables computed
   from them. Every cache has ``max_entries`` so a busy classroom server keeps bounded memory.
   Pages define their own ``st.cache_data`` functions for their own tables, by the same rule.

Importing this module does not import torch: the loaders that need it import it, and the core's
modules that use it, when first called. The app's frame and the Home page's first draw use
:func:`cards` while :mod:`startup.warmup` is still importing torch on its own thread, and one
thread imports it, not two. (Torch's threads and the garbage collector's freezing are start-up's:
:mod:`startup.runtime`.)
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aecore.data import load_split
from aecore.zoo import load_zoo_model, zoo_cards

if TYPE_CHECKING:
    from aecore.data import Split
    from aecore.models import Autoencoder
    from aecore.pca import PCA


@st.cache_resource(max_entries=40, show_spinner=False)
def zoo_model(name: str) -> tuple[Autoencoder, dict]:
    """A shipped model and its card (raises WeightsError with a clear message if broken)."""
    model, card = load_zoo_model(name)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)  # shared across sessions: never trained in place
    return model, card


@st.cache_data(max_entries=4, ttl=600, show_spinner=False)
def cards() -> dict[str, dict]:
    """Cards of the shipped models (re-read at most every 10 minutes)."""
    return zoo_cards()


def model_tag(key: str, card: dict) -> str:
    """A model's cache key (rule 2): ``"<catalogue key>#<card hash>"``."""
    from aecore.weights import card_hash
    return f"{key}#{card_hash(card)}"


def mnist_split(split: str) -> Split:
    """The MNIST ``train`` or ``test`` split (held once per process by :mod:`aecore.data`)."""
    return load_split(split)


def pca() -> PCA:
    """PCA of the MNIST training split, the linear-autoencoder baseline: the basis shipped in
    ``pretrained/`` when it matches the data, else fitted (once per process, by
    :func:`aecore.precomputed.app_pca`)."""
    from aecore.precomputed import app_pca, app_pca_ready
    if app_pca_ready():
        return app_pca()
    with st.spinner("Loading the PCA basis..."):
        return app_pca()


@st.cache_data(max_entries=16, show_spinner="Encoding the test set...")
def _test_codes(tag: str, _model: Autoencoder, dataset: str = "mnist") -> np.ndarray:
    import torch

    from aecore.evaluate import encode_all
    from aecore.precomputed import shipped_codes, zoo_name
    name = zoo_name(tag)  # a shipped model: its codes may be shipped too, checked by its file's hash
    shipped = shipped_codes(name) if name else None
    if shipped is not None:
        return shipped.numpy()
    test = load_split("test", dataset)
    y = test.labels if _model.conditional else None
    with torch.inference_mode():
        return encode_all(_model, test.float_images(), y).numpy()


def test_codes(key: str, model: Autoencoder, card: dict) -> np.ndarray:
    """Codes of every test item of the data set the model was trained on, (N, k) float32."""
    from aecore.datasets import card_dataset
    return _test_codes(model_tag(key, card), model, card_dataset(card))


def zoo_test_codes(name: str) -> np.ndarray:
    """:func:`test_codes` of a shipped model."""
    return test_codes(f"zoo:{name}", *zoo_model(name))


@st.cache_data(max_entries=8, show_spinner="Measuring PCA on the test set...")
def pca_test_mse(ks: tuple[int, ...]) -> list[float]:
    """Test-set MSE per pixel of PCA with k components, one per k (the linear baseline)."""
    from aecore.pca import pca_test_mse as _pca_test_mse
    return _pca_test_mse(ks, pca(), mnist_split("test").float_images())


@st.cache_data(max_entries=16, show_spinner=False)
def _test_kl(tag: str, _model: Autoencoder, dataset: str = "mnist") -> np.ndarray:
    from aecore.latent import kl_per_dim
    test = load_split("test", dataset)
    y = test.labels if _model.conditional else None
    return kl_per_dim(_model, test.float_images(), y).numpy()


def test_kl(key: str, model: Autoencoder, card: dict) -> np.ndarray:
    """Mean KL(q(z_d|x) || N(0, 1)) per latent dimension d over the test set of a VAE, in nats,
    (k,); the sum is the KL term that beta weighs (cards hold the MSE, not this)."""
    from aecore.datasets import card_dataset
    return _test_kl(model_tag(key, card), model, card_dataset(card))


def zoo_test_kl(name: str) -> np.ndarray:
    """:func:`test_kl` of a shipped VAE."""
    return test_kl(f"zoo:{name}", *zoo_model(name))


@st.cache_data(max_entries=4, show_spinner="Coding the word list...")
def word_codes(tag: str, _model: Autoencoder) -> tuple[list[str], np.ndarray]:
    """The bundled word list and the code of each word (N, k) under the word AE ``tag`` names
    (24,000 words: about a second on 2 cores, so the warm-up makes it for the shipped one)."""
    from aecore import text as tx
    words = tx.load_words()
    return words, tx.codes(_model, words).numpy()


def zoo_word_codes(name: str) -> tuple[list[str], np.ndarray]:
    """:func:`word_codes` of a shipped word AE."""
    model, card = zoo_model(name)
    return word_codes(model_tag(f"zoo:{name}", card), model)
