"""The engine's events, and the in-process bus that carries them to whoever shows the work.

- `TaskChanged`: a task's summary after a committed change (published after the commit, never before).
- `ProgressTick`: a running task's progress between persisted writes (pushed live, written in batches).
- `TextStreamed`: a piece of generated text (never persisted until the task completes).

The bus fans every published object out to asyncio queues; it is thread-safe because the manager's verbs
run in worker threads. Other layers publish their own event types on the same bus (the live layer's job
changes, for instance); the cross-process feed (`jobapp.tasks.feed`) relays the bus between processes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jobapp.tasks.summary import TaskSummary


@dataclass(frozen=True, slots=True)
class TaskChanged:
    """A task after a committed change."""

    task: TaskSummary


@dataclass(frozen=True, slots=True)
class ProgressTick:
    """A running task's progress, reported faster than it is written (at most 10 a second per task)."""

    task_id: int
    job_id: int | None
    progress: int
    label: str
    # Structured progress some kinds report beside the label (JSON values only: it crosses processes), e.g.
    # discover-jobs' per-company rows. The newest tick carries the whole of it, never a delta.
    detail: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TextStreamed:
    """Generated text of a running task: `text` continues the task's text at character offset `start`."""

    task_id: int
    job_id: int | None
    start: int
    text: str


@dataclass(frozen=True)
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Any]
    local_only: bool  # only events published in this process (the feed relay, which sends them out)


@dataclass
class EventBus:
    """Fan-out of events to asyncio queues, callable from any thread."""

    _subscribers: list[_Subscriber] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def subscribe(self, *, local_only: bool = False) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        with self._lock:
            self._subscribers.append(_Subscriber(asyncio.get_running_loop(), queue, local_only))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Any]) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s.queue is not queue]

    def publish(self, event: Any) -> None:
        self.publish_many((event,))

    def publish_many(self, events: Iterable[Any], *, remote: bool = False) -> None:
        """Publish several events with one hand-over per event loop (a group commit's summaries).

        `remote`: the events happened in another process and came through the feed.
        """
        batch = list(events)
        if not batch:
            return
        with self._lock:
            subscribers = [s for s in self._subscribers if not (remote and s.local_only)]
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        # One hand-over per event loop, however many of its queues subscribe: from a worker thread each
        # hand-over wakes the loop (a write to its self-pipe), and a group commit publishes from one.
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Queue[Any]]] = {}
        for subscriber in subscribers:
            by_loop.setdefault(subscriber.loop, []).append(subscriber.queue)
        for loop, queues in by_loop.items():
            if loop is running:
                _put_all(queues, batch)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_put_all, queues, batch)


def _put_all(queues: list[asyncio.Queue[Any]], events: list[Any]) -> None:
    for queue in queues:
        for event in events:
            queue.put_nowait(event)
