"""Engine throughput: N no-op tasks on SQLite, one process — jobapp vs Huey vs a raw SQLite loop.

Method (the same for all three): enqueue all N, then drain; the clock runs from the first enqueue to the
last completion, so every figure covers the same three writes per task (enqueue, claim, complete).
Enqueue and drain are also reported apart. Runs are interleaved and repeated; the median run counts.

- jobapp: `TaskManager.enqueue` N times, then a `Runner` with the default `RunnerConfig` (concurrency 4)
  and a no-op handler returning `Outcome(result={})`; done when the bus has announced N completions. The
  ratio that counts uses this per-task enqueue, as Huey has no batch.
- jobapp, batched (`jobapp_enqueue_many`, reported apart with its own ratio): the same, but the N tasks
  are enqueued with `TaskManager.enqueue_many` in batches of `--batch` (500), one transaction each.
- Huey (the peer): `SqliteHuey` with its thread consumer, 4 workers (jobapp's default concurrency; Huey's
  own default is 1); the task returns `{}` so a result is stored, like jobapp's. Measured twice: with
  `synchronous=NORMAL` (jobapp's durability, the ratio that counts) and as shipped (`synchronous` left
  at SQLite's default, FULL).
- Raw limit: `sqlite3` on jobapp's own migrated schema, WAL + synchronous=NORMAL, one thread: INSERT per
  task, then per task an UPDATE that claims it (by id, in queue order, guarded by status) and an UPDATE
  that completes it, each its own transaction. The loop already knows the next id: the limit is the cost
  of the three writes, without the look-up a real claim makes (on this schema that look-up sorts the whole
  backlog, see bench/README.md).

    PYTHONPATH=. .venv/bin/python bench/engine_throughput.py [--n 5000] [--repeat 3] [--batch 500]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._common import emit, log, scratch_dir, setup_logging, sqlite_db, target

KIND = "bench-noop"


# -- jobapp ----------------------------------------------------------------------------------------


def run_jobapp(directory: Path, n: int, *, batch: int | None = None) -> dict[str, float]:
    """`batch`: enqueue with `enqueue_many`, that many tasks a transaction (None: `enqueue` per task)."""
    from jobapp.db import make_engine
    from jobapp.tasks import EventBus, NewTask, Outcome, Runner, RunnerConfig, TaskChanged, TaskManager

    async def noop(ctx) -> Outcome:
        return Outcome(result={})

    async def main(url: str) -> dict[str, float]:
        engine = make_engine(url)
        manager = TaskManager(engine, EventBus())
        events = manager.bus.subscribe()
        config = RunnerConfig()
        t0 = time.perf_counter()
        if batch:
            for start in range(0, n, batch):
                manager.enqueue_many([NewTask(KIND) for _ in range(min(batch, n - start))])
        else:
            for _ in range(n):
                manager.enqueue(NewTask(KIND))
        t_enqueued = time.perf_counter()
        runner = Runner(manager, {KIND: noop}, config)
        await runner.start()
        completed = 0
        while completed < n:
            event = await events.get()
            if isinstance(event, TaskChanged) and event.task.status == "completed":
                completed += 1
        t_end = time.perf_counter()
        await runner.stop()
        engine.dispose()
        return _phases(n, t0, t_enqueued, t_end) | {"concurrency": config.concurrency, "batch": batch or 1}

    with sqlite_db(directory) as url:
        return asyncio.run(main(url))


# -- Huey ------------------------------------------------------------------------------------------


def run_huey(directory: Path, n: int, *, workers: int, synchronous_normal: bool) -> dict[str, float]:
    from huey import SqliteHuey, signals
    from huey.storage import SqliteStorage

    class NormalSyncStorage(SqliteStorage):
        """Huey's SQLite storage with jobapp's durability setting (WAL + synchronous=NORMAL)."""

        def _create_connection(self):
            conn = super()._create_connection()
            conn.execute("pragma synchronous=NORMAL")
            return conn

    name = "huey-normal.db" if synchronous_normal else "huey-default.db"
    options: dict[str, Any] = {"storage_class": NormalSyncStorage} if synchronous_normal else {}
    huey = SqliteHuey("bench", filename=str(directory / name), **options)
    drained = threading.Event()
    lock = threading.Lock()
    completed = 0

    @huey.task()
    def noop():
        return {}

    @huey.signal(signals.SIGNAL_COMPLETE)
    def on_complete(signal_name, task, *args, **kwargs):
        nonlocal completed
        with lock:
            completed += 1
            if completed == n:
                drained.set()

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    t0 = time.perf_counter()
    for _ in range(n):
        noop()
    t_enqueued = time.perf_counter()
    consumer = huey.create_consumer(workers=workers, worker_type="thread")
    consumer.start()
    try:
        if not drained.wait(timeout=600):
            raise RuntimeError(f"Huey completed only {completed} of {n} tasks in 600 s")
        t_end = time.perf_counter()
    finally:
        consumer.stop(graceful=True)
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        huey.storage.close()
    return _phases(n, t0, t_enqueued, t_end) | {"workers": workers}


# -- raw SQLite ------------------------------------------------------------------------------------

_INSERT = """
INSERT INTO task (kind, status, job_id, dedupe_key, priority, payload, max_attempts, errors, stages, attempt,
                  progress, progress_label, cancel_requested, created_at, updated_at, run_after)
