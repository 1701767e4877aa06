"""Errors a handler raises to steer the engine, and the domain exception of dedupe."""

from __future__ import annotations

import asyncio


class TransientError(Exception):
    """Worth another try later: a timeout, a 429, a 5xx, a dropped connection."""


class PermanentError(Exception):
    """Another try would fail the same way: bad input, bad credentials, unknown model."""


class JobGone(Exception):
    """The task's job was deleted while the task waited or ran; the task ends quietly."""


class AlreadyEnqueued(Exception):
    """An active task already holds this dedupe key (raised by manual retry)."""

    def __init__(self, task_id: int) -> None:
        super().__init__(f"task #{task_id} is already queued or running")
        self.task_id = task_id


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


def describe(error: BaseException) -> str:
    """A one-line message a person can read."""
    text = str(error).strip()
    if isinstance(error, TransientError | PermanentError):
        return text or type(error).__name__
    if isinstance(error, TimeoutError | asyncio.TimeoutError) and not text:
        return "Timed out"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
