"""Our training loop against the pytorch/examples VAE loop, one epoch each, same process.

The model is the 784-400-20 VAE of pytorch/examples (BCE summed over pixels + KL, batch 128,
Adam 1e-3). The reference loop is written in the examples' style: a per-sample Dataset that
builds a PIL image and converts it to a tensor (as torchvision's MNIST + ToTensor do), a
DataLoader, sigmoid outputs and plain BCE. Ours: aecore.train.train (preloaded uint8 tensor
sliced by a permutation, fused Adam, BCE with logits, denormals flushed, no per-step sync), at
batch 256 with lr 3e-3 instead of 128 with 1e-3 (stated as the issue allows: the test loss after
the epoch is the same, within 1%, and this run checks it), in fp32 and in the precision the Train
page picks on this machine (a measured probe, ``aecore.device.training_precision``).

Rounds interleave the loops, so all see the same load; times are the fastest of the rounds (the
round least disturbed on a shared machine), test losses the medians. An fp32 matmul probe in the
same run gives the machine's practical peak, and our loop's GFLOP/s is set against it.

Prints seconds per epoch for each, their ratio and each one's test loss, then one line of JSON:
{"ours_s", "reference_s", "speedup", "speedup_fp32", "fp32_peak_gflops", "ours_gflops", "cpu",
"ours_test_loss", "reference_test_loss", "precision", "optimizer_epoch_s" (each optimiser's epoch,
Adam's beside it), "optimizer_vs_adam", ...}.
Bars (issue 15): speedup_fp32 >= 3.0 and speedup >= 3.0 at the same test loss (within 1%).
"""
from __future__ import annotations

import argparse
import json
import os
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
from aecore.config import TrainConfig, VAEConfig  # noqa: E402
from aecore.device import cpu_model, matmul_gflops, training_precision  # noqa: E402
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="epochs per loop (fresh model each); median")
    ap.add_argument("--subset", type=int, default=0, help="train on the first n images (smoke runs)")
    ap.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                    help="our loop's precision; auto: the Train page's choice on this machine")
    ap.add_argument("--batch-size", type=int, default=256, help="our loop's batch (examples: 128)")
    ap.add_argument("--lr", type=float, default=3e-3, help="our loop's learning rate (examples: 1e-3)")
    return ap.parse_args(argv)


def run_rounds(args, precision: str, images, labels, test_split) -> dict[str, list[float]]:
    """``args.rounds`` rounds, interleaved so both loops see the same machine load: our loop (and
    in fp32 too when ours is bf16), then the reference; wall and CPU seconds, test losses."""
    from aecore.train import TrainData
    data = TrainData(images, labels, images[:0], labels[:0])
    cfg = TrainConfig(epochs=1, batch_size=args.batch_size, lr=args.lr, loss="bce",
                      schedule="constant", val_size=0)
    ref_train = MNISTLike(images, labels)
    ref_test = MNISTLike(test_split.images, test_split.labels)
    x_test = test_split.float_images()
    # warm both code paths once (allocator, thread pool, first-call dispatch) before timing
    train(build_model(VAEConfig(latent_dim=20, hidden=(400,))),
          TrainConfig(**{**cfg.__dict__, "subset": 2048}), data=data, device="cpu")
    reference_epoch(MNISTLike(images[:2048], labels[:2048]), seed=0)

    m: dict[str, list[float]] = {k: [] for k in (
        "ours_s", "ref_s", "ours_loss", "ref_loss", "fp32_s", "fp32_loss",
        "ours_cpu", "fp32_cpu", "ref_cpu")}  # *_cpu: process CPU seconds
    for r in range(args.rounds):
        for prec in dict.fromkeys((precision, "fp32")):  # ours, then fp32 too if ours is bf16
            model = build_model(VAEConfig(latent_dim=20, hidden=(400,)), seed=r)
            c0 = time.process_time()
            hist = train(model, TrainConfig(**{**cfg.__dict__, "seed": r, "precision": prec}),
                         data=data, device="cpu")
            name = "ours" if prec == precision else "fp32"
            m[f"{name}_cpu"].append(time.process_time() - c0)
            m[f"{name}_s"].append(hist.seconds)
            m[f"{name}_loss"].append(vae_test_loss(model, x_test, seed=r))
        c0 = time.process_time()
        ref_model, secs = reference_epoch(ref_train, seed=r)
        m["ref_cpu"].append(time.process_time() - c0)
        m["ref_s"].append(secs)
        m["ref_loss"].append(reference_test_loss(ref_model, ref_test, seed=r))
        also = f", ours in fp32 {m['fp32_s'][-1]:.2f} s ({m['fp32_loss'][-1]:.2f})" if m["fp32_s"] else ""
        print(f"round {r + 1}: ours ({precision}) {m['ours_s'][-1]:.2f} s (test loss "
              f"{m['ours_loss'][-1]:.2f}){also}, reference {m['ref_s'][-1]:.2f} s (test loss "
              f"{m['ref_loss'][-1]:.2f})", flush=True)
    return m


