"""A task's history page, for this tab: written by the tab's follow loop (`Board.follow`), read again from
the database whenever a task changes (its progress from the live picture in between)."""

from __future__ import annotations

from typing import Any

import reflex as rx


def task_id_from_path(path: str) -> int:
    """The id in /tasks/<id>; 0 when the path holds none."""
    parts = path.rstrip("/").split("/")
    return int(parts[-1]) if len(parts) >= 2 and parts[-2] == "tasks" and parts[-1].isdigit() else 0


class TaskView(rx.State):
    # The task as its page shows it: its list row (see jobapp.live.rows.task_row) plus worker and budget.
    task: dict[str, Any] = {}
    # What happened to it, oldest first: {"at", "what", "detail", "tone", "error"}.
    history: list[dict[str, str]] = []
    # True once the view holds the task; False while loading.
    loaded: bool = False
    # True when no such task exists (a bad link, or pruned).
    missing: bool = False
