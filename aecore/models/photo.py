"""A fully convolutional autoencoder for photographs of any size (denoising, inpainting,
colourisation and scanned documents: one architecture, three tasks).

Small to big: the config, the corruption each task trains on, the network. The network works at
half resolution after a pixel unshuffle (FFDNet, Zhang et al. 2018: four times fewer pixels for
the same receptive field), goes down once more to a bottleneck of ``latent_dim`` channels at a
quarter of the resolution, and comes back up with one skip connection, which carries the fine
detail the bottleneck cannot (a U-Net's skip, Ronneberger et al. 2015). Denoising and document
models predict a residual added to their input (DnCNN, Zhang et al. 2017); the colouriser
predicts the a*b* channels of CIE Lab from L*.
"""
from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import nn

from ..config import TASKS, PhotoConfig  # noqa: F401  (TASKS: the page's tasks)
from .base import Autoencoder, register
from .conv import Upsample2d

# input channels (before the 2x2 unshuffle): RGB + noise-level map + known-hole mask; L*; grey
IN_CH = {"denoise": 5, "colourise": 1, "document": 1}
OUT_CH = {"denoise": 3, "colourise": 2, "document": 1}
MULTIPLE = 4  # the two 2x reductions need sides divisible by 4; other sizes are padded


def conv(a: int, b: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution that keeps the size (or halves it with stride 2)."""
    return nn.Conv2d(a, b, 3, stride=stride, padding=1)


@register
class PhotoAE(Autoencoder):
    """Encoder (unshuffle, two convs, strided conv, bottleneck convs) and decoder (upsample,
    conv, skip, conv, shuffle). Input (B, IN_CH, H, W) in [0, 1] with any H, W >= 4."""

    config_cls = PhotoConfig
    data_kind = "photo"  # trained on patches of photographs (aecore.photo), not MNIST

    def __init__(self, cfg: PhotoConfig) -> None:
        super().__init__(cfg)
        w, k = cfg.width, cfg.latent_dim
        cin, cout = IN_CH[cfg.task] * 4, OUT_CH[cfg.task] * 4
        self.head = nn.Sequential(nn.PixelUnshuffle(2), conv(cin, w), nn.ReLU(inplace=True),
                                  conv(w, w), nn.ReLU(inplace=True))        # (B, w, H/2, W/2)
        self.down = nn.Sequential(conv(w, k, 2), nn.ReLU(inplace=True), conv(k, k),
                                  nn.ReLU(inplace=True), conv(k, k), nn.ReLU(inplace=True))  # (B, k, H/4, W/4)
        self.up = nn.Sequential(Upsample2d(2), conv(k, w), nn.ReLU(inplace=True))  # (B, w, H/2, W/2)
        self.tail = nn.Sequential(conv(w, w), nn.ReLU(inplace=True), conv(w, cout),
                                  nn.PixelShuffle(2))                        # (B, cout/4, H, W)

    # the Autoencoder interface: the code is the bottleneck feature map, the skip rides along
    def encode(self, x, y=None):
        skip = self.head(x)
        return self.down(skip), skip

    def decode_logits(self, z, y=None):
        code, skip = z
        return self.tail(self.up(code) + skip)

    def forward(self, x: torch.Tensor, y=None) -> torch.Tensor:
        """Output channels (B, OUT_CH, H, W), unclipped; sides are padded to a multiple of 4."""
        h, w = x.shape[-2:]
        ph, pw = -h % MULTIPLE, -w % MULTIPLE
        xp = F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x
        out = self.decode_logits(self.encode(xp))[..., :h, :w]
        if self.cfg.task == "colourise":
            return out  # a*, b* scaled to about [-1, 1]
        return x[:, :OUT_CH[self.cfg.task]] + out  # the residual: input plus a correction

    def reconstruct(self, x: torch.Tensor, y=None) -> torch.Tensor:
        out = self(x)
        return out.clamp(-1, 1) if self.cfg.task == "colourise" else out.clamp(0, 1)

    def loss(self, x_in, target, y, recon, gen):
        """L1 between the output and the clean target (L1 trains image restorers to a higher
        PSNR than L2: Zhao et al., IEEE TCI 2017); the corruption is drawn here, per batch."""
        from ..photo import training_pair
        inp, clean = training_pair(self.cfg.task, target, gen)
        rec = F.l1_loss(self(inp), clean)
        return rec, {"recon": rec.detach()}

    def describe(self):
        w, k = self.cfg.width, self.cfg.latent_dim
        cin, cout = IN_CH[self.cfg.task], OUT_CH[self.cfg.task]
        return [("input", f"{cin}xHxW"), ("unshuffle 2x2 + 2 convs", f"{w}xH/2xW/2"),
                ("conv /2 + 2 convs", f"{k}xH/4xW/4"), ("code", f"{k}xH/4xW/4"),
                ("upsample + conv, + skip", f"{w}xH/2xW/2"),
                ("conv + shuffle 2x2", f"{cout}xHxW"), ("output", f"{cout}xHxW")]
