"""Our training loop against the pytorch/examples VAE loop, one epoch each, same process.

The model is the 784-400-20 VAE of pytorch/examples (BCE summed over pixels + KL, batch 128,
Adam 1e-3). The reference loop is written in the examples' style: a per-sample Dataset that
builds a PIL image and converts it to a tensor (as torchvision's MNIST + ToTensor do), a
DataLoader, sigmoid outputs and plain BCE. Ours: aecore.train.train (preloaded uint8 tensor
sliced by a permutation, fused Adam, BCE with logits, denormals flushed), with the precision
the Train page picks on this machine: bf16 autocast where the CPU has AVX-512 BF16 or AMX, else
fp32 (``--precision`` overrides). Where that is bf16, the fp32 loop is timed too (``ours_fp32_s``).

Prints seconds per epoch for each, their ratio and each one's test loss, then one line of JSON:
{"ours_s", "reference_s", "speedup", "ours_test_loss", "reference_test_loss", "precision", ...}.
Bar (issue 2): speedup >= 2.5 at the same test loss (within 1%).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aecore import model_types as recipes  # noqa: E402
from aecore.config import TrainConfig, VAEConfig  # noqa: E402
from aecore.data import load_split  # noqa: E402
from aecore.evaluate import vae_test_loss  # noqa: E402
from aecore.models import build_model  # noqa: E402
from aecore.train import train  # noqa: E402


# the reference, in pytorch/examples' style (vae/main.py)

class MNISTLike(Dataset):
    """Per-sample access through PIL, as torchvision.datasets.MNIST with ToTensor."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor):
        self.images, self.labels = images.numpy(), labels.numpy()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = Image.fromarray(self.images[i], mode="L")
        x = torch.from_numpy(np.array(img, dtype=np.float32)).div(255.0).unsqueeze(0)  # ToTensor
        return x, int(self.labels[i])


class RefVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def reference_epoch(train_set, seed: int) -> tuple[RefVAE, float]:
    torch.manual_seed(seed)
    model = RefVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(train_set, batch_size=128, shuffle=True)
    t0 = time.perf_counter()
    model.train()
    for data, _ in loader:
        optimizer.zero_grad()
        recon, mu, logvar = model(data)
        loss = loss_function(recon, data, mu, logvar)
        loss.backward()
        optimizer.step()
    return model, time.perf_counter() - t0


@torch.no_grad()
def reference_test_loss(model: RefVAE, test_set, seed: int) -> float:
    torch.manual_seed(seed)
    model.eval()
    total = 0.0
    for data, _ in DataLoader(test_set, batch_size=128):
        recon, mu, logvar = model(data)
        total += loss_function(recon, data, mu, logvar).item()
    return total / len(test_set)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="epochs per loop (fresh model each); median")
    ap.add_argument("--subset", type=int, default=0, help="train on the first n images (smoke runs)")
    ap.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                    help="our loop's precision; auto: the Train page's choice on this machine")
    args = ap.parse_args()
    precision = recipes.DEFAULTS["precision"] if args.precision == "auto" else args.precision
    torch.set_num_threads(args.threads)

    t = time.perf_counter()  # issue 2: reading both bundled splits (gzip + checksum) under 1 s
    train_split, test_split = load_split("train"), load_split("test")
    mnist_load_s = time.perf_counter() - t
    n = args.subset or len(train_split)
    images, labels = train_split.images[:n], train_split.labels[:n]
    ref_train = MNISTLike(images, labels)
    ref_test = MNISTLike(test_split.images, test_split.labels)
    x_test = test_split.float_images()

    from aecore.train import TrainData
    data = TrainData(images, labels, images[:0], labels[:0])
    cfg = TrainConfig(epochs=1, batch_size=128, lr=1e-3, loss="bce", schedule="constant",
                      val_size=0)

    # warm both code paths once (allocator, thread pool, first-call dispatch) before timing
    train(build_model(VAEConfig(latent_dim=20, hidden=(400,))),
          TrainConfig(**{**cfg.__dict__, "subset": 2048}), data=data, device="cpu")
    reference_epoch(MNISTLike(images[:2048], labels[:2048]), seed=0)

    ours_s, ref_s, ours_loss, ref_loss, fp32_s, fp32_loss = [], [], [], [], [], []
    for r in range(args.rounds):  # interleaved, so both see the same machine load
        for prec in dict.fromkeys((precision, "fp32")):  # ours, then fp32 too if ours is bf16
            model = build_model(VAEConfig(latent_dim=20, hidden=(400,)), seed=r)
            hist = train(model, TrainConfig(**{**cfg.__dict__, "seed": r, "precision": prec}),
                         data=data, device="cpu")
            secs, loss = (ours_s, ours_loss) if prec == precision else (fp32_s, fp32_loss)
            secs.append(hist.seconds)
            loss.append(vae_test_loss(model, x_test, seed=r))
        ref_model, secs = reference_epoch(ref_train, seed=r)
        ref_s.append(secs)
        ref_loss.append(reference_test_loss(ref_model, ref_test, seed=r))
        also = f", ours in fp32 {fp32_s[-1]:.2f} s ({fp32_loss[-1]:.2f})" if fp32_s else ""
        print(f"round {r + 1}: ours ({precision}) {ours_s[-1]:.2f} s (test loss {ours_loss[-1]:.2f}){also}, "
              f"reference {ref_s[-1]:.2f} s (test loss {ref_loss[-1]:.2f})", flush=True)

    med = lambda v: float(np.median(v))  # noqa: E731
    res = {"ours_s": round(med(ours_s), 3), "reference_s": round(med(ref_s), 3),
           "speedup": round(med(ref_s) / med(ours_s), 2),
           "ours_test_loss": round(med(ours_loss), 2), "reference_test_loss": round(med(ref_loss), 2),
           "loss_diff_pct": round(100 * (med(ours_loss) - med(ref_loss)) / med(ref_loss), 2),
           "threads": args.threads, "rounds": args.rounds, "train_images": n,
           "mnist_load_s": round(mnist_load_s, 3), "precision": precision}
    if fp32_s:
        res.update(ours_fp32_s=round(med(fp32_s), 3), ours_fp32_test_loss=round(med(fp32_loss), 2),
                   speedup_fp32=round(med(ref_s) / med(fp32_s), 2))
    print(f"ours {res['ours_s']} s/epoch, reference {res['reference_s']} s/epoch: "
          f"{res['speedup']}x faster; test loss {res['ours_test_loss']} vs {res['reference_test_loss']}")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
