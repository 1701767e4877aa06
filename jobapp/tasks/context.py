"""What a handler gets: its task, progress reporting, live text streaming, database reads.

Progress costs no transaction of its own: it is pushed live at most every `PUSH_INTERVAL` per task
(`ProgressTick`) and handed to the runner's progress writer, which writes the latest value of every running
task once a second. A crash loses at most that second of progress, never a result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from jobapp.models import utcnow
from jobapp.tasks.events import EventBus, ProgressTick, TextStreamed
from jobapp.tasks.manager import ClaimedTask, NewTask

R = TypeVar("R")

# Live pushes per task at most every 0.1 s (DESIGN: ≤ 10/s).
PUSH_INTERVAL = 0.1


@dataclass
class Outcome:
    """What a handler returns; the runner writes it in the completing transaction."""

    result: dict[str, Any]
    apply: Callable[[Session], None] | None = None  # domain writes (job, documents, …)
    follow_ups: list[NewTask] = field(default_factory=list)  # chained tasks
    usage: dict[str, Any] | None = None
    provider: str | None = None  # who did the work ("OpenAI", "offline drafter", …)
    model: str | None = None
    # Delete the task's job after `apply`, as TaskManager.delete_job does (its other active tasks
    # cancelled): a placeholder that turned out to be a job the pipeline already has.
    delete_job: bool = False


class ProgressSink(Protocol):
    """Where the latest progress of a running task goes to be written (the runner's progress writer)."""

    def note(self, task_id: int, progress: int, label: str, stages: Sequence[dict[str, Any]]) -> None: ...


class TaskContext:
    def __init__(self, task: ClaimedTask, engine: Engine, bus: EventBus, progress: ProgressSink) -> None:
        self.task = task
        self._engine = engine
        self._bus = bus
        self._sink = progress
        # The stage log: earlier attempts' entries, then this attempt's ("at", "label", "attempt").
        self.stages: list[dict[str, Any]] = list(task.stages)
        self._last_push = 0.0
        self._text = ""
        self._text_pushed = 0  # how much of the text browsers have been sent
        self._last_text_push = 0.0

    async def progress(self, percent: int, label: str, *, stage: bool = False) -> None:
        """Report progress; a stage also goes into the task's stage log. Never waits for the database."""
        self.report(percent, label, stage=stage)
        await asyncio.sleep(0)  # a point where a cancel request lands

    def report(self, percent: int, label: str, *, stage: bool = False, detail: dict[str, Any] | None = None) -> None:
        """Report progress from synchronous code (a streaming callback, say).

        `detail` (structured progress, see `ProgressTick.detail`) is live only, never written, and always
        pushed: callers send it when their state changes, not in tight loops.
        """
        percent = max(0, min(99, int(percent)))
        label = label[:300]
        if stage:
            self.stages.append({"at": utcnow().isoformat(), "label": label, "attempt": self.task.attempt})
        self._sink.note(self.task.id, percent, label, self.stages)
        now = time.monotonic()
        if stage or detail is not None or now - self._last_push >= PUSH_INTERVAL:
            self._last_push = now
            self._bus.publish(ProgressTick(self.task.id, self.task.job_id, percent, label, detail))

    def publish(self, event: Any) -> None:
        """Announce a change the handler made outside its task row (rows it wrote as it went) on the bus."""
        self._bus.publish(event)

    def stream(self, delta: str, *, flush: bool = False) -> None:
        """Append generated text; pushed live (throttled), never persisted until completion."""
        self._text += delta
        now = time.monotonic()
        if len(self._text) > self._text_pushed and (flush or now - self._last_text_push >= PUSH_INTERVAL):
            self._last_text_push = now
            start, self._text_pushed = self._text_pushed, len(self._text)
            self._bus.publish(TextStreamed(self.task.id, self.task.job_id, start, self._text[start:]))

    @property
    def text(self) -> str:
        return self._text

    @property
    def engine(self) -> Engine:
        """The database this task lives in."""
        return self._engine

    async def read(self, fn: Callable[[Session], R]) -> R:
        """Run a read against the database off the event loop."""

        def run() -> R:
            with Session(self._engine, expire_on_commit=False) as s:
                return fn(s)

        return await asyncio.to_thread(run)


Handler = Callable[[TaskContext], Awaitable[Outcome]]
