"""Deletes finished tasks past their retention (failed ones are kept longer)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from jobapp.tasks._loop import PeriodicLoop
from jobapp.tasks.manager import TaskManager

logger = logging.getLogger("jobapp.tasks")


class Pruner(PeriodicLoop):
    name = "pruner"

    def __init__(
        self, manager: TaskManager, *, keep_finished: timedelta, keep_failed: timedelta, keep_max: int
    ) -> None:
        super().__init__(interval=3600)
        self.manager = manager
        self.keep_finished = keep_finished
        self.keep_failed = keep_failed
        self.keep_max = keep_max

    async def tick(self) -> None:
        pruned = await asyncio.to_thread(
            self.manager.prune, keep_finished=self.keep_finished, keep_failed=self.keep_failed, keep_max=self.keep_max
        )
        if pruned:
            logger.info("pruned %d finished task(s)", pruned)