VALUES (?, 'queued', NULL, NULL, 0, '{}', 3, '[]', '[]', 0, 0, 'Queued', 0, ?, ?, ?)
"""
_CLAIM = """
UPDATE task SET status = 'running', worker_id = ?, attempt = attempt + 1, started_at = ?, updated_at = ?,
                heartbeat_at = ?, progress = 0, progress_label = 'Starting', lease_expires_at = ?
WHERE id = ? AND status = 'queued'
RETURNING id
"""
_COMPLETE = """
UPDATE task SET status = 'completed', result = '{}', progress = 100, progress_label = 'Done', finished_at = ?,
                updated_at = ?, lease_expires_at = NULL, error = NULL
WHERE id = ? AND status = 'running' AND worker_id = ?
"""


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")


def run_raw(directory: Path, n: int) -> dict[str, float]:
    with sqlite_db(directory, "raw.db"):
        pass
    conn = sqlite3.connect(directory / "raw.db", isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")

    def txn(sql: str, params: tuple) -> list:
        conn.execute("BEGIN IMMEDIATE")
        rows = conn.execute(sql, params).fetchall()
        conn.execute("COMMIT")
        return rows

    t0 = time.perf_counter()
    ids = []
    for _ in range(n):
        now = _now()
        conn.execute("BEGIN IMMEDIATE")
        ids.append(conn.execute(_INSERT, (KIND, now, now, now)).lastrowid)
        conn.execute("COMMIT")
    t_enqueued = time.perf_counter()
    for task_id in ids:
        now = _now()
        (claimed,) = txn(_CLAIM, ("raw", now, now, now, now, task_id))[0]
        now = _now()
        txn(_COMPLETE, (now, now, claimed, "raw"))
    t_end = time.perf_counter()
    left = conn.execute("SELECT count(*) FROM task WHERE status != 'completed'").fetchone()[0]
    conn.close()
    if left:
        raise RuntimeError(f"raw loop left {left} tasks unfinished")
    return _phases(n, t0, t_enqueued, t_end)


# -- shared ----------------------------------------------------------------------------------------


def _phases(n: int, t0: float, t_enqueued: float, t_end: float) -> dict[str, float]:
    return {
        "tasks_per_s": round(n / (t_end - t0), 1),
        "enqueue_per_s": round(n / (t_enqueued - t0), 1),
        "drain_per_s": round(n / (t_end - t_enqueued), 1),
        "seconds": round(t_end - t0, 3),
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median end-to-end rate, plus every run's rate."""
    ordered = sorted(runs, key=lambda r: r["tasks_per_s"])
    return {**ordered[len(ordered) // 2], "runs_tasks_per_s": [r["tasks_per_s"] for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500, help="tasks per enqueue_many in jobapp_enqueue_many")
    parser.add_argument("--only", nargs="*", help="run only these systems (for profiling); no ratios then")
    args = parser.parse_args()
    setup_logging()
    # Huey logs two INFO lines per task; that would slow it down and bury our own log.
    logging.getLogger("huey").setLevel(logging.WARNING)
    from jobapp.settings import load_settings

    workers = load_settings().concurrency
    systems = {
        "jobapp": lambda d: run_jobapp(d, args.n),
        "jobapp_enqueue_many": lambda d: run_jobapp(d, args.n, batch=args.batch),
        "huey_sync_normal": lambda d: run_huey(d, args.n, workers=workers, synchronous_normal=True),
        "huey_as_shipped": lambda d: run_huey(d, args.n, workers=workers, synchronous_normal=False),
        "raw_sqlite_limit": lambda d: run_raw(d, args.n),
    }
    if args.only:
        systems = {name: run for name, run in systems.items() if name in args.only}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in systems}
    for round_no in range(args.repeat):
        for name, run in systems.items():
            with scratch_dir(name) as directory:
                figures = run(directory)
            results[name].append(figures)
            log.info("round %d %-18s %8.1f tasks/s (%s)", round_no + 1, name, figures["tasks_per_s"], figures)
    best = {name: median_run(runs) for name, runs in results.items()}
    if args.only:
        emit("engine_throughput", {"n": args.n, "repeat": args.repeat, "median_run": best}, [], partial=True)
        return
    jobapp, huey, raw = best["jobapp"]["tasks_per_s"], best["huey_sync_normal"]["tasks_per_s"], best["raw_sqlite_limit"]
    raw_rate = raw["tasks_per_s"]
    ratios = {
        "jobapp_over_huey": round(jobapp / huey, 3),
        "jobapp_over_huey_as_shipped": round(jobapp / best["huey_as_shipped"]["tasks_per_s"], 3),
        "jobapp_over_limit": round(jobapp / raw_rate, 3),
        "huey_over_limit": round(huey / raw_rate, 3),
        "drain_jobapp_over_huey": round(best["jobapp"]["drain_per_s"] / best["huey_sync_normal"]["drain_per_s"], 3),
        # Enqueued in batches (`enqueue_many`): a variant Huey has no counterpart for, so not the target.
        "jobapp_enqueue_many_over_huey": round(best["jobapp_enqueue_many"]["tasks_per_s"] / huey, 3),
        "enqueue_jobapp_enqueue_many_over_huey": round(
            best["jobapp_enqueue_many"]["enqueue_per_s"] / best["huey_sync_normal"]["enqueue_per_s"], 3
        ),
    }
    emit(
        "engine_throughput",
        {"n": args.n, "repeat": args.repeat, "median_run": best, "ratios": ratios},
        [
            target("jobapp / Huey (tasks/s, same run)", ratios["jobapp_over_huey"], ">=", 1.0, "x"),
            target("jobapp / raw SQLite limit", ratios["jobapp_over_limit"], ">=", 0.25),
        ],
        note=(
            f"jobapp_enqueue_many enqueues in batches of {args.batch} (one transaction each); its ratio is "
            "reported apart and is not the target, which compares per-task enqueue with Huey's."
        ),
        method=(
            "enqueue all N, then drain; clock from first enqueue to last completion (3 writes per task). "
            f"Median of {args.repeat} interleaved runs. Huey: thread consumer with {workers} workers."
        ),
        stdev_tasks_per_s={
            name: round(statistics.pstdev(r["tasks_per_s"] for r in runs), 1) for name, runs in results.items()
        },
    )


if __name__ == "__main__":
    main()
