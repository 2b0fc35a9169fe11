"""Trainings keep their model in the library: finished ones "done", cancelled ones and those
stopped by a server shutdown "interrupted" (their best epoch), and a quota error is reported on
the job instead of failing the training."""
from __future__ import annotations


import pytest

from aecore.config import AEConfig, TrainConfig
from aecore.jobs import JobManager
from aecore.store import Limits, job_saver, new_id, sqlite_store
from conftest import until

TINY = AEConfig(latent_dim=2, hidden=(32,))


def _cfg(**kw) -> TrainConfig:
    return TrainConfig(**{"epochs": 2, "subset": 300, "val_size": 200, "batch_size": 64, **kw})


@pytest.fixture
def store(tmp_path):
    s = sqlite_store(tmp_path / "data", Limits(max_models=2))
    yield s
    s.close()


def test_finished_training_is_saved_before_it_reads_finished(store):
    owner = new_id()
    m = JobManager(max_concurrent=1, threads_per_job=1)
    try:
        job = m.submit(TINY, _cfg(), "tiny", "Tiny run", on_result=job_saver(store, owner))
        assert until(lambda: job.finished)
        assert job.saved is not None and job.save_error is None  # set before finished
        [rec] = store.list(owner)
        assert (rec.id, rec.name, rec.status, rec.k) == (job.saved.id, "Tiny run", "done", 2)
        model, card, _ = store.load(owner, rec.id)
        assert card["epochs"] == 2 and "mse" in card["metrics"]
    finally:
        m.close()


def test_stop_keeps_running_trainings_best_epoch_as_interrupted(store):
    owner = new_id()
    m = JobManager(max_concurrent=2, threads_per_job=1)
    jobs = [m.submit(TINY, _cfg(epochs=50, subset=2000), f"long{i}", f"Long {i}",
                     on_result=job_saver(store, owner)) for i in range(2)]
    assert until(lambda: all(len(j.history) >= 1 for j in jobs), 120), "no epoch finished"
    assert m.stop(timeout=120) == 0  # every running training kept its best epoch
    recs = store.list(owner)
    assert sorted(r.name for r in recs) == ["Long 0", "Long 1"]
    assert {r.status for r in recs} == {"interrupted"}
    _, card, _ = store.load(owner, recs[0].id)
    assert card["cancelled"] is True and card["best_epoch"] >= 1
    with pytest.raises(Exception, match="shut down"):
        m.submit(TINY, _cfg(), "late")


def test_quota_error_is_reported_on_the_job(store):
    owner = new_id()
    m = JobManager(max_concurrent=1, threads_per_job=1)
    try:
        saver = job_saver(store, owner)
        done = [m.submit(TINY, _cfg(epochs=1), f"m{i}", on_result=saver) for i in range(3)]
        assert until(lambda: all(j.finished for j in done), 120)
        assert [j.status for j in done] == ["done"] * 3  # the training itself succeeded
        assert done[2].saved is None and "2 saved models" in done[2].save_error
        assert len(store.list(owner)) == 2
    finally:
        m.close()
