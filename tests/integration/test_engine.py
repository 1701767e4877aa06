"""The task-engine contract (DESIGN section 3), one class per invariant, run on SQLite and PostgreSQL.

Every test goes through the `engine` fixture, so the same code checks both backends. Handlers are
small coroutines; a real `TaskManager` and a real asyncio `Runner` do the rest. Waits poll the
database against a deadline; nothing asserts how long something took.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlmodel import Session

from jobapp.db import make_engine, writer
from jobapp.models import Job, Task, utcnow
from jobapp.tasks import (
    AlreadyEnqueued,
    ClaimedTask,
    EventBus,
    JobGone,
    Limits,
    NewTask,
    Outcome,
    PermanentError,
    Runner,
    RunnerConfig,
    TaskContext,
    TaskManager,
    TransientError,
)
from jobapp.tasks.manager import ProgressWrite

pytestmark = pytest.mark.timeout(90)

T = Task.__table__.c  # type: ignore[attr-defined]
TASKS = Task.__table__  # type: ignore[attr-defined]
LONG_AWAIT = 30.0  # stands in for a slow LLM call; a test that waits this long has failed


# -- helpers -------------------------------------------------------------------------------------


def fast(**overrides: Any) -> RunnerConfig:
    """A runner that re-checks the queue often, so tests do not wait on the poll interval."""
    return RunnerConfig(**{"poll_seconds": 0.05, **overrides})


async def wait_for(predicate: Callable[[], Any], what: str, *, timeout: float = 15.0) -> Any:
    """Poll `predicate` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_status(manager: TaskManager, task_id: int, *statuses: str, timeout: float = 15.0) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        row = manager.task(task_id)
        return row if row and row["status"] in statuses else None

    return await wait_for(check, f"task #{task_id} to become {'/'.join(statuses)}", timeout=timeout)


def at(value: str) -> datetime:
    """A timestamp from `TaskManager.task()` (ISO text) as an aware datetime."""
    return datetime.fromisoformat(value)


def set_task(engine: Engine, task_id: int, **values: Any) -> None:
    """Test-only SQL on a task row (backdating, making a backoff come due)."""
    with writer(engine).begin() as conn:
        conn.execute(update(TASKS).where(T.id == task_id).values(**values))


def rows_with_key(engine: Engine, key: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(TASKS).where(T.dedupe_key == key)).scalar_one()


def count_status(engine: Engine, status: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(TASKS).where(T.status == status)).scalar_one()


def task_ids(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(select(T.id)).scalars())


def make_job(engine: Engine, title: str = "Backend engineer") -> int:
    with Session(writer(engine)) as s:
        job = Job(title=title, company="Acme")
        s.add(job)
        s.commit()
        s.refresh(job)
        assert job.id is not None
        return job.id


def get_job(engine: Engine, job_id: int) -> Job | None:
    with Session(engine, expire_on_commit=False) as s:
        return s.get(Job, job_id)


def dedupe_key(kind: str, job_id: int, settings: dict[str, Any] | None = None) -> str:
    """Kind + job + a fingerprint of the settings that change the output (DESIGN invariant 2)."""
    fingerprint = hashlib.sha256(json.dumps(settings or {}, sort_keys=True).encode()).hexdigest()[:12]
    return f"{kind}:{job_id}:{fingerprint}"


def set_fit_score(job_id: int, score: int) -> Callable[[Session], None]:
    """An `Outcome.apply`: the domain write of evaluate-job."""

    def apply(s: Session) -> None:
        job = s.get(Job, job_id)
        if job is None:
            raise JobGone(job_id)
        job.fit_score = score
        job.evaluated_at = utcnow()
        s.add(job)

    return apply


def claim_one(manager: TaskManager, worker_id: str, *, lease_seconds: float = 30.0) -> ClaimedTask:
    claimed = manager.claim(worker_id, limit=1, lease_seconds=lease_seconds)
    assert len(claimed) == 1, claimed
    return claimed[0]


class Blocker:
    """A handler that announces it started, then sits in a long await (an LLM call stand-in)."""

    def __init__(self, apply: Callable[[ClaimedTask], Callable[[Session], None] | None] | None = None) -> None:
        self.started = asyncio.Event()
        self.interrupted = asyncio.Event()  # the in-flight await got CancelledError
        self.release = asyncio.Event()
        self.calls: list[int] = []
        self._apply = apply

    async def __call__(self, ctx: TaskContext) -> Outcome:
        self.calls.append(ctx.task.id)
        ctx.stream("Dear hiring manager, ", flush=True)  # partial output that must never become a result
        self.started.set()
        try:
            await asyncio.wait_for(self.release.wait(), LONG_AWAIT)
        except asyncio.CancelledError:
            self.interrupted.set()
            raise
        return Outcome(result={"text": ctx.text}, apply=self._apply(ctx.task) if self._apply else None)


def quick(record: list[int] | None = None, result: dict[str, Any] | None = None) -> Callable[..., Awaitable[Outcome]]:
    async def handler(ctx: TaskContext) -> Outcome:
        if record is not None:
            record.append(ctx.task.id)
        await asyncio.sleep(0)
        return Outcome(result=result or {"ok": True})

    return handler


@pytest.fixture
def manager(engine: Engine) -> TaskManager:
    return TaskManager(engine)


