"""Session cookies: a signed, timestamped value (itsdangerous) naming a session the server still holds.

The signature makes the cookie tamper-proof and carries its age, so an expired cookie is refused without
asking anyone. The session id must also still be in the store: logging out removes it, so a copied
cookie dies with the logout. The store is process memory with one backend process, Redis with several
(the same Redis Reflex uses); a restart with the memory store logs everyone out, which fails closed.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from redis.asyncio import Redis

COOKIE_NAME = "jobapp_session"
Clock = Callable[[], float]


@dataclass(frozen=True)
class Session:
    id: str
    username: str
    # Epoch seconds after which the cookie is refused and an open socket is closed.
    expires_at: float


class SessionSigner:
    """Issues and reads session cookie values; `clock` is injectable so tests can move time."""

    def __init__(self, secret_key: str, lifetime_seconds: float, clock: Clock = time.time) -> None:
        self.lifetime = lifetime_seconds
        self.clock = clock

        class _Signer(TimestampSigner):
            # itsdangerous stamps and checks ages with get_timestamp(); both follow our clock.
            def get_timestamp(self) -> int:
                return int(clock())

        self._serializer = URLSafeTimedSerializer(secret_key, salt="jobapp.session", signer=_Signer)

    def issue(self, username: str) -> tuple[str, Session]:
        session_id = secrets.token_urlsafe(32)
        value = self._serializer.dumps({"sid": session_id, "user": username})
        return value, Session(session_id, username, int(self.clock()) + self.lifetime)

    def read(self, value: str) -> Session | None:
        """The session a cookie names, or None when it is forged, altered, malformed or expired."""
        try:
            payload, signed_at = self._serializer.loads(value, max_age=self.lifetime, return_timestamp=True)
        except BadSignature:  # also SignatureExpired and BadPayload
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("sid"), str):
            return None
        return Session(payload["sid"], str(payload.get("user", "")), signed_at.timestamp() + self.lifetime)


class SessionStore(Protocol):
    """The sessions the server still honours (by id)."""

    async def add(self, session: Session) -> None: ...

    async def alive(self, session: Session) -> bool: ...

    async def end(self, session: Session) -> None: ...


class MemorySessionStore:
    """One backend process: a dict of session id → expiry, pruned as sessions are added."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._expiry: dict[str, float] = {}
        self._clock = clock

    async def add(self, session: Session) -> None:
        now = self._clock()
        self._expiry = {sid: until for sid, until in self._expiry.items() if until > now}
        self._expiry[session.id] = session.expires_at

    async def alive(self, session: Session) -> bool:
        return self._expiry.get(session.id, 0.0) > self._clock()

    async def end(self, session: Session) -> None:
        self._expiry.pop(session.id, None)


class RedisSessionStore:
    """Several backend workers: one key per session, expiring with it, shared through Redis."""

    def __init__(self, redis: Redis, prefix: str = "jobapp:auth", clock: Clock = time.time) -> None:
        self._redis = redis
        self._prefix = prefix
        self._clock = clock

    def _key(self, session: Session) -> str:
        return f"{self._prefix}:session:{session.id}"

    async def add(self, session: Session) -> None:
        ttl_ms = max(1, int((session.expires_at - self._clock()) * 1000))
        await self._redis.set(self._key(session), session.username, px=ttl_ms)

    async def alive(self, session: Session) -> bool:
        return bool(await self._redis.exists(self._key(session)))

    async def end(self, session: Session) -> None:
        await self._redis.delete(self._key(session))
