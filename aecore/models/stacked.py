"""Stacked autoencoder: greedy layer-wise pretraining, then fine-tuning of the whole stack."""
from __future__ import annotations

import torch

from ..config import StackedAEConfig
from ..losses import recon_loss, value_mse
from .base import register
from .dense import DenseAE


@register
class StackedAE(DenseAE):
    """A dense AE whose layer pairs are first trained one at a time (Bengio et al. 2007).

    Stage s trains encoder layer s and its mirror decoder layer as a shallow AE on the codes of
    the frozen layers below it; the training loop then fine-tunes everything with the usual loss.
    """

    config_cls = StackedAEConfig

    @property
    def n_stages(self) -> int:
        return len(self.enc)

    def stage_parameters(self, s: int) -> list[torch.nn.Parameter]:
        """The parameters stage ``s`` trains: encoder layer s and decoder layer L-1-s."""
        return [*self.enc[s].parameters(), *self.dec[len(self.dec) - 1 - s].parameters()]

    def stage_loss(self, s: int, x: torch.Tensor, recon: str) -> torch.Tensor:
        """Shallow-AE loss of stage ``s`` on a batch of images x (B, 1, 28, 28)."""
        with torch.no_grad():  # the layers below are frozen: their output is this stage's data
            h = x.flatten(1)
            for i in range(s):
                h = self.encode_layer(i, h)
        out = self.decode_layer(len(self.dec) - 1 - s, self.encode_layer(s, h))
        # stage 0 rebuilds pixels (logits); deeper stages rebuild hidden activations
        return recon_loss(out, h, recon, output=self.output) if s == 0 else value_mse(out, h)
