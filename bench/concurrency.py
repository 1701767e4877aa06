"""Concurrency efficiency: 200 tasks awaiting 0.5 s each (a simulated LLM call) under a cap of 16.

The ideal wall time is 200 / 16 x 0.5 s = 6.25 s; efficiency = ideal / measured. The tasks are enqueued
first, then a `Runner` with `RunnerConfig(concurrency=16)` (other settings default) drains them; the clock
runs from the runner's start to the last completion announced on the event bus. Measured on SQLite
(the target) and on PostgreSQL. The peak number of handlers running at once is recorded too.

    PYTHONPATH=. .venv/bin/python bench/concurrency.py [--tasks 200] [--cap 16] [--sleep 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from bench._common import emit, log, postgres_db, scratch_dir, setup_logging, sqlite_db, target

KIND = "bench-llm-call"


def measure(url: str, tasks: int, cap: int, sleep: float) -> dict[str, Any]:
    from jobapp.db import make_engine
    from jobapp.tasks import Limits, NewTask, Outcome, Runner, RunnerConfig, TaskChanged, TaskManager

    running = 0
    peak = 0

    async def llm_call(ctx) -> Outcome:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            await asyncio.sleep(sleep)
        finally:
            running -= 1
        return Outcome(result={})

    async def main() -> dict[str, Any]:
        engine = make_engine(url)
        manager = TaskManager(engine, limits=Limits(concurrency=cap))
        events = manager.bus.subscribe()
        for _ in range(tasks):
            manager.enqueue(NewTask(KIND))
        runner = Runner(manager, {KIND: llm_call}, RunnerConfig(concurrency=cap))
        t0 = time.perf_counter()
        await runner.start()
        completed = 0
        first_done = None
        while completed < tasks:
            event = await events.get()
            if isinstance(event, TaskChanged) and event.task.status == "completed":
                completed += 1
                first_done = first_done or time.perf_counter() - t0
        wall = time.perf_counter() - t0
        await runner.stop()
        engine.dispose()
        ideal = tasks / cap * sleep
        return {
            "wall_s": round(wall, 3),
            "ideal_s": ideal,
            "efficiency": round(ideal / wall, 3),
            "overhead_per_wave_ms": round(1000 * (wall - ideal) / (tasks / cap), 1),
            "first_completion_s": round(first_done or 0, 3),
            "peak_running": peak,
        }

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--cap", type=int, default=16)
    parser.add_argument("--sleep", type=float, default=0.5)
    args = parser.parse_args()
    setup_logging()
    figures: dict[str, Any] = {"tasks": args.tasks, "cap": args.cap, "handler_sleep_s": args.sleep}
    with scratch_dir("concurrency") as directory, sqlite_db(directory) as url:
        figures["sqlite"] = measure(url, args.tasks, args.cap, args.sleep)
        log.info("SQLite: %s", figures["sqlite"])
    with postgres_db() as url:
        figures["postgresql"] = measure(url, args.tasks, args.cap, args.sleep) if url else None
        log.info("PostgreSQL: %s", figures["postgresql"])
    emit(
        "concurrency",
        figures,
        [target("efficiency on SQLite (ideal / wall)", figures["sqlite"]["efficiency"], ">=", 0.95)],
        method="enqueue all, start a Runner(concurrency=cap), clock from runner start to last completion.",
    )


if __name__ == "__main__":
    main()
