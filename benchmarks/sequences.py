"""Sequences beyond images (issue 27): character-level autoencoders of words and sentences.

* words: the zoo recipe ``words_gru`` (bidirectional GRU encoder, code 32) trained on the bundled words' training part;
  on the 2,400 held-out words: the share rebuilt exactly and of characters right; the same recipe
  with a Transformer encoder-decoder (width 128) beside it; the ``words_typo`` recipe (half the
  inputs given one random typo) on the held-out words, each given one random typo: the share
  restored exactly.
* sentences: the same GRU recipe on the bundled sentences (alphabet with space and punctuation,
  up to 48 characters); characters right on the held-out ones.
* sound: the baselines' SNR gains (Wiener filter, spectral subtraction) on the held-out spoken
  numbers with white noise at 5 dB; the denoising AE is measured beside them, on three noises,
  by ``benchmarks/sound.py`` (its figure here is null).

Ends with one line of JSON: {"words": {"exact_heldout", "char_acc_heldout", "typo_repair",
"transformer_exact_heldout"}, "sentences": {"char_acc_heldout", "exact_heldout"}, "sound":
{"snr_gain_db": {...}}, "train_s": {model: seconds}}. Bars: words.exact_heldout >= 0.90,
char_acc_heldout >= 0.98, typo_repair >= 0.60, train_s <= 300 each on 2 cores.
``--quick`` (1 epoch, 2,000 words) is the smoke test.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aecore import text as tx  # noqa: E402
from aecore.config import replace  # noqa: E402
from aecore.models import build_model  # noqa: E402
from aecore.presets import DEMOS, ZOO  # noqa: E402
from aecore.train import train  # noqa: E402


def fit(model_cfg, train_cfg, quick: bool):
    """A model trained by the one loop; (model, seconds)."""
    if quick:
        train_cfg = replace(train_cfg, epochs=1, subset=2000)
    model = build_model(model_cfg, seed=train_cfg.seed)
    hist = train(model, train_cfg, device="cpu")
    return model, round(hist.seconds, 1)


def sound_baselines(snr: float = 5.0) -> dict:
    """Mean SNR gain (dB) of each baseline over the held-out spoken numbers, white noise at ``snr``."""
    import numpy as np

    from aecore import sound as sd
    gains: dict[str, list[float]] = {"wiener": [], "spectral_subtraction": []}
    for i, w in enumerate(sd.HELD_OUT):
        clean = sd.load_word(w)
        noisy = sd.add_noise(clean, "white", snr, np.random.default_rng(i))
        gains["wiener"].append(sd.snr_db(clean, sd.wiener(noisy)) - snr)
        gains["spectral_subtraction"].append(sd.snr_db(clean, sd.spectral_subtraction(noisy)) - snr)
    return {"ae": None, **{k: round(float(np.mean(v)), 2) for k, v in gains.items()}}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="1 epoch on 2,000 texts: the smoke test")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    held = tx.split(tx.load_words())[1][: 500 if args.quick else None]
    p, typo = ZOO["words_gru"], DEMOS["words_typo"]
    gru, t_gru = fit(p.model, p.train, args.quick)
    trf, t_trf = fit(replace(p.model, cell="transformer", hidden=(128,), bidirectional=False),
                     replace(p.train, lr=1e-3), args.quick)
    rep, t_rep = fit(typo.model, typo.train, args.quick)
    sent_cfg = replace(p.model, alphabet=tx.SENTENCE_ALPHABET, max_len=48)
    sent, t_sent = fit(sent_cfg, replace(p.train, dataset="sentences"), args.quick)
    acc, acc_t = tx.accuracy(gru, held), tx.accuracy(trf, held)
    acc_s = tx.accuracy(sent, tx.split(tx.load_sentences())[1])
    r = lambda v: round(float(v), 4)  # noqa: E731
    result = {"words": {"exact_heldout": r(acc["exact"]), "char_acc_heldout": r(acc["char_acc"]),
                        "typo_repair": r(tx.typo_repair(rep, held)),
                        "transformer_exact_heldout": r(acc_t["exact"])},
              "sentences": {"char_acc_heldout": r(acc_s["char_acc"]), "exact_heldout": r(acc_s["exact"])},
              "sound": {"snr_gain_db": sound_baselines()},
              "train_s": {"words_gru": t_gru, "words_transformer": t_trf, "words_typo": t_rep,
                          "sentences_gru": t_sent}}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
