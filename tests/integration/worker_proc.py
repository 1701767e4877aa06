"""A runner process for the multi-process tests (not a test module).

    python worker_proc.py DB_URL WORKER_ID RECORD_FILE [--sleep S] [--lease S] [--concurrency N] [--poll S]
                          [--feed redis|postgres] [--schedule S]

Runs one `Runner` (handlers for the kinds `work` and `slow`, which do the same) until SIGTERM (a clean
shutdown) or SIGKILL. Each execution appends "task_id worker_id attempt" to RECORD_FILE with one O_APPEND
write, so lines from several processes never interleave; then the handler sleeps `--sleep` seconds,
appends "task_id worker_id attempt started finished" (epoch seconds) to RECORD_FILE.intervals, and
completes. With `--feed`, the process joins the deployment's feed as the app does (jobapp.tasks.feed).
Once the runner has started, the process creates RECORD_FILE.ready-WORKER_ID.

With `--schedule S` it also runs the app's scheduler (ticking every S seconds), as every app worker does; the
scans it queues are held in the queue (cap 0) for the test to count.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from jobapp.db import make_engine
from jobapp.tasks import Limits, Outcome, Runner, RunnerConfig, TaskContext, TaskManager
from jobapp.tasks._scheduler import Scheduler
from jobapp.tasks.feed import FeedRelay, PostgresTransport, RedisTransport, channel_name
from jobapp.work import discover


def mark_ready(path: str) -> None:
    Path(path).touch()


def record(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


async def main(args: argparse.Namespace) -> None:
    engine = make_engine(args.db_url)
    manager = TaskManager(engine, limits=Limits(kind_limits={discover.NAME: 0}))

    async def work(ctx: TaskContext) -> Outcome:
        started = time.time()
        record(args.record, f"{ctx.task.id} {args.worker_id} {ctx.task.attempt}\n")
        await asyncio.sleep(args.sleep)
        line = f"{ctx.task.id} {args.worker_id} {ctx.task.attempt} {started:.6f} {time.time():.6f}\n"
        record(f"{args.record}.intervals", line)
        return Outcome(result={"worker": args.worker_id})

    relay = None
    if args.feed:
        channel = channel_name(args.db_url)
        if args.feed == "redis":
            transport = RedisTransport(os.environ["REFLEX_REDIS_URL"], channel)
        else:
            conninfo = make_url(args.db_url).set(drivername="postgresql").render_as_string(hide_password=False)
            transport = PostgresTransport(conninfo, channel)
        relay = FeedRelay(manager.bus, transport)
        await relay.start()
    config = RunnerConfig(concurrency=args.concurrency, lease_seconds=args.lease, poll_seconds=args.poll)
    runner = Runner(manager, {"work": work, "slow": work}, config, worker_id=args.worker_id)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await runner.start()
    scheduler = Scheduler(manager, {discover.NAME: discover.scheduled_task}, interval=args.schedule or 1.0)
    if args.schedule:
        scheduler.start()
    mark_ready(f"{args.record}.ready-{args.worker_id}")
    try:
        await stop.wait()
    finally:
        await scheduler.stop()
        await runner.stop()
        if relay is not None:
            await relay.stop()
        engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("worker_id")
    parser.add_argument("record")
    parser.add_argument("--sleep", type=float, default=0.01)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--poll", type=float, default=0.05)
    parser.add_argument("--feed", choices=("redis", "postgres"))
    parser.add_argument("--schedule", type=float, default=0.0)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(main(parser.parse_args()))
