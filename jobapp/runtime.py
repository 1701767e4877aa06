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
from jobapp.shutdown import end_process_after, stop_requested_before_start
from jobapp.tasks import EventBus, Runner, RunnerConfig, TaskManager
from jobapp.work import HANDLERS

logger = logging.getLogger("jobapp")

# A stopping worker waits this long for its cancelled handlers before handing their tasks back anyway,
# and ends itself this long after it began to stop, whatever is left (jobapp/shutdown.py says why).
# Together they keep a stop within the 10 s a service manager is usually given.
HANDLER_GRACE = 3.0
STOP_LIMIT = 6.0

_runner: Runner | None = None


@cache
def get_manager() -> TaskManager:
    return TaskManager(get_engine(), EventBus())


def current_runner() -> Runner | None:
    """This process's task runner while the app serves; None before start-up and once it is stopping."""
    return _runner


@contextlib.asynccontextmanager
async def engine_lifespan(app) -> AsyncIterator[None]:
    """Migrate, start the runner and the live publisher; on shutdown hand running tasks back."""
    global _runner
    from jobapp.live import LivePublisher  # Reflex-bound; kept out of the engine's import graph

    if stop_requested_before_start():
        yield  # told to stop while loading: start nothing
        return
    settings = load_settings()
    await asyncio.to_thread(migrate, settings.db_url)
    manager = get_manager()
    runner = Runner(manager, HANDLERS, RunnerConfig.from_settings(settings))
    publisher = LivePublisher(app, manager)
    publishing = asyncio.create_task(publisher.run(), name="jobapp-live-publisher")
    await runner.start()
    _runner = runner
    try:
        yield
    finally:
        # The lifespan ends only when this process is on its way out.
        end_process_after(STOP_LIMIT)
        _runner = None
        await runner.stop(grace=HANDLER_GRACE)
        publishing.cancel()
        await asyncio.gather(publishing, return_exceptions=True)
