"""Launch the app's backend with two test-only task kinds that are slow to stop (not a test module):

    python -m tests.e2e.stubborn_backend run --env prod --backend-only --backend-port PORT

The kinds are added to `jobapp.work.HANDLERS` before Reflex imports the app; the workers are forked from
this process, so their runners know them (as in bench/_backend.py). The first time it runs, each kind is
the kind of handler that kept a stopping worker alive (jobapp/shutdown.py); it leaves the file named
by its payload's `ran` behind, and once that exists it completes at once, so a test can watch the task
finish after a restart. (Not by attempt: a clean stop hands a task back without spending one.)

- `ignores-cancel`: catches every cancellation and keeps waiting; after the first one its progress
  label says so, which tells a test that the stop has begun.
- `blocks-a-thread`: waits on a sleep in a thread (`asyncio.to_thread`) that nothing can stop.

With STUBBORN_SLOW set, every worker also lingers SLOW_SECONDS before it serves (touching the file
STUBBORN_MARKER first): `loading` in the app factory, before Granian gives the worker signal handlers
of its own; `starting` in its lifespan's start-up (the migration), before its server runs.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobapp import serve
from jobapp.tasks import Outcome, TaskContext

IGNORES_CANCEL = "ignores-cancel"
BLOCKS_A_THREAD = "blocks-a-thread"
CANCEL_IGNORED = "cancel ignored"
FOREVER = 600.0
SLOW_SECONDS = 3.0


def _first_run(ctx: TaskContext) -> bool:
    ran = Path(ctx.task.payload["ran"])
    if ran.exists():
        return False
    ran.touch()
    return True


async def ignores_cancel(ctx: TaskContext) -> Outcome:
    if _first_run(ctx):
        await ctx.progress(10, "waiting", stage=True)
        while True:
            try:
                await asyncio.sleep(FOREVER)
            except asyncio.CancelledError:
                await ctx.progress(20, CANCEL_IGNORED, stage=True)
    return Outcome(result={"attempt": ctx.task.attempt})


async def blocks_a_thread(ctx: TaskContext) -> Outcome:
    if _first_run(ctx):
        await ctx.progress(10, "sleeping in a thread", stage=True)
        await asyncio.to_thread(time.sleep, FOREVER)
    return Outcome(result={"attempt": ctx.task.attempt})


def register() -> None:
    from jobapp.work import HANDLERS

    HANDLERS.update({IGNORES_CANCEL: ignores_cancel, BLOCKS_A_THREAD: blocks_a_thread})


def linger(call: Callable[..., Any]) -> Callable[..., Any]:
    def slowly(*args: Any, **kwargs: Any) -> Any:
        Path(os.environ["STUBBORN_MARKER"]).touch()
        time.sleep(SLOW_SECONDS)
        return call(*args, **kwargs)

    return slowly


def slow_down() -> None:
    """Granian's worker calls the Reflex app factory (`App.__call__`, which compiles the app), then
    installs its signal handlers, then runs the lifespan (which migrates first), then serves."""
    import reflex.app

    import jobapp.lifespan

    if os.environ.get("STUBBORN_SLOW") == "loading":
        reflex.app.App.__call__ = linger(reflex.app.App.__call__)  # type: ignore[method-assign]
    elif os.environ.get("STUBBORN_SLOW") == "starting":
        jobapp.lifespan.migrate = linger(jobapp.lifespan.migrate)


if __name__ == "__main__":
    register()
    slow_down()
    serve.main()
