"""Tables beyond images (issue 27): a one-class AE against the baselines a practitioner tries
first, on the same split in the same run.

* breast cancer: scikit-learn's bundled table; train on 70% of the benign rows (seed 0), score the
  other benign rows and every malignant one; AUROC of the AE, an IsolationForest (200 trees) and
  PCA reconstruction error with as many components as the AE's code, all fit on the same rows.
* fraud: the synthetic transactions of aecore.tabular; train on 17,000 normal payments (seed 0;
  15% of 20,000 held out for validation), score 20,000 new payments with 1% fraud (seed 12345);
  average precision of the AE and of an IsolationForest.

The models are the recipes the app uses (DEMOS["table_ae"], ZOO["tab_fraud"]). Ends with one line
of JSON: {"tables": {"breast_cancer_auroc": {"ae", "isolation_forest", "pca"}, "fraud_ap": {"ae",
"isolation_forest"}}, "train_s": {model: seconds}}. Bars: breast-cancer AE >= both baselines,
fraud AE >= IsolationForest. ``--quick`` (2 epochs each) is the smoke test.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aecore import tabular as tb  # noqa: E402
from aecore.config import replace  # noqa: E402
from aecore.models import build_model  # noqa: E402
from aecore.presets import DEMOS, ZOO  # noqa: E402
from aecore.train import train  # noqa: E402


def run(name: str, dataset: str, preset, epochs: int | None, keys: tuple[str, ...]) -> tuple[dict, float]:
    """Train ``preset`` on ``dataset``'s normal rows; the metric ``keys`` of each method, and the seconds."""
    train_x, test = tb._table_for(dataset, 0)
    model_cfg = replace(preset.model, n_features=int(train_x.shape[1]))
    cfg = replace(preset.train, dataset=dataset, epochs=epochs or preset.train.epochs)
    model = build_model(model_cfg, seed=cfg.seed)
    hist = train(model, cfg, data=tb.train_data(train_x, seed=cfg.seed), device="cpu")
    scores = tb.compare(model, train_x, test)
    figs = tb.detection_figures({k: scores[k] for k in keys}, test.labels)
    metric = "auroc" if dataset == "breast_cancer" else "ap"
    out = {k: round(f[metric], 4) for k, f in figs.items()}
    print(f"{name}: {metric} {out} ({hist.seconds:.1f} s)", file=sys.stderr)
    return out, round(hist.seconds, 1)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="2 epochs each: the smoke test")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    ep = 2 if args.quick else None
    bc, bc_s = run("breast cancer", "breast_cancer", DEMOS["table_ae"], ep,
                   ("ae", "isolation_forest", "pca"))
    fr, fr_s = run("fraud", "transactions", ZOO["tab_fraud"], ep, ("ae", "isolation_forest"))
    result = {"tables": {"breast_cancer_auroc": bc, "fraud_ap": fr},
              "train_s": {"table_ae": bc_s, "tab_fraud": fr_s}}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
