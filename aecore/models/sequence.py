"""Sequence autoencoder for multichannel time series (the sensor demo)."""
from __future__ import annotations

import torch
from torch import nn

from ..config import SeqAEConfig
from ..losses import value_mse
from .base import Autoencoder, register


def _rnn(layer: nn.RNNBase, x: torch.Tensor):
    """``layer(x)`` in float32 even under bf16 autocast: oneDNN has no bf16 LSTM/GRU on CPUs
    without AVX-512 BF16 (on an AVX2 AMD EPYC it raised "could not create a primitive
    descriptor"), and these layers are a small share of the sensor demo's time."""
    with torch.autocast(x.device.type, enabled=False):
        return layer(x.float())


@register
class SeqAE(Autoencoder):
    """LSTM or GRU encoder over (B, T, C); its last hidden state is projected to a code of size
    k; the decoder reads the code at every step (Keras' RepeatVector pattern) and a linear head
    emits C values per step. Outputs are unbounded, so the loss is MSE on values."""

    config_cls = SeqAEConfig
    data_kind = "series"

    def __init__(self, cfg: SeqAEConfig) -> None:
        super().__init__(cfg)
        rnn = nn.LSTM if cfg.cell == "lstm" else nn.GRU
        h = cfg.hidden[0]
        self.encoder = rnn(cfg.channels, h, batch_first=True)
        self.to_code = nn.Linear(h, cfg.latent_dim)
        self.decoder = rnn(cfg.latent_dim, h, batch_first=True)
        self.head = nn.Linear(h, cfg.channels)

    @property
    def in_shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return (self.cfg.seq_len, self.cfg.channels)

    def encode(self, x, y=None):
        _, state = _rnn(self.encoder, x)                # x (B, T, C)
        last = state[0] if isinstance(state, tuple) else state  # (1, B, H)
        return self.to_code(last[-1])                   # (B, k)

    def decode_logits(self, z, y=None, steps: int | None = None):
        t = steps or self.cfg.seq_len
        out, _ = _rnn(self.decoder, z.unsqueeze(1).expand(-1, t, -1))  # (B, T, H)
        return self.head(out)                                     # (B, T, C)

    def decode(self, z, y=None):
        return self.decode_logits(z, y)

    def forward(self, x, y=None):
        return self.decode_logits(self.encode(x), steps=x.shape[1])

    def reconstruct(self, x, y=None):
        return self(x)

    def loss(self, x_in, target, y, recon, gen):
        rec = value_mse(self(x_in), target)
        return rec, {"recon": rec.detach()}

    def describe(self):
        c, h, k = self.cfg.channels, self.cfg.hidden[0], self.cfg.latent_dim
        t, cell = self.cfg.seq_len, self.cfg.cell.upper()
        return [("input", f"{t}x{c}"), (f"{cell} encoder", f"{h}"), ("code", str(k)),
                (f"{cell} decoder", f"{t}x{h}"), ("output", f"{t}x{c}")]
