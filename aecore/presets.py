"""Presets: a named pair of configs (model config, train config), with a title and a why.

The zoo in ``pretrained/`` is exactly the ``ZOO`` presets, each rebuilt by
``python -m aecore train --preset NAME --out pretrained``. The Train page offers the ``TEACHING``
presets as buttons. One dict each; nothing else names a preset. (The Train page's model *types*,
the families these presets belong to, are :mod:`aecore.model_types`.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import (AEConfig, ContractiveAEConfig, ConvAEConfig, CVAEConfig, SeqAEConfig,
                     PhotoConfig, SoundAEConfig, SparseAEConfig, StackedAEConfig, TabularAEConfig, TextAEConfig,
                     TrainConfig, VAEConfig, replace)
from .errors import ConfigError


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    model: Any          # a model config
    train: TrainConfig
    description: str = ""
    role: str = ""      # which page uses it: "sweep", "latent2d", "denoise", "generate", ...


SWEEP_KS = (2, 4, 8, 16, 32, 64)
SWEEP_HIDDEN = (512, 256)  # one family for every k, so only the bottleneck differs


def _sweep(k: int) -> Preset:
    # more epochs for larger k: a wide code keeps improving long after a narrow one saturates.
    # k = 2 is the exception: its loss flattens early, but its 2-D map keeps sorting the classes
    # apart (5-NN accuracy of test codes 80.4% after 20 epochs, 86.3% after 60)
    epochs = {2: 60, 4: 20, 8: 12, 16: 15, 32: 40, 64: 40}[k]
    return Preset(
        f"ae_k{k}", f"Dense AE, k = {k}", AEConfig(latent_dim=k, hidden=SWEEP_HIDDEN),
        TrainConfig(epochs=epochs, batch_size=128, lr=2e-3, loss="bce"),
        f"784-512-256-{k}-256-512-784, BCE: the bottleneck sweep at k = {k}.", "sweep")


ZOO: dict[str, Preset] = {p.name: p for p in [
    *(_sweep(k) for k in SWEEP_KS),
    Preset("ae_overcomplete", "Overcomplete AE, k = 800",
           AEConfig(latent_dim=800, hidden=()),
           TrainConfig(epochs=5, lr=1e-3, loss="bce"),
           "784-800-784, linear code, no regulariser: a code wider than the input can simply "
           "copy it, so reconstructions are near perfect but it has learnt little.", "overcomplete"),
    Preset("dae_conv", "Denoising conv AE", ConvAEConfig(latent_dim=128, hidden=(32, 64)),
           TrainConfig(epochs=12, lr=2e-3, loss="bce", noise="mixed", noise_level=0.7),
           "Conv AE trained on inputs corrupted by Gaussian, salt-and-pepper, masking and speckle "
           "noise at random levels up to 0.7, with the clean digit as target.", "denoise"),
    Preset("vae_k2", "VAE, k = 2", VAEConfig(latent_dim=2, hidden=(512, 256)),
           TrainConfig(epochs=20, lr=1e-3, loss="bce"),
           "A 2-D latent space you can see whole: the latent page and the manifold grid.", "latent2d"),
    Preset("vae_k20", "VAE 784-400-20 (pytorch/examples)", VAEConfig(latent_dim=20, hidden=(400,)),
           TrainConfig(epochs=30, lr=1e-3, loss="bce"),
           "The VAE of pytorch/examples, trained with our loop.", "generate"),
    Preset("vae_best", "VAE, k = 32, two hidden layers", VAEConfig(latent_dim=32, hidden=(512, 256)),
           TrainConfig(epochs=30, lr=1e-3, loss="bce"),
           "The zoo's best sampler.", "generate"),
    *(Preset(f"bvae_{b:g}", f"beta-VAE, beta = {b:g}", VAEConfig(latent_dim=10, hidden=(256,), beta=b),
             TrainConfig(epochs=10, lr=1e-3, loss="bce"),
             f"beta = {b:g}: " + ("a weaker KL pull, sharper but less regular" if b < 1 else
                                 "the plain VAE" if b == 1 else "a stronger KL pull: smoother, "
                                 "blurrier, more disentangled"), "beta")
      for b in (0.5, 1.0, 4.0)),
    Preset("cvae", "Conditional VAE", CVAEConfig(latent_dim=8, hidden=(256, 128)),
           TrainConfig(epochs=15, lr=1e-3, loss="bce"),
           "Pick a digit, sample a style: the label is an input of the decoder.", "cvae"),
    Preset("sparse_l1", "Sparse AE (L1)", SparseAEConfig(latent_dim=128, hidden=(), penalty="l1",
                                                          weight=0.05),
           TrainConfig(epochs=10, lr=2e-3, loss="bce"), "784-128-784: an L1 penalty on a 128-unit ReLU code.", "types"),
    Preset("sparse_kl", "Sparse AE (KL)", SparseAEConfig(latent_dim=128, hidden=(), penalty="kl",
                                                          weight=0.01, rho=0.05),
           TrainConfig(epochs=10, lr=2e-3, loss="bce"),
           "784-128-784: a KL penalty pulls each sigmoid unit's mean activation to rho = 0.05.", "types"),
    Preset("contractive", "Contractive AE", ContractiveAEConfig(latent_dim=32, hidden=(256,), weight=0.1),
           TrainConfig(epochs=10, lr=2e-3, loss="bce"),
           "Penalty on the encoder Jacobian: codes move little under small input changes.", "types"),
    Preset("stacked", "Stacked AE", StackedAEConfig(latent_dim=32, hidden=(256, 128), pretrain_epochs=2),
           TrainConfig(epochs=8, lr=2e-3, loss="bce"),
           "Greedy layer-wise pretraining, 2 epochs per layer, then 8 epochs of fine-tuning.", "types"),
    Preset("seq_lstm", "Sequence AE (LSTM) on sensor signals",
           SeqAEConfig(latent_dim=16, hidden=(64,), cell="lstm", channels=4, seq_len=64),
           TrainConfig(epochs=30, lr=3e-3, loss="mse", batch_size=64, dataset="sensors", val_size=400),
           "Trained on normal behaviour only; spikes, drift and stuck sensors reconstruct badly.",
           "sensors"),
    # photo models: fully convolutional, trained on patches of the training photos only
    Preset("photo_denoise", "Photo restorer (noise, JPEG, scratches)",
           PhotoConfig(task="denoise", width=32, latent_dim=64),
           TrainConfig(epochs=6, batch_size=16, lr=2e-3, loss="mse", subset=4000, val_size=128,
                       dataset="photos"),
           "Fully convolutional denoising AE on 48x48 patches of the training photos (scaled, "
           "flipped, turned): Gaussian noise up to sigma 60/255 with its level as an input, salt "
           "and pepper, JPEG blocking, and scratches and holes with their mask as an input.",
           "photo"),
    Preset("photo_colourise", "Photo colouriser (grey to colour)",
           PhotoConfig(task="colourise", width=32, latent_dim=64),
           TrainConfig(epochs=5, batch_size=16, lr=2e-3, loss="mse", subset=3000, val_size=128,
                       dataset="photos"),
           "Fully convolutional AE from the L* (lightness) channel of CIE Lab to a* and b* "
           "(colour), on 48x48 patches of the colour training photos.", "photo"),
    Preset("photo_document", "Scanned-document cleaner",
           PhotoConfig(task="document", width=32, latent_dim=64),
           TrainConfig(epochs=5, batch_size=16, lr=2e-3, loss="mse", subset=3000, val_size=128,
                       dataset="documents"),
           "Fully convolutional denoising AE from dirty to clean pages, on 48x48 patches of "
           "synthetic pages (DejaVu text with uneven light, stains, creases, blur and noise).",
           "photo"),
    # beyond images (docs/BEYOND-IMAGES.md)
    Preset("tab_fraud", "Fraud detector on card transactions",
           TabularAEConfig(latent_dim=4, hidden=(32, 16), n_features=9),
           TrainConfig(epochs=8, batch_size=128, lr=3e-3, loss="mse", dataset="transactions"),
           "A one-class AE trained on 17,000 normal synthetic card payments (aecore.tabular); "
           "probing, unusual hours, far merchants and amount spikes rebuild badly.", "tables"),
    # bidirectional: the backward direction ends on the first letters, which the decoder spells
    # first (a one-way GRU of 96 rebuilt 80% of the held-out words exactly, this one 96%)
    Preset("words_gru", "Word AE (GRU), code 32",
           TextAEConfig(latent_dim=32, hidden=(128,), bidirectional=True),
           TrainConfig(epochs=12, batch_size=256, lr=4e-3, loss="mse", dataset="words"),
           "A character-level autoencoder on 21,600 English words (2,400 more are held out): a "
           "bidirectional GRU reads the word, both final states become a code of 32, and a GRU "
           "spells it back.",
           "text"),
    Preset("sound_dae", "Speech denoiser (mask AE over STFT frames)",
           SoundAEConfig(latent_dim=64, hidden=(256,), context=3),
           TrainConfig(epochs=12, batch_size=256, lr=2e-3, loss="mse", dataset="speech"),
           "A dense AE from 7 log-magnitude STFT frames through a code of 64 to a mask for the "
           "middle frame, trained on the 17 training words with white, babble or hum noise at "
           "0-15 dB; the noisy phase is kept.", "sound"),
]}

FASHION_SHAPE, PHOTO_SHAPE = (1, 28, 28), (3, 32, 32)


def _other_sets() -> list[Preset]:
    """The zoo on Fashion-MNIST and the colour photo patches: for each, a 2-D AE (the map), a
    k = 8 / k = 32 AE (the PCA comparison), a VAE and a conv DAE; names start with the set's.
    Short recipes on subsets (a 2-core machine shared by many): each rebuilds in minutes."""
    f, ph = "fashion-mnist", "photos"
    fa = lambda epochs, **kw: TrainConfig(epochs=epochs, lr=2e-3, loss="bce", dataset=f, **kw)  # noqa: E731
    # photo patches are not near-binary: MSE is the loss PSNR measures
    pt = lambda epochs, **kw: TrainConfig(epochs=epochs, lr=2e-3, loss="mse", dataset=ph, **kw)  # noqa: E731
    return [
        Preset("fashion_ae_k2", "Fashion-MNIST: dense AE, k = 2", AEConfig(2, (256, 128)), fa(6),
               "784-256-128-2: a 2-D map of ten kinds of garment.", "latent2d"),
        # the MNIST sweep's family and recipe (SWEEP_HIDDEN, BCE, every training garment)
        Preset("fashion_ae_k8", "Fashion-MNIST: dense AE, k = 8", AEConfig(8, SWEEP_HIDDEN),
               fa(20), "784-512-256-8: the bottleneck at k = 8.", "sweep"),
        Preset("fashion_ae_k32", "Fashion-MNIST: dense AE, k = 32", AEConfig(32, SWEEP_HIDDEN),
               fa(40), "784-512-256-32: the bottleneck at k = 32.", "sweep"),
        Preset("fashion_vae", "Fashion-MNIST: VAE 784-400-20", VAEConfig(20, (400,)),
               TrainConfig(epochs=3, lr=1e-3, loss="bce", dataset=f, subset=20_000),
               "The pytorch/examples VAE on garments.", "generate"),
        Preset("fashion_dae_conv", "Fashion-MNIST: denoising conv AE", ConvAEConfig(128, (16, 32)),
               fa(1, noise="mixed", subset=10_000, noise_level=0.7),
               "Conv AE fed garments under mixed noise up to 0.7, asked for the clean ones.",
               "denoise"),
        Preset("photos_ae_k2", "Colour photos: conv AE, k = 2",
               ConvAEConfig(2, (16, 32), shape=PHOTO_SHAPE), pt(2, subset=5_000),
               "3x32x32 -> 2: a map of photo patches (mostly their brightness and hue).",
               "latent2d"),
        Preset("photos_ae_k32", "Colour photos: conv AE, k = 32",
               ConvAEConfig(32, (16, 32), shape=PHOTO_SHAPE), pt(3, subset=8_000),
               "3x32x32 -> 32 -> 3x32x32, MSE: colour patches through a 32-number code.", "sweep"),
        Preset("photos_vae", "Colour photos: VAE, k = 16",
               VAEConfig(16, (128,), shape=PHOTO_SHAPE),
               TrainConfig(epochs=3, lr=1e-3, loss="bce", dataset=ph, subset=8_000),
               "3072-128-16: a VAE whose samples are colour patches.", "generate"),
        Preset("photos_dae_conv", "Colour photos: denoising conv AE",
               ConvAEConfig(128, (16, 32), shape=PHOTO_SHAPE),
               pt(2, noise="mixed", noise_level=0.5, subset=5_000),
               "Conv AE fed photo patches under mixed noise up to 0.5, asked for the clean ones.",
               "denoise"),
    ]


ZOO.update({p.name: p for p in _other_sets()})

TEACHING: dict[str, Preset] = {p.name: p for p in [
    Preset("keras_dense", "Keras tutorial: dense 784-128-64-32, BCE",
           AEConfig(latent_dim=32, hidden=(128, 64)),
           TrainConfig(epochs=10, batch_size=256, lr=1e-3, loss="bce", schedule="constant"),
           "The deep dense autoencoder of the Keras blog's autoencoder tutorial."),
    Preset("examples_vae", "pytorch/examples VAE: 784-400-20",
           VAEConfig(latent_dim=20, hidden=(400,)),
           TrainConfig(epochs=10, batch_size=128, lr=1e-3, loss="bce", schedule="constant"),
           "The VAE of pytorch/examples (BCE summed + KL, Adam 1e-3, batch 128)."),
    Preset("quick_k2", "Quick 2-D AE (watch the latent map form)",
           AEConfig(latent_dim=2, hidden=(256, 128)),
           TrainConfig(epochs=5, lr=2e-3, subset=10_000),
           "Small and fast: a 2-D code you can watch organise itself epoch by epoch."),
]}


# trainings the app's pages start themselves (through the JobManager, like the Train page's):
# their configs live here, not in the pages
DEMOS: dict[str, Preset] = {p.name: p for p in [
    Preset("one_class", "One-class anomaly detector", AEConfig(latent_dim=32, hidden=(256, 128)),
           TrainConfig(epochs=3, batch_size=64, lr=2e-3, val_size=500, seed=0),
           "A dense AE trained on one digit's training images only (the Anomaly page; its data "
           "is aecore.anomaly.one_class_data, not the MNIST split).", "anomaly"),
    Preset("stacked_demo", "Small stacked AE, 784-256-64-16",
           StackedAEConfig(latent_dim=16, hidden=(256, 64), pretrain_epochs=1),
           TrainConfig(epochs=2, batch_size=64, lr=2e-3, val_size=200, seed=0),
           "Greedy layer-wise pretraining then fine-tuning on 2,000 training digits (the Types "
           "page; its data is aecore.features.stacked_demo_data).", "types"),
    # tanh saturates: rows beyond the training range cannot be rebuilt by extrapolating
    Preset("table_ae", "One-class AE on a table", TabularAEConfig(latent_dim=8, hidden=(32,),
                                                                   activation="tanh"),
           TrainConfig(epochs=100, batch_size=32, lr=1e-3, loss="mse", dataset="csv", val_size=50),
           "A small dense AE trained on a table's normal rows (the Tables page; its data is "
           "aecore.tabular.train_data).", "tables"),
    Preset("words_typo", "Typo-repairing word AE (GRU)",
           TextAEConfig(latent_dim=32, hidden=(128,), bidirectional=True, typo_rate=0.5),
           TrainConfig(epochs=12, batch_size=256, lr=4e-3, loss="mse", dataset="words"),
           "The word AE trained on words of which half carry one random typo, with the clean "
           "word as target: a denoising autoencoder for text.", "text"),
]}


def submit_demo(manager: Any, preset: Preset, data: Any, epochs: int, name: str = "",
                on_result: Any = None) -> Any:
    """Queue ``preset`` (one of :data:`DEMOS`, or a variant of one made with
    :func:`aecore.config.replace`) on ``manager`` (an :class:`aecore.jobs.JobManager`) for
    ``epochs`` epochs on ``data`` (an :class:`aecore.train.TrainData` with a validation part)
    instead of the MNIST split; returns the :class:`~aecore.jobs.Job`, named ``name`` (default
    the preset's)."""
    # subset and val_size: the images it trains on and holds out, which the server's limits count
    train_cfg = replace(preset.train, epochs=int(epochs), subset=int(data.x.shape[0]),
                        val_size=int(data.val_x.shape[0]))
    return manager.submit(preset.model, train_cfg, name=name or preset.name, title=preset.title,
                          data=data, on_result=on_result)


def register_preset(preset: Preset, table: dict[str, Preset] = TEACHING) -> Preset:
    """Add a preset to ``table`` (the Train page's buttons by default); a new model type's
    module may offer one so the CLI can train it by name."""
    if preset.name in ZOO or preset.name in TEACHING or preset.name in DEMOS:
        raise ConfigError(f"a preset named {preset.name!r} exists already")
    table[preset.name] = preset
    return preset


def get_preset(name: str) -> Preset:
    """A preset by name from the zoo or the teaching presets."""
    for table in (ZOO, TEACHING, DEMOS):
        if name in table:
            return table[name]
    raise ConfigError(f"unknown preset {name!r}; known: {', '.join([*ZOO, *TEACHING, *DEMOS])}")
