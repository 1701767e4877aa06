"""The live picture: one process's fold of every task event of the deployment.

Plain data and a pure `apply` (no Reflex, no I/O), so it is tested on its own. Events may arrive late,
twice or out of order (two processes publish; pub/sub may drop and a reconciliation replays), so a task
summary is applied only when its version is newer than the one already known.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from jobapp.live.events import BoardsChanged, JobChanged
from jobapp.tasks import ProgressTick, TaskChanged, TaskSummary, TextStreamed

RECENT_LIMIT = 30
# Versions remembered for tasks that left the picture, so a late, older event cannot bring one back.
VERSIONS_KEPT = 5000


@dataclass
class StreamText:
    """The text a running task has produced so far, as far as this process heard it."""

    text: str = ""
    joined_late: bool = False  # the first pieces were produced before this process listened


@dataclass
class Change:
    """What one event changed, for the tabs that follow it."""

    job_id: int | None = None
    task: TaskSummary | None = None  # a task's new summary
    tick: bool = False  # unwritten progress
    text: bool = False  # streamed text
    job_row: bool = False  # the job's row may differ now (a person changed it, or a task wrote it)
    deleted: bool = False  # the job is gone
    boards: bool = False  # the followed boards or discovery settings changed


@dataclass
class Picture:
    active: dict[int, TaskSummary] = field(default_factory=dict)  # queued and running
    recent: deque[TaskSummary] = field(default_factory=lambda: deque(maxlen=RECENT_LIMIT))  # newest first
    ticks: dict[int, ProgressTick] = field(default_factory=dict)  # running tasks' unwritten progress
    texts: dict[int, StreamText] = field(default_factory=dict)  # running tasks' text
    _versions: OrderedDict[int, int] = field(default_factory=OrderedDict)

    def load(self, active: list[TaskSummary], recent: list[TaskSummary]) -> None:
        """The starting point, read from the database (newest first)."""
        for task in [*recent, *active]:
            self._fold(task)

    def apply(self, event: Any) -> Change | None:
        if isinstance(event, TaskChanged):
            return self._fold(event.task)
        if isinstance(event, ProgressTick):
            running = self.active.get(event.task_id)
            if running is None or running.status != "running":
                return None  # a tick from before a transition already seen
            self.ticks[event.task_id] = event
            return Change(job_id=running.job_id, tick=True)
        if isinstance(event, TextStreamed):
            if (running := self.active.get(event.task_id)) is None:
                return None
            stream = self.texts.setdefault(event.task_id, StreamText(joined_late=event.start > 0))
            if event.start <= len(stream.text):
                stream.text = stream.text[: event.start] + event.text
            else:  # a gap: pieces were lost; show what follows, marked
                stream.text, stream.joined_late = event.text, True
            return Change(job_id=running.job_id, text=True)
        if isinstance(event, JobChanged):
            return Change(job_id=event.job_id, job_row=True, deleted=event.deleted)
        if isinstance(event, BoardsChanged):
            return Change(boards=True)
        return None

    def _fold(self, task: TaskSummary) -> Change | None:
        known = self._versions.get(task.id)
        if known is not None and known >= task.version:
            return None  # stale or repeated
        self._versions[task.id] = task.version
        self._versions.move_to_end(task.id)
        while len(self._versions) > VERSIONS_KEPT:
            self._versions.popitem(last=False)
        if task.active:
            self.active[task.id] = task
            if task.status != "running":
                self.ticks.pop(task.id, None)
        else:
            self.active.pop(task.id, None)
            self.ticks.pop(task.id, None)
            self.texts.pop(task.id, None)
            kept = [t for t in self.recent if t.id != task.id] + [task]
            kept.sort(key=lambda t: (t.finished_at or t.updated_at, t.id), reverse=True)
            self.recent.clear()
            self.recent.extend(kept[: self.recent.maxlen])
        # A completed task wrote its results into its job (fit score, title, documents…).
        return Change(job_id=task.job_id, task=task, job_row=task.status == "completed")

    def progress_of(self, task: TaskSummary) -> ProgressTick | None:
        return self.ticks.get(task.id)

    def active_sorted(self) -> list[TaskSummary]:
        """Running first, then queued; each in the order it was queued."""
        return sorted(self.active.values(), key=lambda t: (t.status != "running", t.priority, t.id))
