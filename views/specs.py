"""What each page declares: its ``defaults`` (models, sizes, counts) and what it ``needs``.

A page file runs top to bottom when Streamlit shows it, so its declaration lives here, where
importing it runs nothing: the page reads its own (``DEFAULTS = specs.ANOMALY.defaults``), and
:mod:`startup` derives the rest from all of them (which pages wait for torch, what the warm-up
loads and imports, which results ``python -m aecore precompute`` ships). Change a default here
and the page, the warm-up and the shipped file follow; ``tests/test_specs.py`` fails until
``python -m aecore precompute`` has rebuilt what it changed.

Plain data only: no streamlit, no torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Needs:
    """What a page's first visit needs, so start-up can have it ready."""

    torch: bool = True  # False: its first draw reads shipped files only (no torch import waited for)
    libraries: tuple[str, ...] = ()  # modules its first visit imports (the warm-up imports them)
    warm: tuple[str, ...] = ()  # loaders its first visit calls (startup.warmup.STEPS by name)
    precomputed: tuple[str, ...] = ()  # shipped entry kinds it reads (startup.plan.ENTRIES)
    live: tuple[str, ...] = ()  # its live elements' keys (ui/live.py); "x_*": one per option


@dataclass(frozen=True)
class Page:
    """A page: its script under ``views/`` (its name is the page's URL path), its defaults and
    its needs."""

    name: str
    defaults: dict[str, Any] = field(default_factory=dict)
    needs: Needs = Needs()


HOME = Page("home", {"model": "ae_k32", "digits": 8},  # the first 8 test digits
            Needs(torch=False, precomputed=("preview",)))
LESSON = Page("lesson", {"maps": ("ae_k2", "vae_k2")},  # the latent-map step's two models
              Needs(torch=False, precomputed=("codes",)))
RECONSTRUCT = Page("reconstruct", {"model": "ae_k32", "digits": 8}, Needs(precomputed=("pca",)))
BOTTLENECK = Page("bottleneck", {"noise_level": 0.5,  # Gaussian sigma: visible, digit readable
                                 "k": 32,  # the closer look's first k (else the sweep's middle)
                                 # sets besides MNIST (nothing shipped): the test items their
                                 # error against k is measured on, on the server at first visit
                                 "by_data": {"fashion-mnist": {"n_test": 300},
                                             "photos": {"n_test": 200}}},
                  Needs(warm=("zoo_models", "pca_sweep"), precomputed=("pca",), live=("bot_live",)))
DENOISE = Page("denoise", {"plain": "ae_k32", "dae": "dae_conv",  # MNIST's pair (shipped curve)
                           # the other data sets' pairs (their curves are computed on first use)
                           "by_data": {"fashion-mnist": {"plain": "fashion_ae_k32",
                                                         "dae": "fashion_dae_conv"},
                                       "photos": {"plain": "photos_ae_k32",
                                                  "dae": "photos_dae_conv"}},
                           # the PSNR curve: the first n test digits (a steady mean), levels
                           # MAX/steps .. MAX, one noise seed
                           "curve_n": 200, "curve_steps": 7, "curve_seed": 0},
               Needs(precomputed=("pca", "curve"), live=("den_live_*",)))
PHOTO = Page("photo", {"denoise": "photo_denoise", "colourise": "photo_colourise",
                       "document": "photo_document"},  # the zoo model of each task
             Needs(libraries=("skimage.restoration",)))  # the classic denoisers it compares with
LATENT = Page("latent", {"model": "ae_k2", "maps": ("ae_k2", "vae_k2")},
              Needs(libraries=("torchvision.utils", "torchvision.transforms.v2.functional"),
                    precomputed=("codes",), live=("lat_live_*",)))
GENERATE = Page("generate", {"model": "vae_best", "cvae": "cvae"},
                Needs(libraries=("torchvision.utils",), warm=("vae_kl",), live=("gen_live",)))
TRAIN = Page("train")
ANOMALY = Page("anomaly", {"model": "ae_k32",
                           "n_normal": 2000,  # test digits scored as the normal group
                           "n_per_kind": 100,  # generated images per out-of-distribution kind
                           "seed": 0,
                           # sets besides MNIST (nothing shipped: scored on the server at first
                           # visit, so on fewer items): the model of normal items, how many test
                           # items are scored, the class flagged by default (Bag: the class the
                           # Fashion AE rebuilds worst) and the set whose items are shown to the
                           # model as out-of-distribution anomalies
                           "by_data": {"fashion-mnist": {"model": "fashion_ae_k32", "n": 1000,
                                                         "class": 8, "ood": "mnist"},
                                       "photos": {"model": "photos_ae_k32", "n": 500,
                                                  "ood": "mnist"}}},
               Needs(libraries=("scipy.sparse", "scipy.stats", "pandas", "sklearn.metrics"),
                     warm=("detection_figures",), precomputed=("ood",)))
FEATURES = Page("features", {"sweep": {2: "ae_k2", 4: "ae_k4", 8: "ae_k8", 16: "ae_k16",
                                       32: "ae_k32", 64: "ae_k64"},
                             "n_ref": 10_000,  # training digits the classifiers learn from
                             "n_test": 2_000,  # test digits they are scored on
                             # sets besides MNIST: computed on the server at first visit
                             # (nothing shipped), so on fewer items (the raw-pixel probe
                             # takes most of it: about 3 s on 2 cores); photos are listed
                             # only for the page to say they have no classes
                             "by_data": {"fashion-mnist": {"sweep": {2: "fashion_ae_k2",
                                                                     8: "fashion_ae_k8",
                                                                     32: "fashion_ae_k32"},
                                                           "n_ref": 2_000, "n_test": 500},
                                         "photos": {}}},
                Needs(libraries=("sklearn.neighbors", "sklearn.linear_model"),
                      precomputed=("probe",)))
TYPES = Page("types", {"overcomplete": ("ae_k32", "ae_overcomplete", "sparse_l1", "dae_conv"),
                       # the table: the first n test digits, Gaussian noise at each level
                       "overcomplete_n": 500,
                       "overcomplete_levels": [round(0.1 * i, 1) for i in range(1, 9)],
                       "seed": 0},
             Needs(precomputed=("overcomplete",)))
HOOD = Page("hood", {"model": "sparse_l1",  # its first layer's units look like strokes
                     "tiles": 64,  # weight pictures shown per layer, the most active units first
                     "activity_n": 500})  # test digits that rank the units by activity
COMPARE = Page("compare", {"models": ("ae_k2", "ae_k32", "vae_k20")})
TABLES = Page("tables", {"model": "tab_fraud"},
              Needs(libraries=("pandas", "sklearn.ensemble", "sklearn.metrics")))
TEXT = Page("text", {"model": "words_gru"}, Needs(warm=("word_codes",)))
SOUND = Page("sound", {"model": "sound_dae"}, Needs(libraries=("scipy.signal",)))
MY_MODELS = Page("my_models")
MY_DATA = Page("my_data")  # a user's own image sets (ui.datasets, aecore.imageset)

# in the sidebar's order (the first is the default page): the warm-up prepares them in this order
PAGES: tuple[Page, ...] = (HOME, LESSON, RECONSTRUCT, BOTTLENECK, DENOISE, PHOTO, LATENT, GENERATE,
                           TRAIN, ANOMALY, TABLES, TEXT, SOUND, FEATURES, TYPES, HOOD, COMPARE,
                           MY_MODELS, MY_DATA)
