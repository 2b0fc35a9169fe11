"""Command line: ``python -m aecore {list,train,eval,zoo}``; ``train`` takes a preset, a JSON
config, or a Train-page type with its settings (``--type vae --set beta=4``).

Every command's last line is one line of JSON with its figures, so scripts can read it.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import torch

from .datasets import DATASETS, get_dataset, retarget
from .config import TrainConfig, config_to_dict, model_config_from_dict, replace, train_config_from_dict
from .errors import AecoreError
from .evaluate import check_metrics, evaluate
from .model_types import TYPES, make_configs
from .models import REGISTRY, build_model
from .presets import DEMOS, TEACHING, ZOO, get_preset
from .train import Callbacks, train
from .weights import STORAGES, card_dataset, clean_metrics, load_model, make_card, save_model, stored

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _overrides(pairs: list[str]) -> dict:
    out = {}
    for p in pairs:
        if "=" not in p:
            raise AecoreError(f"--set expects key=value, got {p!r}")
        k, v = p.split("=", 1)
        out[k.strip()] = _parse_value(v)
    return out


def train_recipe(name: str, model_cfg, train_cfg: TrainConfig, out_dir: Path | None,
                 title: str = "", description: str = "", command: str = "",
                 storage: str = "int8", quiet: bool = False) -> dict:
    """Train one recipe, measure it on the test set, save weights + card; return the card."""
    model = build_model(model_cfg, seed=train_cfg.seed)

    def on_epoch(p, rec, m):
        if not quiet:
            print(f"[{name}] {rec['phase']} epoch {p.epoch}/{p.total_epochs} "
                  f"train {rec['train_loss']:.5f} val {rec['val_loss']:.5f} ({rec['seconds']:.1f}s)",
                  file=sys.stderr, flush=True)

    hist = train(model, train_cfg, callbacks=Callbacks(on_epoch=on_epoch))
    stored(model, storage)  # measure exactly what the file will hold
    data = train_cfg.dataset
    metrics = evaluate(model, denoise=train_cfg.noise != "none", dataset=data)
    card = make_card(model, name=name, title=title, description=description,
                     train=config_to_dict(train_cfg), data=train_cfg.dataset,
                     epochs=len(hist.epochs), seed=train_cfg.seed,
                     train_seconds=round(hist.seconds, 1), threads=torch.get_num_threads(),
                     command=command, metrics=clean_metrics(metrics), curve=hist.card_curve())
    if out_dir is not None:
        card["check"] = check_metrics(model, data)  # lets the tests confirm the card fits its weights
        save_model(model, out_dir / name, card, storage)
    return card


def _on_dataset(model_cfg, train_cfg: TrainConfig, dataset: str | None):
    """The configs retargeted to ``dataset`` (its name and input shape), or as they are."""
    return retarget(model_cfg, train_cfg, dataset) if dataset else (model_cfg, train_cfg)


def cmd_train(args) -> dict:
    over = _overrides(args.set or [])
    if args.epochs:
        over["epochs"] = args.epochs
    if args.dataset:
        get_dataset(args.dataset)  # an unknown name fails before anything is built
    if args.type:  # a Train-page type with its settings, as the page would build it
        model_cfg, train_cfg = _on_dataset(*make_configs(args.type, **over), args.dataset)
        t = TYPES[args.type]
        out = Path(args.out) if args.out else None
        card = train_recipe(args.type, model_cfg, train_cfg, out, t.label, t.summary,
                            storage=args.storage)
        return {"name": args.type, "train_seconds": card["train_seconds"], **card["metrics"]}
    if args.preset:
        p = get_preset(args.preset)
        name, model_cfg, train_cfg, title, desc = p.name, p.model, p.train, p.title, p.description
    else:
        spec = json.loads(Path(args.config).read_text())
        model_cfg = model_config_from_dict(spec["model"])
        train_cfg = train_config_from_dict(spec.get("train", {}))
        name, title, desc = spec.get("name", Path(args.config).stem), spec.get("title", ""), ""
    # the config's fields, not its card dict: that leaves out settings at their default
    # (shape, activations), which --set may still change
    model_keys = {k for k in over if k in {f.name for f in dataclasses.fields(model_cfg)}}
    model_cfg = replace(model_cfg, **{k: over[k] for k in model_keys})
    train_cfg = replace(train_cfg, **{k: v for k, v in over.items() if k not in model_keys})
    model_cfg, train_cfg = _on_dataset(model_cfg, train_cfg, args.dataset)
    # the command that rebuilds this file, without machine-specific options such as --threads
    cmd = " ".join(["python -m aecore train --preset", name]
                   + [f"--epochs {args.epochs}"] * bool(args.epochs)
                   + [f"--set {kv}" for kv in args.set or []]
                   + [f"--dataset {args.dataset}"] * bool(args.dataset)
                   + [f"--out {args.out}"] * bool(args.out)) if args.preset else ""
    out = Path(args.out) if args.out else None
    card = train_recipe(name, model_cfg, train_cfg, out, title, desc, cmd, storage=args.storage)
    print(f"{name}: trained in {card['train_seconds']} s; test {card['metrics']}", file=sys.stderr)
    return {"name": name, "train_seconds": card["train_seconds"], **card["metrics"]}


def cmd_eval(args) -> dict:
    model, card = load_model(args.path)
    t = time.perf_counter()
    metrics = evaluate(model, n=args.n, denoise=card.get("train", {}).get("noise", "none") != "none",
                       dataset=card_dataset(card))
    return {"path": str(args.path), "model": card.get("model"), **clean_metrics(metrics),
            "eval_seconds": round(time.perf_counter() - t, 2)}


def cmd_list(args) -> dict:
    for d in DATASETS.values():
        print(f"{'data':8s} {d.name:16s} {'x'.join(map(str, d.shape)):12s} {d.label}")
    for t in TYPES.values():
        print(f"{'type':8s} {t.name:16s} {t.kind or 'dense|conv':12s} {t.label}")
    for table, label in ((ZOO, "zoo"), (TEACHING, "teaching"), (DEMOS, "demo")):
        for p in table.values():
            print(f"{label:8s} {p.name:16s} {type(p.model).kind:12s} {p.title}")
    # "kinds": model classes a card may name; "types": what the Train page offers on them
    return {"datasets": list(DATASETS), "kinds": list(REGISTRY), "types": list(TYPES), "zoo": list(ZOO),
            "teaching": list(TEACHING), "demos": list(DEMOS)}


def cmd_zoo(args) -> dict:
    names = args.only or list(ZOO)
    times = {}
    for n in names:
        p = ZOO[n]
        card = train_recipe(n, p.model, p.train, Path(args.out), p.title, p.description,
                            f"python -m aecore train --preset {n} --out pretrained")
        times[n] = card["train_seconds"]
        print(f"{n}: {card['train_seconds']} s", flush=True)
    return {"train_seconds": times, "total_seconds": round(sum(times.values()), 1)}


def cmd_fetch(args) -> dict:
    from .datasets.fetch import fetch
    return fetch(args.dataset)


def cmd_precompute(args) -> dict:
    from .precomputed import build
    # which entries is the app's to say: what its declared defaults call for (startup.plan);
    # the core computes whatever it is given
    from startup.plan import entries
    t = time.perf_counter()
    todo = entries()
    path = build(todo, Path(args.out))
    return {"path": str(path), "bytes": path.stat().st_size, "entries": len(todo),
            "seconds": round(time.perf_counter() - t, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m aecore", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train a preset or a JSON config, evaluate it, save it")
    src = t.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", help="a preset name (see `list`)")
    src.add_argument("--type", help="a Train-page type (see `list`), set up with --set, e.g. "
                                    "--type sparse_kl --set rho=0.1")
    src.add_argument("--config", help='JSON file: {"name", "model": {"kind", ...}, "train": {...}}')
    t.add_argument("--out", help="folder for NAME.safetensors + NAME.json (omit: do not save)")
    t.add_argument("--epochs", type=int, help="override the recipe's epochs")
    t.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a model or training setting, e.g. --set latent_dim=8, or "
                        "one activation per hidden layer: --set 'activations=[\"tanh\",\"relu\"]'")
    t.add_argument("--dataset", help="train on this data set (see `list`); the model's input shape "
                                     "follows it")
    t.add_argument("--storage", choices=STORAGES, default="int8",
                   help="weight storage: int8 (default; per-row scales), float16 or float32")
    e = sub.add_parser("eval", help="measure a weight file on the MNIST test set")
    e.add_argument("path")
    e.add_argument("--n", type=int, default=None, help="only the first n test images")
    sub.add_parser("list", help="list data sets, model kinds, Train-page types and presets")
    f = sub.add_parser("fetch", help="download a data set's missing files (needs a network)")
    f.add_argument("dataset", choices=["fashion-mnist", "cifar-10"])
    z = sub.add_parser("zoo", help="rebuild the pretrained zoo")
    z.add_argument("--out", default=str(PRETRAINED))
    z.add_argument("--only", nargs="*", choices=list(ZOO))
    pc = sub.add_parser("precompute", help="rebuild pretrained/precomputed.safetensors: what the app's "
                        "declared defaults call for (views/specs.py), e.g. the PCA basis")
    pc.add_argument("--out", default=str(PRETRAINED))
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        result = {"train": cmd_train, "eval": cmd_eval, "list": cmd_list, "zoo": cmd_zoo,
                  "precompute": cmd_precompute, "fetch": cmd_fetch}[args.cmd](args)
    except (AecoreError, FileNotFoundError, json.JSONDecodeError) as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps(result))
    return 0
