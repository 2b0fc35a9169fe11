"""One-class autoencoder on table rows (transactions, the breast-cancer table, a user's CSV)."""
from __future__ import annotations

import torch

from ..config import TabularAEConfig
from .base import Autoencoder, mlp, register


@register
class TabularAE(Autoencoder):
    """A dense AE whose input is standardised inside the model: the per-column mean and standard
    deviation of the training rows are buffers (set by :meth:`fit_data`, saved with the weights),
    so a saved model takes raw rows. The loss is MSE in standard units, so every column counts
    alike whatever its unit."""

    config_cls = TabularAEConfig
    data_kind = "table"

    def __init__(self, cfg: TabularAEConfig) -> None:
        super().__init__(cfg)
        f, k = cfg.n_features, cfg.latent_dim
        self.register_buffer("mean", torch.zeros(f))
        self.register_buffer("std", torch.ones(f))
        acts = cfg.layer_activations()  # one per hidden width; the decoder's mirrored
        self.encoder = mlp([f, *cfg.hidden, k], acts)
        self.decoder = mlp([k, *reversed(cfg.hidden), f], acts[::-1])

    @property
    def in_shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return (self.cfg.n_features,)

    def fit_data(self, x: torch.Tensor) -> None:
        """Set the standardisation from the training rows ``x`` (N, F); constant columns get 1."""
        std = x.float().std(dim=0, unbiased=False)
        self.mean.copy_(x.float().mean(dim=0))
        self.std.copy_(torch.where(std > 1e-8, std, torch.ones_like(std)))

    def check_input(self, n: int) -> torch.Tensor:
        """``n`` seeded rows (n, F) around the training mean, for the card's weight check."""
        z = torch.randn(n, self.cfg.n_features, generator=torch.Generator().manual_seed(0))
        return z * self.std + self.mean

    def standardise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std  # (B, F) in standard units

    def encode(self, x, y=None):
        return self.encoder(self.standardise(x))  # (B, k)

    def decode_logits(self, z, y=None):
        return self.decoder(z)  # (B, F) in standard units

    def decode(self, z, y=None):
        return self.decode_logits(z) * self.std + self.mean  # raw units

    def reconstruct(self, x, y=None):
        return self.decode(self.encode(x))

    def feature_errors(self, x: torch.Tensor) -> torch.Tensor:
        """Squared error of each cell in standard units, (N, F): which columns carry a row's score."""
        return (self.decode_logits(self.encode(x)) - self.standardise(x)).pow(2)

    def loss(self, x_in, target, y, recon, gen):
        rec = (self.decode_logits(self.encode(x_in)) - self.standardise(target)).pow(2).mean()
        return rec, {"recon": rec.detach()}

    def describe(self):
        f, k = self.cfg.n_features, self.cfg.latent_dim
        return [("input", f"{f} columns"), ("standardised", str(f)),
                *((f"hidden {i + 1}", str(h)) for i, h in enumerate(self.cfg.hidden)),
                ("code", str(k)), ("output", f"{f} columns")]
