"""Convolutional autoencoder."""
from __future__ import annotations

import torch
from torch import nn

from ..config import ConvAEConfig
from .base import ACT, Autoencoder, register


class Upsample2d(nn.Upsample):
    """``nn.Upsample(scale_factor=s, mode="nearest")`` for (B, C, H, W) input, computed as a
    broadcast and a reshape: the same values (tests/test_models.py checks ``torch.equal``, and the
    gradients), but not ``F.interpolate``'s NCHW nearest kernel, several times slower on the CPU
    (benchmarks/anomaly.py trains conv models through it). Still an
    ``nn.Upsample``, so the in-page decoder export (aecore/export.py) reads it as one."""

    def __init__(self, scale_factor: int = 2) -> None:
        super().__init__(scale_factor=scale_factor, mode="nearest")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = int(self.scale_factor)
        b, c, h, w = x.shape
        return x[:, :, :, None, :, None].expand(b, c, h, s, w, s).reshape(b, c, h * s, w * s)


@register
class ConvAE(Autoencoder):
    """Two 3x3 stride-2 convs (28 -> 14 -> 7), a dense code of size k, and a mirrored decoder.

    The decoder upsamples by nearest neighbour and then convolves: on this CPU that is several
    times faster than ConvTranspose2d for the same FLOPs, and it avoids checkerboard artefacts.
    """

    config_cls = ConvAEConfig

    def __init__(self, cfg: ConvAEConfig) -> None:
        super().__init__(cfg)
        c1, c2 = cfg.hidden
        act = ACT[cfg.activation]
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1), act(),      # (B, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), act(),     # (B, c2, 7, 7)
            nn.Flatten(), nn.Linear(c2 * 49, cfg.latent_dim))     # (B, k)
        self.decoder = nn.Sequential(
            nn.Linear(cfg.latent_dim, c2 * 49), act(),
            nn.Unflatten(1, (c2, 7, 7)),
            Upsample2d(2), nn.Conv2d(c2, c1, 3, padding=1), act(),  # (B, c1, 14, 14)
            Upsample2d(2), nn.Conv2d(c1, 1, 3, padding=1))  # (B, 1, 28, 28) logits


    def encode(self, x, y=None):
        return self.encoder(x.view(-1, 1, 28, 28))

    def decode_logits(self, z, y=None):
        return self.decoder(z)

    def describe(self):
        c1, c2 = self.cfg.hidden
        k = self.cfg.latent_dim
        return [("input", "1x28x28"), ("conv 3x3 /2", f"{c1}x14x14"), ("conv 3x3 /2", f"{c2}x7x7"),
                ("code", str(k)), ("dense", f"{c2}x7x7"), ("upsample + conv", f"{c1}x14x14"),
                ("upsample + conv", "1x28x28"), ("output", "1x28x28")]
