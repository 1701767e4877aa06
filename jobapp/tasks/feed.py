"""The cross-process feed: every process's engine events reach every other process's event bus.

With several workers (`REFLEX_REDIS_URL`), each process runs a runner and a live layer. The feed relays
what happens in one process to the others, so every runner wakes when work is queued anywhere and every
live layer folds the same stream of changes:

- `RedisTransport` (Redis pub/sub) when Redis is configured; SQLite + Redis + several workers works too;
- `PostgresTransport` (LISTEN/NOTIFY) on PostgreSQL without Redis (e.g. separate worker processes);
- no transport for one process on its own: the bus is the whole world.

`FeedRelay` subscribes to the local bus, sends what this process published, and publishes what others
sent on the local bus (marked remote, so it is not sent back out). Events are JSON on the wire; the
event types are registered by name (`register`), so layers above the engine can send their own.

Delivery is at most once, as pub/sub is: a message sent while a listener reconnects is lost. Consumers
therefore order by task version and keep a slow safety net (the runner's poll; the live layer's
reconciliation), instead of trusting the feed to be complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any, Protocol

from jobapp.tasks.events import EventBus, ProgressTick, TaskChanged, TextStreamed
from jobapp.tasks.summary import TaskSummary

logger = logging.getLogger("jobapp.feed")

# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; batches are cut well below that.
MAX_MESSAGE = 7000

_CODECS: dict[str, tuple[type, Callable[[Any], dict[str, Any]], Callable[[dict[str, Any]], Any]]] = {}


def register(
    event_type: type,
    encode: Callable[[Any], dict[str, Any]] | None = None,
    decode: Callable[[dict[str, Any]], Any] | None = None,
) -> None:
    """Let events of `event_type` (a dataclass of JSON values, unless codecs are given) cross processes."""
    if not is_dataclass(event_type) and (encode is None or decode is None):
        raise TypeError(f"{event_type.__name__} needs an encoder and a decoder")
    names = [f.name for f in fields(event_type)] if is_dataclass(event_type) else []
    _CODECS[event_type.__name__] = (
        event_type,
        encode or (lambda event: {name: getattr(event, name) for name in names}),
        decode or (lambda data: event_type(**data)),
    )


register(TaskChanged, lambda e: e.task.to_json(), lambda d: TaskChanged(TaskSummary.from_json(d)))
register(ProgressTick)
register(TextStreamed)


def encode_events(events: list[Any]) -> list[dict[str, Any]]:
    out = []
    for event in events:
        codec = _CODECS.get(type(event).__name__)
        if codec is not None:
            out.append({"type": type(event).__name__, "data": codec[1](event)})
    return out


def decode_events(items: list[dict[str, Any]]) -> list[Any]:
    events = []
    for item in items:
        codec = _CODECS.get(item.get("type", ""))
        if codec is None:
            continue  # a newer peer's event this version does not know
        try:
            events.append(codec[2](item["data"]))
        except (KeyError, TypeError, ValueError):
            logger.warning("dropped an unreadable %s event from the feed", item.get("type"))
    return events


def _split_text(event: TextStreamed, size: int) -> list[TextStreamed]:
    """A long piece of text as consecutive pieces that each fit in a message."""
    return [
        TextStreamed(event.task_id, event.job_id, event.start + i, event.text[i : i + size])
        for i in range(0, len(event.text), size)
    ]


def messages(origin: str, events: list[Any], limit: int = MAX_MESSAGE) -> list[str]:
    """`events` as JSON messages of at most `limit` bytes each (in order)."""
    expanded: list[Any] = []
    for event in events:
        if isinstance(event, TextStreamed) and len(event.text.encode()) > limit // 2:
            expanded += _split_text(event, limit // 8)  # up to 4 bytes a character, and JSON escapes
        else:
            expanded.append(event)
    out: list[str] = []
    batch: list[dict[str, Any]] = []
    size = 0
    for item in encode_events(expanded):
        encoded = len(json.dumps(item, separators=(",", ":")).encode())
        if batch and size + encoded > limit - 100:
            out.append(json.dumps({"origin": origin, "events": batch}, separators=(",", ":")))
            batch, size = [], 0
        batch.append(item)
        size += encoded + 1
    if batch:
        out.append(json.dumps({"origin": origin, "events": batch}, separators=(",", ":")))
    return out


class Transport(Protocol):
    """A pub/sub channel shared by every process of one deployment."""

    async def send(self, message: str) -> None: ...

    async def listen(self, deliver: Callable[[str], None], on_connect: Callable[[], None]) -> None:
        """Call `deliver` with each message until cancelled; `on_connect` after every (re)connection."""
        ...

    async def close(self) -> None: ...


def channel_name(db_url: str) -> str:
    """One channel per database: two deployments sharing a Redis server do not hear each other."""
    return "jobapp-feed-" + hashlib.sha256(db_url.encode()).hexdigest()[:12]


class RedisTransport:
    def __init__(self, redis_url: str, channel: str) -> None:
        import redis.asyncio as redis  # only loaded when Redis is configured

        # Named, so `CLIENT LIST` tells an operator which connections are the feed's.
        self._redis = redis.Redis.from_url(redis_url, client_name=self.client_name(channel))
        self._channel = channel

    @staticmethod
    def client_name(channel: str) -> str:
        return channel

    async def send(self, message: str) -> None:
        await self._redis.publish(self._channel, message)

    async def listen(self, deliver: Callable[[str], None], on_connect: Callable[[], None]) -> None:
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                on_connect()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        data = message["data"]
                        deliver(data.decode() if isinstance(data, bytes) else data)
            except (TimeoutError, OSError, ConnectionError) as error:
                logger.warning("the Redis feed dropped (%s); reconnecting", error)
                await asyncio.sleep(1.0)
            except Exception as error:
                if type(error).__module__.startswith("redis"):
                    logger.warning("the Redis feed dropped (%s); reconnecting", error)
                    await asyncio.sleep(1.0)
                else:
                    raise
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def close(self) -> None:
        await self._redis.aclose()


class PostgresTransport:
    def __init__(self, conninfo: str, channel: str) -> None:
        self._conninfo = conninfo
        self._channel = channel.replace("-", "_")
        self._sender: Any = None
        self._send_lock = asyncio.Lock()

    async def send(self, message: str) -> None:
        import psycopg

        async with self._send_lock:
            if self._sender is None or self._sender.closed:
                self._sender = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            await self._sender.execute("SELECT pg_notify(%s, %s)", (self._channel, message))

    async def listen(self, deliver: Callable[[str], None], on_connect: Callable[[], None]) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
                    await conn.execute(f'LISTEN "{self._channel}"')
                    on_connect()
                    async for notify in conn.notifies():
                        deliver(notify.payload)
            except psycopg.OperationalError as error:
                logger.warning("the PostgreSQL feed dropped (%s); reconnecting", error)
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._sender is not None:
            await self._sender.close()


class FeedRelay:
    """Joins this process's bus to the deployment's feed."""

    def __init__(self, bus: EventBus, transport: Transport, *, on_reconnect: Callable[[], None] | None = None) -> None:
        self.bus = bus
        self.transport = transport
        self.origin = uuid.uuid4().hex  # this process, so its own messages are not published twice
        self.on_reconnect = on_reconnect
        self._tasks: list[asyncio.Task[None]] = []
        self._connected = asyncio.Event()
        self._outgoing: asyncio.Queue[Any] | None = None
        self._sending = False

    async def start(self) -> None:
        self._outgoing = outgoing = self.bus.subscribe(local_only=True)
        self._tasks = [
            asyncio.create_task(self._send_loop(outgoing), name="jobapp-feed-send"),
            asyncio.create_task(self.transport.listen(self._deliver, self._on_connect), name="jobapp-feed-listen"),
        ]
        # Wait (briefly) for the subscription, so what this process sends next is heard by the others.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), timeout=5)

    async def stop(self, drain_seconds: float = 2.0) -> None:
        """Send what is still waiting (a shutdown's hand-back, say), then leave the feed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_seconds
        while (self._sending or (self._outgoing is not None and not self._outgoing.empty())) and (
            loop.time() < deadline
        ):
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.transport.close()

    def _on_connect(self) -> None:
        first = not self._connected.is_set()
        self._connected.set()
        if not first and self.on_reconnect is not None:
            self.on_reconnect()  # messages may have been missed while disconnected

    def _deliver(self, message: str) -> None:
        try:
            decoded = json.loads(message)
        except json.JSONDecodeError:
            logger.warning("dropped a message from the feed that is not JSON")
            return
        if decoded.get("origin") == self.origin:
            return
        self.bus.publish_many(decode_events(decoded.get("events") or []), remote=True)

    async def _send_loop(self, outgoing: asyncio.Queue[Any]) -> None:
        try:
            while True:
                events = [await outgoing.get()]
                # Whatever was published meanwhile goes in the same message: a group commit's
                # summaries, the ticks of every running task.
                while not outgoing.empty():
                    events.append(outgoing.get_nowait())
                self._sending = True
                for message in messages(self.origin, events):
                    try:
                        await self.transport.send(message)
                    except Exception as error:
                        logger.warning("could not send %d event(s) to the feed: %s", len(events), error)
                self._sending = False
        finally:
            self.bus.unsubscribe(outgoing)
