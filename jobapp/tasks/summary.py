"""`TaskSummary`: what a list, a badge or the navigation indicator needs of a task, never its payload or result.

Every verb returns the summaries of the rows it changed (selected with `SUMMARY_COLUMNS`), and the engine's
events carry them. They stay typed inside the app; `to_json` turns one into plain JSON where it leaves for a
browser, the REST API or another process, and `from_json` reads it back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from jobapp.models import ACTIVE_STATUSES, FINISHED_STATUSES, Task

T = Task.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class TaskSummary:
    id: int
    kind: str
    status: str
    job_id: int | None
    priority: int
    attempt: int
    max_attempts: int
    crashes: int
    progress: int
    progress_label: str
    error: str | None
    cancel_requested: bool
    provider: str | None
    model: str | None
    usage: dict[str, Any] | None
    job_deleted: bool  # its job was deleted (job_id is then None): never retried
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    run_after: datetime
    # Bumped by every transition: of two summaries of one task, the higher version is the newer, whichever
    # process or channel delivered it first.
    version: int

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @classmethod
    def from_row(cls, row: Row) -> TaskSummary:
        """From a row selected with SUMMARY_COLUMNS (or RETURNING them)."""
        return cls(*row[: len(SUMMARY_COLUMNS)])

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for name in _DATES:
            if (value := out[name]) is not None:
                out[name] = value.isoformat()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskSummary:
        values = {name: data.get(name) for name in _NAMES}
        for name in _DATES:
            if isinstance(values[name], str):
                values[name] = datetime.fromisoformat(values[name])
        return cls(**values)


_NAMES = tuple(f.name for f in fields(TaskSummary))
_DATES = ("created_at", "updated_at", "started_at", "finished_at", "run_after")
SUMMARY_COLUMNS = tuple(getattr(T, name) for name in _NAMES)
