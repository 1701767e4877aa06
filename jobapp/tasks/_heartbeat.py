"""Renews the leases of this runner's tasks and relays cancel requests made in other processes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from jobapp.tasks._loop import PeriodicLoop

if TYPE_CHECKING:
    from jobapp.tasks.runner import Runner


class Heartbeat(PeriodicLoop):
    name = "heartbeat"

    def __init__(self, runner: Runner) -> None:
        # Three beats per lease: one missed beat never costs a task its lease.
        super().__init__(runner.config.lease_seconds / 3)
        self.runner = runner

    async def tick(self) -> None:
        runner = self.runner
        started = asyncio.get_running_loop().time()
        beat = await asyncio.to_thread(
            runner.manager.heartbeat, runner.worker_id, lease_seconds=runner.config.lease_seconds
        )
        for task_id in beat.cancel:
            runner.stop_task(task_id, lost=False)
        # A task claimed before this beat but no longer held was rescued elsewhere: stop, write nothing.
        for task_id in runner.claimed_before(started) - beat.held:
            runner.stop_task(task_id, lost=True)
