"""What one backend worker says about its health (`GET /api/health`).

Healthy means: the database answers, Redis answers when it is configured, and this worker's task runner
is fetching work. The report also names the worker and what it runs, and the depth of the shared queue.
It holds no secrets: a failed check names only the kind of error, never a URL, host or message.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from jobapp.models import Task, TaskStatus
from jobapp.tasks import Runner

# A check that has not answered within this many seconds counts as failed, so the endpoint answers
# quickly even when a server is unreachable in a way that only times out.
CHECK_SECONDS = 3.0

T = Task.__table__.c  # type: ignore[attr-defined]
DEPTH_STATUSES = (TaskStatus.QUEUED, TaskStatus.RUNNING)


def _queue_depth(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        rows = s.execute(select(T.status, func.count()).where(T.status.in_(DEPTH_STATUSES)).group_by(T.status))
        counts = {TaskStatus(status).value: count for status, count in rows}
    return {status.value: counts.get(status.value, 0) for status in DEPTH_STATUSES}


async def _ping_redis(url: str) -> None:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=CHECK_SECONDS, socket_timeout=CHECK_SECONDS)
    try:
        await client.ping()
    finally:
        await client.aclose()


def _failure(error: BaseException) -> str:
    return f"unreachable ({type(error).__name__})"


async def check(engine: Engine, runner: Runner | None, redis_url: str | None) -> tuple[bool, dict[str, Any]]:
    """(healthy, report) for this process."""
    queue: dict[str, int] | None = None
    try:
        queue = await asyncio.wait_for(asyncio.to_thread(_queue_depth, engine), CHECK_SECONDS)
        database = "ok"
    except Exception as error:
        database = _failure(error)

    redis = "not configured"
    if redis_url:
        try:
            await asyncio.wait_for(_ping_redis(redis_url), CHECK_SECONDS)
            redis = "ok"
        except Exception as error:
            redis = _failure(error)

    fetching = runner is not None and runner.fetching
    healthy = database == "ok" and redis in ("ok", "not configured") and fetching
    report = {
        "status": "ok" if healthy else "unhealthy",
        "database": database,
        "redis": redis,
        "runner": "fetching" if fetching else "stopped",
        "worker": {
            "id": runner.worker_id if runner else None,
            "pid": os.getpid(),
            "running": len(runner.running_ids) if runner else 0,
        },
        "queue": queue,
    }
    return healthy, report
