"""The engine's batching and its single definitions, on SQLite and PostgreSQL: group commit, progress
written in batches, one landing per status, typed events, limits from Settings, Retry-After.

Everything here goes through the real `TaskManager` (and a real `Runner` where the batching is the
runner's); nothing asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, update
from sqlmodel import Session

from jobapp.db import make_engine, writer
from jobapp.models import Job, Task, utcnow
from jobapp.tasks import (
    EventBus,
    JobGone,
    Limits,
    NewTask,
    Outcome,
    ProgressTick,
    Runner,
    RunnerConfig,
    TaskChanged,
    TaskContext,
    TaskManager,
    TaskSummary,
    TransientError,
)
from jobapp.tasks._sql import Statements
from jobapp.tasks.limits import save_limits
from jobapp.tasks.manager import CHECKPOINT_EVERY, Finished, ProgressWrite

pytestmark = pytest.mark.timeout(90)
T = Task.__table__.c  # type: ignore[attr-defined]


async def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return value


def make_job(engine: Engine) -> int:
    with Session(writer(engine)) as s:
        job = Job(title="Backend engineer", description="Python")
        s.add(job)
        s.commit()
        return job.id  # type: ignore[return-value]


def drain(queue: asyncio.Queue[Any]) -> list[Any]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


@pytest.fixture
def manager(engine: Engine) -> TaskManager:
    return TaskManager(engine, EventBus(), limits=Limits(concurrency=50))


# -- group commit ----------------------------------------------------------------------------------


class TestGroupCommit:
    def test_several_completions_in_one_transaction_each_standing_alone(self, manager, engine):
        """One task's domain write failing rolls back only that task: the others complete."""
        job_id = make_job(engine)
        ids = [manager.enqueue(NewTask("evaluate-job", job_id=job_id)).task_id for _ in range(4)]
        assert [t.id for t in manager.claim("w1", limit=4, lease_seconds=30)] == ids

        def gone(_s: Session) -> None:
            raise JobGone(job_id)

        def score(s: Session) -> None:
            job = s.get(Job, job_id)
            job.fit_score = 77  # type: ignore[union-attr]
            s.add(job)

        outcomes = manager.complete_many(
            "w1",
            [
                Finished(ids[0], {"n": 0}),
                Finished(ids[1], {"n": 1}, apply=gone),
                Finished(ids[2], {"n": 2}, apply=score),
                Finished(ids[3], {"n": 3}, stages=({"at": "t", "label": "Writing", "attempt": 1},)),
            ],
        )

        assert outcomes[0] is True and outcomes[2] is True and outcomes[3] is True
        assert isinstance(outcomes[1], JobGone)
        rows = {task_id: manager.task(task_id) for task_id in ids}
        assert [rows[i]["status"] for i in ids] == ["completed", "running", "completed", "completed"]
        assert rows[ids[1]]["result"] is None  # its completion was rolled back with its write
        assert rows[ids[3]]["stages"] == [{"at": "t", "label": "Writing", "attempt": 1}]
        with Session(engine) as s:
            assert s.get(Job, job_id).fit_score == 77  # type: ignore[union-attr]

    def test_a_task_lost_meanwhile_is_refused_inside_the_batch(self, manager):
        ids = [manager.enqueue(NewTask("evaluate-job")).task_id for _ in range(2)]
        manager.claim("w1", limit=2, lease_seconds=30)
        assert manager.cancel(ids[0]) == "running"  # asked to stop: still running, still w1's
        with writer(manager.engine).begin() as conn:  # rescued elsewhere meanwhile
            conn.execute(update(Task).where(T.id == ids[1]).values(worker_id="w2"))
        assert manager.complete_many("w1", [Finished(ids[0], {}), Finished(ids[1], {})]) == [True, False]

    async def test_completions_are_announced_only_after_their_commit(self, manager):
        """Every summary published says what the database says at that moment."""
        events = manager.bus.subscribe()
        task_id = manager.enqueue(NewTask("generate-cv", payload={"x": 1})).task_id
        manager.claim("w1", limit=1, lease_seconds=30)
        manager.complete_many("w1", [Finished(task_id, {"ok": True}, provider="offline drafter", model="templates")])
        published = [e.task for e in drain(events) if isinstance(e, TaskChanged)]
        assert [(t.status, t.version) for t in published] == [("queued", 0), ("running", 1), ("completed", 2)]
        assert published[-1] == manager.summary(task_id)

    async def test_a_follow_up_is_announced_with_its_own_summary(self, manager, engine):
        events = manager.bus.subscribe()
        job_id = make_job(engine)
        parent = manager.enqueue(NewTask("hydrate-job-url", job_id=job_id)).task_id
        manager.claim("w1", limit=1, lease_seconds=30)
        follow_up = NewTask("evaluate-job", job_id=job_id, dedupe_key=f"evaluate-job:{job_id}", priority=3)
        assert manager.complete(parent, "w1", result={}, follow_ups=[follow_up])
        published = [e.task for e in drain(events) if isinstance(e, TaskChanged)]
        chained = [t for t in published if t.kind == "evaluate-job"]
        assert len(chained) == 1
        assert chained[0] == manager.summary(chained[0].id)
        assert (chained[0].status, chained[0].priority, chained[0].version) == ("queued", 3, 0)

    async def test_the_runner_writes_results_that_finish_together_in_few_commits(self, engine, count_commits):
        manager = TaskManager(engine, EventBus(), limits=Limits(concurrency=16))
        release = asyncio.Event()

        async def together(ctx: TaskContext) -> Outcome:
            await release.wait()
            return Outcome(result={"id": ctx.task.id})

        ids = [manager.enqueue(NewTask("evaluate-job")).task_id for _ in range(16)]
        commits = count_commits(manager)
        runner = Runner(manager, {"evaluate-job": together}, RunnerConfig(concurrency=16, poll_seconds=0.05))
        await runner.start()
        try:
            await wait_for(lambda: len(runner.running_ids) == 16, "all sixteen to start")
            release.set()
            await wait_for(lambda: all(manager.task(i)["status"] == "completed" for i in ids), "all to complete")
        finally:
            await runner.stop()
        assert sum(commits) == 16
        assert len(commits) < 16  # several results per transaction


