"""Deletes finished tasks past their retention (failed ones are kept longer), as Settings say now."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from jobapp.tasks._loop import PeriodicLoop
from jobapp.tasks.manager import TaskManager

logger = logging.getLogger("jobapp.tasks")


class Pruner(PeriodicLoop):
    name = "pruner"

    def __init__(self, manager: TaskManager, *, interval: float = 3600) -> None:
        super().__init__(interval)
        self.manager = manager

    async def tick(self) -> None:
        limits = await asyncio.to_thread(self.manager.limits)
        pruned = await asyncio.to_thread(
            self.manager.prune,
            keep_finished=timedelta(days=limits.keep_finished_days),
            keep_failed=timedelta(days=limits.keep_failed_days),
            keep_max=limits.keep_finished_max,
        )
        if pruned:
            logger.info("pruned %d finished task(s)", pruned)
