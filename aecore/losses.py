"""Reconstruction losses and the regularisers that define each autoencoder type.

Shapes: ``logits``/``target`` (B, ...); codes ``h`` (B, k); ``mu``/``logvar`` (B, k).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .errors import ConfigError


class _BCEWithLogitsSum(torch.autograd.Function):
    """Binary cross-entropy with logits, summed over every element: the same values as
    ``F.binary_cross_entropy_with_logits(..., reduction="sum")``, about twice as fast on the CPU.

    Why: torch's CPU ``log1p`` / ``log_sigmoid`` kernels are several times slower than ``exp``
    and ``log`` (benchmarks/train_speed.py). Forward: ``max(x, 0) - x * y + log(1 + exp(-|x|))``
    (``exp(-|x|)`` lies in (0, 1], so ``log(1 + .)`` loses nothing that matters to a loss);
    backward: ``sigmoid(x) - y``, as for the built-in.
    """

    @staticmethod
    def forward(ctx, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(logits, target)
        soft = torch.exp(-logits.abs()).add_(1).log_()
        return logits.clamp_min(0).sub_(logits * target).add_(soft).sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        logits, target = ctx.saved_tensors
        # out of place: differentiable again (create_graph) like the built-in
        g_logits = (torch.sigmoid(logits) - target) * grad
        g_target = -logits * grad if ctx.needs_input_grad[1] else None
        return g_logits, g_target


def bce_with_logits_sum(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sum over all elements of the binary cross-entropy of ``target`` in [0, 1] given
    ``logits`` (any equal shapes); a scalar."""
    return _BCEWithLogitsSum.apply(logits, target.to(logits.dtype))


def output_image(logits: torch.Tensor, output: str = "sigmoid") -> torch.Tensor:
    """The decoder's output as image values in [0, 1]: ``sigmoid(logits)``; a tanh output
    (trained against data scaled to [-1, 1]) as ``(tanh + 1) / 2``; a linear one clipped."""
    if output == "tanh":
        return (torch.tanh(logits) + 1) / 2
    if output == "linear":
        return logits.clamp(0.0, 1.0)
    return torch.sigmoid(logits)


def check_output_loss(output: str, kind: str) -> None:
    """Binary cross-entropy is defined on probabilities: only a sigmoid output gives them."""
    if output != "sigmoid" and kind == "bce":
        raise ConfigError(f"binary cross-entropy needs a sigmoid output; with a {output} output "
                          "pick mean squared error")


def _value_sq(logits: torch.Tensor, target: torch.Tensor, output: str) -> torch.Tensor:
    """Squared error of a tanh output against the target scaled to [-1, 1], or of a linear
    output against the target itself, per element."""
    if output == "tanh":
        return (torch.tanh(logits) - (2 * target - 1)).pow(2)
    return (logits - target).pow(2)


def recon_loss(logits: torch.Tensor, target: torch.Tensor, kind: str = "bce", *,
               per_image_sum: bool = False, output: str = "sigmoid") -> torch.Tensor:
    """Reconstruction loss between decoder logits and a target in [0, 1].

    ``"bce"`` is binary cross-entropy with logits (numerically stable and faster than
    sigmoid + BCE); ``"mse"`` compares ``sigmoid(logits)`` with the target, or for another
    ``output`` activation its values (a tanh's against the target scaled to [-1, 1]). By default the mean
    over every element; with ``per_image_sum`` the sum over pixels averaged over the batch, the
    convention of Kingma & Welling and pytorch/examples' VAE.
    """
    logits = logits.float()  # under bf16 autocast the decoder's logits are bf16: sum in fp32
    if output != "sigmoid":
        check_output_loss(output, kind)
        per = _value_sq(logits, target, output)
    elif kind == "bce":
        total = bce_with_logits_sum(logits, target)  # one scalar: no (B, ...) tensor of losses
        return total / logits.shape[0] if per_image_sum else total / logits.numel()
    elif kind == "mse":
        per = (torch.sigmoid(logits) - target).pow(2)
    else:
        raise ConfigError(f"loss must be 'bce' or 'mse', got {kind!r}")
    if per_image_sum:
        return per.flatten(1).sum(1).mean()
    return per.mean()


def value_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error for unbounded outputs (the sequence AE's signals)."""
    return (pred - target).pow(2).mean()


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, I)) per sample, summed over latent dims: (B,).

    Closed form from Kingma & Welling (2014), appendix B:
    -1/2 * sum(1 + log sigma^2 - mu^2 - sigma^2).
    """
    mu, logvar = mu.float(), logvar.float()  # fp32 also under bf16 autocast
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Mean KL per latent dimension over a batch, (k,): near 0 marks an inactive unit."""
    mu, logvar = mu.float(), logvar.float()
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean(dim=0)


def l1_activity(h: torch.Tensor) -> torch.Tensor:
    """L1 activity penalty: mean |h| over batch and units (scalar)."""
    return h.float().abs().mean()


def kl_sparsity(h: torch.Tensor, rho: float) -> torch.Tensor:
    """Sparsity penalty sum_j KL(rho || rho_hat_j), rho_hat_j the mean activation of unit j.

    From Ng's CS294A sparse autoencoder notes; ``h`` must lie in (0, 1) (sigmoid units).
    """
    rho_hat = h.float().mean(dim=0).clamp(1e-6, 1 - 1e-6)  # (k,)
    return (rho * torch.log(rho / rho_hat)
            + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()