@pytest.fixture
def count_commits() -> Callable[[TaskManager], list[int]]:
    """Record the size of every group commit a manager makes."""

    def record(manager: TaskManager) -> list[int]:
        sizes: list[int] = []
        original = manager.complete_and_claim

        def complete_and_claim(worker_id: str, finished, **claim):  # type: ignore[no-untyped-def]
            sizes.append(len(finished))
            return original(worker_id, finished, **claim)

        manager.complete_and_claim = complete_and_claim  # type: ignore[method-assign]
        return sizes

    return record


# -- enqueue in batches ----------------------------------------------------------------------------


def keyed(key: str, job_id: int | None = None) -> NewTask:
    return NewTask("evaluate-job", job_id=job_id, dedupe_key=key)


def active_with_key(engine: Engine, key: str) -> list[int]:
    with engine.connect() as conn:
        query = select(T.id).where(T.dedupe_key == key, T.status.in_(("queued", "running")))
        return list(conn.execute(query).scalars())


class TestEnqueueMany:
    def test_creates_every_task_in_order_in_one_transaction(self, manager, engine):
        commits: list[object] = []

        def count(conn: object) -> None:
            commits.append(conn)

        news = [
            NewTask("evaluate-job", payload={"n": 0}),
            NewTask("generate-cv", payload={"n": 1}, priority=2, max_attempts=3),
            NewTask("discover-jobs"),
        ]
        event.listen(engine, "commit", count)
        results = manager.enqueue_many(news)
        event.remove(engine, "commit", count)

        assert len(commits) == 1
        assert all(r.created for r in results)
        ids = [r.task_id for r in results]
        assert ids == sorted(ids)  # queued in the order given
        for new, result in zip(news, results, strict=True):
            assert result.task == manager.summary(result.task_id)
            row = manager.task(result.task_id)
            assert (row["kind"], row["status"], row["payload"]) == (new.kind, "queued", new.payload)
            assert (row["priority"], row["max_attempts"]) == (new.priority, new.max_attempts)
        assert manager.enqueue_many([]) == []

    def test_a_key_held_by_an_active_task_or_earlier_in_the_batch_returns_that_task(self, manager, engine):
        queued = manager.enqueue(keyed("k-queued")).task_id
        running = manager.enqueue(keyed("k-running")).task_id
        finished = manager.enqueue(keyed("k-finished")).task_id
        manager.claim("w1", limit=3, lease_seconds=30)
        assert manager.complete(finished, "w1", result={})
        results = manager.enqueue_many(
            [keyed("k-queued"), keyed("k-new"), keyed("k-new"), keyed("k-running"), keyed("k-finished")]
        )

        assert [r.created for r in results] == [False, True, False, False, True]
        assert results[0].task_id == queued
        assert results[2].task_id == results[1].task_id  # the first of a repeated key wins
        assert results[2].task == results[1].task
        assert (results[3].task_id, results[3].task.status) == (running, "running")
        assert results[4].task_id != finished  # a finished task holds no key
        for key in ("k-queued", "k-new", "k-running", "k-finished"):
            assert len(active_with_key(engine, key)) == 1

    def test_a_task_of_a_deleted_job_is_reported_and_the_rest_are_queued(self, manager, engine):
        kept, deleted = make_job(engine), make_job(engine)
        assert manager.delete_job(deleted)
        results = manager.enqueue_many(
            [NewTask("evaluate-job", job_id=deleted), keyed("k-kept", kept), keyed(f"k-{deleted}", deleted)]
        )

        assert isinstance(results[0], JobGone) and results[0].job_id == deleted
        assert isinstance(results[2], JobGone) and results[2].job_id == deleted
        assert results[1].created and manager.task(results[1].task_id)["job_id"] == kept
        with engine.connect() as conn:
            assert conn.execute(select(T.id).where(T.job_id == deleted)).all() == []
        with pytest.raises(JobGone):  # a single enqueue raises it
            manager.enqueue(NewTask("evaluate-job", job_id=deleted))

    async def test_one_event_per_created_task_published_after_the_commit(self, manager, engine):
        held = manager.enqueue(keyed("k-held")).task_id
        events = manager.bus.subscribe()
        handed_over: list[list[TaskSummary]] = []
        committed_then: list[TaskSummary | None] = []
        publish_many = manager.bus.publish_many

        def record(published, **kwargs):  # type: ignore[no-untyped-def]
            batch = [e.task for e in published]
            handed_over.append(batch)
            # What another connection reads at the moment of publishing: only committed rows.
            committed_then.extend(manager.summary(summary.id) for summary in batch)
            publish_many(batch and [TaskChanged(t) for t in batch], **kwargs)

        manager.bus.publish_many = record  # type: ignore[method-assign]
        results = manager.enqueue_many([keyed("k-a"), keyed("k-held"), keyed("k-b"), NewTask("discover-jobs")])

        created = [r.task for r in results if r.created]
        assert [r.task_id for r in results if not r.created] == [held]
        assert handed_over == [created]  # one hand-over, nothing for the dedupe hit
        assert committed_then == created
        assert [e.task for e in drain(events)] == created

    def test_concurrent_batches_with_overlapping_keys_never_make_two_active_tasks(self, db_url):
        """Two managers on their own engines (two processes, in effect) enqueue the same keys in opposite
        orders, while a third enqueues some of them one by one."""
        engines = [make_engine(db_url) for _ in range(3)]
        try:
            managers = [TaskManager(e, EventBus()) for e in engines]
            for round_no in range(4):
                keys = [f"r{round_no}-k{i}" for i in range(40)]
                news = [
                    [*keys, f"r{round_no}-only-a"],
                    [*keys[::-1], f"r{round_no}-only-b"],
                    keys[::3],
                ]
                by_key: dict[str, set[int]] = {}
                created: Counter[str] = Counter()
                for ordered, results in zip(news, race(managers, news), strict=True):
                    for key, result in zip(ordered, results, strict=True):
                        by_key.setdefault(key, set()).add(result.task_id)
                        created[key] += result.created
                for key, task_ids in by_key.items():
                    assert len(task_ids) == 1, key  # every caller got the same task
                    assert created[key] == 1, key
                    assert active_with_key(engines[0], key) == list(task_ids)
        finally:
            for e in engines:
                e.dispose()


