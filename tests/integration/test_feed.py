"""The cross-process feed, one contract run on both transports: Redis pub/sub and PostgreSQL LISTEN/NOTIFY.

Two `FeedRelay`s stand for two processes: each has its own event bus, and what one process publishes on
its bus must reach the other's, once, in order, and never come back to the sender.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import redis.asyncio as aioredis

from jobapp.live.events import JobChanged
from jobapp.live.picture import Picture
from jobapp.tasks import EventBus, ProgressTick, TaskChanged, TaskSummary, TextStreamed
from jobapp.tasks.feed import MAX_MESSAGE, FeedRelay, PostgresTransport, RedisTransport, Transport, messages
from tests.conftest import PG_ADMIN_URL, require_service

pytestmark = pytest.mark.timeout(60)

REDIS_URL = os.environ.get("JOBAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_CONNINFO = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def summary(task_id: int, status: str = "running", version: int = 1) -> TaskSummary:
    return TaskSummary(
        id=task_id,
        kind="evaluate-job",
        status=status,
        job_id=3,
        priority=0,
        attempt=1,
        max_attempts=8,
        crashes=0,
        progress=0,
        progress_label="Starting",
        error=None,
        cancel_requested=False,
        provider=None,
        model=None,
        usage={"input_tokens": 1, "output_tokens": 2, "cost_usd": 0.0},
        job_deleted=False,
        created_at=T0,
        updated_at=T0,
        started_at=T0,
        finished_at=None,
        run_after=T0,
        version=version,
    )


@pytest.fixture
def channel() -> str:
    return f"jobapp-feed-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(params=["redis", "postgresql"])
def transports(request: pytest.FixtureRequest, channel: str) -> Callable[[], Transport]:
    """A factory of transports on one fresh channel (each relay gets its own connection)."""
    if request.param == "redis":
        require_service("Redis", "127.0.0.1", 6379)
        return lambda: RedisTransport(REDIS_URL, channel)
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return lambda: PostgresTransport(PG_CONNINFO, channel)


@pytest.fixture
async def pair(transports) -> AsyncIterator[tuple[EventBus, EventBus, list[FeedRelay]]]:
    """Two processes' buses joined by the feed."""
    buses = [EventBus(), EventBus()]
    relays = [FeedRelay(bus, transports()) for bus in buses]
    for relay in relays:
        await relay.start()
    yield buses[0], buses[1], relays
    for relay in relays:
        await relay.stop()


async def received(queue: asyncio.Queue[Any], count: int, timeout: float = 10.0) -> list[Any]:
    got: list[Any] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            got.append(await queue.get())
    return got


async def test_events_reach_the_other_process_once_in_order_and_never_echo(pair):
    here, there, _ = pair
    at_there = there.subscribe()
    at_here = here.subscribe()
    sent = [
        TaskChanged(summary(1, "queued", 1)),
        TaskChanged(summary(1, "running", 2)),
        *(ProgressTick(1, 3, pct, f"step {pct}") for pct in range(1, 60)),
        TextStreamed(1, 3, 0, "Dear hiring team, "),
        JobChanged(3),
        TaskChanged(summary(1, "completed", 3)),
    ]
    here.publish_many(sent)

    assert await received(at_there, len(sent)) == sent
    assert await received(at_here, len(sent)) == sent  # the sender's own subscribers, once
    await asyncio.sleep(0.3)
    assert at_here.empty() and at_there.empty()  # no echo, no second copy


async def test_both_directions_at_once(pair):
    here, there, _ = pair
    at_here, at_there = here.subscribe(), there.subscribe()
    here.publish(TaskChanged(summary(1)))
    there.publish(TaskChanged(summary(2)))
    assert {e.task.id for e in await received(at_here, 2)} == {1, 2}
    assert {e.task.id for e in await received(at_there, 2)} == {1, 2}


async def test_a_long_text_is_cut_to_fit_and_stitched_back(pair):
    here, there, _ = pair
    at_there = there.subscribe()
    text = "".join(f"word{i} ünïcødé " for i in range(3000))  # far above PostgreSQL's 8000-byte NOTIFY limit
    here.publish_many([TaskChanged(summary(7)), TextStreamed(7, 3, 0, text)])

    picture = Picture()
    events = await received(at_there, 1)
    while True:
        for event in events:
            picture.apply(event)
        if 7 in picture.texts and len(picture.texts[7].text) >= len(text):
            break
        events = await received(at_there, 1)
    assert picture.texts[7].text == text and not picture.texts[7].joined_late


def test_messages_stay_under_the_limit_and_keep_order():
    events = [TextStreamed(1, 1, 0, "x" * 20_000), *(ProgressTick(1, 1, i, "y" * 200) for i in range(100))]
    encoded = messages("origin", events)
    assert len(encoded) > 1
    assert all(len(m.encode()) <= MAX_MESSAGE for m in encoded)


async def test_a_dropped_listener_reconnects_and_says_so(transports, channel, request):
    """After a reconnection the relay calls `on_reconnect` (the live layer then reconciles what it
    may have missed) and events flow again."""
    reconnected = asyncio.Event()
    here, there = EventBus(), EventBus()
    sender = FeedRelay(here, transports())
    listener = FeedRelay(there, transports(), on_reconnect=reconnected.set)
    await sender.start()
    await listener.start()
    try:
        await _drop_listener_connections(request.node.callspec.params["transports"], channel)
        await asyncio.wait_for(reconnected.wait(), 15)
        at_there = there.subscribe()
        for _ in range(50):  # until the new subscription is in place
            here.publish(TaskChanged(summary(9)))
            try:
                (event,) = await received(at_there, 1, timeout=0.3)
                break
            except TimeoutError:
                continue
        else:
            pytest.fail("no event arrived after the reconnection")
        assert event.task.id == 9
    finally:
        await sender.stop()
        await listener.stop()


async def _drop_listener_connections(transport: str, channel: str) -> None:
    """Cut this test's listening connection only (other tests share the servers)."""
    if transport == "redis":
        client = aioredis.Redis.from_url(REDIS_URL)
        try:
            for info in await client.client_list(_type="pubsub"):
                if info.get("name") == RedisTransport.client_name(channel):
                    await client.client_kill_filter(_id=info["id"])
        finally:
            await client.aclose()
        return
    async with await psycopg.AsyncConnection.connect(PG_CONNINFO, autocommit=True) as conn:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s",
            (f'LISTEN "{channel.replace("-", "_")}"',),
        )
