"""Writes the latest progress of every running task of this runner, all in one transaction a second."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from jobapp.tasks._loop import PeriodicLoop
from jobapp.tasks.manager import ProgressWrite, TaskManager


class ProgressWriter(PeriodicLoop):
    name = "progress-writer"

    def __init__(self, manager: TaskManager, worker_id: str, *, interval: float = 1.0) -> None:
        super().__init__(interval)
        self.manager = manager
        self.worker_id = worker_id
        self._dirty: dict[int, ProgressWrite] = {}  # task → its latest unwritten progress

    def note(self, task_id: int, progress: int, label: str, stages: Sequence[dict[str, Any]]) -> None:
        """Keep only the newest value per task: ten reports in a second cost one row in one write."""
        self._dirty[task_id] = ProgressWrite(task_id, progress, label, tuple(stages))

    def forget(self, task_id: int) -> None:
        """The task ended: its ending wrote the final progress and stage log."""
        self._dirty.pop(task_id, None)

    async def tick(self) -> None:
        if not self._dirty:
            return
        writes, self._dirty = list(self._dirty.values()), {}
        await asyncio.to_thread(self.manager.save_progress, self.worker_id, writes)