def race(managers: list[TaskManager], news: list[list[str]]) -> list[list[Any]]:
    """Start together: the first two managers enqueue their keys in one batch each, the third one by one."""
    barrier = threading.Barrier(3)

    def batch(manager: TaskManager, keys: list[str]) -> list[Any]:
        barrier.wait(timeout=30)
        return manager.enqueue_many([keyed(k) for k in keys])

    def singles(manager: TaskManager, keys: list[str]) -> list[Any]:
        barrier.wait(timeout=30)
        return [manager.enqueue(keyed(k)) for k in keys]

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(batch, managers[0], news[0]), pool.submit(batch, managers[1], news[1])]
        futures.append(pool.submit(singles, managers[2], news[2]))
        return [f.result() for f in futures]


# -- progress --------------------------------------------------------------------------------------


class TestProgressInBatches:
    async def test_ticks_go_live_at_once_and_the_latest_reaches_the_database_in_one_write(self, engine):
        manager = TaskManager(engine, EventBus(), limits=Limits(concurrency=4))
        events = manager.bus.subscribe()
        writes: list[int] = []
        save = manager.save_progress
        manager.save_progress = lambda worker, batch: (writes.append(len(batch)), save(worker, batch))[1]  # type: ignore[method-assign]
        hold = asyncio.Event()

        async def reporting(ctx: TaskContext) -> Outcome:
            for percent in range(1, 40):
                ctx.report(percent, f"step {percent}")
                await asyncio.sleep(0.002)
            await ctx.progress(50, "Halfway", stage=True)
            await hold.wait()
            return Outcome(result={})

        ids = [manager.enqueue(NewTask("evaluate-job")).task_id for _ in range(3)]
        runner = Runner(manager, {"evaluate-job": reporting}, RunnerConfig(poll_seconds=0.05, progress_seconds=0.2))
        await runner.start()
        try:
            await wait_for(
                lambda: all(manager.task(i)["progress_label"] == "Halfway" for i in ids), "the latest progress written"
            )
            ticks = [e for e in drain(events) if isinstance(e, ProgressTick)]
            assert {t.task_id for t in ticks} == set(ids)
            assert all(manager.task(i)["stages"][-1]["label"] == "Halfway" for i in ids)
            assert max(writes) > 1  # the three tasks' progress went into one transaction
            assert sum(writes) < 3 * 40  # far fewer rows written than reports made
            hold.set()
            await wait_for(lambda: all(manager.task(i)["status"] == "completed" for i in ids), "completion")
        finally:
            hold.set()
            await runner.stop()
        row = manager.task(ids[0])
        assert (row["progress"], row["progress_label"]) == (100, "Done")
        labels = [stage["label"] for stage in row["stages"]]
        assert labels == ["Halfway"]  # the stage log survives the batching, written with the completion

    async def test_a_crash_loses_at_most_the_unwritten_progress_never_a_result(self, engine):
        """A worker dies between progress writes: the rescued task keeps the last written progress, and its
        next attempt's result is written whole."""
        manager = TaskManager(engine, EventBus(), limits=Limits(concurrency=4))
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        assert len(manager.claim("dead", limit=1, lease_seconds=0.05)) == 1
        manager.save_progress("dead", [ProgressWrite(task_id, 40, "Written", ({"label": "Written"},))])
        # …then progress to 70% that never reaches the database, and the process dies.
        await asyncio.sleep(0.1)
        assert manager.rescue() == 1
        row = manager.task(task_id)
        assert (row["status"], row["progress_label"] != "", row["stages"]) == ("queued", True, [{"label": "Written"}])
        (again,) = manager.claim("alive", limit=1, lease_seconds=30)
        assert manager.complete(again.id, "alive", result={"score": 5})
        assert manager.task(task_id)["result"] == {"score": 5}


