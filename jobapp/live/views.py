"""What the pages show of the live picture: pure functions from the picture to JSON-ready values."""

from __future__ import annotations

from typing import Any

from jobapp.live.picture import Picture
from jobapp.live.rows import task_row
from jobapp.tasks import TaskSummary
from jobapp.work import KINDS

# Active tasks listed on the activity page (running first); the count covers all. Nobody reads 200 rows,
# and every listed row is sent and re-rendered on each push.
ACTIVE_SHOWN = 50


def indicator(active: list[TaskSummary]) -> str:
    """'Building 3 items: evaluating #14 (+2 more)', or '' when nothing is queued or running."""
    if not active:
        return ""
    first = next((t for t in active if t.status == "running"), active[0])
    kind = KINDS.get(first.kind)
    verb = kind.verb if kind else first.kind
    subject = f"#{first.job_id}" if first.job_id else f"task {first.id}"
    more = f" (+{len(active) - 1} more)" if len(active) > 1 else ""
    return f"Building {len(active)} item{'s' if len(active) != 1 else ''}: {verb} {subject}{more}"


def activity_label(picture: Picture, task: TaskSummary) -> str:
    """'evaluation 40%', 'cover letter queued'."""
    kind = KINDS.get(task.kind)
    noun = kind.label if kind else task.kind
    if task.status == "running":
        tick = picture.progress_of(task)
        return f"{noun} {tick.progress if tick else task.progress}%"
    return f"{noun} {task.status}"


def job_activity(picture: Picture) -> dict[str, str]:
    """Job id (as text) → what is being built for it, e.g. "evaluation 40% · cover letter queued"."""
    labels: dict[str, list[str]] = {}
    for task in picture.active_sorted():
        if task.job_id:
            labels.setdefault(str(task.job_id), []).append(activity_label(picture, task))
    return {job_id: " · ".join(parts) for job_id, parts in labels.items()}


def task_rows(tasks: list[TaskSummary], titles: dict[int, str]) -> list[dict[str, Any]]:
    """Rows as last written: a running row's live progress goes in `ticks`, so a progress update does not
    re-send the lists."""
    return [task_row(t, None, titles.get(t.job_id or 0, "")) for t in tasks]


def ticks(picture: Picture, tasks: list[TaskSummary]) -> dict[str, list[Any]]:
    """Task id (as text) → [percent, label]: the live progress of the running ones among `tasks`."""
    out: dict[str, list[Any]] = {}
    for task in tasks:
        if task.status == "running" and (tick := picture.progress_of(task)) is not None:
            out[str(task.id)] = [tick.progress, tick.label]
    return out


def job_ids(tasks: list[TaskSummary]) -> set[int]:
    return {t.job_id for t in tasks if t.job_id}
