"""Launch the app's backend with bench-only task kinds: `python -m bench._backend run --env prod --backend-only …`.

The kinds are added to `jobapp.work.HANDLERS` before Reflex imports the app. `reflex run --env prod`
imports the app in this process and forks its Granian worker from it, so the worker's runner (built from
that same dict in the app's lifespan) knows them. Nothing under jobapp/ changes.

- `bench-progress`: runs until cancelled, reporting progress every `interval` seconds (payload, default 1 s;
  at that pace every report is a database write). Its label names the task and carries the wall-clock
  times (epoch ms) of its last few reports, newest first ("t17 tick 12 @1732360000123.456 @1732359999122.9…"),
  so a page can tell, for every write, when the DOM first showed it or a newer value, even when a slower
  page skipped some values. How long each `ctx.progress` call took (stamp to committed and published) is
  printed to the backend's log every 500 writes as a `BENCH_WRITES {json}` line.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time

from jobapp import serve
from jobapp.tasks import Outcome, TaskContext

PROGRESS_KIND = "bench-progress"
HISTORY = 4  # stamps per label: a 3 s polling gap holds at most 3 writes at one write a second
REPORT_EVERY = 500
_durations: list[float] = []


def _record(seconds: float) -> None:
    _durations.append(seconds)
    if len(_durations) >= REPORT_EVERY:
        ms = sorted(d * 1000 for d in _durations)
        line = {"at": time.time(), "n": len(ms), "p50_ms": ms[len(ms) // 2], "p95_ms": ms[int(len(ms) * 0.95)]}
        print("BENCH_WRITES", json.dumps(line), file=sys.stderr, flush=True)
        _durations.clear()


async def progress_forever(ctx: TaskContext) -> Outcome:
    interval = float(ctx.task.payload.get("interval", 1.0))
    await asyncio.sleep(random.random() * interval)  # spread the 200 tasks' reports over the second
    tick = 0
    stamps: list[str] = []
    while True:
        tick += 1
        stamps = [f"@{time.time() * 1000:.3f}", *stamps][:HISTORY]
        started = time.perf_counter()
        await ctx.progress(tick % 99 + 1, f"t{ctx.task.id} tick {tick} {' '.join(stamps)}")
        _record(time.perf_counter() - started)
        await asyncio.sleep(interval)


HANDLERS = {PROGRESS_KIND: progress_forever}


def register() -> None:
    from jobapp.work import HANDLERS as APP_HANDLERS

    APP_HANDLERS.update(HANDLERS)


if __name__ == "__main__":
    register()
    serve.main()
