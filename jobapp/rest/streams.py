"""What an event stream of one task starts from, and what it is sent next: one fold of the bus per process.

`TaskStreams` subscribes to the engine's bus once (which, with several workers, carries every process's
events through the feed) and keeps, for each *running* task, its newest summary, its latest progress and the
text it has streamed so far. A stream (`watch`) takes that snapshot and registers its queue in one step on
the event loop, with no await in between: every event is either in the snapshot or in the queue, never
in neither and never in both.

Streamed text lives nowhere else but in the process running the task (it is written only when the task
completes), so what a late subscriber gets is the text this process heard since it started: all of it when
the process was up when the task started, otherwise the text from the first piece it heard on (`base`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field, replace
from typing import Any

from jobapp.tasks import EventBus, ProgressTick, TaskChanged, TaskSummary, TextStreamed


@dataclass
class TaskStream:
    """One running task as this process knows it."""

    summary: TaskSummary | None = None
    tick: ProgressTick | None = None
    base: int = 0  # the offset of `text`'s first character in the task's text
    text: str = ""
    watchers: list[asyncio.Queue[Any]] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.base + len(self.text)

    def add_text(self, start: int, piece: str) -> None:
        if self.base <= start <= self.end:
            self.text = self.text[: start - self.base] + piece
        else:  # a new attempt starting over, or a gap (pieces this process never heard)
            self.base, self.text = start, piece


class TaskStreams:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.tasks: dict[int, TaskStream] = {}
        self._folding: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start folding the bus (idempotent); the subscription is taken before this returns."""
        if self._folding is not None and not self._folding.done():
            return
        queue = self.bus.subscribe()
        self._folding = asyncio.create_task(self._fold(queue), name="jobapp-api-streams")

    async def stop(self) -> None:
        if self._folding is not None:
            self._folding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._folding
        for stream in self.tasks.values():
            for queue in stream.watchers:
                queue.put_nowait(None)  # streams still open end instead of waiting forever
        self.tasks.clear()

    async def _fold(self, queue: asyncio.Queue[Any]) -> None:
        try:
            while True:
                self.apply(await queue.get())
        finally:
            self.bus.unsubscribe(queue)

    def apply(self, event: Any) -> None:
        if isinstance(event, TaskChanged):
            self._changed(event.task, event)
        elif isinstance(event, ProgressTick | TextStreamed):
            stream = self.tasks.setdefault(event.task_id, TaskStream())
            if isinstance(event, ProgressTick):
                stream.tick = event
            else:
                stream.add_text(event.start, event.text)
            self._send(stream, event)

    def _changed(self, task: TaskSummary, event: TaskChanged) -> None:
        stream = self.tasks.get(task.id)
        if stream is None:
            if task.status != "running":
                return  # nothing to keep for a task that is not running
            stream = self.tasks[task.id] = TaskStream()
        if stream.summary is not None and stream.summary.version >= task.version:
            return  # stale or repeated (two processes, a replay)
        if task.status != "running":
            # Finished, or back in the queue: its text and progress start over with the next attempt.
            stream.tick, stream.base, stream.text = None, 0, ""
        stream.summary = task
        self._send(stream, event)
        if task.finished or (task.status != "running" and not stream.watchers):
            self.tasks.pop(task.id, None)

    @staticmethod
    def _send(stream: TaskStream, event: Any) -> None:
        for queue in stream.watchers:
            queue.put_nowait(event)

    def watch(self, task_id: int) -> tuple[TaskStream, asyncio.Queue[Any]]:
        """A copy of what is known of the task now, and the queue of every event about it from now on."""
        self.start()
        stream = self.tasks.setdefault(task_id, TaskStream())
        queue: asyncio.Queue[Any] = asyncio.Queue()
        stream.watchers.append(queue)
        return replace(stream, watchers=[]), queue

    def unwatch(self, task_id: int, queue: asyncio.Queue[Any]) -> None:
        stream = self.tasks.get(task_id)
        if stream is None:
            return
        stream.watchers = [q for q in stream.watchers if q is not queue]
        if not stream.watchers and (stream.summary is None or stream.summary.status != "running") and not stream.text:
            self.tasks.pop(task_id, None)
