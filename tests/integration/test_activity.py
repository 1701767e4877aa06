"""The activity page's reads and its "Retry all failed", on SQLite and PostgreSQL: the filtered task list
(kind, status, job, paging) and `retry_failed`, which goes through `retry` task by task (dedupe holds)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from jobapp.db import writer
from jobapp.models import Job
from jobapp.tasks import NewTask, TaskFilter, TaskManager

pytestmark = pytest.mark.timeout(90)


def make_job(engine: Engine, title: str) -> int:
    with Session(writer(engine)) as s:
        job = Job(title=title, company="Acme")
        s.add(job)
        s.commit()
        s.refresh(job)
        assert job.id is not None
        return job.id


def run_to(manager: TaskManager, new: NewTask, ending: str) -> int:
    """Enqueue `new` and take it to `ending` (queued, completed or failed) through the engine's verbs."""
    task_id = manager.enqueue(new).task_id
    if ending == "queued":
        return task_id
    claimed = manager.claim("w1", limit=1, lease_seconds=30)
    assert [c.id for c in claimed] == [task_id]
    if ending == "completed":
        assert manager.complete(task_id, "w1", result={"ok": True})
    else:
        manager.fail(task_id, "w1", error=f"boom {task_id}", transient=False)
    assert manager.summary(task_id).status == ending  # type: ignore[union-attr]
    return task_id


@pytest.fixture
def manager(engine: Engine) -> TaskManager:
    return TaskManager(engine)


@pytest.fixture
def seeded(manager: TaskManager, engine: Engine) -> dict[str, int]:
    """Two jobs; on each an evaluation that completed, one that failed, and a failed letter; a failed
    board scan without a job; a queued evaluation on the second job."""
    first, second = make_job(engine, "First"), make_job(engine, "Second")
    ids: dict[str, int] = {"first": first, "second": second}
    for name, job in (("a", first), ("b", second)):
        ids[f"{name}_done"] = run_to(manager, NewTask("evaluate-job", job, dedupe_key=f"ev:{job}:x"), "completed")
        ids[f"{name}_eval_failed"] = run_to(manager, NewTask("evaluate-job", job, dedupe_key=f"ev:{job}"), "failed")
        ids[f"{name}_letter_failed"] = run_to(
            manager, NewTask("generate-cover-letter", job, dedupe_key=f"cl:{job}"), "failed"
        )
    ids["scan_failed"] = run_to(manager, NewTask("discover-jobs", None, dedupe_key="scan"), "failed")
    ids["b_queued"] = run_to(manager, NewTask("evaluate-job", second, dedupe_key=f"ev:{second}:y"), "queued")
    return ids


def listed(manager: TaskManager, where: TaskFilter, **paging: int) -> tuple[list[int], int]:
    rows, total = manager.listing(where, **paging)
    return [t.id for t in rows], total


def test_the_list_filters_by_kind_status_and_job(manager, seeded):
    s = seeded
    everything, total = listed(manager, TaskFilter())
    assert total == 8 and everything == sorted(everything, reverse=True)  # newest first

    assert listed(manager, TaskFilter(status="failed"))[1] == 5
    assert listed(manager, TaskFilter(kind="evaluate-job"))[1] == 5
    assert listed(manager, TaskFilter(kind="evaluate-job", status="failed")) == (
        [s["b_eval_failed"], s["a_eval_failed"]],
        2,
    )
    assert listed(manager, TaskFilter(job_id=s["second"], status="queued")) == ([s["b_queued"]], 1)
    assert listed(manager, TaskFilter(job_id=s["first"]))[1] == 3
    # Job 0: the tasks without a job (the board scan).
    assert listed(manager, TaskFilter(job_id=0)) == ([s["scan_failed"]], 1)
    assert listed(manager, TaskFilter(kind="company-research")) == ([], 0)


def test_the_list_pages_newest_first(manager, seeded):
    everything, _ = listed(manager, TaskFilter())
    pages = [listed(manager, TaskFilter(), offset=offset, limit=3) for offset in (0, 3, 6, 9)]
    assert [ids for ids, _ in pages] == [everything[0:3], everything[3:6], everything[6:8], []]
    assert {total for _, total in pages} == {8}  # the count covers every page


def test_retry_all_failed_requeues_only_the_failed_tasks_matching_the_filter(manager, seeded):
    s = seeded
    report = manager.retry_failed(TaskFilter(job_id=s["first"]))
    assert sorted(report.retried) == sorted([s["a_eval_failed"], s["a_letter_failed"]])
    assert report.already_queued == []
    for task_id in report.retried:
        task = manager.summary(task_id)
        assert task is not None and task.status == "queued" and task.attempt == 0
    # The other job's failures and the scan are untouched; so is everything not failed.
    for name in ("b_eval_failed", "b_letter_failed", "scan_failed"):
        assert manager.summary(s[name]).status == "failed"  # type: ignore[union-attr]
    assert manager.summary(s["a_done"]).status == "completed"  # type: ignore[union-attr]

    by_kind = manager.retry_failed(TaskFilter(kind="discover-jobs"))
    assert by_kind.retried == [s["scan_failed"]]
    # A filter on another status touches nothing.
    assert manager.retry_failed(TaskFilter(status="completed")).retried == []
    assert manager.summary(s["b_eval_failed"]).status == "failed"  # type: ignore[union-attr]


def test_retry_all_failed_respects_dedupe(manager, engine):
    job = make_job(engine, "Dup")
    key = f"ev:{job}"
    older = run_to(manager, NewTask("evaluate-job", job, dedupe_key=key), "failed")
    newer = run_to(manager, NewTask("evaluate-job", job, dedupe_key=key), "failed")
    other = run_to(manager, NewTask("generate-cv", job, dedupe_key=f"cv:{job}"), "failed")
    # An active task already holds the CV's key: its failed twin stays failed.
    holder = manager.enqueue(NewTask("generate-cv", job, dedupe_key=f"cv:{job}")).task_id

    report = manager.retry_failed(TaskFilter())
    assert report.retried == [newer]
    assert sorted(report.already_queued) == sorted([older, other])
    assert manager.summary(older).status == "failed"  # type: ignore[union-attr]
    assert manager.summary(other).status == "failed"  # type: ignore[union-attr]
    assert manager.summary(holder).status == "queued"  # type: ignore[union-attr]
    active = manager.listing(TaskFilter(status="queued"))[0]
    assert sorted(t.id for t in active) == sorted([newer, holder])


def test_retry_all_failed_skips_tasks_of_deleted_jobs(manager, engine):
    job = make_job(engine, "Gone")
    failed = run_to(manager, NewTask("evaluate-job", job, dedupe_key=f"ev:{job}"), "failed")
    assert manager.delete_job(job)
    assert manager.retry_failed(TaskFilter()).retried == []
    task = manager.summary(failed)
    assert task is not None and task.status == "failed" and task.job_deleted