# -- one landing per status ------------------------------------------------------------------------

LANDED = ("finished_at", "worker_id", "lease_expires_at", "progress_label", "status")


def landing(manager: TaskManager, task_id: int) -> dict[str, Any]:
    row = manager.task(task_id)
    assert row is not None
    return {name: row[name] for name in LANDED}


class TestOneLandingPerStatus:
    """Every verb that moves a task into a status leaves the same columns in the same shape."""

    def _running(self, manager: TaskManager, worker: str = "w1") -> int:
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        manager.claim(worker, limit=1, lease_seconds=30)
        return task_id

    def test_finished_statuses(self, manager):
        completed = self._running(manager)
        manager.complete(completed, "w1", result={})
        failed = self._running(manager)
        manager.fail(failed, "w1", error="bad key", transient=False)
        cancelled_running = self._running(manager)
        manager.mark_cancelled(cancelled_running, "w1")
        cancelled_queued = manager.enqueue(NewTask("generate-cv")).task_id
        manager.cancel(cancelled_queued)
        cancelled_at_shutdown = self._running(manager, "w2")
        manager.cancel(cancelled_at_shutdown)
        manager.requeue("w2")

        for task_id in (completed, failed, cancelled_running, cancelled_queued, cancelled_at_shutdown):
            landed = landing(manager, task_id)
            assert landed["finished_at"] is not None and landed["lease_expires_at"] is None, landed
        # A finished task names the worker that last held it; one cancelled while queued was never held.
        assert landing(manager, completed)["worker_id"] == landing(manager, failed)["worker_id"] == "w1"
        assert landing(manager, cancelled_running)["worker_id"] == "w1"
        assert landing(manager, cancelled_at_shutdown)["worker_id"] == "w2"
        assert landing(manager, cancelled_queued)["worker_id"] is None

    async def test_back_to_the_queue(self, manager):
        # One at a time: each lands back in the queue (most claimable at once) before the next is claimed.
        rescued = manager.enqueue(NewTask("evaluate-job")).task_id
        manager.claim("dead", limit=1, lease_seconds=0.01)
        await asyncio.sleep(0.05)
        manager.rescue()
        manager.cancel(rescued)
        retried = self._running(manager)
        manager.fail(retried, "w1", error="server error (500)", transient=True)  # waits out its backoff
        again = self._running(manager, "w3")
        manager.fail(again, "w3", error="bad key", transient=False)
        shut_down = self._running(manager, "w2")
        manager.requeue("w2")
        manager.retry(again)
        manager.retry(rescued)

        for task_id in (retried, shut_down, rescued, again):
            landed = landing(manager, task_id)
            assert landed["status"] == "queued"
            assert (landed["finished_at"], landed["worker_id"], landed["lease_expires_at"]) == (None, None, None)

    def test_every_transition_bumps_the_version(self, manager):
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        versions = [manager.summary(task_id).version]  # type: ignore[union-attr]
        manager.claim("w1", limit=1, lease_seconds=30)
        versions.append(manager.summary(task_id).version)  # type: ignore[union-attr]
        manager.cancel(task_id)
        versions.append(manager.summary(task_id).version)  # type: ignore[union-attr]
        manager.mark_cancelled(task_id, "w1")
        versions.append(manager.summary(task_id).version)  # type: ignore[union-attr]
        manager.retry(task_id)
        versions.append(manager.summary(task_id).version)  # type: ignore[union-attr]
        assert versions == sorted(set(versions)) and len(versions) == 5


