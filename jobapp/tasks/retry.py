"""Retry policy: a pure decision, written to the database by `TaskManager.fail`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryDecision:
    retry: bool  # True: back to queued; False: failed for good
    run_after: datetime | None = None  # when a retry may be claimed


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 300.0, jitter: float = 0.25) -> float:
    """Exponential backoff with proportional jitter: ~2 s, 4 s, 8 s … capped at five minutes."""
    # The exponent is clamped so a huge attempt number caps instead of overflowing the float.
    delay = base * 2 ** min(max(0, attempt - 1), 64)
    # Jitter first, then the cap, so no delay ever exceeds it.
    return min(cap, delay * (1 + random.uniform(-jitter, jitter)))


def decide(
    *, attempt: int, max_attempts: int, transient: bool, now: datetime, retry_after: float | None = None
) -> RetryDecision:
    """Transient errors retry while attempts remain; everything else fails now.

    A server that said when to come back (`Retry-After`) is not asked again sooner than that.
    """
    if transient and attempt < max_attempts:
        delay = max(backoff_seconds(attempt), retry_after or 0.0)
        return RetryDecision(retry=True, run_after=now + timedelta(seconds=delay))
    return RetryDecision(retry=False)
