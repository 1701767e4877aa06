"""Several worker processes on one PostgreSQL database, joined by the feed (Redis, or LISTEN/NOTIFY).

Real subprocesses (`worker_proc.py`), each with its own runner. The caps are the deployment's: saved
once in the database and enforced by every claim against every worker's running tasks.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jobapp.db import make_engine
from jobapp.models import Task
from jobapp.tasks import EventBus, Limits, NewTask, TaskManager
from jobapp.tasks.feed import FeedRelay, PostgresTransport, RedisTransport, channel_name
from jobapp.tasks.limits import save_limits
from tests.conftest import require_service

pytestmark = pytest.mark.timeout(300)

HERE = Path(__file__).parent
REDIS_URL = os.environ.get("JOBAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T = Task.__table__.c  # type: ignore[attr-defined]


@pytest.fixture(params=["redis", "postgres"])
def feed(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        require_service("Redis", "127.0.0.1", 6379)
    return request.param


class Workers:
    def __init__(self, db_url: str, feed: str, record: Path) -> None:
        self.db_url, self.feed, self.record = db_url, feed, record
        self.procs: list[subprocess.Popen] = []

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": f"{HERE.parents[1]}:{HERE}", "REFLEX_REDIS_URL": REDIS_URL}
        proc = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "worker_proc.py"),
                self.db_url,
                name,
                str(self.record),
                "--feed",
                self.feed,
                *args,
            ],
            env=env,
        )
        self.procs.append(proc)
        deadline = time.monotonic() + 60
        while not Path(f"{self.record}.ready-{name}").exists():
            assert proc.poll() is None, f"worker {name} exited early with {proc.returncode}"
            assert time.monotonic() < deadline, f"worker {name} did not start"
            time.sleep(0.05)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    """Several writer processes on one database: PostgreSQL (a SQLite file takes one writer at a time)."""
    eng = make_engine(pg_url)
    yield eng
    eng.dispose()


@pytest.fixture
def workers(pg_url: str, feed: str, tmp_path: Path):
    group = Workers(pg_url, feed, tmp_path / "executions.log")
    yield group
    group.stop()


def count_done(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).where(T.status == "completed")).scalar_one()


def executions(record: Path) -> list[tuple[int, str, int, float, float]]:
    """(task, worker, attempt, started, finished) per execution that finished."""
    intervals = Path(f"{record}.intervals")
    rows = []
    for line in intervals.read_text().splitlines() if intervals.exists() else []:
        task_id, worker, attempt, started, finished = line.split()
        rows.append((int(task_id), worker, int(attempt), float(started), float(finished)))
    return rows


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    now = peak = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


def test_caps_hold_for_the_whole_deployment_and_every_task_runs_once(engine, workers):
    with engine.begin() as conn:
        save_limits(conn, Limits(concurrency=3, kind_limits={"slow": 1}))
    # Each worker could run 8 at once on its own; the deployment allows 3. All three are up and claiming
    # before the work arrives, so they race for it from the first task.
    for name in ("w1", "w2", "w3"):
        workers.spawn(name, "--sleep", "0.004", "--concurrency", "8")
    producer = TaskManager(engine, EventBus())
    ids = [producer.enqueue(NewTask("slow" if i % 10 == 0 else "work")).task_id for i in range(1000)]

    sampled: Counter[str] = Counter()
    stop_sampling = threading.Event()

    def sample() -> None:
        # Every worker's running tasks, as the database sees them, through the whole run.
        while not stop_sampling.is_set():
            with engine.connect() as conn:
                rows = conn.execute(select(T.kind, func.count()).where(T.status == "running").group_by(T.kind)).all()
            by_kind = dict(rows)
            sampled["all"] = max(sampled["all"], sum(by_kind.values()))
            for kind, running in by_kind.items():
                sampled[kind] = max(sampled[kind], running)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    deadline = time.monotonic() + 240
    while count_done(engine) < len(ids):
        assert time.monotonic() < deadline, f"only {count_done(engine)} of {len(ids)} tasks completed"
        time.sleep(0.1)
    stop_sampling.set()
    sampler.join()

    runs = executions(workers.record)
    assert Counter(task_id for task_id, *_ in runs) == Counter(ids)  # each task ran once: none twice, none lost
    assert {attempt for _, _, attempt, _, _ in runs} == {1}
    # The work was shared. (A busy worker keeps the slots it frees: its group commit claims their successors in
    # the same transaction, so how evenly depends on who got slots first; that it is shared at all is the point.)
    assert len({worker for _, worker, *_ in runs}) >= 2
    assert 1 <= sampled["all"] <= 3 and sampled["slow"] <= 1
    assert most_at_once([(start, end) for *_, start, end in runs]) <= 3
    slow = set(ids[::10])
    assert most_at_once([(start, end) for task_id, _, _, start, end in runs if task_id in slow]) <= 1


def test_a_cap_changed_in_settings_applies_at_the_next_claim(engine, workers):
    with engine.begin() as conn:
        save_limits(conn, Limits(concurrency=1))
    producer = TaskManager(engine, EventBus())
    first = [producer.enqueue(NewTask("work")).task_id for _ in range(30)]
    workers.spawn("w1", "--sleep", "0.02", "--concurrency", "8")
    workers.spawn("w2", "--sleep", "0.02", "--concurrency", "8")
    deadline = time.monotonic() + 120
    while count_done(engine) < len(first):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with engine.begin() as conn:  # no restart: the workers read the limits in every claim
        save_limits(conn, Limits(concurrency=4))
    more = [producer.enqueue(NewTask("work")).task_id for _ in range(200)]
    while count_done(engine) < len(first) + len(more):
        assert time.monotonic() < deadline
        time.sleep(0.05)

    runs = {task_id: (start, end) for task_id, _, _, start, end in executions(workers.record)}
    assert most_at_once([runs[t] for t in first]) == 1
    assert 1 < most_at_once([runs[t] for t in more]) <= 4


def test_work_queued_anywhere_wakes_an_idle_worker_without_waiting_for_its_poll(engine, workers, pg_url, feed):
    # The workers look at the database by themselves only once a minute: only the feed can wake them.
    workers.spawn("w1", "--poll", "60")
    workers.spawn("w2", "--poll", "60")
    time.sleep(1.0)  # both are idle, past their start-up claim

    async def enqueue_through_the_feed() -> int:
        bus = EventBus()
        if feed == "redis":
            transport = RedisTransport(REDIS_URL, channel_name(pg_url))
        else:
            transport = PostgresTransport(
                pg_url.replace("postgresql+psycopg://", "postgresql://"), channel_name(pg_url)
            )
        relay = FeedRelay(bus, transport)
        await relay.start()
        try:
            return TaskManager(engine, bus).enqueue(NewTask("work")).task_id
        finally:
            await relay.stop()

    task_id = asyncio.run(enqueue_through_the_feed())
    deadline = time.monotonic() + 20  # a third of the poll interval: a completion proves the wake-up
    while count_done(engine) < 1:
        assert time.monotonic() < deadline, "the queued task did not start: no worker was woken"
        time.sleep(0.05)
    assert [run[0] for run in executions(workers.record)] == [task_id]
