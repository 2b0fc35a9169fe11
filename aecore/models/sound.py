"""Denoising autoencoder for speech: STFT frames with context in, a mask for the middle frame out."""
from __future__ import annotations

import torch

from ..config import SoundAEConfig
from .base import Autoencoder, mlp, register


@register
class SoundAE(Autoencoder):
    """A dense AE from (2c+1) * F standardised log magnitudes (a frame and its neighbours) through
    a code of k numbers to F mask logits for the middle frame (F = n_fft / 2 + 1).

    The per-input mean and standard deviation are buffers (set from the training frames by
    :meth:`fit_data`, saved with the weights), so a saved model takes raw log magnitudes. A
    training row packs what the loss needs beside the input (:func:`aecore.sound_ae.rows`):
    [log magnitudes (2c+1)F | noisy magnitude F | target magnitude F]; the one training loop
    passes rows through unchanged (``noise="none"``) and :meth:`loss` splits them.
    """

    config_cls = SoundAEConfig
    data_kind = "sound"

    def __init__(self, cfg: SoundAEConfig) -> None:
        super().__init__(cfg)
        d = self.n_inputs
        self.register_buffer("mean", torch.zeros(d))
        self.register_buffer("std", torch.ones(d))
        self.encoder = mlp([d, *cfg.hidden, cfg.latent_dim], cfg.activation)
        self.decoder = mlp([cfg.latent_dim, *reversed(cfg.hidden), self.n_freq], cfg.activation)

    @property
    def n_freq(self) -> int:
        return self.cfg.n_fft // 2 + 1

    @property
    def n_inputs(self) -> int:
        return (2 * self.cfg.context + 1) * self.n_freq

    @property
    def in_shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return (self.n_inputs,)

    @property
    def output(self) -> str:
        return "sigmoid"  # a mask in [0, 1]

    def fit_data(self, x: torch.Tensor) -> None:
        """Standardise from the training rows ``x`` (N, D + 2F): only their input part counts."""
        feats = x[:, : self.n_inputs].float()
        std = feats.std(dim=0, unbiased=False)
        self.mean.copy_(feats.mean(dim=0))
        self.std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))

    def check_input(self, n: int) -> torch.Tensor:
        """``n`` seeded inputs (n, D) around the training mean, for the card's weight check."""
        z = torch.randn(n, self.n_inputs, generator=torch.Generator().manual_seed(0))
        return z * self.std + self.mean

    def encode(self, x, y=None):
        return self.encoder((x - self.mean) / self.std)  # (B, D) -> (B, k)

    def decode_logits(self, z, y=None):
        return self.decoder(z)  # (B, F) mask logits

    def mask(self, feats: torch.Tensor) -> torch.Tensor:
        """The mask in [0, 1], (B, F), for log-magnitude inputs (B, D)."""
        return torch.sigmoid(self(feats))

    def loss(self, x_in, target, y, recon, gen):
        # rows (B, D + 2F); the objective is the masked noisy magnitude's squared error to the
        # phase-sensitive target |S| cos(angle S - angle X) (Erdogan et al., ICASSP 2015), which
        # with the noisy phase kept is the waveform's error: what the SNR measures. Divided by the
        # batch's target power, so the loss does not depend on how loud the recordings are.
        d, f = self.n_inputs, self.n_freq
        feats, mag, tgt = x_in[:, :d], x_in[:, d:d + f], x_in[:, d + f:d + 2 * f]
        est = self.mask(feats) * mag
        rec = (est - tgt).pow(2).mean() / tgt.pow(2).mean().clamp_min(1e-12)
        return rec, {"recon": rec.detach()}

    def describe(self):
        c, f, k = self.cfg.context, self.n_freq, self.cfg.latent_dim
        return [("input", f"{2 * c + 1} frames x {f} log magnitudes"),
                *((f"hidden {i + 1}", str(h)) for i, h in enumerate(self.cfg.hidden)),
                ("code", str(k)),
                *((f"hidden {i + 1}", str(h)) for i, h in reversed(list(enumerate(self.cfg.hidden)))),
                ("output", f"mask of {f} frequencies")]
