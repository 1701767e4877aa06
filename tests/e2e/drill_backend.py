"""Launch the app's backend with a drill task kind: `python -m drill_backend run --env prod --backend-only …`.

`fault-drill` (test-only) works on one job for a moment (`JOBAPP_DRILL_SECONDS`, default 0.3), reporting
progress, then writes one `Document` (kind "drill") for its job in the completing transaction. A task whose
results were written twice would leave two documents on its job: the drill counts them.

The kind is added to `jobapp.work.HANDLERS` before Reflex imports the app, so the worker's runner (built
from that dict in the app's lifespan) knows it. Nothing under jobapp/ changes.
"""

from __future__ import annotations

import asyncio
import os

from sqlmodel import Session

from jobapp import serve
from jobapp.models import Document, Job
from jobapp.tasks import JobGone, Outcome, TaskContext

DRILL_KIND = "fault-drill"


async def drill(ctx: TaskContext) -> Outcome:
    seconds = float(os.environ.get("JOBAPP_DRILL_SECONDS", "0.3"))
    for step in range(1, 4):
        await ctx.progress(step * 25, f"Drilling, step {step}")
        await asyncio.sleep(seconds / 3)
    job_id, task_id, pid = ctx.task.job_id, ctx.task.id, os.getpid()

    def apply(s: Session) -> None:
        if s.get(Job, job_id) is None:
            raise JobGone(job_id)
        s.add(Document(job_id=job_id, kind="drill", content=f"task {task_id} by {pid}", task_id=task_id))  # type: ignore[arg-type]

    return Outcome(result={"pid": pid}, apply=apply)


def register() -> None:
    from jobapp.work import HANDLERS

    HANDLERS[DRILL_KIND] = drill


if __name__ == "__main__":
    register()
    serve.main()
