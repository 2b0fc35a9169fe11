"""Tables page through AppTest: the shipped fraud model against its baselines, a CSV upload
(hostile and good), the breast-cancer table trained through the JobManager."""
from __future__ import annotations

from conftest import open_page


def _table(at) -> dict:
    t = at.table[0].value
    return {m: (float(a.rstrip("%")), float(p.rstrip("%")))
            for m, a, p in zip(t["method"], t["AUROC"], t["average precision"])}


def test_transactions_compare_the_ae_with_both_baselines(app):
    at = open_page(app, "tables")
    assert not at.exception, [e.value for e in at.exception]
    figs = _table(at)
    assert set(figs) == {"autoencoder", "IsolationForest", "PCA error"}
    assert figs["autoencoder"][1] > figs["IsolationForest"][1]  # average precision at 1% fraud
    assert len(at.get("plotly_chart")) >= 4  # histogram, ROC, precision-recall, top rows


def test_a_hostile_csv_gets_a_message_not_a_traceback(app):
    at = open_page(app, "tables")
    at.radio(key="tab_src").set_value("csv").run()
    at.file_uploader(key="tab_csv").upload("x.csv", b"\x00\x01\x02" * 300, "text/csv").run()
    assert not at.exception
    assert any("binary" in e.value for e in at.error)


def test_a_csv_upload_is_read_and_its_columns_shown(app):
    at = open_page(app, "tables")
    at.radio(key="tab_src").set_value("csv").run()
    rows = "".join(f"{i};{i % 7};word{i}\n" for i in range(60))
    at.file_uploader(key="tab_csv").upload("mine.csv", ("a;b;name\n" + rows).encode(),
                                           "text/csv").run()
    assert not at.exception
    assert any("Columns used: a, b" in t.value for t in at.text)
    assert any("semicolons" in w.value for w in at.warning)
    assert any(b.label.startswith("Train the autoencoder on 60") for b in at.button)


def test_a_csv_with_labels_trains_through_the_job_manager_and_scores_its_rows(app):
    at = open_page(app, "tables")
    at.radio(key="tab_src").set_value("csv").run()
    rows = [f"{i % 17},{2 * (i % 17) + (i % 3) * 0.1},{(i * 7) % 11},0" for i in range(300)]
    rows += ["5,-20,3,1", "16,-1,2,1"]  # column b no longer follows column a
    at.file_uploader(key="tab_csv").upload(
        "rows.csv", ("a,b,c,label\n" + "\n".join(rows) + "\n").encode(), "text/csv").run()
    next(b for b in at.button if b.label.startswith("Train")).click().run()
    assert not at.error, [e.value for e in at.error]  # within the server's limits
    job = next(iter(at.session_state["tab_jobs"].values()))
    assert job.wait(300) and job.status == "done", job.error
    assert job.card["data"] == "csv" and job.card["config"]["columns"] == ["a", "b", "c"]
    at.run()
    assert not at.exception
    figs = _table(at)
    assert figs["autoencoder"][0] > 90  # both broken rows score above the normal ones
