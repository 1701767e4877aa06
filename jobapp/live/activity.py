"""The activity page's filter, kept in the page's URL (`/activity?kind=…&status=…&job=…&page=…`), and
what a task's history page shows: pure functions, no Reflex, no I/O.

The URL is the filter's only home: a filter change navigates to a new URL, the page's `on_load` restarts
the tab's follow loop, and the loop reads the filter from the URL it was started for. So a reload, a link
and the browser's back button all show the same list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from jobapp.models import TaskStatus
from jobapp.tasks import TaskFilter
from jobapp.work import KINDS

PAGE_SIZE = 25
ANY = "all"  # a select's value for "no filter" (a select item's value cannot be empty)
NO_JOB = "none"  # the job filter's value for tasks without a job (board scans, tasks of deleted jobs)


@dataclass(frozen=True)
class ActivityQuery:
    kind: str = ANY  # a registered kind's name, or ANY
    status: str = ANY  # a TaskStatus value, or ANY
    job: str = ANY  # a job id, NO_JOB, or ANY
    page: int = 1  # 1-based

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> ActivityQuery:
        """The filter a URL asks for; anything unknown (a hand-edited link) counts as no filter."""
        kind = params.get("kind", ANY)
        status = params.get("status", ANY)
        job = params.get("job", ANY)
        page = params.get("page", "1")
        return cls(
            kind=kind if kind in KINDS else ANY,
            status=status if status in {s.value for s in TaskStatus} else ANY,
            job=job if job == NO_JOB or (job.isdigit() and int(job) > 0) else ANY,
            page=max(1, int(page)) if page.isdigit() else 1,
        )

    def task_filter(self) -> TaskFilter:
        return TaskFilter(
            kind=None if self.kind == ANY else self.kind,
            status=None if self.status == ANY else self.status,
            job_id=None if self.job == ANY else 0 if self.job == NO_JOB else int(self.job),
        )

    def with_(self, **changes: Any) -> ActivityQuery:
        """The same filter with `changes`; a new filter starts again at the first page."""
        if "page" not in changes:
            changes["page"] = 1
        return replace(self, **changes)

    def href(self) -> str:
        params = {name: value for name in ("kind", "status", "job") if (value := getattr(self, name)) != ANY}
        if self.page > 1:
            params["page"] = str(self.page)
        return "/activity" + (f"?{urlencode(params)}" if params else "")

    @property
    def active(self) -> bool:
        """Any filter set (the page then says how to clear it)."""
        return (self.kind, self.status, self.job) != (ANY, ANY, ANY)


def kind_choices() -> list[list[str]]:
    """[value, label] for the kind filter: every registered kind, by the name people call it."""
    return [[ANY, "All kinds"], *([name, kind.label] for name, kind in KINDS.items())]


def status_choices() -> list[list[str]]:
    return [[ANY, "Any status"], *([s.value, s.value] for s in TaskStatus)]


def job_choices(jobs: list[tuple[int, str]], query: ActivityQuery) -> list[list[str]]:
    """[value, label] for the job filter: every job (newest first), tasks without a job, and the job the
    URL names even when it is gone (its tasks remain)."""
    choices = [[ANY, "All jobs"], [NO_JOB, "No job (scans, deleted jobs)"]]
    choices += [[str(job_id), f"#{job_id} {title}"] for job_id, title in jobs]
    if query.job not in {value for value, _ in choices}:
        choices.append([query.job, f"#{query.job} (deleted)"])
    return choices


def pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


# -- a task's history -------------------------------------------------------------------------------


def _at(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _shown(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else ""


def history(task: Mapping[str, Any]) -> list[dict[str, str]]:
    """Everything that happened to a task, oldest first: queued, each stage it announced (with its attempt),
    each attempt's error, its latest start, when it waits until, and how it ended.

    Rows: {"at", "what", "detail", "tone", "error"} with tone "", "error", "done" or "wait" for the page's colours.
    """
    events: list[tuple[datetime, int, dict[str, str]]] = []

    def add(at: Any, order: int, what: str, detail: str = "", tone: str = "", error: str = "") -> None:
        if (when := _at(at)) is not None:
            row = {"at": _shown(when), "what": what, "detail": detail, "tone": tone, "error": error}
            events.append((when, order, row))

    add(task.get("created_at"), 0, "Queued")
    for stage in task.get("stages") or []:
        attempt = stage.get("attempt")
        add(stage.get("at"), 2, str(stage.get("label", "")), f"attempt {attempt}" if attempt else "")
    for error in task.get("errors") or []:
        kind = "transient, retried" if error.get("transient") else "permanent"
        worker = f" · worker {error['worker']}" if error.get("worker") else ""
        what = f"Attempt {error.get('attempt', '?')} failed"
        add(error.get("at"), 3, what, f"{kind}{worker}", "error", str(error.get("error", "")))
    status = task.get("status", "")
    if status in ("running", "completed") or (status in ("failed", "cancelled") and task.get("started_at")):
        worker = f" on worker {task['worker_id']}" if task.get("worker_id") else ""
        add(task.get("started_at"), 1, f"Started attempt {task.get('attempt', 0)}{worker}")
    if status == "queued" and (after := _at(task.get("run_after"))) and after > (_at(task.get("updated_at")) or after):
        add(after, 4, "Next try after", "backing off after a transient error", "wait")
    if status in ("completed", "failed", "cancelled"):
        ending = {"completed": "Completed", "failed": "Failed", "cancelled": "Cancelled"}[status]
        tone = {"completed": "done", "failed": "error"}.get(status, "")
        add(task.get("finished_at"), 5, ending, str(task.get("progress_label") or ""), tone)
    events.sort(key=lambda e: (e[0], e[1]))
    return [row for _, _, row in events]
