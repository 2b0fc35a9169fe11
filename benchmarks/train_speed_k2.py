"""How long one epoch of a dense k = 2 autoencoder takes over all 60,000 MNIST digits.

The Train page's budget: at most 1.2 s per epoch on 2 CPU cores, with the training loop the app
uses (``aecore.train.train``, batch 128, fused Adam, BCE on logits, and the precision the Train
page picks on this machine: bf16 autocast where a short probe measures it faster than fp32,
``aecore.device.training_precision``). Runs one short warm-up
first (torch's one-time optimizer import and allocator warm-up are not part of an epoch), then
times ``--repeat`` epochs and reports the fastest and the median.

    python benchmarks/train_speed_k2.py                 # 784-256-128-2 (the "Quick 2-D" recipe)
    python benchmarks/train_speed_k2.py --hidden 512,256  # the zoo's ae_k2
    python benchmarks/train_speed_k2.py --dry-run       # seconds, for CI

The last line printed is one line of JSON: {"dense_k2_epoch_s": ..., ...}.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from aecore.device import cpu_model, training_precision  # noqa: E402
from aecore.config import AEConfig, TrainConfig  # noqa: E402
from aecore.models import build_model  # noqa: E402
from aecore.train import prepare_data, train  # noqa: E402

BUDGET_S = 1.2  # issue 15's bar


def epoch_seconds(hidden: tuple[int, ...], threads: int, subset: int = 0, repeat: int = 1,
                  batch_size: int = 128, precision: str = "fp32") -> list[tuple[float, float]]:
    """(wall, process CPU) seconds of ``repeat`` one-epoch runs of a fresh dense k = 2 AE, after
    a warm-up. On a shared machine the CPU seconds show the work even when the wall clock
    waits for other processes."""
    torch.set_num_threads(threads)
    model_cfg = AEConfig(latent_dim=2, hidden=hidden)
    # val_size=0: every one of the 60,000 training digits is trained on, none held out
    cfg = TrainConfig(epochs=1, batch_size=batch_size, lr=2e-3, loss="bce", subset=subset,
                      val_size=0, precision=precision)
    warm = build_model(model_cfg)
    train(warm, TrainConfig(epochs=1, batch_size=batch_size, subset=1024, val_size=0),
          device="cpu")
    times = []
    for i in range(repeat):
        model = build_model(model_cfg, seed=i)
        data = prepare_data(model, cfg)
        t0, c0 = time.perf_counter(), time.process_time()
        train(model, cfg, data, device="cpu")
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hidden", default="256,128", help="hidden widths, comma separated")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    ap.add_argument("--repeat", type=int, default=3, help="timed epochs (default 3)")
    ap.add_argument("--dry-run", action="store_true", help="2,000 digits, one epoch: a smoke test")
    ap.add_argument("--precision", choices=("page", "fp32", "bf16"), default="page",
                    help="page (default): what the Train page picks on this machine")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    precision = training_precision("cpu") if args.precision == "page" else args.precision
    hidden = tuple(int(h) for h in args.hidden.split(","))
    subset = 2000 if args.dry_run else 0
    runs = epoch_seconds(hidden, args.threads, subset, 1 if args.dry_run else args.repeat,
                         precision=precision)
    n = subset or 60_000
    times = [wall for wall, _ in runs]
    best, med = min(times), statistics.median(times)
    cpu = min(c for _, c in runs)
    print(f"dense 784-{'-'.join(map(str, hidden))}-2, {n:,} images, {args.threads} thread(s): "
          f"{precision}: best {best:.2f} s, median {med:.2f} s per epoch (budget {BUDGET_S:g} s); "
          f"{cpu:.2f} CPU seconds",
          file=sys.stderr)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(json.dumps({"dense_k2_epoch_s": round(best, 3), "median_s": round(med, 3),
                      "cpu_s": round(cpu, 3),
                      "images": n, "hidden": list(hidden), "threads": args.threads,
                      "precision": precision,
                      "budget_s": BUDGET_S, "within_budget": best <= BUDGET_S,
                      "load_avg_1min": round(load, 2), "cpu": cpu_model(),
                      "torch": torch.__version__}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
