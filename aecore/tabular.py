"""Tables for a one-class autoencoder: synthetic card transactions with labelled fraud, the
breast-cancer table scikit-learn bundles, and a user's CSV; the baselines a practitioner tries
first (IsolationForest, PCA reconstruction error) scored on the same split.

The transactions generator works like :mod:`aecore.sensors`: reproducible from a seed, every
injected fraud labelled with its pattern. Each row is one card payment of a customer whose habits
(usual amount, usual hour, how far from home they shop) are columns too, so normal rows obey
*relations between columns*. The four fraud patterns break those relations:

* ``probing``: tiny amounts (0.5-2) in a burst of 6-15 payments within the hour (card testing);
* ``unusual_hour``: about 12 hours away from the customer's usual hour (each hour is common for
  some customer, so only the relation to ``usual_hour`` gives it away);
* ``far_merchant``: 20-100 times further from home than the customer usually shops;
* ``amount_spike``: 8-30 times the customer's usual amount.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from .errors import ConfigError, DatasetError

FRAUD_KINDS = ("probing", "unusual_hour", "far_merchant", "amount_spike")
TX_COLUMNS = ("log_amount", "log_usual_amount", "hour_sin", "hour_cos", "usual_hour_sin",
              "usual_hour_cos", "log_distance_km", "log_usual_distance_km", "payments_last_hour")
MAX_CSV_BYTES = 20 * 1024 * 1024  # a classroom server parses uploads in memory
MAX_CSV_ROWS = 200_000
MAX_CSV_COLUMNS = 512
MIN_ROWS = 20
LABEL_NAMES = ("label", "class", "target", "fraud", "is_fraud", "anomaly", "is_anomaly", "outlier")


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensors field-wise is ambiguous
class Table:
    """Numeric rows with optional ground truth."""

    x: Tensor                              # (N, F) float32, finite
    columns: tuple[str, ...]               # (F,)
    labels: Tensor | None = None           # (N,) bool, True = anomalous / fraud
    kinds: tuple[str, ...] | None = None   # (N,) "normal" or the fraud pattern
    notes: tuple[str, ...] = field(default=())  # what reading the file changed, for the page

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def subset(self, idx: Tensor) -> "Table":
        """The rows ``idx`` (a 1-D index tensor), with their labels and kinds."""
        kinds = None if self.kinds is None else tuple(self.kinds[i] for i in idx.tolist())
        return Table(self.x[idx], self.columns, None if self.labels is None else self.labels[idx],
                     kinds, self.notes)


# sources

def _customers(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"amount": np.exp(rng.normal(3.5, 0.8, n)),      # usual payment, about 10-100
            "hour": rng.uniform(8.0, 21.0, n),                # usual hour of day
            "radius": np.exp(rng.normal(1.5, 0.7, n))}        # usual km from home


def _inject(kind: str, i: int, c: dict, cols: dict, rng: np.random.Generator) -> None:
    if kind == "probing":
        cols["amount"][i] = rng.uniform(0.5, 2.0)
        cols["burst"][i] = rng.integers(6, 16)
    elif kind == "unusual_hour":
        cols["hour"][i] = (c["hour"] + 12.0 + rng.normal(0, 1.5)) % 24.0
    elif kind == "far_merchant":
        cols["distance"][i] = c["radius"] * rng.uniform(20.0, 100.0)
    else:  # amount_spike
        cols["amount"][i] = c["amount"] * rng.uniform(8.0, 30.0)


def transactions(n: int = 20_000, fraud_rate: float = 0.01, seed: int = 0,
                 n_customers: int = 500) -> Table:
    """``n`` synthetic card payments, a ``fraud_rate`` share of them fraud spread evenly over
    :data:`FRAUD_KINDS`; columns :data:`TX_COLUMNS`. Reproducible from ``seed``."""
    if not isinstance(n, int) or not MIN_ROWS <= n <= 1_000_000:
        raise ConfigError(f"the number of transactions must be between {MIN_ROWS} and 1,000,000, got {n!r}")
    if not 0.0 <= fraud_rate <= 0.5:
        raise ConfigError(f"the fraud rate must be between 0 and 0.5, got {fraud_rate!r}")
    rng = np.random.default_rng(seed)
    cust = _customers(n_customers, rng)
    who = rng.integers(0, n_customers, n)
    c = {k: v[who] for k, v in cust.items()}
    cols = {"amount": c["amount"] * np.exp(rng.normal(0, 0.35, n)),
            "hour": (c["hour"] + rng.normal(0, 1.5, n)) % 24.0,
            "distance": c["radius"] * np.exp(rng.normal(0, 0.5, n)),
            "burst": rng.poisson(0.3, n).astype(np.float64)}
    n_fraud = int(round(n * fraud_rate))
    fraud_idx = rng.choice(n, n_fraud, replace=False)
    kinds = np.array(["normal"] * n, dtype=object)
    for j, i in enumerate(fraud_idx):
        kinds[i] = FRAUD_KINDS[j % len(FRAUD_KINDS)]
        _inject(kinds[i], i, {k: v[i] for k, v in c.items()}, cols, rng)
    h, uh = 2 * math.pi * cols["hour"] / 24, 2 * math.pi * c["hour"] / 24
    x = np.stack([np.log(cols["amount"]), np.log(c["amount"]), np.sin(h), np.cos(h), np.sin(uh),
                  np.cos(uh), np.log(cols["distance"]), np.log(c["radius"]), cols["burst"]], 1)
    return Table(torch.from_numpy(x.astype(np.float32)), TX_COLUMNS,
                 torch.from_numpy(kinds != "normal"), tuple(kinds))


def breast_cancer() -> Table:
    """scikit-learn's bundled Wisconsin diagnostic breast-cancer table (569 rows, 30 columns,
    installed with scikit-learn, no download); malignant rows are the anomalies."""
    try:
        from sklearn.datasets import load_breast_cancer
        d = load_breast_cancer()
    except (ImportError, OSError) as exc:  # pragma: no cover - scikit-learn ships the file
        raise DatasetError("the breast-cancer table comes with scikit-learn: "
                           "pip install scikit-learn") from exc
    malignant = d.target == 0  # scikit-learn codes malignant as 0, benign as 1
    return Table(torch.from_numpy(d.data.astype(np.float32)), tuple(d.feature_names),
                 torch.from_numpy(malignant), tuple("malignant" if m else "benign" for m in malignant))


# a user's CSV

def _decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise DatasetError(f"{name}: the file is empty")
    if len(data) > MAX_CSV_BYTES:
        raise DatasetError(f"{name}: {len(data) / 2**20:.1f} MB is more than this page reads "
                           f"({MAX_CSV_BYTES // 2**20} MB); upload a sample of the rows")
    head = data[:65536]
    controls = sum(b < 32 and b not in (9, 10, 13) for b in head)
    if b"\x00" in head or controls > len(head) // 100:
        raise DatasetError(f"{name}: this is not a text CSV file (it holds binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # a spreadsheet's export; every byte decodes


def _delimiter(text: str) -> str:
    import csv
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _header(first: list[str]) -> tuple[list[str], bool, list[str]]:
    """Column names from the first row, whether it is a header, and notes."""
    if all(_is_number(c.strip()) for c in first if c.strip()):
        return [f"column {i + 1}" for i in range(len(first))], False, [
            "The first row holds only numbers, so it was read as data: the columns are numbered."]
    names, seen, notes = [], {}, []
    for i, raw in enumerate(first):
        base = raw.strip() or f"column {i + 1}"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    dups = sorted(n for n, c in seen.items() if c > 1)
    if dups:
        notes.append("Duplicated column names were numbered: " + ", ".join(dups[:5]) + ".")
    return names, True, notes


_DELIMS = {";": "semicolons", "\t": "tabs", "|": "bars"}


def _frame(text: str, name: str):
    import csv

    import pandas as pd
    delim = _delimiter(text)
    first = next(csv.reader(io.StringIO(text[:65536]), delimiter=delim), [])
    if len(first) > MAX_CSV_COLUMNS:
        raise DatasetError(f"{name}: {len(first)} columns is more than this page reads ({MAX_CSV_COLUMNS})")
    names, has_header, notes = _header(first)
    if delim != ",":
        notes.append(f"Columns are separated by {_DELIMS.get(delim, repr(delim))}.")
    try:
        df = pd.read_csv(io.StringIO(text), sep=delim, header=None, names=names, dtype=str,
                         skiprows=1 if has_header else 0, nrows=MAX_CSV_ROWS + 1,
                         skip_blank_lines=True, keep_default_na=False, engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        raise DatasetError(f"{name}: the rows do not have the same number of fields as the first "
                           f"row ({str(exc).strip().splitlines()[-1]})") from exc
    if len(df) > MAX_CSV_ROWS:
        df = df.iloc[:MAX_CSV_ROWS]
        notes.append(f"Only the first {MAX_CSV_ROWS:,} rows were read.")
    return df, notes


def _numeric(df) -> tuple[dict[str, np.ndarray], list[str]]:
    """Columns whose filled cells are (nearly) all numbers, as float64 with NaN for bad cells."""
    import pandas as pd
    numeric, text = {}, []
    for col in df.columns:
        cells = df[col].str.strip()
        filled = cells[cells != ""]
        values = pd.to_numeric(filled, errors="coerce")
        if len(filled) and values.notna().mean() >= 0.9:
            numeric[col] = pd.to_numeric(cells, errors="coerce").to_numpy(np.float64)
        else:
            text.append(col)
    return numeric, text


def _label_column(numeric: dict[str, np.ndarray]) -> str | None:
    for col, v in numeric.items():
        if col.strip().lower() in LABEL_NAMES and np.isin(v[np.isfinite(v)], (0.0, 1.0)).all():
            return col
    return None


def read_csv(data: bytes, name: str = "uploaded file") -> Table:
    """A user's CSV as a :class:`Table` of its numeric columns, with notes on what was changed.

    The delimiter (comma, semicolon, tab, bar) and a missing header row are detected; duplicated
    names are numbered; text columns and constant columns are left out and named; a 0/1 column
    called ``label``, ``class``, ``fraud``... becomes the ground truth; rows with a missing, NaN,
    infinite or absurdly large (over 1e15) value are dropped and counted. Raises
    :class:`DatasetError` with a message for the page: empty, binary, too large, ragged, no
    numeric column, fewer than 20 usable rows.
    """
    df, notes = _frame(_decode(data, name), name)
    numeric, text = _numeric(df)
    if not numeric:
        raise DatasetError(f"{name}: no numeric columns; every column holds text ("
                           + ", ".join(text[:8]) + ")")
    if text:
        notes.append("Text columns left out: " + ", ".join(text[:8]) + (" ..." if len(text) > 8 else "") + ".")
    label = _label_column(numeric)
    y = numeric.pop(label) if label else None
    if label:
        notes.append(f"Column {label!r} (0/1) is used as the ground truth, not as a feature.")
    x = np.stack(list(numeric.values()), 1)  # (N, F)
    bad = ~np.isfinite(x).all(1) | (np.abs(np.nan_to_num(x)) > 1e15).any(1)
    if y is not None:
        bad |= ~np.isfinite(y)
    if bad.any():
        notes.append(f"{int(bad.sum()):,} row(s) with a missing, NaN, infinite or over-large value were dropped.")
    x, y = x[~bad], None if y is None else y[~bad] == 1.0
    if len(x) < MIN_ROWS:
        raise DatasetError(f"{name}: only {len(x)} complete row(s); at least {MIN_ROWS} are needed")
    cols = list(numeric)
    keep = x.std(0) > 0
    if not keep.any():
        raise DatasetError(f"{name}: every numeric column holds one constant value")
    if not keep.all():
        notes.append("Constant columns left out: " + ", ".join(c for c, k in zip(cols, keep) if not k) + ".")
    return Table(torch.from_numpy(x[:, keep].astype(np.float32)),
                 tuple(c for c, k in zip(cols, keep) if k),
                 None if y is None else torch.from_numpy(y), None, tuple(notes))


# one-class split, training data, scores

def one_class_split(table: Table, train_frac: float = 0.7, seed: int = 0) -> tuple[Tensor, Table]:
    """``(train_x, test)``: a seeded ``train_frac`` of the normal rows to train on, and the other
    normal rows with every anomalous one to test on. Without labels every row is both (the
    autoencoder then assumes anomalies are rare)."""
    if table.labels is None:
        return table.x, table
    gen = torch.Generator().manual_seed(seed)
    normal = torch.nonzero(~table.labels).flatten()
    normal = normal[torch.randperm(len(normal), generator=gen)]
    n_train = int(len(normal) * train_frac)
    if n_train < MIN_ROWS:
        raise DatasetError(f"only {len(normal)} normal rows: too few to learn what normal is")
    test_idx = torch.cat([normal[n_train:], torch.nonzero(table.labels).flatten()]).sort().values
    return table.x[normal[:n_train]], table.subset(test_idx)


def train_data(x: Tensor, val_frac: float = 0.15, seed: int = 0):
    """:class:`aecore.train.TrainData` of rows ``x`` (N, F): a seeded ``val_frac`` held out."""
    from .train import TrainData
    perm = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))
    n_val = max(1, int(x.shape[0] * val_frac))
    return TrainData(x[perm[n_val:]], None, x[perm[:n_val]], None)


@torch.inference_mode()
def ae_scores(model, x: Tensor) -> np.ndarray:
    """Anomaly score of each row (N,): the mean squared error in standard units."""
    return model.eval().feature_errors(x).mean(dim=1).double().numpy()


def _standardise(train_x: Tensor, x: Tensor) -> Tensor:
    std = train_x.std(dim=0)
    return (x - train_x.mean(dim=0)) / torch.where(std > 1e-8, std, torch.ones_like(std))


def pca_scores(train_x: Tensor, test_x: Tensor, k: int) -> np.ndarray:
    """PCA reconstruction error (the best linear autoencoder with ``k`` components, fit on the
    standardised training rows) of each test row, in the same units as :func:`ae_scores`."""
    from .pca import PCA
    pca = PCA.fit(_standardise(train_x, train_x).double())
    z = _standardise(train_x, test_x).double()
    return (pca.reconstruct(z, min(k, pca.dim)) - z).pow(2).mean(dim=1).numpy()


def isolation_forest_scores(train_x: Tensor, test_x: Tensor, seed: int = 0) -> np.ndarray:
    """scikit-learn's IsolationForest (200 trees) fit on the training rows; higher = more anomalous."""
    from sklearn.ensemble import IsolationForest
    forest = IsolationForest(n_estimators=200, random_state=seed).fit(train_x.numpy())
    return -forest.score_samples(test_x.numpy())


