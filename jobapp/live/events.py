"""Events about the app's own rows, published on the engine's bus beside the task events.

A job changed by a person (added, moved along the pipeline, edited, deleted) is announced here, so every
open tab — on every worker, through the feed — re-reads that one job.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobapp.tasks import feed


@dataclass(frozen=True, slots=True)
class JobChanged:
    """A job row changed (or was deleted) outside a task."""

    job_id: int
    deleted: bool = False


feed.register(JobChanged)


@dataclass(frozen=True, slots=True)
class BoardsChanged:
    """The followed boards, the discovery defaults or the schedule changed (a person edited them)."""


feed.register(BoardsChanged)
