"""Renews the leases of this runner's tasks and relays cancel requests that reached no event."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from jobapp.tasks._loop import PeriodicLoop
from jobapp.tasks.manager import HeartbeatResult, TaskManager


class Heartbeat(PeriodicLoop):
    name = "heartbeat"

    def __init__(
        self,
        manager: TaskManager,
        worker_id: str,
        *,
        lease_seconds: float,
        on_beat: Callable[[float, HeartbeatResult], None],
    ) -> None:
        # Three beats per lease: one missed beat never costs a task its lease.
        super().__init__(lease_seconds / 3)
        self.manager = manager
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        # Told when the beat started (event-loop time) and what this worker still holds: the runner stops
        # the tasks someone cancelled and those rescued elsewhere.
        self.on_beat = on_beat

    async def tick(self) -> None:
        started = asyncio.get_running_loop().time()
        beat = await asyncio.to_thread(self.manager.heartbeat, self.worker_id, lease_seconds=self.lease_seconds)
        self.on_beat(started, beat)
