"""Failed-login counting per client address, on the `limits` library's moving window.

With one backend process the counts live in its memory; with several (REFLEX_REDIS_URL set) they live
in Redis, so a guesser cannot spread attempts over the workers.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

_SCOPE = "login-failures"


def storage_for(redis_url: str, prefix: str = "jobapp:auth:limits") -> Storage:
    """Redis storage for a `redis://` / `rediss://` URL, process memory for an empty one."""
    if not redis_url:
        return MemoryStorage()
    # `limits` names its async Redis schemes `async+redis` / `async+rediss`; redis-py does the talking.
    return RedisStorage(f"async+{redis_url}", implementation="redispy", key_prefix=prefix)


class LoginLimiter:
    """`rate` in `limits` notation, e.g. "5/minute": that many failures per address, then a wait."""

    def __init__(self, rate: str, storage: Storage) -> None:
        try:
            self._limit = parse(rate)
        except ValueError as exc:
            raise ValueError(f"JOBAPP_LOGIN_RATE: {rate!r} is not a rate like '5/minute'.") from exc
        self._limiter = MovingWindowRateLimiter(storage)

    async def retry_after(self, client: str) -> int | None:
        """Seconds this address must wait before it may try again, or None when it may try now."""
        if await self._limiter.test(self._limit, _SCOPE, client):
            return None
        stats = await self._limiter.get_window_stats(self._limit, _SCOPE, client)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def failed(self, client: str) -> None:
        await self._limiter.hit(self._limit, _SCOPE, client)
