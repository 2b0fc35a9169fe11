"""Words and short sentences for a character-level autoencoder, and what a page asks of one.

Data (bundled in ``data/``, no download):

* ``data/words/words.txt``: 24,000 lowercase words of 3-10 letters from Debian's ``wamerican``
  list (SCOWL, Kevin Atkinson; licence in ``data/words/COPYING-SCOWL``), filtered for a classroom;
* ``data/sentences/sentences.txt``: 429 short sentences (12-48 characters) from Debian's
  ``fortunes-min`` (BSD; ``data/sentences/COPYING-fortunes``), filtered for a classroom.

A fixed 10% of each list (seeded) is held out: the benchmarks and the cards measure on texts the
model never saw. Texts are (N, L) character ids, 0 = the end (see :class:`aecore.models.text.TextAE`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .config import LETTERS
from .errors import ConfigError, DatasetError

DATA = Path(__file__).resolve().parent.parent / "data"
SENTENCE_ALPHABET = LETTERS + " .,'?!-"
HELD_OUT = 0.1
SPLIT_SEED = 0


# texts <-> ids

def encode_texts(texts: list[str], alphabet: str, max_len: int) -> Tensor:
    """(N, max_len) ids of ``texts``: character i of the alphabet is i + 1, then 0s. Raises
    :class:`ConfigError` naming the first text that is too long or has a character outside
    the alphabet (uppercase is lowered first)."""
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    out = torch.zeros(len(texts), max_len, dtype=torch.long)
    for n, t in enumerate(texts):
        t = t.strip().lower()
        if not t or len(t) > max_len:
            raise ConfigError(f"{t[:40]!r}: texts must have 1 to {max_len} characters")
        bad = sorted({c for c in t if c not in index})
        if bad:
            raise ConfigError(f"{t[:40]!r}: the model knows only {alphabet!r}, not {''.join(bad)!r}")
        out[n, : len(t)] = torch.tensor([index[c] for c in t])
    return out


def decode_ids(ids: Tensor, alphabet: str) -> list[str]:
    """Texts of ids (N, L), each cut at its first 0."""
    out = []
    for row in ids.tolist():
        chars = []
        for i in row:
            if i == 0:
                break
            chars.append(alphabet[i - 1] if i <= len(alphabet) else "?")
        out.append("".join(chars))
    return out


def add_typos(x: Tensor, rate: float, n_chars: int, gen: torch.Generator | None) -> Tensor:
    """Give each text in ``x`` (B, L) one random typo with probability ``rate``: a character
    replaced, deleted, inserted, or two neighbours swapped (ids 1..``n_chars``). Pure: draws
    only from ``gen``."""
    rows = x.tolist()
    draws = torch.rand(len(rows), 4, generator=gen, device=gen.device if gen else "cpu").tolist()
    length = x.shape[1]
    for r, (p, op, pos, ch) in zip(rows, draws):
        n = next((i for i, v in enumerate(r) if v == 0), length)
        if p >= rate or n < 2:
            continue
        i, c = int(pos * n), 1 + int(ch * n_chars)
        word = r[:n]
        kind = int(op * 4)
        if kind == 0:
            word[i] = c if c != word[i] else 1 + c % n_chars
        elif kind == 1:
            del word[i]
        elif kind == 2 and n < length:
            word.insert(i, c)
        else:
            j = min(i, n - 2)
            word[j], word[j + 1] = word[j + 1], word[j]
        r[:] = (word + [0] * length)[:length]
    return torch.tensor(rows, dtype=torch.long, device=x.device)


# the bundled lists

def _read(path: Path, how: str) -> list[str]:
    try:
        return [t for t in path.read_text(encoding="utf-8").splitlines() if t]
    except OSError as exc:
        raise DatasetError(f"{path} is missing; {how}") from exc


def load_words() -> list[str]:
    """The bundled classroom word list (24,000 words, a-z, 3-10 letters)."""
    return _read(DATA / "words" / "words.txt", "it is part of the repository (from Debian's "
                 "wamerican: apt-get install wamerican, /usr/share/dict/american-english)")


def load_sentences() -> list[str]:
    """The bundled classroom sentences (429, 12-48 characters)."""
    return _read(DATA / "sentences" / "sentences.txt", "it is part of the repository (from "
                 "Debian's fortunes-min: apt-get install fortunes-min)")


def split(texts: list[str]) -> tuple[list[str], list[str]]:
    """(train, held out): a fixed seeded 10% is held out."""
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(texts))
    n = int(len(texts) * HELD_OUT)
    return [texts[i] for i in perm[n:]], [texts[i] for i in perm[:n]]


def texts_of(dataset: str) -> list[str]:
    if dataset == "words":
        return load_words()
    if dataset == "sentences":
        return load_sentences()
    raise ConfigError(f"{dataset!r} is not a text data set (words, sentences)")


# what a page and a benchmark ask of a model

@torch.inference_mode()
def codes(model, texts: list[str], chunk: int = 1024) -> Tensor:
    """Codes (N, k) of ``texts``."""
    cfg = model.cfg
    ids = encode_texts(texts, cfg.alphabet, cfg.max_len)
    return torch.cat([model.eval().encode(ids[i:i + chunk]) for i in range(0, len(ids), chunk)])


@torch.inference_mode()
def spell(model, z: Tensor, chunk: int = 1024) -> list[str]:
    """The texts the decoder spells from codes ``z`` (N, k)."""
    out = [model.eval().decode(z[i:i + chunk]) for i in range(0, len(z), chunk)]
    return decode_ids(torch.cat(out), model.cfg.alphabet)


def rebuild(model, texts: list[str]) -> list[str]:
    """What comes back from each text."""
    return spell(model, codes(model, texts))


def char_marks(source: str, result: str) -> list[tuple[str, bool]]:
    """``result`` character by character, each marked right (True) or wrong against ``source``
    at the same position; a missing character is shown as "_"."""
    n = max(len(source), len(result))
    res = result.ljust(n, "_")
    return [(c, i < len(source) and i < len(result) and c == source[i]) for i, c in enumerate(res)]


def accuracy(model, texts: list[str]) -> dict[str, float]:
    """Share of ``texts`` rebuilt exactly, and of characters right (each text's characters and
    its end marker, compared position by position)."""
    got = rebuild(model, texts)
    right = total = 0
    for s, r in zip(texts, got):
        n = len(s) + 1
        right += sum(a == b for a, b in zip((s + "\0")[:n], (r + "\0" * n)[:n]))
        total += n
    return {"exact": float(np.mean([a == b for a, b in zip(texts, got)])), "char_acc": right / total}


def typo_repair(model, words: list[str], seed: int = 0) -> float:
    """Share of ``words`` given one random typo each that come back exactly as they were."""
    cfg = model.cfg
    ids = encode_texts(words, cfg.alphabet, cfg.max_len)
    noisy = add_typos(ids, 1.0, len(cfg.alphabet), torch.Generator().manual_seed(seed))
    got = rebuild(model, decode_ids(noisy, cfg.alphabet))
    return float(np.mean([a == b for a, b in zip(words, got)]))


def typo(word: str, alphabet: str, seed: int) -> str:
    """``word`` with one random typo (the same for the same seed)."""
    ids = encode_texts([word], alphabet, max(len(word) + 1, 2))
    return decode_ids(add_typos(ids, 1.0, len(alphabet), torch.Generator().manual_seed(seed)), alphabet)[0]


def interpolate(model, a: str, b: str, steps: int = 9) -> list[tuple[float, str]]:
    """(t, text) along the straight line from the code of ``a`` to that of ``b``."""
    za, zb = codes(model, [a, b])
    ts = torch.linspace(0, 1, steps)
    return list(zip(ts.tolist(), spell(model, za + ts[:, None] * (zb - za))))


def nearest(model, z: Tensor, vocab: list[str], vocab_codes: Tensor, n: int = 8) -> list[tuple[str, float]]:
    """The ``n`` texts of ``vocab`` whose codes (``vocab_codes``, (V, k)) are nearest to ``z``
    (k,), with their Euclidean distances."""
    d = (vocab_codes - z).norm(dim=1)
    top = d.argsort()[:n]
    return [(vocab[i], float(d[i])) for i in top.tolist()]


# the CLI's data sets (aecore.train.DATA_SOURCES): "words" and "sentences"

def prepare(model, cfg):
    """Training data: the training part of ``cfg.dataset``, 5% of it held out for validation."""
    from .train import TrainData
    train, _ = split(texts_of(cfg.dataset))
    ids = encode_texts(train, model.cfg.alphabet, model.cfg.max_len)
    perm = torch.randperm(len(ids), generator=torch.Generator().manual_seed(cfg.seed))
    n_val = max(1, len(ids) // 20)
    tr = perm[n_val:][: cfg.subset or None]
    return TrainData(ids[tr], None, ids[perm[:n_val]], None)


def evaluate(model, dataset: str, n: int | None = None) -> dict:
    """Card metrics on the held-out texts: exact rebuilds, characters right, and (words) typos
    repaired."""
    _, held = split(texts_of(dataset))
    held = held[:n] if n else held
    acc = accuracy(model, held)
    out = {"exact_heldout": acc["exact"], "char_acc_heldout": acc["char_acc"], "n_heldout": len(held)}
    if dataset == "words":
        out["typo_repair"] = typo_repair(model, held)
    return out


@torch.inference_mode()
def state_and_code(model, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The encoder's final state (H,) for ``text`` and the code (k,) it becomes."""
    ids = encode_texts([text], model.cfg.alphabet, model.cfg.max_len)
    state = model.eval().final_state(ids)
    return state[0].numpy(), model.to_code(state)[0].numpy()


def submit_text(manager, cell: str, epochs: int, typo_rate: float = 0.0, on_result=None):
    """Queue a word autoencoder (preset ``words_gru``'s recipe with ``cell``, ``epochs`` and
    ``typo_rate``) on ``manager``; it trains on the bundled words. Returns the Job."""
    from .config import replace
    from .presets import ZOO
    p = ZOO["words_gru"]
    tf = cell == "transformer"  # it reads both ways already: no bidirectional option
    model = replace(p.model, cell=cell, typo_rate=float(typo_rate),
                    hidden=(128,) if tf else p.model.hidden,
                    bidirectional=p.model.bidirectional and not tf)
    title = f"{cell.upper()} word AE" + (" (typo repair)" if typo_rate else "")
    return manager.submit(model, replace(p.train, epochs=int(epochs)), name=f"words_{cell}",
                          title=title, on_result=on_result)