def compare(model, train_x: Tensor, test: Table, seed: int = 0) -> dict[str, np.ndarray]:
    """Scores of the test rows by the autoencoder, an IsolationForest and a PCA with as many
    components as the autoencoder's code, all fit on the same training rows."""
    return {"ae": ae_scores(model, test.x),
            "isolation_forest": isolation_forest_scores(train_x, test.x, seed),
            "pca": pca_scores(train_x, test.x, model.latent_dim)}


def detection_figures(scores: dict[str, np.ndarray], labels: Tensor) -> dict[str, dict[str, float]]:
    """AUROC and average precision of each scorer: ``{name: {"auroc", "ap"}}``."""
    from .metrics import auroc, average_precision
    return {k: {"auroc": auroc(s, labels), "ap": average_precision(s, labels)} for k, s in scores.items()}


def top_rows(model, x: Tensor, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` highest-scored rows: their indices (n,) and each column's share of their
    error (n, F), rows summing to 1."""
    with torch.inference_mode():
        err = model.eval().feature_errors(x).double()  # (N, F)
    idx = err.mean(dim=1).argsort(descending=True)[:n]
    top = err[idx]
    return idx.numpy(), (top / top.sum(dim=1, keepdim=True).clamp_min(1e-12)).numpy()


# the CLI's data sets (aecore.train.DATA_SOURCES): "transactions" and "breast_cancer"

EVAL_SEED = 12345  # the held-out transactions every card is measured on


def _table_for(dataset: str, seed: int) -> tuple[Tensor, Table]:
    if dataset == "transactions":
        tx = transactions(20_000, 0.01, seed=seed)
        return tx.x[~tx.labels], transactions(20_000, 0.01, seed=EVAL_SEED)
    if dataset == "breast_cancer":
        return one_class_split(breast_cancer(), seed=seed)
    raise ConfigError(f"{dataset!r} is not a table this module knows; a CSV trains from the page")


def prepare(model, cfg) -> "object":
    """Training data for ``cfg.dataset``: the normal rows only (one-class), 15% held out."""
    train_x, _ = _table_for(cfg.dataset, cfg.seed)
    if cfg.subset:
        train_x = train_x[: cfg.subset]
    return train_data(train_x, seed=cfg.seed)


def evaluate(model, dataset: str, n: int | None = None) -> dict:
    """Card metrics on the data set's held-out rows: AUROC and average precision of the AE and
    of an IsolationForest fit on the same training rows, and the mean score of normal rows."""
    train_x, test = _table_for(dataset, 0)
    if n:
        test = test.subset(torch.arange(min(n, len(test))))
    ae = ae_scores(model, test.x)
    out = {"mse_normal": float(ae[~test.labels.numpy()].mean())}
    if test.labels.any():
        figs = detection_figures({"ae": ae, "isolation_forest": isolation_forest_scores(
            train_x, test.x)}, test.labels)
        out.update({f"{m}_{k}": v for k, f in figs.items() for m, v in f.items()})
    return out


def submit_table(manager, train_x: Tensor, columns: tuple[str, ...], dataset: str, epochs: int,
                 name: str = "table_ae", on_result=None):
    """Queue the Tables page's one-class AE (preset ``table_ae`` of :data:`aecore.presets.DEMOS`,
    sized to the table's columns) on ``manager`` for ``epochs`` epochs on rows ``train_x``
    (N, F); returns the :class:`~aecore.jobs.Job`."""
    from .config import replace
    from .presets import DEMOS, submit_demo
    p = DEMOS["table_ae"]
    cols = tuple(c[:200] for c in columns)
    model = replace(p.model, n_features=int(train_x.shape[1]), columns=cols)
    preset = replace(p, model=model, train=replace(p.train, dataset=dataset))
    return submit_demo(manager, preset, train_data(train_x, seed=p.train.seed), epochs, name=name,
                       on_result=on_result)