# -- the error a person reads, and the budgets ---------------------------------------------------


class TestRetryBudget:
    def test_a_server_asking_to_wait_is_not_asked_sooner(self, manager):
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        manager.claim("w1", limit=1, lease_seconds=30)
        before = utcnow()
        decision = manager.fail(task_id, "w1", error="busy (429)", transient=True, retry_after=120)
        assert decision is not None and decision.retry
        assert decision.run_after is not None and decision.run_after >= before + timedelta(seconds=120)

    def test_the_label_is_true_for_the_state_the_task_is_in(self, manager):
        task_id = manager.enqueue(NewTask("evaluate-job", max_attempts=2)).task_id
        manager.claim("w1", limit=1, lease_seconds=30)
        manager.fail(task_id, "w1", error="server error (500)", transient=True)
        row = manager.task(task_id)
        assert (row["status"], row["progress_label"]) == ("queued", "Waiting to retry (attempt 1 of 2 failed)")
        with writer(manager.engine).begin() as conn:
            conn.execute(update(Task).where(T.id == task_id).values(run_after=utcnow()))
        manager.claim("w1", limit=1, lease_seconds=30)
        manager.fail(task_id, "w1", error="server error (500)", transient=True)
        row = manager.task(task_id)
        assert (row["status"], row["error"], row["progress_label"]) == (
            "failed",
            "server error (500)",
            "Failed after 2 attempts",
        )

    def test_new_tasks_get_eight_attempts_by_default(self, manager):
        assert manager.enqueue(NewTask("evaluate-job")).task.max_attempts == 8

    async def test_seven_rate_limits_in_a_row_still_end_in_a_result(self, engine):
        """Transient errors use the attempt budget (8 by default), not a handful of tries."""
        manager = TaskManager(engine, EventBus(), limits=Limits(concurrency=4))
        tries: list[int] = []

        async def rate_limited(ctx: TaskContext) -> Outcome:
            tries.append(ctx.task.attempt)
            if ctx.task.attempt < 8:
                raise TransientError("busy (429: too many requests)")
            return Outcome(result={"ok": True})

        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        runner = Runner(manager, {"evaluate-job": rate_limited}, RunnerConfig(poll_seconds=0.02))
        await runner.start()
        try:
            deadline = time.monotonic() + 60
            while (row := manager.task(task_id))["status"] != "completed":
                assert row["status"] in ("queued", "running"), row
                assert time.monotonic() < deadline, "the task did not get through"
                if row["status"] == "queued":  # skip the backoff instead of waiting it out
                    with writer(engine).begin() as conn:
                        conn.execute(update(Task).where(T.id == task_id).values(run_after=utcnow()))
                    runner.wake()
                await asyncio.sleep(0.05)
        finally:
            await runner.stop()
        assert tries == list(range(1, 9))
        assert row["attempt"] == 8 and len(row["errors"]) == 7


