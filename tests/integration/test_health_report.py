"""The health report (jobapp/health.py) against a real database, a real runner and a real Redis."""

from __future__ import annotations

import asyncio
import socket

from jobapp import health
from jobapp.tasks import NewTask, Outcome, Runner, RunnerConfig, TaskContext, TaskManager


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_health_follows_the_runner_redis_and_the_queue(engine, redis_url):
    manager = TaskManager(engine)
    release = asyncio.Event()

    async def wait(ctx: TaskContext) -> Outcome:
        await release.wait()
        return Outcome(result={})

    runner = Runner(manager, {"wait": wait}, RunnerConfig(concurrency=1, poll_seconds=0.05), worker_id="w-1")
    for n in range(2):
        manager.enqueue(NewTask("wait", payload={"n": n}))
    await runner.start()
    try:
        while not runner.running_ids:
            await asyncio.sleep(0.02)

        healthy, report = await health.check(engine, runner, redis_url)
        assert healthy
        assert report == {
            "status": "ok",
            "database": "ok",
            "redis": "ok",
            "runner": "fetching",
            "worker": {"id": "w-1", "pid": report["worker"]["pid"], "running": 1},
            "queue": {"queued": 1, "running": 1},
        }

        healthy, report = await health.check(engine, runner, None)
        assert healthy and report["redis"] == "not configured"

        unreachable = f"redis://:a-password@127.0.0.1:{closed_port()}/0"
        healthy, report = await health.check(engine, runner, unreachable)
        assert not healthy
        assert (report["status"], report["redis"]) == ("unhealthy", "unreachable (ConnectionError)")
        assert "a-password" not in str(report)
    finally:
        release.set()
        await runner.stop()

    healthy, report = await health.check(engine, runner, None)
    assert not healthy and report["runner"] == "stopped"
    healthy, report = await health.check(engine, None, None)
    assert not healthy and (report["runner"], report["worker"]["id"]) == ("stopped", None)
