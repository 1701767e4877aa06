"""What a handler gets: its task, throttled progress reporting, live text streaming, DB access."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from jobapp.tasks.events import TaskChanged, TextStreamed
from jobapp.tasks.manager import ClaimedTask, NewTask, TaskManager

R = TypeVar("R")

# Live pushes per task at most every 0.1 s (DESIGN: ≤ 10/s); database writes of progress at most
# every second, so 200 tasks reporting progress do not turn into thousands of SQLite commits.
PUSH_INTERVAL = 0.1
PERSIST_INTERVAL = 1.0


@dataclass
class Outcome:
    """What a handler returns; the runner writes it in the completing transaction."""

    result: dict[str, Any]
    apply: Callable[[Session], None] | None = None  # domain writes (job, documents, …)
    follow_ups: list[NewTask] = field(default_factory=list)  # chained tasks
    usage: dict[str, Any] | None = None
    provider: str | None = None
    # Delete the task's job after `apply`, as TaskManager.delete_job does (its other active tasks
    # cancelled): a placeholder that turned out to be a job the pipeline already has.
    delete_job: bool = False


class TaskContext:
    def __init__(self, task: ClaimedTask, manager: TaskManager, worker_id: str) -> None:
        self.task = task
        self._manager = manager
        self._worker_id = worker_id
        self._last_push = 0.0
        self._last_persist = 0.0
        self._text = ""
        self._last_text_push = 0.0
        self._writes: set[asyncio.Task[bool]] = set()  # background progress writes in flight

    async def progress(self, percent: int, label: str, *, stage: bool = False) -> None:
        """Report progress and wait until it is recorded. A stage is always persisted and logged."""
        if persist := self._throttle(percent, label, force=stage):
            await asyncio.to_thread(persist, stage)

    def report(self, percent: int, label: str) -> None:
        """Report progress from synchronous code (e.g. a streaming callback); persisted in the background."""
        if persist := self._throttle(percent, label, force=False):
            write = asyncio.create_task(asyncio.to_thread(persist, False))
            self._writes.add(write)
            write.add_done_callback(self._writes.discard)

    def _throttle(self, percent: int, label: str, *, force: bool) -> Callable[[bool], bool] | None:
        """Push live at most every PUSH_INTERVAL; return a database write when one is due."""
        now = time.monotonic()
        percent = max(0, min(99, int(percent)))
        if force or now - self._last_persist >= PERSIST_INTERVAL:
            self._last_persist = self._last_push = now
            return lambda stage: self._manager.progress(
                self.task.id, self._worker_id, progress=percent, label=label, stage=stage
            )
        if now - self._last_push >= PUSH_INTERVAL:
            self._last_push = now
            self._manager.bus.publish(
                TaskChanged(
                    {"id": self.task.id, "job_id": self.task.job_id, "progress": percent, "progress_label": label}
                )
            )
        return None

    def stream(self, delta: str, *, flush: bool = False) -> None:
        """Append generated text; pushed live (throttled), never persisted until completion."""
        self._text += delta
        now = time.monotonic()
        if flush or now - self._last_text_push >= PUSH_INTERVAL:
            self._last_text_push = now
            self._manager.bus.publish(TextStreamed(self.task.id, self.task.job_id, self._text))

    @property
    def text(self) -> str:
        return self._text

    @property
    def engine(self) -> Engine:
        """The database this task lives in (for follow-ups that read settings)."""
        return self._manager.engine

    async def read(self, fn: Callable[[Session], R]) -> R:
        """Run a read against the database off the event loop."""

        def run() -> R:
            with Session(self._manager.engine, expire_on_commit=False) as s:
                return fn(s)

        return await asyncio.to_thread(run)


Handler = Callable[[TaskContext], Awaitable[Outcome]]
