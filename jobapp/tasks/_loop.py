"""The skeleton every maintenance loop shares: an interval, start/stop, and one `tick`.

Tests call `tick()` directly instead of sleeping through intervals.
"""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger("jobapp.tasks")


class PeriodicLoop:
    name = "loop"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> None:
        raise NotImplementedError

    def start(self, *, first_after: float = 0.0) -> None:
        """Tick now and then every `interval`; or first after `first_after` seconds (work just done)."""
        self._task = asyncio.create_task(self._run(first_after), name=f"jobapp-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self, first_after: float) -> None:
        if first_after > 0:
            await asyncio.sleep(first_after)
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A database hiccup must not kill the loop: the next tick tries again.
                logger.warning("%s tick failed", self.name, exc_info=True)
            await asyncio.sleep(self.interval)
