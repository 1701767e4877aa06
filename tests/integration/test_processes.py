"""The engine across real processes: exactly-once with two runner processes, and `kill -9` recovery.

Workers are `worker_proc.py` subprocesses on the same database as the test (SQLite file or the
test's own PostgreSQL schema). Every execution is appended to a record file, so "exactly once" is
checked against what the handlers actually ran, not only against the task rows. Waits poll the
database against a deadline; every subprocess is killed at teardown whatever happens.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from jobapp.db import writer
from jobapp.discovery import store
from jobapp.models import Schedule, Task, utcnow
from jobapp.tasks import NewTask, TaskManager
from jobapp.work import discover

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[2]
WORKER_SCRIPT = Path(__file__).with_name("worker_proc.py")
T = Task.__table__.c  # type: ignore[attr-defined]


class Worker:
    """One runner subprocess and its log."""

    def __init__(self, db_url: str, worker_id: str, record: Path, log_dir: Path, **options: Any) -> None:
        self.worker_id = worker_id
        self.record = record
        self.log_path = log_dir / f"{worker_id}.log"
        args = [sys.executable, str(WORKER_SCRIPT), db_url, worker_id, str(record)]
        for name, value in options.items():
            args += [f"--{name}", str(value)]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def ready(self) -> bool:
        return Path(f"{self.record}.ready-{self.worker_id}").exists()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            pytest.fail(f"{self.worker_id} exited with {self.proc.returncode}:\n{self.log()}")

    def terminate(self, timeout: float = 30) -> int:
        """Clean shutdown (SIGTERM); the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start worker processes; any still running at the end are killed."""
    workers: list[Worker] = []

    def start(db_url: str, worker_id: str, record: Path, **options: Any) -> Worker:
        worker = Worker(db_url, worker_id, record, tmp_path, **options)
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.kill()


def wait_until(predicate: Callable[[], Any], what: str, *, workers: list[Worker], timeout: float = 60) -> Any:
    """Poll until `predicate` is truthy; fail early if a worker died, and at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        if value := predicate():
            return value
        for worker in workers:
            worker.check_alive()
        if time.monotonic() >= deadline:
            logs = "\n".join(f"--- {w.worker_id}\n{w.log()}" for w in workers)
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")
        time.sleep(0.05)


def executions(record: Path) -> list[tuple[int, str, int]]:
    """(task_id, worker_id, attempt) for every handler run, in order."""
    if not record.exists():
        return []
    rows = []
    for line in record.read_text().splitlines():
        task_id, worker_id, attempt = line.split()
        rows.append((int(task_id), worker_id, int(attempt)))
    return rows


def count_status(engine: Engine, status: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Task).where(T.status == status)).scalar_one()


def test_two_runner_processes_run_every_task_exactly_once(db_url, engine, tmp_path, spawn):
    record = tmp_path / "executions.log"
    workers = [spawn(db_url, name, record, sleep=0.02, concurrency=4) for name in ("proc-a", "proc-b")]
    wait_until(lambda: all(w.ready for w in workers), "both workers to start", workers=workers)

    manager = TaskManager(engine)
    ids = [manager.enqueue(NewTask("work", payload={"n": n})).task_id for n in range(300)]
    wait_until(lambda: count_status(engine, "completed") == len(ids), "all tasks to complete", workers=workers)

    ran = executions(record)
    assert Counter(task_id for task_id, _, _ in ran) == Counter(ids)  # each exactly once
    by_worker = Counter(worker for _, worker, _ in ran)
    assert set(by_worker) == {"proc-a", "proc-b"}, by_worker  # both did some
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(T.id, T.attempt, T.worker_id, T.result))}
    assert {r.attempt for r in rows.values()} == {1}
    # The row's worker is the process whose handler ran it and wrote its result.
    assert all(rows[task_id].worker_id == worker == rows[task_id].result["worker"] for task_id, worker, _ in ran)

    assert [w.terminate() for w in workers] == [0, 0]
    assert count_status(engine, "running") == 0


