"""Re-queues (or fails) running tasks whose lease expired because their process died, and forgets the
workers that stopped beating."""

from __future__ import annotations

import asyncio
import logging

from jobapp.tasks._loop import PeriodicLoop
from jobapp.tasks.manager import TaskManager

logger = logging.getLogger("jobapp.tasks")


class Rescuer(PeriodicLoop):
    name = "rescuer"

    def __init__(self, manager: TaskManager, *, lease_seconds: float) -> None:
        # Checking twice per lease bounds how long an orphan waits at about 1.5 leases.
        super().__init__(lease_seconds / 2)
        self.manager = manager
        self.lease_seconds = lease_seconds

    async def tick(self) -> None:
        if rescued := await asyncio.to_thread(self.manager.rescue, lease_seconds=self.lease_seconds):
            logger.info("rescued %d task(s) whose worker stopped responding", rescued)
