"""The app's lifespan in each backend worker process: migrate, join the deployment's feed, fold it into
the live hub, and run tasks; on shutdown, hand running tasks back to the queue.

Which feed (see `jobapp.tasks.feed`): Redis pub/sub when `REFLEX_REDIS_URL` is set (Reflex's own way to
run several workers), PostgreSQL LISTEN/NOTIFY on PostgreSQL without Redis, none for one process on
SQLite. `JOBAPP_FEED=redis|postgres|none` overrides the choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url

from jobapp.db import migrate
from jobapp.live.hub import LiveHub
from jobapp.runtime import HANDLER_GRACE, STOP_LIMIT, get_hub, get_manager, set_runner
from jobapp.settings import Settings, load_settings
from jobapp.shutdown import end_process_after, stop_requested_before_start
from jobapp.tasks import Runner, RunnerConfig
from jobapp.tasks._scheduler import Scheduler
from jobapp.tasks.feed import FeedRelay, PostgresTransport, RedisTransport, Transport, channel_name
from jobapp.work import HANDLERS, discover

logger = logging.getLogger("jobapp")


def feed_transport(settings: Settings) -> Transport | None:
    """The transport joining this deployment's processes, or None when one process is the whole app."""
    redis_url = os.environ.get("REFLEX_REDIS_URL", "")
    choice = os.environ.get("JOBAPP_FEED", "").strip().lower()
    on_postgres = settings.db_url.startswith("postgresql")
    if not choice:
        choice = "redis" if redis_url else "postgres" if on_postgres else "none"
    channel = channel_name(settings.db_url)
    if choice == "redis":
        if not redis_url:
            raise RuntimeError("JOBAPP_FEED=redis needs REFLEX_REDIS_URL")
        return RedisTransport(redis_url, channel)
    if choice == "postgres":
        if not on_postgres:
            raise RuntimeError("JOBAPP_FEED=postgres needs REFLEX_DB_URL to point at PostgreSQL")
        conninfo = make_url(settings.db_url).set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresTransport(conninfo, channel)
    if choice != "none":
        raise RuntimeError(f"JOBAPP_FEED must be redis, postgres or none, not {choice!r}")
    return None


def runner_config(settings: Settings) -> RunnerConfig:
    return RunnerConfig(
        # A worker may run as many tasks as the whole deployment allows, unless told otherwise.
        concurrency=settings.worker_concurrency or settings.concurrency,
        lease_seconds=settings.lease_seconds,
        poll_seconds=settings.poll_seconds,
    )


@contextlib.asynccontextmanager
async def engine_lifespan(app) -> AsyncIterator[None]:
    if stop_requested_before_start():
        yield  # told to stop while it loaded the app: start nothing
        return
    settings = load_settings()
    await asyncio.to_thread(migrate, settings.db_url)
    manager = get_manager()
    hub: LiveHub = get_hub()
    folding = asyncio.create_task(hub.run(), name="jobapp-live-hub")
    transport = feed_transport(settings)
    relay = None
    if transport is not None:
        relay = FeedRelay(manager.bus, transport, on_reconnect=lambda: asyncio.create_task(hub.reconcile()))
        await relay.start()
    runner = Runner(manager, HANDLERS, runner_config(settings))
    await runner.start()
    set_runner(runner)
    # Every worker runs the scheduler; the database lets one of them enqueue each period's task.
    scheduler = Scheduler(manager, {discover.NAME: discover.scheduled_task}, interval=settings.scheduler_seconds)
    scheduler.start()
    try:
        yield
    finally:
        # The lifespan ends only when this process is on its way out: bound how long that may take
        # (jobapp/shutdown.py: what kept a stopping worker alive).
        end_process_after(STOP_LIMIT)
        set_runner(None)
        await scheduler.stop()
        await runner.stop(grace=HANDLER_GRACE)
        if relay is not None:
            await relay.stop()  # after the runner, so the hand-back reaches the other workers
        folding.cancel()
        await asyncio.gather(folding, return_exceptions=True)
