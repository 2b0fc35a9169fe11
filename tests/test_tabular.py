"""Tables: the data sources load offline, the model learns normal rows, a user's CSV is read
with clear messages for hostile files, and the baselines score on the same split."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from aecore import tabular as tb
from aecore.config import TabularAEConfig, TrainConfig, config_to_dict, model_config_from_dict
from aecore.errors import ConfigError, DatasetError
from aecore.models import build_model
from aecore.train import train
from aecore.weights import load_model, make_card, save_model


# sources

def test_transactions_are_reproducible_and_labelled_by_pattern():
    a, b = tb.transactions(2000, 0.02, seed=5), tb.transactions(2000, 0.02, seed=5)
    assert torch.equal(a.x, b.x) and a.columns == tb.TX_COLUMNS and a.x.shape == (2000, 9)
    assert int(a.labels.sum()) == 40
    assert {k for k in a.kinds if k != "normal"} == set(tb.FRAUD_KINDS)
    assert [k != "normal" for k in a.kinds] == a.labels.tolist()
    assert torch.isfinite(a.x).all()
    assert not torch.equal(a.x, tb.transactions(2000, 0.02, seed=6).x)


def test_each_fraud_pattern_breaks_its_relation():
    t = tb.transactions(4000, 0.1, seed=1)
    col = {c: t.x[:, i] for i, c in enumerate(t.columns)}
    kinds = np.array(t.kinds)
    sel = lambda k: torch.from_numpy(kinds == k)  # noqa: E731
    normal = sel("normal")
    ratio = col["log_amount"] - col["log_usual_amount"]
    assert ratio[sel("amount_spike")].min() > ratio[normal].quantile(0.99)
    assert col["payments_last_hour"][sel("probing")].min() >= 6
    far = col["log_distance_km"] - col["log_usual_distance_km"]
    assert far[sel("far_merchant")].min() > far[normal].quantile(0.99)
    # an unusual hour is about 12 h from the usual one: cos of the difference near -1
    cos_diff = col["hour_cos"] * col["usual_hour_cos"] + col["hour_sin"] * col["usual_hour_sin"]
    assert cos_diff[sel("unusual_hour")].mean() < -0.5 < 0.5 < cos_diff[normal].mean()


def test_transactions_reject_bad_sizes():
    with pytest.raises(ConfigError, match="between"):
        tb.transactions(5)
    with pytest.raises(ConfigError, match="fraud rate"):
        tb.transactions(100, fraud_rate=0.9)


def test_breast_cancer_loads_offline_with_malignant_as_anomalies():
    t = tb.breast_cancer()
    assert t.x.shape == (569, 30) and int(t.labels.sum()) == 212  # 212 malignant, 357 benign
    train_x, test = tb.one_class_split(t, seed=0)
    assert len(train_x) == int(357 * 0.7) and int(test.labels.sum()) == 212
    assert len(train_x) + len(test) == 569


# the model

def test_tabular_ae_standardises_inside_and_round_trips(tmp_path):
    t = tb.transactions(1500, 0.0, seed=2)
    m = build_model(TabularAEConfig(latent_dim=3, hidden=(16,), n_features=9,
                                    columns=tb.TX_COLUMNS))
    hist = train(m, TrainConfig(epochs=3, batch_size=64, loss="mse", dataset="transactions"),
                 data=tb.train_data(t.x), device="cpu")
    assert hist.epochs[-1]["train_loss"] < hist.epochs[0]["train_loss"]
    assert torch.allclose(m.mean, t.x[:len(t.x)].mean(0), atol=0.2)  # set from the training rows
    path = save_model(m, tmp_path / "tab", make_card(m), "float32")
    m2, card = load_model(path)
    assert card["config"]["columns"] == list(tb.TX_COLUMNS)
    assert torch.equal(m2.reconstruct(t.x[:5]), m.reconstruct(t.x[:5]))
    assert model_config_from_dict(config_to_dict(m.cfg)) == m.cfg


def test_config_rejects_mismatched_column_names():
    with pytest.raises(ConfigError, match="columns"):
        TabularAEConfig(n_features=3, columns=("a", "b"))


def test_scores_rank_an_obvious_outlier_first_and_name_its_column():
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(400, 4, generator=rng)
    x[:, 1] = x[:, 0] * 2 + 0.05 * torch.randn(400, generator=rng)  # column 1 follows column 0
    m = build_model(TabularAEConfig(latent_dim=3, hidden=(16,), n_features=4))
    train(m, TrainConfig(epochs=30, batch_size=32, lr=3e-3, loss="mse", dataset="csv"),
          data=tb.train_data(x), device="cpu")
    test = x[:50].clone()
    test[7, 0], test[7, 1] = 1.5, -3.0  # breaks the relation (1 = 2 x 0), each value ordinary
    idx, share = tb.top_rows(m, test, 3)
    assert idx[0] == 7
    assert share[0].argmax() in (0, 1) and share.sum(1) == pytest.approx(1.0)
    s = tb.compare(m, x, tb.Table(test, ("a", "b", "c", "d")))
    assert set(s) == {"ae", "isolation_forest", "pca"} and all(v.shape == (50,) for v in s.values())
    assert s["ae"].argmax() == 7


# the user's CSV: hostile files

def _rows(n=40, sep=","):
    return "".join(f"{i}{sep}{(i * 7) % 11}{sep}{i % 3}\n" for i in range(n))


def test_csv_picks_numeric_columns_and_says_what_it_left_out():
    text = "a,name,b,c\n" + "".join(f"{i},x{i},{i * 2 % 5},{i % 4}\n" for i in range(40))
    t = tb.read_csv(text.encode(), "t.csv")
    assert t.columns == ("a", "b", "c") and t.x.shape == (40, 3)
    assert any("Text columns left out: name" in n for n in t.notes)


def test_csv_semicolons_no_header_and_duplicate_names():
    t = tb.read_csv(_rows(sep=";").encode())
    assert t.columns == ("column 1", "column 2", "column 3") and len(t) == 40
    assert any("semicolons" in n for n in t.notes) and any("numbers" in n for n in t.notes)
    t = tb.read_csv(("x,x,y\n" + _rows()).encode())
    assert t.columns == ("x", "x (2)", "y")
    assert any("Duplicated" in n for n in t.notes)


def test_csv_drops_nan_and_inf_rows_and_counts_them():
    text = "a,b,c\n" + _rows() + "1,nan,2\n3,inf,4\n5,,6\n7,1e300,8\n"
    t = tb.read_csv(text.encode())
    assert len(t) == 40 and torch.isfinite(t.x).all()
    assert any(n.startswith("4 row(s)") for n in t.notes)


def test_csv_label_column_becomes_ground_truth():
    text = "a,b,c,label\n" + "".join(f"{i},{i % 5},{i % 3},{int(i % 10 == 0)}\n" for i in range(60))
    t = tb.read_csv(text.encode())
    assert "label" not in t.columns and int(t.labels.sum()) == 6


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (bytes(range(256)) * 64, "binary"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, "binary"),
    (b"name,city\n" + b"ann,oslo\n" * 30, "no numeric columns"),
    (b"a,b\n" + b"1,2\n" * 5, "only 5 complete row"),
    (b"a,b\n1,2\n1,2,3\n" * 20, "number of fields"),
    (b"a,b\n" + b"1,1\n" * 30, "constant"),
])
def test_hostile_csv_files_get_a_clear_message(data, message):
    with pytest.raises(DatasetError, match=message):
        tb.read_csv(data, "bad.csv")


def test_a_huge_csv_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(tb, "MAX_CSV_BYTES", 1000)
    with pytest.raises(DatasetError, match="MB is more than"):
        tb.read_csv(("a,b,c\n" + _rows(200)).encode())


def test_a_one_gigabyte_claim_is_refused_by_size_not_read():
    class Claims(bytes):  # a file object that says it is 1 GB
        def __len__(self):
            return 2**30
    with pytest.raises(DatasetError, match="1024.0 MB"):
        tb.read_csv(Claims(b"a,b\n1,2\n"))


def test_too_many_rows_are_cut_with_a_note(monkeypatch):
    monkeypatch.setattr(tb, "MAX_CSV_ROWS", 30)
    t = tb.read_csv(("a,b,c\n" + _rows(100)).encode())
    assert len(t) == 30 and any("first 30 rows" in n for n in t.notes)


def test_a_latin1_file_is_read():
    t = tb.read_csv(("pr\xe9cis,b,c\n" + _rows()).encode("latin-1"))
    assert t.columns[0] == "pr\xe9cis"


def test_the_tables_benchmark_runs_and_prints_its_json_keys(capsys):
    import json

    from benchmarks import tables
    tables.main(["--quick"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(out["tables"]["breast_cancer_auroc"]) == {"ae", "isolation_forest", "pca"}
    assert set(out["tables"]["fraud_ap"]) == {"ae", "isolation_forest"}
    assert all(0 <= v <= 1 for d in out["tables"].values() for v in d.values())