@pytest.fixture
def other_engine(db_url: str) -> Any:
    """A second engine on the same database, as another process would have."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
async def start_runner(engine: Engine) -> AsyncIterator[Callable[..., Awaitable[Runner]]]:
    """Start runners; every one is stopped at teardown (before the database goes away)."""
    runners: list[Runner] = []

    async def start(
        manager: TaskManager, handlers: dict[str, Any], config: RunnerConfig | None = None, **kwargs: Any
    ) -> Runner:
        runner = Runner(manager, handlers, config or fast(), **kwargs)
        await runner.start()
        runners.append(runner)
        return runner

    yield start
    for runner in reversed(runners):
        await runner.stop()


# -- 1. enqueue returns at once ------------------------------------------------------------------


class TestEnqueueReturnsAtOnce:
    async def test_enqueue_returns_a_queued_task_without_running_the_handler(self, manager, start_runner):
        ran = asyncio.Event()

        async def handler(ctx: TaskContext) -> Outcome:
            ran.set()
            return Outcome(result={"ok": True})

        await start_runner(manager, {"evaluate-job": handler})
        enqueued = manager.enqueue(NewTask("evaluate-job", payload={"url": "https://example.test/job/1"}))

        assert not ran.is_set()
        assert enqueued.created
        assert enqueued.task.status == "queued"
        assert enqueued.task.attempt == 0
        # The work happens afterwards, in the runner.
        await asyncio.wait_for(ran.wait(), 15)
        done = await wait_status(manager, enqueued.task_id, "completed")
        assert done["payload"] == {"url": "https://example.test/job/1"}
        assert done["result"] == {"ok": True}


# -- 2. dedupe is race-safe ----------------------------------------------------------------------


class TestDedupeIsRaceSafe:
    def test_concurrent_enqueues_of_one_key_make_one_task(self, manager, engine):
        job_id = make_job(engine)
        key = dedupe_key("generate-cover-letter", job_id, {"length": "short", "tone": "warm"})
        callers = 200
        barrier = threading.Barrier(callers)

        def enqueue(_: int):
            barrier.wait(timeout=60)
            return manager.enqueue(NewTask("generate-cover-letter", job_id=job_id, dedupe_key=key))

        with ThreadPoolExecutor(max_workers=callers) as pool:
            results = list(pool.map(enqueue, range(callers)))

        assert rows_with_key(engine, key) == 1
        assert len({r.task_id for r in results}) == 1
        assert sum(r.created for r in results) == 1
        # The duplicates got the existing task back, so the UI can say "already queued".
        assert all(r.task.status == "queued" for r in results)

    def test_key_is_held_while_active_and_free_once_finished(self, manager, engine):
        job_id = make_job(engine)
        key = dedupe_key("evaluate-job", job_id)
        first = manager.enqueue(NewTask("evaluate-job", job_id=job_id, dedupe_key=key))
        claimed = claim_one(manager, "w1")

        while_running = manager.enqueue(NewTask("evaluate-job", job_id=job_id, dedupe_key=key))
        assert (while_running.created, while_running.task_id) == (False, first.task_id)
        assert while_running.task.status == "running"

        assert manager.complete(claimed.id, "w1", result={})
        again = manager.enqueue(NewTask("evaluate-job", job_id=job_id, dedupe_key=key))
        assert again.created
        assert again.task_id != first.task_id
        assert rows_with_key(engine, key) == 2

        # Failed and cancelled tasks free the key too.
        assert manager.cancel(again.task_id) == "cancelled"
        third = manager.enqueue(NewTask("evaluate-job", job_id=job_id, dedupe_key=key))
        assert third.created

    def test_a_running_task_being_cancelled_releases_its_key(self, manager, engine):
        job_id = make_job(engine)
        key = dedupe_key("generate-cv", job_id)
        first = manager.enqueue(NewTask("generate-cv", job_id=job_id, dedupe_key=key))
        claimed = claim_one(manager, "w1")
        assert manager.cancel(first.task_id) == "running"  # asked to stop; its runner has not yet

        again = manager.enqueue(NewTask("generate-cv", job_id=job_id, dedupe_key=key))
        assert again.created and again.task_id != first.task_id
        assert manager.mark_cancelled(claimed.id, "w1")
        assert manager.task(first.task_id)["status"] == "cancelled"
        assert manager.task(again.task_id)["status"] == "queued"

    def test_different_settings_fingerprints_are_different_tasks(self, manager, engine):
        job_id = make_job(engine)
        short = manager.enqueue(
            NewTask(
                "generate-cover-letter",
                job_id=job_id,
                dedupe_key=dedupe_key("generate-cover-letter", job_id, {"length": "short", "tone": "warm"}),
            )
        )
        long = manager.enqueue(
            NewTask(
                "generate-cover-letter",
                job_id=job_id,
                dedupe_key=dedupe_key("generate-cover-letter", job_id, {"length": "long", "tone": "warm"}),
            )
        )
        assert short.created and long.created
        assert short.task_id != long.task_id
        # Tasks without a key never collide.
        assert manager.enqueue(NewTask("discover-jobs")).created
        assert manager.enqueue(NewTask("discover-jobs")).created


# -- 3. bounded concurrency, global and per kind; priority orders the queue -----------------------


class Gauge:
    """Counts handlers running at the same moment, overall and per kind."""

    def __init__(self) -> None:
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.total = 0
        self.peak_total = 0
        self.finished: list[int] = []

    def handler(self, seconds: float) -> Callable[[TaskContext], Awaitable[Outcome]]:
        async def run(ctx: TaskContext) -> Outcome:
            kind = ctx.task.kind
            self.now[kind] += 1
            self.total += 1
            self.peak[kind] = max(self.peak[kind], self.now[kind])
            self.peak_total = max(self.peak_total, self.total)
            try:
                await asyncio.sleep(seconds)
            finally:
                self.now[kind] -= 1
                self.total -= 1
            self.finished.append(ctx.task.id)
            return Outcome(result={})

        return run


class TestBoundedConcurrency:
    async def test_global_cap_is_never_exceeded(self, engine, start_runner):
        manager = TaskManager(engine, limits=Limits(concurrency=3))
        gauge = Gauge()
        ids = [manager.enqueue(NewTask("evaluate-job")).task_id for _ in range(12)]
        await start_runner(manager, {"evaluate-job": gauge.handler(0.03)}, fast(concurrency=8))

        await wait_for(lambda: count_status(engine, "completed") == len(ids), "all tasks to complete")
        assert gauge.peak_total == 3  # the cap was reached, and never exceeded
        assert sorted(gauge.finished) == ids

    async def test_per_kind_caps_are_never_exceeded(self, engine, start_runner):
        manager = TaskManager(engine, limits=Limits(concurrency=4, kind_limits={"generate-cv": 1, "evaluate-job": 2}))
        gauge = Gauge()
        kinds = ["generate-cv", "evaluate-job", "hydrate-job-url"] * 6
        for kind in kinds:
            manager.enqueue(NewTask(kind))
        handler = gauge.handler(0.02)
        await start_runner(manager, dict.fromkeys(set(kinds), handler), fast(concurrency=8))

        await wait_for(lambda: count_status(engine, "completed") == len(kinds), "all tasks to complete")
        assert gauge.peak["generate-cv"] == 1
        assert gauge.peak["evaluate-job"] == 2
        assert gauge.peak_total <= 4

    async def test_priority_orders_the_queue(self, manager, engine, start_runner):
        order: list[int] = []
        priorities = [5, 0, 3, 1, 4, 2, 0]
        ids = [manager.enqueue(NewTask("evaluate-job", priority=p)).task_id for p in priorities]
        await start_runner(manager, {"evaluate-job": quick(order)}, fast(concurrency=1))

        await wait_for(lambda: count_status(engine, "completed") == len(ids), "all tasks to complete")
        # Lower number first; equal priorities in the order they were enqueued.
        assert order == [i for _, i in sorted(zip(priorities, ids, strict=True))]


# -- 4. exactly-once claim -----------------------------------------------------------------------


class TestExactlyOnceClaim:
    async def test_two_runners_run_every_task_exactly_once(self, engine, other_engine, start_runner):
        runs: list[tuple[int, str]] = []

        def handler_for(worker: str) -> Callable[[TaskContext], Awaitable[Outcome]]:
            async def handler(ctx: TaskContext) -> Outcome:
                runs.append((ctx.task.id, worker))
                await asyncio.sleep(0.005)
                return Outcome(result={"worker": worker})

            return handler

        for name, eng in (("runner-a", engine), ("runner-b", other_engine)):
            await start_runner(TaskManager(eng), {"evaluate-job": handler_for(name)}, fast(), worker_id=name)
        producer = TaskManager(engine, EventBus())  # its own bus: the runners find the work by polling
        ids = [producer.enqueue(NewTask("evaluate-job")).task_id for _ in range(200)]

        await wait_for(lambda: count_status(engine, "completed") == len(ids), "all tasks to complete", timeout=60)
        assert Counter(task_id for task_id, _ in runs) == Counter(ids)
        with engine.connect() as conn:
            rows = conn.execute(select(T.id, T.attempt, T.worker_id, T.result)).all()
        assert {r.attempt for r in rows} == {1}
        # The row names the runner whose handler produced its result.
        assert all(r.result == {"worker": r.worker_id} for r in rows)

    def test_claim_never_hands_a_task_out_twice(self, engine, other_engine):
        no_cap = Limits(concurrency=1000)  # this test is about claims racing, not about caps
        managers = [TaskManager(engine, limits=no_cap), TaskManager(other_engine, limits=no_cap)]
        ids = {managers[0].enqueue(NewTask("evaluate-job")).task_id for _ in range(60)}

        def drain(worker: int) -> list[int]:
            got: list[int] = []
            while batch := managers[worker % 2].claim(f"w{worker}", limit=3, lease_seconds=30):
                got += [t.id for t in batch]
            return got

        with ThreadPoolExecutor(max_workers=4) as pool:
            claimed = [task_id for batch in pool.map(drain, range(4)) for task_id in batch]
        assert sorted(claimed) == sorted(ids)


# -- 5. nothing lost on crash: leases, heartbeat, rescue, clean shutdown ---------------------------


class TestNothingLostOnCrash:
    async def test_heartbeat_renews_the_lease(self, manager, engine, start_runner):
        blocker = Blocker()
        runner = await start_runner(manager, {"evaluate-job": blocker}, fast(lease_seconds=30))
        await runner.heartbeat.stop()  # drive the beat by hand
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        await asyncio.wait_for(blocker.started.wait(), 15)

        set_task(engine, task_id, lease_expires_at=utcnow() + timedelta(seconds=1))
        await runner.heartbeat.tick()

        row = manager.task(task_id)
        assert at(row["lease_expires_at"]) > utcnow() + timedelta(seconds=20)
        assert manager.rescue() == 0
        assert manager.task(task_id)["status"] == "running"

    async def test_heartbeat_loop_keeps_a_long_task_alive(self, manager, start_runner):
        blocker = Blocker()
        lease = timedelta(seconds=1.5)
        # The runner's own heartbeat and rescuer loops both run, every lease/3 and lease/2.
        await start_runner(manager, {"evaluate-job": blocker}, fast(lease_seconds=lease.total_seconds()))
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        await asyncio.wait_for(blocker.started.wait(), 15)

        def outlived_its_first_lease() -> bool:
            row = manager.task(task_id)
            return at(row["heartbeat_at"]) > at(row["started_at"]) + lease + timedelta(seconds=0.5)

        await wait_for(outlived_its_first_lease, "the task to run past its first lease")
        assert manager.rescue() == 0
        row = manager.task(task_id)
        assert (row["status"], row["attempt"], row["errors"]) == ("running", 1, [])

        blocker.release.set()
        done = await wait_status(manager, task_id, "completed")
        assert done["attempt"] == 1
        assert blocker.calls == [task_id]

    async def test_rescue_requeues_an_expired_lease_then_fails_when_crashes_are_spent(self, engine):
        # A crash is not an attempt: a task with one attempt left survives crashes up to the crash limit.
        manager = TaskManager(engine, limits=Limits(max_crashes=2))
        task_id = manager.enqueue(NewTask("evaluate-job", max_attempts=1)).task_id

        claim_one(manager, "dead-worker", lease_seconds=0.01)
        await asyncio.sleep(0.05)  # the lease lapses; nobody completes the task
        assert manager.rescue() == 1
        row = manager.task(task_id)
        assert (row["status"], row["attempt"], row["crashes"], row["worker_id"]) == ("queued", 0, 1, None)
        assert len(row["errors"]) == 1
        assert "dead-worker stopped responding" in row["errors"][0]["error"]
        assert row["errors"][0]["attempt"] == 1
        assert at(row["run_after"]) <= utcnow()  # claimable again at once

        assert claim_one(manager, "dead-again", lease_seconds=0.01).attempt == 1  # the crashed try is not counted
        await asyncio.sleep(0.05)
        assert manager.rescue() == 1
        row = manager.task(task_id)
        assert (row["status"], row["crashes"]) == ("failed", 2)
        assert row["finished_at"] is not None
        assert row["error"] == "the task's worker stopped responding 2 times; giving up"
        assert [e["attempt"] for e in row["errors"]] == [1, 1]

    async def test_rescue_leaves_live_leases_alone_and_honours_cancel(self, manager):
        alive = manager.enqueue(NewTask("evaluate-job")).task_id
        claim_one(manager, "alive-worker", lease_seconds=30)
        doomed = manager.enqueue(NewTask("evaluate-job")).task_id
        claim_one(manager, "dead-worker", lease_seconds=0.01)
        assert manager.cancel(doomed) == "running"  # asked to stop, but its worker is dead
        await asyncio.sleep(0.05)

        assert manager.rescue() == 1
        assert manager.task(alive)["status"] == "running"
        assert manager.task(doomed)["status"] == "cancelled"

    async def test_runner_start_rescues_orphans(self, manager, start_runner):
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        claim_one(manager, "dead-worker", lease_seconds=0.01)
        await asyncio.sleep(0.05)

        # A long rescuer interval: the start-up pass is what finds the orphan.
        await start_runner(manager, {"evaluate-job": quick()}, fast(lease_seconds=600))
        row = manager.task(task_id)
        assert (row["status"], row["attempt"], row["crashes"]) == ("queued", 0, 1)

        done = await wait_status(manager, task_id, "completed")
        assert (done["attempt"], done["crashes"]) == (1, 1)  # the crash is counted apart from attempts
        assert len(done["errors"]) == 1
        assert "dead-worker stopped responding" in done["errors"][0]["error"]

    async def test_clean_shutdown_requeues_without_consuming_an_attempt(self, manager, start_runner):
        blocker = Blocker()
        runner = await start_runner(manager, {"evaluate-job": blocker}, fast())
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        await asyncio.wait_for(blocker.started.wait(), 15)

        await runner.stop()
        assert blocker.interrupted.is_set()
        row = manager.task(task_id)
        assert (row["status"], row["attempt"], row["worker_id"], row["errors"]) == ("queued", 0, None, [])
        assert row["result"] is None

        await start_runner(manager, {"evaluate-job": quick()}, fast())
        done = await wait_status(manager, task_id, "completed")
        assert done["attempt"] == 1
        assert done["errors"] == []

    async def test_clean_shutdown_cancels_tasks_someone_asked_to_cancel(self, manager, engine, start_runner):
        blocker = Blocker()
        runner = await start_runner(manager, {"evaluate-job": blocker}, fast())
        await runner.heartbeat.stop()  # so the request is only seen at shutdown
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        await asyncio.wait_for(blocker.started.wait(), 15)

        assert TaskManager(engine, EventBus()).cancel(task_id) == "running"
        await runner.stop()
        assert manager.task(task_id)["status"] == "cancelled"

    async def test_clean_shutdown_during_a_claim_hands_the_claimed_tasks_back(self, manager, start_runner):
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        in_claim, finish_claim = threading.Event(), threading.Event()
        real_claim = manager.claim

        def slow_claim(*args: Any, **kwargs: Any) -> list[ClaimedTask]:
            in_claim.set()
            finish_claim.wait(15)  # a claim still in its thread when shutdown begins
            return real_claim(*args, **kwargs)

        manager.claim = slow_claim  # type: ignore[method-assign]
        runner = await start_runner(manager, {"evaluate-job": quick()}, fast())
        await wait_for(in_claim.is_set, "the runner to start a claim")

        stopping = asyncio.create_task(runner.stop())
        await asyncio.sleep(0.2)  # let shutdown get as far as it can while the claim is in flight
        finish_claim.set()
        await asyncio.wait_for(stopping, 15)

        row = manager.task(task_id)
        assert (row["status"], row["attempt"], row["worker_id"]) == ("queued", 0, None)


# -- 6. cancel -----------------------------------------------------------------------------------


class TestCancel:
    async def test_cancel_queued_task_never_runs(self, manager, start_runner):
        ran: list[int] = []
        doomed = manager.enqueue(NewTask("evaluate-job", priority=0)).task_id
        later = manager.enqueue(NewTask("evaluate-job", priority=1)).task_id

        assert manager.cancel(doomed) == "cancelled"
        await start_runner(manager, {"evaluate-job": quick(ran)}, fast(concurrency=1))
        await wait_status(manager, later, "completed")

        assert ran == [later]
        row = manager.task(doomed)
        assert (row["status"], row["attempt"], row["result"]) == ("cancelled", 0, None)
        assert row["finished_at"] is not None
        assert manager.cancel(doomed) is None  # already finished: nothing to do

    async def test_cancel_running_task_interrupts_its_await(self, manager, engine, start_runner):
        job_id = make_job(engine)
        blocker = Blocker(apply=lambda task: set_fit_score(job_id, 5))
        await start_runner(manager, {"evaluate-job": blocker}, fast())
        task_id = manager.enqueue(NewTask("evaluate-job", job_id=job_id)).task_id
        await asyncio.wait_for(blocker.started.wait(), 15)

        assert manager.cancel(task_id) == "running"  # requested; the runner stops it
        row = await wait_status(manager, task_id, "cancelled")  # well before the 30 s await ends

        assert blocker.interrupted.is_set()
        assert row["result"] is None  # the streamed partial text was not written
        assert row["error"] is None
        assert get_job(engine, job_id).fit_score is None  # Outcome.apply never ran

    async def test_cancel_from_another_process_arrives_with_the_heartbeat(
        self, manager, engine, other_engine, start_runner
    ):
        blocker = Blocker()
        runner = await start_runner(manager, {"evaluate-job": blocker}, fast())
        await runner.heartbeat.stop()  # drive the beat by hand
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        await asyncio.wait_for(blocker.started.wait(), 15)

        elsewhere = TaskManager(other_engine, EventBus())  # another process: its events never reach us
        assert elsewhere.cancel(task_id) == "running"
        await asyncio.sleep(0.1)
        assert not blocker.interrupted.is_set()
        assert manager.task(task_id)["cancel_requested"] is True

        await runner.heartbeat.tick()
        row = await wait_status(manager, task_id, "cancelled")
        assert blocker.interrupted.is_set()
        assert row["result"] is None

    def test_cancel_request_is_not_lost_to_a_transient_failure(self, manager):
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        claim_one(manager, "w1")
        assert manager.cancel(task_id) == "running"
        # The attempt failed transiently before the runner saw the request: no retry, the person said stop.
        manager.fail(task_id, "w1", error="rate limited (429)", transient=True)

        row = manager.task(task_id)
        assert row["status"] == "cancelled"
        assert [e["error"] for e in row["errors"]] == ["rate limited (429)"]
        assert manager.claim("w2", limit=1, lease_seconds=30) == []


# -- 7. retry ------------------------------------------------------------------------------------


class TestRetry:
    async def test_transient_errors_retry_with_backoff_then_fail(self, manager, engine, start_runner):
        errors = [
            TransientError("rate limited (429), try again later"),
            TimeoutError("the model did not answer in time"),
            ConnectionError("connection reset by peer"),
        ]
        attempts: list[int] = []

        async def flaky(ctx: TaskContext) -> Outcome:
            attempts.append(ctx.task.attempt)
            raise errors[ctx.task.attempt - 1]

        await start_runner(manager, {"evaluate-job": flaky}, fast())
        task_id = manager.enqueue(NewTask("evaluate-job", max_attempts=3)).task_id

        def backing_off(failures: int) -> dict[str, Any] | None:
            row = manager.task(task_id)
            return row if row["status"] == "queued" and len(row["errors"]) == failures else None

        for failures in (1, 2):
            row = await wait_for(lambda n=failures: backing_off(n), f"failure {failures} to be recorded")
            failed_at = at(row["errors"][-1]["at"])
            # Exponential backoff with ±25% jitter: ≥ 1.5 s after the first failure, ≥ 3 s after the second.
            shortest = timedelta(seconds=2 * 2 ** (failures - 1) * 0.75) - timedelta(milliseconds=1)
            assert at(row["run_after"]) - failed_at >= shortest
            assert row["errors"][-1]["transient"] is True
            assert row["attempt"] == failures
            # Not claimed before it is due …
            set_task(engine, task_id, run_after=utcnow() + timedelta(hours=1))
            await asyncio.sleep(0.3)
            assert attempts == list(range(1, failures + 1))
            # … and claimed once it is (the test skips the wait).
            set_task(engine, task_id, run_after=utcnow())

        row = await wait_status(manager, task_id, "failed")
        assert attempts == [1, 2, 3]
        assert row["attempt"] == 3
        assert [e["error"] for e in row["errors"]] == [
            "rate limited (429), try again later",
            "TimeoutError: the model did not answer in time",
            "ConnectionError: connection reset by peer",
        ]
        assert row["error"] == "ConnectionError: connection reset by peer"

    async def test_a_transient_error_then_success_completes(self, manager, start_runner):
        async def once_flaky(ctx: TaskContext) -> Outcome:
            if ctx.task.attempt == 1:
                raise TransientError("server error (503)")
            return Outcome(result={"ok": True})

        await start_runner(manager, {"evaluate-job": once_flaky}, fast())
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        await wait_for(lambda: manager.task(task_id)["errors"], "the first failure")
        set_task(manager.engine, task_id, run_after=utcnow())

        row = await wait_status(manager, task_id, "completed")
        assert (row["attempt"], row["error"], row["result"]) == (2, None, {"ok": True})
        assert [e["error"] for e in row["errors"]] == ["server error (503)"]  # history kept

    @pytest.mark.parametrize(
        ("kind", "message"),
        [
            ("bad-key", "invalid API key"),
            ("bad-reply", "ValueError: the reply is not valid JSON"),
            ("unknown-kind", "no handler is registered for task kind 'unknown-kind'"),
        ],
    )
    async def test_permanent_errors_fail_at_once_with_a_readable_message(self, manager, start_runner, kind, message):
        async def bad_key(ctx: TaskContext) -> Outcome:
            raise PermanentError("invalid API key")

        async def bad_reply(ctx: TaskContext) -> Outcome:
            raise ValueError("the reply is not valid JSON")

        await start_runner(manager, {"bad-key": bad_key, "bad-reply": bad_reply}, fast())
        task_id = manager.enqueue(NewTask(kind, max_attempts=5)).task_id

        row = await wait_status(manager, task_id, "failed")
        assert (row["attempt"], row["error"]) == (1, message)
        assert [(e["error"], e["transient"]) for e in row["errors"]] == [(message, False)]

    async def test_manual_retry_requeues_a_failed_task_and_it_completes(self, manager, start_runner):
        broken = True

        async def handler(ctx: TaskContext) -> Outcome:
            if broken:
                raise PermanentError("the model name is unknown")
            return Outcome(result={"ok": True})

        await start_runner(manager, {"evaluate-job": handler}, fast())
        task_id = manager.enqueue(NewTask("evaluate-job", max_attempts=1)).task_id
        await wait_status(manager, task_id, "failed")

        broken = False  # the person fixed the setting
        summary = manager.retry(task_id)
        assert summary is not None
        assert (summary.status, summary.attempt) == ("queued", 0)

        row = await wait_status(manager, task_id, "completed")
        assert (row["attempt"], row["result"], row["error"]) == (1, {"ok": True}, None)
        assert [e["error"] for e in row["errors"]] == ["the model name is unknown"]
        assert manager.retry(task_id) is None  # a completed task is not retried

    def test_manual_retry_refuses_while_another_task_holds_the_key(self, manager, engine):
        key = dedupe_key("evaluate-job", make_job(engine))
        failed = manager.enqueue(NewTask("evaluate-job", dedupe_key=key)).task_id
        claim_one(manager, "w1")
        decision = manager.fail(failed, "w1", error="invalid API key", transient=False)
        assert decision is not None and not decision.retry
        holder = manager.enqueue(NewTask("evaluate-job", dedupe_key=key))
        assert holder.created

        with pytest.raises(AlreadyEnqueued) as raised:
            manager.retry(failed)
        assert raised.value.task_id == holder.task_id
        assert manager.task(failed)["status"] == "failed"  # unchanged


# -- 8. chains -----------------------------------------------------------------------------------


class TestChains:
    async def test_follow_up_is_enqueued_with_the_completion(self, manager, engine, start_runner):
        job_id = make_job(engine)
        evaluated: list[dict[str, Any]] = []

        async def hydrate(ctx: TaskContext) -> Outcome:
            follow_up = NewTask(
                "evaluate-job",
                job_id=ctx.task.job_id,
                payload={"from": ctx.task.id},
                dedupe_key=dedupe_key("evaluate-job", job_id),
            )
            return Outcome(result={"title": "Backend engineer"}, follow_ups=[follow_up])

        async def evaluate(ctx: TaskContext) -> Outcome:
            evaluated.append({"job_id": ctx.task.job_id, "payload": ctx.task.payload})
            return Outcome(result={"score": 4}, apply=set_fit_score(job_id, 4))

        await start_runner(manager, {"hydrate-job-url": hydrate, "evaluate-job": evaluate}, fast())
        first = manager.enqueue(NewTask("hydrate-job-url", job_id=job_id)).task_id
        await wait_for(lambda: count_status(engine, "completed") == 2, "the chain to complete")

        assert evaluated == [{"job_id": job_id, "payload": {"from": first}}]
        assert get_job(engine, job_id).fit_score == 4
        chained = [t for t in manager.summaries() if t.kind == "evaluate-job"]
        assert len(chained) == 1
        # Written by the completing transaction: created at the same instant the parent finished.
        assert chained[0].created_at == at(manager.task(first)["finished_at"])

    def test_follow_up_whose_key_is_active_is_skipped(self, manager, engine):
        job_id = make_job(engine)
        key = dedupe_key("evaluate-job", job_id)
        parent = manager.enqueue(NewTask("hydrate-job-url", job_id=job_id)).task_id
        claim_one(manager, "w1")
        already = manager.enqueue(NewTask("evaluate-job", job_id=job_id, dedupe_key=key))

        completed = manager.complete(
            parent,
            "w1",
            result={},
            follow_ups=[
                NewTask("evaluate-job", job_id=job_id, dedupe_key=key),  # the active task already does this
                NewTask("company-research", job_id=job_id, dedupe_key=dedupe_key("company-research", job_id)),
            ],
        )

        assert completed
        assert manager.task(parent)["status"] == "completed"
        assert rows_with_key(engine, key) == 1
        assert manager.task(already.task_id)["status"] == "queued"
        kinds = Counter(t.kind for t in manager.summaries())
        assert kinds == {"hydrate-job-url": 1, "evaluate-job": 1, "company-research": 1}

    def test_no_follow_up_when_the_completion_is_not_written(self, manager, engine):
        parent = manager.enqueue(NewTask("hydrate-job-url")).task_id
        claim_one(manager, "w1")
        follow_ups = [NewTask("evaluate-job")]

        def broken_apply(s: Session) -> None:
            raise ValueError("the posting has no title")

        with pytest.raises(ValueError, match="no title"):
            manager.complete(parent, "w1", result={}, apply=broken_apply, follow_ups=follow_ups)
        assert not manager.complete(parent, "someone-else", result={}, follow_ups=follow_ups)
        assert task_ids(engine) == {parent}
        assert manager.task(parent)["status"] == "running"


# -- 9. deleting a job ---------------------------------------------------------------------------


class TestDeletingAJob:
    async def test_delete_job_cancels_queued_and_stops_running_tasks(self, manager, engine, start_runner):
        job_id = make_job(engine)
        other_job = make_job(engine, "Data engineer")
        blocker = Blocker(apply=lambda task: set_fit_score(job_id, 5))
        await start_runner(manager, {"evaluate-job": blocker, "generate-cv": Blocker()}, fast(concurrency=1))
        running = manager.enqueue(NewTask("evaluate-job", job_id=job_id, priority=0)).task_id
        await asyncio.wait_for(blocker.started.wait(), 15)
        queued = manager.enqueue(NewTask("generate-cv", job_id=job_id, priority=1)).task_id
        unrelated = manager.enqueue(NewTask("generate-cv", job_id=other_job, priority=1)).task_id

        assert manager.delete_job(job_id)

        assert manager.task(queued)["status"] == "cancelled"
        row = await wait_status(manager, running, "cancelled")
        assert blocker.interrupted.is_set()
        assert row["result"] is None
        assert row["job_id"] is None  # the job row is gone; the task history stays
        assert get_job(engine, job_id) is None
        untouched = manager.task(unrelated)  # another job's task (it may have started meanwhile)
        assert (untouched["status"] in ("queued", "running"), untouched["cancel_requested"]) == (True, False)
        assert not manager.delete_job(job_id)  # already gone

    async def test_handler_raising_job_gone_ends_cancelled_without_error(self, manager, engine, start_runner):
        job_id = make_job(engine)

        async def evaluate(ctx: TaskContext) -> Outcome:
            raise JobGone(ctx.task.job_id)

        await start_runner(manager, {"evaluate-job": evaluate}, fast())
        task_id = manager.enqueue(NewTask("evaluate-job", job_id=job_id)).task_id

        row = await wait_status(manager, task_id, "cancelled", "failed")
        assert row["status"] == "cancelled"
        assert (row["error"], row["errors"]) == (None, [])

    async def test_apply_finding_the_job_gone_ends_cancelled(self, manager, engine, start_runner):
        job_id = make_job(engine)
        blocker = Blocker(apply=lambda task: set_fit_score(job_id, 3))
        await start_runner(manager, {"evaluate-job": blocker}, fast())
        task_id = manager.enqueue(NewTask("evaluate-job", job_id=job_id)).task_id
        await asyncio.wait_for(blocker.started.wait(), 15)

        with writer(engine).begin() as conn:  # deleted behind the engine's back (no cancel request)
            conn.execute(delete(Job).where(Job.id == job_id))
        blocker.release.set()

        row = await wait_status(manager, task_id, "cancelled", "failed", "completed")
        assert row["status"] == "cancelled"
        assert (row["error"], row["errors"], row["result"]) == (None, [], None)

    def test_a_completion_may_delete_its_job(self, engine):
        """A placeholder found to duplicate another job goes in the completing transaction: its
        other tasks are cancelled as by delete_job, and the completed task keeps its result."""
        manager = TaskManager(engine, limits=Limits(kind_limits={"evaluate-job": 0}))
        job_id = make_job(engine, "")
        queued = manager.enqueue(NewTask("evaluate-job", job_id=job_id, priority=1)).task_id
        reading = manager.enqueue(NewTask("hydrate-job-url", job_id=job_id)).task_id
        claimed = manager.claim("w1", limit=1, lease_seconds=30)
        assert [c.id for c in claimed] == [reading]
        seen = []
        manager.bus.publish_many = lambda events, **_: seen.extend(events)  # type: ignore[method-assign]

        assert manager.complete(reading, "w1", result={"duplicate_of": 7}, delete_job=True)

        assert get_job(engine, job_id) is None
        done, cancelled = manager.task(reading), manager.task(queued)
        assert (done["status"], done["result"], done["job_id"]) == ("completed", {"duplicate_of": 7}, None)
        assert cancelled["status"] == "cancelled"
        assert {(e.task.id, e.task.status) for e in seen} == {(reading, "completed"), (queued, "cancelled")}

    def test_enqueue_for_a_deleted_job_raises_job_gone(self, manager, engine):
        job_id = make_job(engine)
        assert manager.delete_job(job_id)
        with pytest.raises(JobGone):
            manager.enqueue(NewTask("evaluate-job", job_id=job_id))
        with pytest.raises(JobGone):
            manager.enqueue(NewTask("evaluate-job", job_id=job_id, dedupe_key=dedupe_key("evaluate-job", job_id)))
        assert task_ids(engine) == set()


# -- 10. retention -------------------------------------------------------------------------------


def finished_task(manager: TaskManager, status: str) -> int:
    """A task taken through the real verbs to `status`."""
    task_id = manager.enqueue(NewTask("evaluate-job")).task_id
    if status == "cancelled":
        assert manager.cancel(task_id) == "cancelled"
        return task_id
    assert claim_one(manager, "w1").id == task_id
    if status == "completed":
        assert manager.complete(task_id, "w1", result={})
    else:
        assert manager.fail(task_id, "w1", error="invalid API key", transient=False) is not None
    return task_id


def active_tasks(manager: TaskManager, engine: Engine, finished_at: datetime) -> set[int]:
    """One queued and one running task, with a (nonsensical) old finished_at to tempt the pruner."""
    queued = manager.enqueue(NewTask("evaluate-job", priority=1)).task_id
    running = manager.enqueue(NewTask("evaluate-job", priority=0)).task_id
    assert claim_one(manager, "w2").id == running
    for task_id in (queued, running):
        set_task(engine, task_id, created_at=finished_at, finished_at=finished_at)
    return {queued, running}


class TestRetention:
    def test_prune_by_age_keeps_failed_longer_and_never_touches_active(self, manager, engine):
        now = utcnow()
        ages: dict[tuple[str, int], int] = {}
        for status, days in [("completed", 10), ("cancelled", 10), ("completed", 1), ("failed", 10), ("failed", 40)]:
            ages[status, days] = finished_task(manager, status)
            set_task(engine, ages[status, days], finished_at=now - timedelta(days=days))
        active = active_tasks(manager, engine, now - timedelta(days=400))

        pruned = manager.prune(keep_finished=timedelta(days=7), keep_failed=timedelta(days=30), keep_max=1000)

        assert pruned == 3
        assert task_ids(engine) == {ages["completed", 1], ages["failed", 10], *active}

    def test_prune_keeps_at_most_keep_max_finished(self, manager, engine):
        finished = [finished_task(manager, s) for s in ["completed"] * 4 + ["failed", "cancelled"]]
        active = active_tasks(manager, engine, utcnow() - timedelta(days=400))

        pruned = manager.prune(keep_finished=timedelta(days=7), keep_failed=timedelta(days=30), keep_max=3)

        assert pruned == 3
        assert task_ids(engine) == {*finished[-3:], *active}

    async def test_pruner_tick_applies_the_limits_in_force(self, engine):
        manager = TaskManager(
            engine, limits=Limits(keep_finished_days=1 / 24, keep_failed_days=1, keep_finished_max=10)
        )
        old = finished_task(manager, "completed")
        recent = finished_task(manager, "completed")
        set_task(engine, old, finished_at=utcnow() - timedelta(hours=2))
        runner = Runner(manager, {}, fast())

        await runner.pruner.tick()

        assert task_ids(engine) == {recent}


# -- 11. results in the completing transaction ---------------------------------------------------


class TestResultsInTheCompletingTransaction:
    async def test_apply_writes_domain_rows_with_the_completion(self, manager, engine, start_runner):
        job_id = make_job(engine)

        async def evaluate(ctx: TaskContext) -> Outcome:
            return Outcome(
                result={"score": 4},
                apply=set_fit_score(job_id, 4),
                usage={"input_tokens": 1200, "output_tokens": 300, "cost_usd": 0.0},
                provider="offline",
            )

        await start_runner(manager, {"evaluate-job": evaluate}, fast())
        task_id = manager.enqueue(NewTask("evaluate-job", job_id=job_id)).task_id

        row = await wait_status(manager, task_id, "completed")
        job = get_job(engine, job_id)
        assert (job.fit_score, row["result"]) == (4, {"score": 4})
        assert job.evaluated_at is not None
        assert (row["provider"], row["usage"]["input_tokens"]) == ("offline", 1200)

    async def test_failing_apply_completes_nothing_and_writes_nothing(self, manager, engine, start_runner):
        job_id = make_job(engine)

        def half_write(s: Session) -> None:
            set_fit_score(job_id, 5)(s)
            s.flush()  # the domain write reached the database inside the transaction …
            raise ValueError("the evaluation does not match the schema")  # … and is rolled back

        async def evaluate(ctx: TaskContext) -> Outcome:
            return Outcome(result={"score": 5}, apply=half_write)

        await start_runner(manager, {"evaluate-job": evaluate}, fast())
        task_id = manager.enqueue(NewTask("evaluate-job", job_id=job_id, max_attempts=1)).task_id

        row = await wait_status(manager, task_id, "failed", "completed")
        assert row["status"] == "failed"
        assert row["result"] is None
        assert row["error"] == "ValueError: the evaluation does not match the schema"
        assert get_job(engine, job_id).fit_score is None

    def test_apply_is_not_run_when_the_lease_was_lost(self, manager, engine):
        job_id = make_job(engine)
        task_id = manager.enqueue(NewTask("evaluate-job", job_id=job_id)).task_id
        claim_one(manager, "slow-worker", lease_seconds=0.01)
        time.sleep(0.05)
        assert manager.rescue() == 1  # the lease lapsed and another worker took over
        claim_one(manager, "new-worker")
        applied: list[int] = []

        def apply(s: Session) -> None:
            applied.append(task_id)
            set_fit_score(job_id, 5)(s)

        assert not manager.complete(task_id, "slow-worker", result={"score": 5}, apply=apply)
        assert applied == []
        assert get_job(engine, job_id).fit_score is None
        row = manager.task(task_id)
        assert (row["status"], row["worker_id"], row["result"]) == ("running", "new-worker", None)


# -- a lost lease writes nothing -----------------------------------------------------------------


class TestLostLease:
    def test_wrong_worker_can_neither_complete_nor_fail(self, manager):
        task_id = manager.enqueue(NewTask("evaluate-job")).task_id
        claim_one(manager, "owner")
        before = manager.task(task_id)

        assert manager.complete(task_id, "intruder", result={"score": 1}) is False
        assert manager.fail(task_id, "intruder", error="boom", transient=True) is None
        assert manager.mark_cancelled(task_id, "intruder") is False
        manager.save_progress("intruder", [ProgressWrite(task_id, 50, "Halfway", ({"label": "Halfway"},))])

        assert manager.task(task_id) == before
        assert manager.complete(task_id, "owner", result={"score": 4})
        assert manager.complete(task_id, "owner", result={"score": 9}) is False  # only once
        assert manager.task(task_id)["result"] == {"score": 4}

    async def test_runner_stops_a_handler_whose_task_was_rescued_elsewhere(
        self, manager, engine, other_engine, start_runner
    ):
        job_id = make_job(engine)
        blocker = Blocker(apply=lambda task: set_fit_score(job_id, 5))
        # One slot, held by the blocked handler, so this runner cannot re-claim the rescued task itself.
        runner = await start_runner(manager, {"evaluate-job": blocker}, fast(concurrency=1))
        await runner.heartbeat.stop()  # drive the beat by hand
        await runner.rescuer.stop()  # the rescue below happens in "another process"
        task_id = manager.enqueue(NewTask("evaluate-job", job_id=job_id)).task_id
        await asyncio.wait_for(blocker.started.wait(), 15)

        # This worker looked dead for longer than its lease; another process rescued and took the task.
        set_task(engine, task_id, lease_expires_at=utcnow() - timedelta(seconds=1))
        elsewhere = TaskManager(other_engine, EventBus())
        assert elsewhere.rescue() == 1
        claim_one(elsewhere, "other-worker")

        await runner.heartbeat.tick()
        await wait_for(lambda: task_id not in runner.running_ids, "the runner to drop the task")

        assert blocker.interrupted.is_set()
        row = manager.task(task_id)
        assert (row["status"], row["worker_id"], row["attempt"], row["result"]) == ("running", "other-worker", 1, None)
        assert get_job(engine, job_id).fit_score is None
