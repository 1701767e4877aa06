"""The process-wide engine objects and the lifespan that starts and stops them.

Every backend worker process runs its own runner and publisher (Reflex runs lifespan tasks per process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from functools import cache

from jobapp.db import get_engine, migrate
from jobapp.settings import load_settings
from jobapp.tasks import EventBus, Runner, RunnerConfig, TaskManager
from jobapp.work import HANDLERS

logger = logging.getLogger("jobapp")


@cache
def get_manager() -> TaskManager:
    return TaskManager(get_engine(), EventBus())


@contextlib.asynccontextmanager
async def engine_lifespan(app) -> AsyncIterator[None]:
    """Migrate, start the runner and the live publisher; on shutdown hand running tasks back."""
    from jobapp.live import LivePublisher  # Reflex-bound; kept out of the engine's import graph

    settings = load_settings()
    await asyncio.to_thread(migrate, settings.db_url)
    manager = get_manager()
    runner = Runner(manager, HANDLERS, RunnerConfig.from_settings(settings))
    publisher = LivePublisher(app, manager)
    publishing = asyncio.create_task(publisher.run(), name="jobapp-live-publisher")
    await runner.start()
    try:
        yield
    finally:
        await runner.stop()
        publishing.cancel()
        await asyncio.gather(publishing, return_exceptions=True)