def test_kill_9_mid_task_is_rescued_and_completed_elsewhere(db_url, engine, tmp_path, spawn):
    record = tmp_path / "executions.log"
    manager = TaskManager(engine)
    task_id = manager.enqueue(NewTask("work")).task_id
    doomed = spawn(db_url, "proc-a", record, sleep=600, lease=1.5)

    wait_until(
        lambda: executions(record) == [(task_id, "proc-a", 1)] and manager.task(task_id)["status"] == "running",
        "proc-a to be running the task",
        workers=[doomed],
    )
    os.kill(doomed.proc.pid, signal.SIGKILL)
    assert doomed.proc.wait(timeout=30) == -signal.SIGKILL
    row = manager.task(task_id)
    assert (row["status"], row["worker_id"]) == ("running", "proc-a")  # orphaned: nobody cleaned up

    rescuer = spawn(db_url, "proc-b", record, sleep=0, lease=1.5)
    row = wait_until(
        lambda: (r := manager.task(task_id))["status"] in ("completed", "failed", "cancelled") and r,
        "the orphaned task to finish",
        workers=[rescuer],
    )

    assert row["status"] == "completed"
    assert (row["attempt"], row["crashes"]) == (1, 1)  # the crash is counted, apart from the attempts
    assert row["result"] == {"worker": "proc-b"}
    assert [e["error"] for e in row["errors"]] == ["worker proc-a stopped responding during attempt 1"]
    assert executions(record) == [(task_id, "proc-a", 1), (task_id, "proc-b", 1)]
    assert rescuer.terminate() == 0


def test_sigterm_hands_a_running_task_back_without_spending_an_attempt(db_url, engine, tmp_path, spawn):
    record = tmp_path / "executions.log"
    manager = TaskManager(engine)
    task_id = manager.enqueue(NewTask("work")).task_id
    first = spawn(db_url, "proc-a", record, sleep=600)

    wait_until(lambda: executions(record) == [(task_id, "proc-a", 1)], "proc-a to start the task", workers=[first])
    assert first.terminate() == 0
    row = manager.task(task_id)
    assert (row["status"], row["attempt"], row["worker_id"], row["errors"]) == ("queued", 0, None, [])

    second = spawn(db_url, "proc-b", record, sleep=0)
    row = wait_until(
        lambda: (r := manager.task(task_id))["status"] == "completed" and r, "the task to complete", workers=[second]
    )
    assert (row["attempt"], row["errors"], row["result"]) == (1, [], {"worker": "proc-b"})
    assert second.terminate() == 0


def test_the_schedule_enqueues_once_per_period_with_two_runner_processes(db_url, engine, tmp_path, spawn):
    with Session(writer(engine)) as s:
        store.add_board(s, "greenhouse:acme")
        store.save_preferences(s, store.Preferences(every_hours=6))
    record = tmp_path / "executions.log"
    workers = [spawn(db_url, name, record, schedule=0.02) for name in ("proc-a", "proc-b")]
    wait_until(lambda: all(w.ready for w in workers), "both workers to start", workers=workers)
    S = Schedule.__table__.c  # type: ignore[attr-defined]

    def scans() -> list[int]:
        with engine.connect() as conn:
            return list(conn.execute(select(T.id).where(T.kind == discover.NAME).order_by(T.id)).scalars())

    for period in (1, 2, 3):
        # The period comes due while both workers' schedulers are ticking (every 20 ms each).
        with writer(engine).begin() as conn:
            conn.execute(update(Schedule.__table__).where(S.name == discover.NAME).values(next_run_at=utcnow()))
        wait_until(lambda p=period: len(scans()) >= p, f"period {period}'s scan", workers=workers)
        # A scan still waiting would be the next period's too (same work, one dedupe key): end this one.
        TaskManager(engine).cancel(scans()[-1])

    assert [w.terminate() for w in workers] == [0, 0]
    ids = scans()
    assert len(ids) == 3  # one per period, never two
    assert manager_schedule(engine).last_task_id == ids[-1]


def manager_schedule(engine: Engine) -> Schedule:
    with Session(engine, expire_on_commit=False) as s:
        row = s.get(Schedule, discover.NAME)
        assert row is not None
        return row