# -- limits from Settings --------------------------------------------------------------------------


class TestLimitsFromSettings:
    def test_saved_limits_apply_at_the_next_claim(self, engine):
        manager = TaskManager(engine, EventBus(), limits=Limits(concurrency=1))
        for _ in range(6):
            manager.enqueue(NewTask("evaluate-job"))
        assert len(manager.claim("w1", limit=10, lease_seconds=30)) == 1
        with writer(engine).begin() as conn:
            save_limits(conn, Limits(concurrency=4, kind_limits={"evaluate-job": 3}))
        assert len(manager.claim("w2", limit=10, lease_seconds=30)) == 2  # 3 of the kind at most, 1 running
        assert manager.limits().kind_limits == {"evaluate-job": 3}

    def test_a_stored_row_that_no_longer_validates_is_ignored(self, engine):
        manager = TaskManager(engine, EventBus(), limits=Limits(concurrency=2))
        with writer(engine).begin() as conn:
            conn.execute(
                Task.metadata.tables["setting"]
                .insert()
                .values(key="engine", value={"concurrency": -5}, updated_at=utcnow())
            )
        assert manager.limits().concurrency == 2

    def test_limits_refuse_nonsense(self):
        for bad in ({"concurrency": 0}, {"max_attempts": 0}, {"keep_failed_days": 0}, {"kind_limits": {"x": -1}}):
            with pytest.raises(ValueError):
                Limits().with_changes(bad)


