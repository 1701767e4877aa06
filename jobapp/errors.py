"""The error vocabulary every layer shares: what a task's work raises to steer the engine.

A leaf module (it imports nothing of the app), so the libraries that raise these errors (`llm`, `intake`)
do not load the task engine.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# A server asking for more than this is not honoured to the letter: the task would look dead for hours.
MAX_RETRY_AFTER = 3600.0


class TransientError(Exception):
    """Worth another try later: a timeout, a 429, a 5xx, a dropped connection.

    `retry_after` carries a server's own answer to "when?" (a `Retry-After` header), in seconds.
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Another try would fail the same way: bad input, bad credentials, unknown model."""


class JobGone(Exception):
    """The task's job was deleted while the task waited or ran; the task ends quietly."""

    def __init__(self, job_id: int | None) -> None:
        super().__init__(f"job #{job_id} was deleted")
        self.job_id = job_id


def is_transient(error: BaseException) -> bool:
    """Classify an exception: transient ones are retried with backoff, the rest fail at once."""
    if isinstance(error, TransientError | TimeoutError | asyncio.TimeoutError | ConnectionError):
        return True
    # httpx and the official SDKs are optional at this layer: classify by their status codes.
    status = getattr(error, "status_code", None)
    if status is None:
        status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(status, int):
        return status == 429 or status >= 500
    name = type(error).__name__
    return name in {"ConnectError", "ReadTimeout", "ConnectTimeout", "APIConnectionError", "APITimeoutError"}


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def retry_after(error: BaseException) -> float | None:
    """How long the failing server asked us to wait, if it said (on the error or its HTTP response)."""
    if isinstance(error, TransientError) and error.retry_after is not None:
        return error.retry_after
    headers = getattr(getattr(error, "response", None), "headers", None)
    return parse_retry_after(headers.get("retry-after")) if headers is not None else None


def describe(error: BaseException) -> str:
    """A one-line message a person can read."""
    text = str(error).strip()
    if isinstance(error, TransientError | PermanentError):
        return text or type(error).__name__
    if isinstance(error, TimeoutError | asyncio.TimeoutError) and not text:
        return "Timed out"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
