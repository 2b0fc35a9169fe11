"""One-class MNIST anomaly detection, the protocol of Ruff et al. (ICML 2018, "Deep One-Class
Classification", table 1): for each digit d, train an autoencoder on the training images of d
only, score all 10,000 test images by reconstruction error (higher = more anomalous; every digit
other than d is an anomaly) and report the AUROC in percent.

Differences from the paper, stated: pixels are plain [0, 1] (no global contrast normalisation +
min-max scaling); the model is our convolutional AE (aecore ConvAE, channels 32/64, k = 32) with
BCE loss and Adam; one validation hold-out of 500 images of d; seed 0.

Prints a table beside the paper's rows, then one line of JSON:
{"auroc": {"0": .., ..., "9": ..}, "mean_auroc": .., "epochs": .., "subset": .., ...}.
Bar (issue 6): beat the paper's deep convolutional autoencoder mean (89.65); aim for Deep SVDD's
(94.8). The full setting (10 digits, 5 epochs, all ~6,000 images) takes up to 30 minutes on two
cores; ``--epochs 1 --digits 0 1 --subset 500 --test-n 1000 --model dense`` is the smoke test the suite runs.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aecore.anomaly import one_class_data, one_class_labels, recon_errors  # noqa: E402
from aecore.config import AEConfig, ConvAEConfig, TrainConfig  # noqa: E402
from aecore.data import load_split  # noqa: E402
from aecore.metrics import auroc  # noqa: E402
from aecore.models import build_model  # noqa: E402
from aecore.train import train  # noqa: E402

# Ruff et al. 2018, table 1, MNIST one-class AUROC (%) per normal digit 0..9
PAPER_DCAE = (97.6, 98.3, 85.4, 86.7, 86.5, 78.2, 94.6, 92.3, 86.5, 90.4)
PAPER_SVDD = (98.0, 99.7, 91.7, 91.9, 94.9, 88.5, 98.3, 94.6, 93.9, 96.5)  # one-class Deep SVDD
PAPER_DCAE_MEAN = sum(PAPER_DCAE) / 10  # 89.65
PAPER_SVDD_MEAN = 94.8  # as the issue quotes it (the row above averages to 94.8)


def one_digit(digit: int, epochs: int, subset: int, model_kind: str, seed: int,
              train_split, test_split, test_n: int = 10_000) -> float:
    """Train on ``digit`` only, score the test set, return the AUROC in percent."""
    if model_kind == "conv":
        cfg = ConvAEConfig(latent_dim=32, hidden=(32, 64))
    else:
        cfg = AEConfig(latent_dim=32, hidden=(256, 128))
    tcfg = TrainConfig(epochs=epochs, batch_size=64, lr=2e-3, loss="bce", subset=subset,
                       val_size=500, seed=seed)
    data = one_class_data(train_split.images, train_split.labels, digit, subset=subset,
                          val_size=500, seed=seed)
    model = build_model(cfg, seed=seed)
    train(model, tcfg, data, device="cpu")
    scores = recon_errors(model, test_split.float_images(slice(0, test_n)))  # (test_n,)
    return 100.0 * auroc(scores, one_class_labels(test_split.labels[:test_n], digit))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=5, help="epochs per digit (default 5)")
    ap.add_argument("--digits", type=int, nargs="+", default=list(range(10)),
                    help="normal digits to run (default all ten)")
    ap.add_argument("--subset", type=int, default=0,
                    help="training images of the normal digit (0 = all, about 5,400)")
    ap.add_argument("--model", choices=("conv", "dense"), default="conv")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--test-n", type=int, default=10_000,
                    help="score only the first n test images (smoke tests; default all 10,000)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if any(not 0 <= d <= 9 for d in args.digits):
        ap.error("digits must be between 0 and 9")

    train_split, test_split = load_split("train"), load_split("test")
    results: dict[str, float] = {}
    t0 = time.perf_counter()
    print(f"one-class MNIST, {args.model} AE, {args.epochs} epoch(s), subset {args.subset or 'all'}")
    print(f"{'digit':>5} {'ours':>7} {'DCAE':>7} {'DSVDD':>7} {'seconds':>8}")
    for d in args.digits:
        t = time.perf_counter()
        a = one_digit(d, args.epochs, args.subset, args.model, args.seed, train_split, test_split,
                      args.test_n)
        results[str(d)] = round(a, 2)
        print(f"{d:>5} {a:7.2f} {PAPER_DCAE[d]:7.1f} {PAPER_SVDD[d]:7.1f} "
              f"{time.perf_counter() - t:8.1f}", flush=True)
    mean = sum(results.values()) / len(results)
    ref_dcae = sum(PAPER_DCAE[d] for d in args.digits) / len(args.digits)
    ref_svdd = sum(PAPER_SVDD[d] for d in args.digits) / len(args.digits)
    print(f" mean {mean:7.2f} {ref_dcae:7.2f} {ref_svdd:7.2f} {time.perf_counter() - t0:8.1f}")
    out = {"auroc": results, "mean_auroc": round(mean, 2), "paper_dcae_mean": round(ref_dcae, 2),
           "paper_svdd_mean": round(ref_svdd, 2), "beats_dcae": mean > ref_dcae,
           "epochs": args.epochs, "subset": args.subset, "model": args.model, "test_n": args.test_n,
           "seconds": round(time.perf_counter() - t0, 1), "preprocessing": "[0, 1] pixels"}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
