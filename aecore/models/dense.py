"""Dense autoencoders: plain, sparse (L1 / KL) and contractive."""
from __future__ import annotations

import torch
from torch import nn

from ..config import AEConfig, ContractiveAEConfig, SparseAEConfig
from ..losses import kl_sparsity, l1_activity
from .base import ACT, Autoencoder, register


@register
class DenseAE(Autoencoder):
    """784 -> hidden... -> k -> ...hidden -> 784, Linear layers with an activation after each
    hidden one (the config's per-layer names, mirrored in the decoder).

    Layers are kept in two ModuleLists (rather than Sequentials) so that the stacked AE can train
    one encoder/decoder pair at a time.
    """

    config_cls = AEConfig
    code_act: str | None = None  # activation applied to the code (sparse AEs need one)

    def __init__(self, cfg: AEConfig) -> None:
        super().__init__(cfg)
        sizes = [self.n_pixels, *cfg.hidden, cfg.latent_dim]
        self.enc = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        rev = sizes[::-1]
        self.dec = nn.ModuleList(nn.Linear(a, b) for a, b in zip(rev[:-1], rev[1:]))
        # one per hidden width, encoder order; the decoder's layer that makes the same width
        # reuses it. No weights: the state_dict (and every weight file) is as it was.
        self.acts = nn.ModuleList(ACT[a]() for a in cfg.layer_activations())
        self.code_fn = ACT[self.code_act]() if self.code_act else nn.Identity()
        self.drop = nn.Dropout(cfg.dropout)  # after hidden activations; no weights

    def encode_layer(self, i: int, h: torch.Tensor) -> torch.Tensor:
        """Encoder layer i with its activation (the code's own on the last layer)."""
        h = self.enc[i](h)
        return self.code_fn(h) if i == len(self.enc) - 1 else self.drop(self.acts[i](h))

    def decode_layer(self, i: int, h: torch.Tensor) -> torch.Tensor:
        """Decoder layer i; the last one emits logits (no activation)."""
        h = self.dec[i](h)
        return h if i == len(self.dec) - 1 else self.drop(self.dec_act(i)(h))

    def dec_act(self, i: int) -> nn.Module:
        """The activation after decoder layer i (i < len(hidden)): it makes width
        hidden[-1 - i], as encoder layer len(hidden) - 1 - i does."""
        return self.acts[len(self.acts) - 1 - i]

    def encode(self, x, y=None):
        h = x.flatten(1)  # (B, C*H*W)
        for i in range(len(self.enc)):
            h = self.encode_layer(i, h)
        return h  # (B, k)

    def decode_logits(self, z, y=None):
        h = z
        for i in range(len(self.dec)):
            h = self.decode_layer(i, h)
        return h.view(-1, *self.in_shape)

    def describe(self):
        sizes = [self.n_pixels, *self.cfg.hidden, self.cfg.latent_dim]
        io = f"{self.n_pixels} ({'x'.join(map(str, self.in_shape[1:] if self.in_shape[0] == 1 else self.in_shape))})"
        rows = [("input", io)] + [("dense", str(s)) for s in sizes[1:-1]]
        rows.append(("code", str(self.cfg.latent_dim)))
        rows += [("dense", str(s)) for s in sizes[-2:0:-1]] + [("output", io)]
        return rows


@register
class SparseAE(DenseAE):
    """Dense AE with a sparsity penalty on its code: L1 on ReLU codes, or KL to a target mean
    activation rho on sigmoid codes (Ng's sparse autoencoder)."""

    config_cls = SparseAEConfig

    def __init__(self, cfg: SparseAEConfig) -> None:
        self.code_act = "sigmoid" if cfg.penalty == "kl" else "relu"
        super().__init__(cfg)

    def penalty(self, x, code, gen):
        if self.cfg.penalty == "kl":
            p = kl_sparsity(code, self.cfg.rho)
        else:
            p = l1_activity(code)
        return self.cfg.weight * p, {"sparsity": p.detach()}


@register
class ContractiveAE(DenseAE):
    """Dense AE penalising the encoder Jacobian's squared Frobenius norm (Rifai et al. 2011).

    Training uses Hutchinson's unbiased estimate ||J^T v||^2, v ~ N(0, I_k): one extra
    vector-Jacobian product per batch instead of k. :func:`jacobian_norm` gives the exact value.
    """

    config_cls = ContractiveAEConfig
    code_act = "sigmoid"  # bounded code units, as in the paper

    def loss(self, x_in, target, y, recon, gen):
        x_in = x_in.detach().requires_grad_(True)
        with torch.enable_grad():
            return super().loss(x_in, target, y, recon, gen)

    def penalty(self, x, code, gen):
        v = torch.randn(code.shape, generator=gen, device=code.device)
        (g,) = torch.autograd.grad(code, x, grad_outputs=v, create_graph=self.training)
        jf = g.pow(2).flatten(1).sum(1).mean()  # E ||J^T v||^2 = ||J||_F^2
        return self.cfg.weight * jf, {"jacobian": jf.detach()}



def jacobian_norm(model: Autoencoder, x: torch.Tensor) -> torch.Tensor:
    """Exact Frobenius norm of the encoder Jacobian per sample, (B,), for any image model."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        code = model.encode(x)
        total = torch.zeros(x.shape[0], device=x.device)
        for j in range(code.shape[1]):
            (g,) = torch.autograd.grad(code[:, j].sum(), x, retain_graph=True)
            total += g.pow(2).flatten(1).sum(1)
    return total.sqrt()