def summary(args, m: dict[str, list[float]], precision: str, n: int, mnist_load_s: float,
            peak: float) -> dict:
    """The JSON line: fastest round of each loop, median test losses, GFLOP/s against ``peak``."""
    med = lambda v: float(np.median(v))  # noqa: E731
    ours_s, ref_s, ours_loss, ref_loss = m["ours_s"], m["ref_s"], m["ours_loss"], m["ref_loss"]
    fp32 = m["fp32_s"] or ours_s  # ours was fp32 already when the page picks fp32
    fp32_loss = m["fp32_loss"] or ours_loss
    flop = epoch_gflop(build_model(VAEConfig(latent_dim=20, hidden=(400,))), n)
    res = {"ours_s": round(min(ours_s), 3), "reference_s": round(min(ref_s), 3),
           "speedup": round(min(ref_s) / min(ours_s), 2),
           "ours_test_loss": round(med(ours_loss), 2), "reference_test_loss": round(med(ref_loss), 2),
           "loss_diff_pct": round(100 * (med(ours_loss) - med(ref_loss)) / med(ref_loss), 2),
           "threads": args.threads, "rounds": args.rounds, "train_images": n,
           "mnist_load_s": round(mnist_load_s, 3), "precision": precision,
           "batch_size": args.batch_size, "lr": args.lr, "reference_batch_size": 128,
           "reference_lr": 1e-3, "timing": "fastest of the rounds",
           "ours_median_s": round(med(ours_s), 3), "reference_median_s": round(med(ref_s), 3)}
    res.update(ours_fp32_s=round(min(fp32), 3), ours_fp32_test_loss=round(med(fp32_loss), 2),
               speedup_fp32=round(min(ref_s) / min(fp32), 2),
               fp32_loss_diff_pct=round(100 * (med(fp32_loss) - med(ref_loss)) / med(ref_loss), 2),
               epoch_gflop=round(flop, 1), fp32_peak_gflops=round(peak, 1),
               ours_gflops=round(flop / min(ours_s), 1), ours_fp32_gflops=round(flop / min(fp32), 1),
               fraction_of_fp32_peak=round(flop / min(fp32) / peak, 3),
               cpu=cpu_model(), torch=torch.__version__,
               # CPU seconds: on a machine shared with other work the wall clock also counts the
               # waits for a core; the CPU time of each loop is a steadier (not exact) comparison
               ours_cpu_s=round(min(m["ours_cpu"]), 2), reference_cpu_s=round(min(m["ref_cpu"]), 2),
               speedup_cpu=round(min(m["ref_cpu"]) / min(m["ours_cpu"]), 2))
    try:
        res["load_avg_1min"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    return res


def main(argv: list[str] | None = None) -> None:
    from aecore.train import TrainData
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    precision = training_precision("cpu") if args.precision == "auto" else args.precision
    peak = [matmul_gflops()]  # again after the rounds: the faster of the two
    t = time.perf_counter()  # issue 2: reading both bundled splits (gzip + checksum) under 1 s
    train_split, test_split = load_split("train"), load_split("test")
    mnist_load_s = time.perf_counter() - t
    n = args.subset or len(train_split)
    m = run_rounds(args, precision, train_split.images[:n], train_split.labels[:n], test_split)
    peak.append(matmul_gflops())
    res = summary(args, m, precision, n, mnist_load_s, max(peak))
    res["optimizer_epoch_s"] = optimizer_epochs(
        TrainData(train_split.images[:n], train_split.labels[:n], train_split.images[:0],
                  train_split.labels[:0]),
        TrainConfig(epochs=1, batch_size=args.batch_size, lr=args.lr, loss="bce",
                    schedule="constant", val_size=0), args.rounds)
    res["optimizer_vs_adam"] = {k: round(v / res["optimizer_epoch_s"]["adam"], 2)
                                for k, v in res["optimizer_epoch_s"].items()}
    print(f"ours {res['ours_s']} s/epoch ({precision}), fp32 {res['ours_fp32_s']} s, reference "
          f"{res['reference_s']} s/epoch: {res['speedup']}x (fp32 {res['speedup_fp32']}x); test loss "
          f"{res['ours_test_loss']} vs {res['reference_test_loss']}; {res['ours_fp32_gflops']} of "
          f"{res['fp32_peak_gflops']} GFLOP/s peak on {res['cpu']}")
    print(json.dumps(res))


def optimizer_epochs(data, cfg: TrainConfig, rounds: int) -> dict[str, float]:
    """Our loop's epoch with each optimiser of the Train page (aecore.optim.OPTIMIZERS), fp32,
    same model and data, rounds interleaved; the fastest round of each, in seconds."""
    from aecore.optim import OPTIMIZERS
    best: dict[str, float] = {}
    for r in range(rounds):
        for name in OPTIMIZERS:
            model = build_model(VAEConfig(latent_dim=20, hidden=(400,)), seed=r)
            hist = train(model, TrainConfig(**{**cfg.__dict__, "seed": r, "optimizer": name,
                                               "precision": "fp32"}), data=data, device="cpu")
            best[name] = round(min(best.get(name, float("inf")), hist.seconds), 3)
        print(f"optimisers, round {r + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in best.items()),
              flush=True)
    return best


def epoch_gflop(model: nn.Module, n: int) -> float:
    """Matmul GFLOP of one training epoch over ``n`` images: each Linear costs 2*in*out per image
    forward and twice that backward (input and weight gradients), except the first layer, whose
    input needs no gradient. Element-wise work is left out (a few percent)."""
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    fwd = sum(2 * m.in_features * m.out_features for m in layers)
    first = 2 * layers[0].in_features * layers[0].out_features
    return n * (3 * fwd - first) / 1e9


if __name__ == "__main__":
    main()
