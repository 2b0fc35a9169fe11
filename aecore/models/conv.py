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
        c, h, w = self.in_shape

        def act() -> list[nn.Module]:  # an activation, and dropout after it when asked
            return [ACT[cfg.activation]()] + ([nn.Dropout(cfg.dropout)] if cfg.dropout else [])

        def up(c_in: int, c_out: int) -> list[nn.Module]:  # (B, c_in, h, w) -> (B, c_out, 2h, 2w)
            if cfg.upsample == "transpose":
                return [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)]
            return [Upsample2d(2), nn.Conv2d(c_in, c_out, 3, padding=1)]

        self.encoder = nn.Sequential(
            nn.Conv2d(c, c1, 3, stride=2, padding=1), *act(),      # (B, c1, H/2, W/2)
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), *act(),     # (B, c2, H/4, W/4)
            nn.Flatten(), nn.Linear(c2 * (h // 4) * (w // 4), cfg.latent_dim))  # (B, k)
        self.decoder = nn.Sequential(
            nn.Linear(cfg.latent_dim, c2 * (h // 4) * (w // 4)), *act(),
            nn.Unflatten(1, (c2, h // 4, w // 4)),
            *up(c2, c1), *act(),  # (B, c1, H/2, W/2)
            *up(c1, c))           # (B, C, H, W) logits


    def encode(self, x, y=None):
        return self.encoder(x.view(-1, *self.in_shape))

    def decode_logits(self, z, y=None):
        return self.decoder(z)

    def describe(self):
        c1, c2 = self.cfg.hidden
        k = self.cfg.latent_dim
        c, h, w = self.in_shape
        io, half, quarter = f"{c}x{h}x{w}", f"{c1}x{h // 2}x{w // 2}", f"{c2}x{h // 4}x{w // 4}"
        up = "conv transpose 4x4 x2" if self.cfg.upsample == "transpose" else "upsample + conv"
        return [("input", io), ("conv 3x3 /2", half), ("conv 3x3 /2", quarter),
                ("code", str(k)), ("dense", quarter), (up, half), (up, io), ("output", io)]
