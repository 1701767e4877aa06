"""The in-process event bus between the engine and whoever shows its work.

The engine publishes after each committed change (and for unpersisted progress and streamed text);
the live layer subscribes. Publishing is thread-safe because the manager's verbs run in worker threads.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TaskChanged:
    """A task's summary after a change: what lists, badges and indicators need."""

    task: dict[str, Any]


@dataclass(frozen=True)
class TextStreamed:
    """More generated text for a running task (never persisted until the task completes)."""

    task_id: int
    job_id: int | None
    text: str  # the whole text so far, so a late subscriber needs no history


@dataclass(frozen=True)
class JobChanged:
    """A job row changed (or was deleted) outside a task: re-read it once and push it."""

    job_id: int
    deleted: bool = False


@dataclass(frozen=True)
class ViewRefresh:
    """A view found its shared state empty (Reflex expires idle states): push it in full again."""


Event = TaskChanged | TextStreamed | JobChanged | ViewRefresh


@dataclass
class EventBus:
    """Fan-out of events to asyncio queues, callable from any thread."""

    _subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Text generated so far per running task, for tabs that open the page mid-stream.
    _texts: dict[int, str] = field(default_factory=dict)

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        with self._lock:
            self._subscribers.append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        with self._lock:
            self._subscribers = [(loop, q) for loop, q in self._subscribers if q is not queue]

    def publish(self, event: Event) -> None:
        if isinstance(event, TextStreamed):
            self._texts[event.task_id] = event.text
        elif isinstance(event, TaskChanged) and event.task.get("status") in ("completed", "failed", "cancelled"):
            self._texts.pop(event.task["id"], None)
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            if loop.is_closed():
                continue
            loop.call_soon_threadsafe(queue.put_nowait, event)

    def text(self, task_id: int) -> str | None:
        """The text streamed so far by a running task, if any."""
        return self._texts.get(task_id)
