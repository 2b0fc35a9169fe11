"""Sound beyond images (issue 27, section 3): the speech denoising AE against the classic
denoisers, on the four held-out spoken numbers (3, 8, 13, 17) at 5 dB input SNR.

Trains the zoo recipe ``sound_dae`` from scratch through the one training loop (1 thread: the
figure the card's ``train_seconds`` records), then measures, on the same seeded mixtures in the
same run, the SNR gain in dB (output SNR minus input SNR) of the AE, scipy's Wiener filter and
spectral subtraction for white noise, babble and mains hum, and their mean.

Ends with one line of JSON: {"sound": {"snr_gain_db": {"ae", "wiener", "spectral_subtraction"}}
(the means over the three noises; each noise's figures are in the table above it), "train_s":
{"sound_dae": s}, "cpu": ...}. Bar: ae >= wiener + 3 dB. ``--quick`` (1 epoch on 5,000 frames) is the smoke
test.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aecore import sound as sd  # noqa: E402
from aecore import sound_ae as sa  # noqa: E402
from aecore.config import replace  # noqa: E402
from aecore.device import cpu_model  # noqa: E402
from aecore.models import build_model  # noqa: E402
from aecore.presets import ZOO  # noqa: E402
from aecore.train import train  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="1 epoch on 5,000 frames: the smoke test")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    p = ZOO["sound_dae"]
    cfg = replace(p.train, epochs=1, subset=5000) if args.quick else p.train
    model = build_model(p.model, seed=cfg.seed)
    seconds = round(train(model, cfg, device="cpu").seconds, 1)
    methods = {"ae": lambda x: sa.denoise(model, x), "wiener": sd.wiener,
               "spectral_subtraction": sd.spectral_subtraction}
    by_noise = {name: sa.snr_gains(fn) for name, fn in methods.items()}
    print(f"SNR gain (dB) on held-out words {', '.join(sd.HELD_OUT)} at {sa.EVAL_SNR:g} dB input")
    print(f"{'method':<22}" + "".join(f"{k:>9}" for k in (*sd.NOISES, "mean")))
    for name, g in by_noise.items():
        print(f"{name:<22}" + "".join(f"{g[k]:>9.2f}" for k in (*sd.NOISES, "mean")))
    gains = {name: g["mean"] for name, g in by_noise.items()}
    print(f"bar ae >= wiener + 3 dB: {'met' if gains['ae'] >= gains['wiener'] + 3 else 'NOT met'} "
          f"({gains['ae'] - gains['wiener']:+.2f} dB); trained in {seconds} s")
    result = {"sound": {"snr_gain_db": gains}, "train_s": {"sound_dae": seconds}, "cpu": cpu_model()}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
