"""Character-level autoencoder for words and short sentences: LSTM, GRU or a small Transformer."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..config import TextAEConfig
from .base import Autoencoder, register
from .sequence import _rnn


@register
class TextAE(Autoencoder):
    """Texts are (B, L) character ids, 0 = the end (and the padding after it). The encoder reads
    them; its final state (the last hidden state of an LSTM/GRU, the mean over positions of a
    Transformer) is projected to a code of k numbers. The decoder starts from the code and spells
    the text: trained with teacher forcing (it sees the true previous character), it decodes
    greedily, one character at a time. Loss: cross-entropy per position, the end marker included."""

    config_cls = TextAEConfig
    data_kind = "text"

    def __init__(self, cfg: TextAEConfig) -> None:
        super().__init__(cfg)
        v, h, k = len(cfg.alphabet) + 1, cfg.hidden[0], cfg.latent_dim
        self.n_out, self.bos = v, v  # outputs: end + characters; the start token is input only
        if cfg.cell == "transformer":
            self.embed = nn.Embedding(v + 1, h)
            self.pos = nn.Parameter(torch.randn(cfg.max_len, h) * 0.02)  # learnt positions
            layer = dict(d_model=h, nhead=4, dim_feedforward=2 * h, dropout=0.0, batch_first=True,
                         norm_first=True)
            self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(**layer), 2,
                                                 enable_nested_tensor=False)
            self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(**layer), 2)
        else:
            rnn = nn.LSTM if cfg.cell == "lstm" else nn.GRU
            self.embed = nn.Embedding(v + 1, cfg.embed)
            self.encoder = rnn(cfg.embed, h, batch_first=True, bidirectional=cfg.bidirectional)
            self.decoder = rnn(cfg.embed + k, h, batch_first=True)  # reads the code at every step
        self.to_code = nn.Linear(2 * h if cfg.bidirectional else h, k)
        self.from_code = nn.Linear(k, h)
        self.head = nn.Linear(h, v)

    @property
    def in_shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return (self.cfg.max_len,)

    def check_input(self, n: int) -> torch.Tensor:
        """``n`` seeded random texts (n, L) of 1..L characters, for the card's weight check."""
        g = torch.Generator().manual_seed(0)
        ids = torch.randint(1, self.n_out, (n, self.cfg.max_len), generator=g)
        lengths = torch.randint(1, self.cfg.max_len + 1, (n, 1), generator=g)
        return torch.where(torch.arange(self.cfg.max_len) < lengths, ids, 0)

    # encoder
    def final_state(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's final state (B, H), or (B, 2H) for a bidirectional one (forward then
        backward), which :meth:`encode` projects to the code."""
        if self.cfg.cell == "transformer":
            h = self.encoder(self.embed(x) + self.pos[: x.shape[1]])  # (B, L, H)
            return h.mean(dim=1)
        _, state = _rnn(self.encoder, self.embed(x))
        h = state[0] if isinstance(state, tuple) else state  # (directions, B, H)
        return torch.cat(list(h), dim=1) if self.cfg.bidirectional else h[-1]  # (B, 2H) or (B, H)

    def encode(self, x, y=None):
        return self.to_code(self.final_state(x))  # (B, k)

    # decoder
    def _step_inputs(self, prev: torch.Tensor) -> torch.Tensor:
        """Decoder inputs (B, T): the start token, then the previous characters."""
        start = torch.full_like(prev[:, :1], self.bos)
        return torch.cat([start, prev[:, :-1]], dim=1)

    def _rnn_decode(self, z, inp, state=None):
        e = torch.cat([self.embed(inp), z.unsqueeze(1).expand(-1, inp.shape[1], -1)], dim=2)
        if state is None:
            h0 = torch.tanh(self.from_code(z)).unsqueeze(0)  # (1, B, H)
            state = (h0, torch.zeros_like(h0)) if self.cfg.cell == "lstm" else h0
        with torch.autocast(z.device.type, enabled=False):
            out, state = self.decoder(e.float(), state)
        return self.head(out), state  # (B, T, V)

    def _tf_decode(self, z, inp):
        t = inp.shape[1]
        causal = torch.triu(torch.full((t, t), float("-inf"), device=z.device), diagonal=1)
        out = self.decoder(self.embed(inp) + self.pos[:t], self.from_code(z).unsqueeze(1),
                           tgt_mask=causal)
        return self.head(out)  # (B, T, V)

    def decode_logits(self, z, y=None, target: torch.Tensor | None = None):
        """Teacher-forced logits (B, L, V) of spelling ``target`` (B, L) from codes ``z``."""
        inp = self._step_inputs(target)
        return self._tf_decode(z, inp) if self.cfg.cell == "transformer" else self._rnn_decode(z, inp)[0]

    @torch.no_grad()
    def decode(self, z, y=None):
        """Greedy spelling (B, L) of codes ``z``: each step takes the likeliest character; after
        the first end marker everything is 0."""
        b, n = z.shape[0], self.cfg.max_len
        out = torch.zeros(b, n, dtype=torch.long, device=z.device)
        prev, state = torch.full((b, 1), self.bos, dtype=torch.long, device=z.device), None
        for t in range(n):
            if self.cfg.cell == "transformer":
                nxt = self._tf_decode(z, torch.cat([prev, out[:, :t]], 1)[:, : t + 1])[:, -1].argmax(-1)
            else:
                logits, state = self._rnn_decode(z, prev if t == 0 else out[:, t - 1:t], state)
                nxt = logits[:, -1].argmax(-1)
            out[:, t] = nxt
        ended = (out == 0).long().cumsum(dim=1) > 0
        return out.masked_fill(ended, 0)

    def forward(self, x, y=None):
        return self.decode_logits(self.encode(x), target=x)

    def reconstruct(self, x, y=None):
        return self.decode(self.encode(x))

    def loss(self, x_in, target, y, recon, gen):
        if self.cfg.typo_rate > 0 and self.training:
            from ..text import add_typos
            x_in = add_typos(x_in, self.cfg.typo_rate, self.n_out - 1, gen)
        # float32 throughout: the recurrent layers run in float32 under any autocast, and a
        # bf16 starting state would not match them
        with torch.autocast(x_in.device.type, enabled=False):
            logits = self.decode_logits(self.encode(x_in), target=target)
        ce = F.cross_entropy(logits.float().reshape(-1, self.n_out), target.reshape(-1))
        return ce, {"recon": ce.detach()}

    def describe(self):
        c, h, k, n = self.cfg.cell.upper(), self.cfg.hidden[0], self.cfg.latent_dim, self.cfg.max_len
        enc = f"final states 2x{h}" if self.cfg.bidirectional else f"final state {h}"
        c_enc = f"bidirectional {c}" if self.cfg.bidirectional else c
        return [("input", f"{n} characters"), (f"{c_enc} encoder", enc), ("code", str(k)),
                (f"{c} decoder", f"{n}x{h}"), ("output", f"{n} characters")]
