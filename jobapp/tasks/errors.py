"""The engine's error vocabulary: the shared errors (`jobapp.errors`) plus the domain exception of dedupe."""

from __future__ import annotations

from jobapp.errors import JobGone, PermanentError, TransientError, describe, is_transient, retry_after


class AlreadyEnqueued(Exception):
    """An active task already holds this dedupe key (raised by manual retry)."""

    def __init__(self, task_id: int) -> None:
        super().__init__(f"task #{task_id} is already queued or running")
        self.task_id = task_id


__all__ = ["AlreadyEnqueued", "JobGone", "PermanentError", "TransientError", "describe", "is_transient", "retry_after"]
