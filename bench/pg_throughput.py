"""Engine throughput on PostgreSQL: jobapp vs procrastinate, one process and three worker processes.

Method (the same for both), N no-op tasks enqueued one by one through the library's own API:
- one process: enqueue all, then drain with one worker of concurrency C in this process; tasks/s is N over
  enqueue + drain (the last completion read from the database every 20 ms);
- three processes: start three worker processes (concurrency C each) and wait until each is ready (process
  start-up is not the queue's speed), then enqueue N while they work; tasks/s is N over the time from the
  first enqueue to the last completion.
Runs alternate and repeat; the median run counts.

- jobapp: `TaskManager.enqueue`, then one `Runner` in this process (concurrency C, global cap C) — or three
  worker processes (`tests/integration/worker_proc.py`, concurrency C each, global cap 3·C) joined by the
  PostgreSQL feed.
- procrastinate (the peer people pick for PostgreSQL queues): `task.defer_async`, then `run_worker_async`
  (concurrency C, `wait=False`) in this process — or three worker processes (bench/_procrastinate_worker.py).
  Each system gets a schema of its own on the same server.

    PYTHONPATH=. .venv/bin/python bench/pg_throughput.py [--n 3000] [--concurrency 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench._common import PG_ADMIN_URL, emit, log, postgres_db, setup_logging, target

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests/integration/worker_proc.py"
PEER_WORKER = Path(__file__).with_name("_procrastinate_worker.py")
PROCESSES = 3


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def wait_done(url: str, count_sql: str, n: int, timeout: float = 600) -> float:
    """Seconds until `count_sql` reaches n, from now."""
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            while (done := conn.execute(text(count_sql)).scalar_one()) < n:
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"only {done} of {n} tasks completed in {timeout:.0f} s")
                time.sleep(0.02)
                conn.rollback()
    finally:
        engine.dispose()
    return time.perf_counter() - started


# -- jobapp ---------------------------------------------------------------------------------------------


def jobapp_run(url: str, n: int, concurrency: int, processes: int) -> dict[str, float]:
    from jobapp.db import make_engine
    from jobapp.tasks import EventBus, Limits, NewTask, Outcome, Runner, RunnerConfig, TaskManager
    from jobapp.tasks.limits import save_limits

    engine = make_engine(url)
    with engine.begin() as conn:
        save_limits(conn, Limits(concurrency=concurrency * processes))
    manager = TaskManager(engine, EventBus())

    def enqueue() -> None:
        for _ in range(n):
            manager.enqueue(NewTask("work"))

    done_sql = "SELECT count(*) FROM task WHERE status = 'completed'"
    try:
        if processes > 1:
            record = Path(f"/tmp/jobapp-bench-pg-{os.getpid()}-{time.monotonic_ns()}.log")
            options = ("--sleep", "0", "--concurrency", str(concurrency), "--feed", "postgres")
            env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests/integration'}"}
            commands = [[sys.executable, str(WORKER), url, f"w{i}", str(record), *options] for i in range(processes)]
            ready = [Path(f"{record}.ready-w{i}") for i in range(processes)]
            try:
                return _with_workers(commands, env, ready, enqueue, url, done_sql, n)
            finally:
                for path in record.parent.glob(f"{record.name}*"):
                    path.unlink(missing_ok=True)
        t0 = time.perf_counter()
        enqueue()
        enqueue_s = time.perf_counter() - t0

        async def noop(ctx) -> Outcome:
            return Outcome(result={})

        async def drain() -> float:
            runner = Runner(manager, {"work": noop}, RunnerConfig(concurrency=concurrency, poll_seconds=0.05))
            started = time.perf_counter()
            await runner.start()
            while await asyncio.to_thread(_count, engine, done_sql) < n:
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
            await runner.stop()
            return elapsed

        return _figures(n, enqueue_s, asyncio.run(drain()))
    finally:
        engine.dispose()


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def _with_workers(
    commands: list[list[str]],
    env: dict[str, str],
    ready: list[Path],
    enqueue: Callable[[], None],
    url: str,
    done_sql: str,
    n: int,
) -> dict[str, float]:
    """Start the worker processes and wait until each is ready (start-up is not the queue's speed); then
    enqueue N while they work, and time from the first enqueue to the last completion."""
    procs = [subprocess.Popen(command, env=env) for command in commands]
    try:
        deadline = time.monotonic() + 300
        while not all(path.exists() for path in ready):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker process did not start")
            time.sleep(0.05)
        t0 = time.perf_counter()
        enqueue()
        enqueue_s = time.perf_counter() - t0
        wait_done(url, done_sql, n)
        total = time.perf_counter() - t0
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
    return {
        "tasks_per_s": round(n / total, 1),
        "enqueue_per_s": round(n / enqueue_s, 1),
        "seconds": round(total, 3),
        "workers_drained_while_enqueued": True,
    }


# -- procrastinate --------------------------------------------------------------------------------------


def peer_run(url: str, n: int, concurrency: int, processes: int) -> dict[str, float]:
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(url)))

    @app.task(name="noop")
    async def noop() -> None:
        return None

    async def open_and(action: Callable[[], Awaitable[float]]) -> float:
        async with app.open_async():
            return await action()

    async def enqueue_all() -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            await noop.defer_async()
        return time.perf_counter() - t0

    async def apply_schema() -> float:
        await app.schema_manager.apply_schema_async()
        return 0.0

    asyncio.run(open_and(apply_schema))
    done_sql = "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"
    if processes > 1:
        ready_dir = Path(f"/tmp/jobapp-bench-peer-{os.getpid()}-{time.monotonic_ns()}")
        ready_dir.mkdir()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        commands = [
            [sys.executable, str(PEER_WORKER), conninfo(url), str(concurrency), str(ready_dir / f"ready-{i}")]
            for i in range(processes)
        ]
        ready = [ready_dir / f"ready-{i}" for i in range(processes)]
        try:
            return _with_workers(commands, env, ready, lambda: asyncio.run(open_and(enqueue_all)), url, done_sql, n)
        finally:
            for path in ready:
                path.unlink(missing_ok=True)
            ready_dir.rmdir()
    enqueue_s = asyncio.run(open_and(enqueue_all))

    async def drain() -> float:
        t0 = time.perf_counter()
        await app.run_worker_async(concurrency=concurrency, wait=False, install_signal_handlers=False)
        return time.perf_counter() - t0

    drain_s = asyncio.run(open_and(drain))
    assert _count_url(url, done_sql) == n
    return _figures(n, enqueue_s, drain_s)


def _count_url(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        return _count(engine, sql)
    finally:
        engine.dispose()


@contextlib.contextmanager
def _peer_schema() -> Iterator[str]:
    """A bare schema for procrastinate (it creates its own tables)."""
    name = f"bench_peer_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


# -- shared ---------------------------------------------------------------------------------------------


def _figures(n: int, enqueue_s: float, drain_s: float) -> dict[str, float]:
    return {
        "tasks_per_s": round(n / (enqueue_s + drain_s), 1),
        "enqueue_per_s": round(n / enqueue_s, 1),
        "drain_per_s": round(n / drain_s, 1),
        "seconds": round(enqueue_s + drain_s, 3),
    }


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(runs, key=lambda r: r["tasks_per_s"])
    return {**ordered[len(ordered) // 2], "runs_tasks_per_s": [r["tasks_per_s"] for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup_logging()
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    runs: dict[str, list[dict[str, Any]]] = {}
    for round_no in range(args.repeat):
        for processes in (1, PROCESSES):
            with postgres_db() as url:
                if url is None:
                    raise SystemExit("PostgreSQL is needed for this benchmark")
                figures = jobapp_run(url, args.n, args.concurrency, processes)
            runs.setdefault(f"jobapp_{processes}p", []).append(figures)
            log.info("round %d jobapp, %d process(es): %s", round_no + 1, processes, figures)
            with _peer_schema() as url:
                figures = peer_run(url, args.n, args.concurrency, processes)
            runs.setdefault(f"procrastinate_{processes}p", []).append(figures)
            log.info("round %d procrastinate, %d process(es): %s", round_no + 1, processes, figures)
    best = {name: median(r) for name, r in runs.items()}
    ratios = {
        f"jobapp_over_procrastinate_{p}p": round(
            best[f"jobapp_{p}p"]["tasks_per_s"] / best[f"procrastinate_{p}p"]["tasks_per_s"], 3
        )
        for p in (1, PROCESSES)
    }
    emit(
        "pg_throughput",
        {"n": args.n, "concurrency_per_process": args.concurrency, "median_run": best, "ratios": ratios},
        [
            target("jobapp / procrastinate, one process", ratios["jobapp_over_procrastinate_1p"], ">=", 1.0, "x"),
            target(
                f"jobapp / procrastinate, {PROCESSES} processes",
                ratios[f"jobapp_over_procrastinate_{PROCESSES}p"],
                ">=",
                1.0,
                "x",
            ),
        ],
        method=(
            "enqueue N one by one, then drain with the same concurrency; N / (enqueue + drain); "
            f"median of {args.repeat} alternating runs; a fresh schema per run."
        ),
        stdev_tasks_per_s={name: round(statistics.pstdev(x["tasks_per_s"] for x in r), 1) for name, r in runs.items()},
    )


if __name__ == "__main__":
    main()
