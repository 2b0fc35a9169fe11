"""Model types. Importing this package fills :data:`REGISTRY` (kind -> class)."""
from .base import REGISTRY, Autoencoder, build_model, register
from .conv import ConvAE
from .photo import PhotoAE
from .dense import ContractiveAE, DenseAE, SparseAE, jacobian_norm
from .sequence import SeqAE
from .sound import SoundAE
from .stacked import StackedAE
from .tabular import TabularAE
from .text import TextAE
from .vae import CVAE, VAE

__all__ = ["REGISTRY", "Autoencoder", "build_model", "register", "ConvAE", "ContractiveAE",
           "DenseAE", "PhotoAE", "SparseAE", "SeqAE", "SoundAE", "StackedAE", "TabularAE", "TextAE", "CVAE",
           "VAE", "jacobian_norm"]
