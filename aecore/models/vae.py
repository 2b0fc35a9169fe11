"""Variational autoencoders: VAE / beta-VAE and the conditional VAE."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..config import CVAEConfig, VAEConfig
from ..losses import kl_normal, recon_loss
from .base import Autoencoder, mlp, register


@register
class VAE(Autoencoder):
    """Dense VAE (Kingma & Welling 2014): the encoder gives mu and log sigma^2 of q(z|x); a
    sample z = mu + sigma * eps is decoded; the loss is reconstruction + beta * KL(q || N(0, I)).

    Loss convention of pytorch/examples: BCE summed over the 784 pixels plus KL, per image.
    """

    config_cls = VAEConfig
    variational = True

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__(cfg)
        n_cond = cfg.n_classes if self.conditional else 0
        acts = cfg.layer_activations()  # one per hidden width; the decoder's mirrored
        self.body = mlp([self.n_pixels + n_cond, *cfg.hidden], acts, last_act=True,
                        dropout=cfg.dropout)
        self.mu = nn.Linear(cfg.hidden[-1], cfg.latent_dim)
        self.logvar = nn.Linear(cfg.hidden[-1], cfg.latent_dim)
        self.decoder = mlp([cfg.latent_dim + n_cond, *cfg.hidden[::-1], self.n_pixels],
                           acts[::-1], dropout=cfg.dropout)

    def _cond(self, h: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return h  # the conditional VAE appends the one-hot label

    def encode_dist(self, x: torch.Tensor, y: torch.Tensor | None = None):
        """Posterior parameters (mu, logvar), each (B, k)."""
        h = self.body(self._cond(x.flatten(1), y))
        return self.mu(h), self.logvar(h).clamp(-12.0, 8.0)  # clamp: exp() never overflows

    def encode(self, x, y=None):
        return self.encode_dist(x, y)[0]

    def decode_logits(self, z, y=None):
        return self.decoder(self._cond(z, y)).view(-1, *self.in_shape)

    def reparameterize(self, mu, logvar, gen=None):
        """z = mu + sigma * eps, eps ~ N(0, I) drawn from ``gen``."""
        eps = torch.randn(mu.shape, generator=gen, device=mu.device, dtype=mu.dtype)
        return mu + (0.5 * logvar).exp() * eps

    def elbo_terms(self, x_in, target, y=None, gen=None, recon: str = "bce"):
        """Per-batch mean of (reconstruction summed over pixels, KL), one posterior sample."""
        mu, logvar = self.encode_dist(x_in, y)
        z = self.reparameterize(mu, logvar, gen)
        rec = recon_loss(self.decode_logits(z, y), target, recon, per_image_sum=True,
                         output=self.output)
        return rec, kl_normal(mu, logvar).mean()

    def loss(self, x_in, target, y, recon, gen):
        rec, kl = self.elbo_terms(x_in, target, y, gen, recon)
        return rec + self.cfg.beta * kl, {"recon": rec.detach(), "kl": kl.detach()}

    def sample(self, n: int, gen: torch.Generator | None = None, temperature: float = 1.0,
               y: torch.Tensor | None = None) -> torch.Tensor:
        """``n`` images decoded from z ~ N(0, temperature^2 I), (n, C, H, W)."""
        dev = self.mu.weight.device
        z = temperature * torch.randn(n, self.latent_dim, generator=gen, device=dev)
        return self.decode(z, y)

    def describe(self):
        k = self.cfg.latent_dim
        io = f"{self.n_pixels} ({'x'.join(map(str, self.in_shape[1:] if self.in_shape[0] == 1 else self.in_shape))})"
        rows = [("input", io)] + [("dense", str(h)) for h in self.cfg.hidden]
        rows += [("mu, log sigma^2", f"{k} + {k}"), ("sample z", str(k))]
        rows += [("dense", str(h)) for h in self.cfg.hidden[::-1]] + [("output", io)]
        return rows


@register
class CVAE(VAE):
    """Conditional VAE (Sohn et al. 2015): the one-hot digit label joins the encoder input and
    the code, so the decoder draws a chosen digit in the style the code describes."""

    config_cls = CVAEConfig
    conditional = True

    def _cond(self, h, y):
        if y is None:
            raise ValueError("the conditional VAE needs a label y for every input")
        return torch.cat([h, F.one_hot(y.long(), self.cfg.n_classes).to(h.dtype)], dim=1)