def test_summaries_are_typed_and_turn_into_json_only_at_the_edge(manager):
    enqueued = manager.enqueue(NewTask("evaluate-job", payload={"secret": "not in a summary"}))
    summary = enqueued.task
    assert isinstance(summary, TaskSummary)
    data = summary.to_json()
    assert TaskSummary.from_json(data) == summary
    assert "payload" not in data and isinstance(data["created_at"], str)
    with Session(manager.engine) as s:
        assert s.exec(select(Task.id)).scalars().all() == [summary.id]


class TestSharedCaps:
    def test_live_workers_share_the_global_cap(self, engine):
        manager = TaskManager(engine, EventBus(), limits=Limits(concurrency=4))
        for _ in range(10):
            manager.enqueue(NewTask("evaluate-job"))
        manager.register_worker("busy")
        manager.register_worker("idle")
        # Two live workers: the busy one gets its half, and keeps no more when it frees and reclaims.
        assert len(manager.claim("busy", limit=10, lease_seconds=30)) == 2
        assert manager.claim("busy", limit=10, lease_seconds=30) == []
        assert len(manager.claim("idle", limit=10, lease_seconds=30)) == 2

    async def test_a_worker_that_stops_beating_is_forgotten_and_its_share_freed(self, engine):
        manager = TaskManager(engine, EventBus(), limits=Limits(concurrency=4))
        for _ in range(10):
            manager.enqueue(NewTask("evaluate-job"))
        manager.register_worker("alive")
        manager.register_worker("gone")
        assert len(manager.claim("alive", limit=10, lease_seconds=0.2)) == 2
        await asyncio.sleep(0.3)
        manager.heartbeat("alive", lease_seconds=30)
        manager.rescue(lease_seconds=0.2)  # "gone" has not beaten within its lease
        assert len(manager.claim("alive", limit=10, lease_seconds=0.2)) == 2  # now the whole cap is its own

    def test_a_clean_stop_leaves_the_deployment(self, engine):
        manager = TaskManager(engine, EventBus(), limits=Limits(concurrency=2))
        for _ in range(4):
            manager.enqueue(NewTask("evaluate-job"))
        manager.register_worker("staying")
        manager.register_worker("leaving")
        manager.requeue("leaving")
        assert len(manager.claim("staying", limit=10, lease_seconds=30)) == 2


# -- SQLite's own behaviour ------------------------------------------------------------------------


class TestOnSQLite:
    def test_the_claim_reads_queued_tasks_in_order_from_their_index(self, sqlite_url):
        """The claim's candidates come from the partial index of queued tasks, already in (priority, id)
        order: no sort of the queue, however long it grows. Checked on SQLite's query plan."""
        engine = make_engine(sqlite_url)
        compiled = Statements(engine).claim_candidates.compile(dialect=engine.dialect)
        with engine.connect() as conn:
            plan = " | ".join(
                row[-1]
                for row in conn.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {compiled}", tuple([None] * len(compiled.positiontup or ()))
                )
            )
        engine.dispose()
        assert "USING INDEX ix_task_claim" in plan, plan
        assert "TEMP B-TREE" not in plan, plan

    async def test_the_write_ahead_log_is_checkpointed_apart_from_the_verbs(self, sqlite_url):
        """Every CHECKPOINT_EVERY commits, a thread of its own copies the log back into the database (not the
        verb whose commit crossed SQLite's threshold, under the write lock); then the log starts over."""
        engine = make_engine(sqlite_url)
        manager = TaskManager(engine, EventBus())
        threads: list[str] = []
        checkpoint = manager.checkpoint

        def recorded() -> None:
            threads.append(threading.current_thread().name)
            checkpoint()

        manager.checkpoint = recorded  # type: ignore[method-assign]
        for _ in range(CHECKPOINT_EVERY - 1):
            manager.enqueue(NewTask("evaluate-job"))
        assert threads == []
        manager.enqueue(NewTask("evaluate-job"))
        await wait_for(lambda: threads and not manager._checkpointing.locked(), "the checkpoint")
        assert threads == ["jobapp-checkpoint"]
        with engine.connect() as conn:
            _, frames, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        assert frames == copied  # nothing written since was left in the log only
        engine.dispose()
