"""Enqueue latency: p50/p95/p99 of `TaskManager.enqueue` on SQLite and PostgreSQL.

Two scenarios per database, each on a freshly migrated database (PostgreSQL: a schema of our own):

- idle: enqueue one task after another from one thread, nothing else running (the headline figure);
- busy: enqueues made the way the app makes them (`asyncio.to_thread` from the event loop), 50 a second,
  while a `Runner` with the default config drains them with a no-op handler in the same process, so every
  enqueue competes with claims and completions for the database. 50/s is below what the runner drains, so
  the queue stays short: this measures contention, not a growing backlog.

Every task carries a distinct dedupe key (as clicks do), so each enqueue also maintains the partial
unique index. Only the `enqueue` call itself is timed.

    PYTHONPATH=. .venv/bin/python bench/enqueue_latency.py [--n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any

from bench._common import emit, latency_ms, log, postgres_db, scratch_dir, setup_logging, sqlite_db, target

KIND = "bench-noop"
WARMUP = 50


def _new(i: int, scenario: str):
    from jobapp.tasks import NewTask

    return NewTask(KIND, dedupe_key=f"{KIND}:{scenario}:{i}")


def idle(url: str, n: int) -> list[float]:
    from jobapp.db import make_engine
    from jobapp.tasks import TaskManager

    engine = make_engine(url)
    manager = TaskManager(engine)
    for i in range(WARMUP):
        manager.enqueue(_new(i, "warmup"))
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        manager.enqueue(_new(i, "idle"))
        samples.append(time.perf_counter() - t0)
    engine.dispose()
    return samples


def busy(url: str, n: int, interval: float = 0.02) -> tuple[list[float], dict[str, Any]]:
    from jobapp.db import make_engine
    from jobapp.tasks import Outcome, Runner, RunnerConfig, TaskManager

    async def noop(ctx) -> Outcome:
        return Outcome(result={})

    def timed(i: int) -> float:
        t0 = time.perf_counter()
        manager.enqueue(_new(i, "busy"))
        return time.perf_counter() - t0

    async def main() -> tuple[list[float], dict[str, Any]]:
        runner = Runner(manager, {KIND: noop}, RunnerConfig())
        await runner.start()
        for i in range(WARMUP):
            await asyncio.to_thread(manager.enqueue, _new(i, "warmup"))
        pending = []
        start = time.perf_counter()
        for i in range(n):
            pending.append(asyncio.create_task(asyncio.to_thread(timed, i)))
            # Pace the clicks so the runner keeps working alongside instead of the queue only growing.
            await asyncio.sleep(max(0.0, start + (i + 1) * interval - time.perf_counter()))
        samples = list(await asyncio.gather(*pending))
        elapsed = time.perf_counter() - start
        await runner.stop()
        done = len(manager.summaries(statuses=("completed",), limit=n + WARMUP))
        return samples, {
            "offered_per_s": round(1 / interval),
            "achieved_per_s": round(n / elapsed, 1),
            "completed": done,
        }

    engine = make_engine(url)
    manager = TaskManager(engine)
    try:
        return asyncio.run(main())
    finally:
        engine.dispose()


@contextlib.contextmanager
def fresh_sqlite() -> Iterator[str]:
    with scratch_dir("enqueue") as directory, sqlite_db(directory) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="idle samples; the busy scenario takes n/2")
    args = parser.parse_args()
    setup_logging()
    figures: dict[str, Any] = {"n": args.n}
    for database, fresh in (("sqlite", fresh_sqlite), ("postgresql", postgres_db)):
        figures[database] = {}
        # Each scenario on a fresh database: the busy runner must not inherit the idle run's queue.
        for scenario in ("idle", "busy"):
            with fresh() as url:
                if url is None:
                    figures[database] = None
                    break
                if scenario == "idle":
                    result = latency_ms(idle(url, args.n))
                else:
                    samples, info = busy(url, max(args.n // 2, 1))
                    result = latency_ms(samples) | info
            figures[database][scenario] = result
            log.info("%s %s: %s", database, scenario, result)
    emit(
        "enqueue_latency",
        figures,
        [
            target("enqueue p99 on SQLite, idle (ms)", figures["sqlite"]["idle"]["p99_ms"], "<=", 5.0, " ms"),
            target("enqueue p99 on SQLite, runner busy (ms)", figures["sqlite"]["busy"]["p99_ms"], "<=", 5.0, " ms"),
        ],
        method="time.perf_counter around TaskManager.enqueue; distinct dedupe key per task; see module docstring.",
    )


if __name__ == "__main__":
    main()
