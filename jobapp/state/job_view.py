"""The job view: one job's page data for this tab, written by the tab's follow loop (`Board.follow`)."""

from __future__ import annotations

from typing import Any

import reflex as rx


def job_id_from_path(path: str) -> int:
    """The id in /jobs/<id>; 0 when the path holds none."""
    parts = path.rstrip("/").split("/")
    return int(parts[-1]) if len(parts) >= 2 and parts[-2] == "jobs" and parts[-1].isdigit() else 0


class JobView(rx.State):
    # The job: posting, status, evaluation (see jobapp.live.rows.job_detail).
    job: dict[str, Any] = {}
    # What the person tracks on it, as the Tracking card's forms show it (see jobapp.tracking.tracking_view).
    tracking: dict[str, Any] = {}
    # Its contacts, oldest first: {"id", "name", "role", "email", "link"}.
    contacts: list[dict[str, Any]] = []
    # Its status changes, newest first: {"from_status", "to_status", "changed_at"}.
    history: list[dict[str, Any]] = []
    # Generated versions per document kind ("cv", "cover_letter", "research"), newest first.
    documents: dict[str, list[dict[str, Any]]] = {}
    # This job's recent tasks, newest first.
    tasks: list[dict[str, Any]] = []
    # Task id (as text) → text streamed so far by that running task.
    streams: dict[str, str] = {}
    # Kinds with a queued or running task: their buttons say "already queued".
    active_kinds: list[str] = []
    # This job's tasks that have ended: a notice about one of them is no longer shown.
    finished_ids: list[int] = []
    # The id of the job these fields describe (0: none yet).
    job_id: int = 0
    # True once the view holds the job; False while loading.
    loaded: bool = False
    # True when the job does not exist (deleted, or a bad link).
    missing: bool = False
