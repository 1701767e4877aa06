"""Acting on many jobs in one step: each selected job becomes an ordinary request (with the engine's usual
dedupe) or an ordinary status move (`jobapp.jobs.set_status`, the job page's own path), and the person gets
one summary: "3 queued, 1 already queued", then the batch's progress live (`batch_view`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jobapp import jobs
from jobapp.models import JobStatus, TaskStatus
from jobapp.tasks import JobGone, ProgressTick, TaskManager, TaskSummary
from jobapp.work import cv, evaluate, requests
from jobapp.work.kind import TaskKind

# The work a bulk button asks for, by name: (what the summary calls it, the kind, its options).
ACTIONS: dict[str, tuple[str, TaskKind, dict[str, str]]] = {
    "evaluate": ("Evaluation", evaluate.KIND, {}),
    # The job page's default CV settings (the first of each choice).
    "cv": ("Tailored CV", cv.KIND, {"emphasis": cv.EMPHASES[0], "length": cv.LENGTHS[0]}),
}


@dataclass
class BulkOutcome:
    queued: int = 0  # new tasks
    already: int = 0  # the same work was already queued or running
    moved: int = 0  # status moves
    missing: int = 0  # jobs deleted meanwhile
    # The tasks doing the batch's work: the new ones and those that were already queued (their progress is
    # the batch's progress).
    task_ids: list[int] = field(default_factory=list)

    def summary(self, what: str, *, moving: bool = False) -> str:
        """'Evaluation: 3 queued, 1 already queued.', 'Applied: 2 moved.', with what was skipped."""
        parts = [f"{self.moved} moved"] if moving else []
        if not moving and (self.queued or not (self.already or self.missing)):
            parts.append(f"{self.queued} queued")
        if self.already:
            parts.append(f"{self.already} already queued")
        if self.missing:
            parts.append(f"{self.missing} deleted meanwhile")
        return f"{what}: {', '.join(parts)}."


def request_many(manager: TaskManager, action: str, job_ids: Iterable[int]) -> BulkOutcome:
    """Queue `action` ("evaluate" or "cv") for every job, in one transaction; returns what happened."""
    _, kind, options = ACTIONS[action]
    outcome = BulkOutcome()
    for enqueued in requests.request_many(manager, kind, dict.fromkeys(job_ids), options):  # each job once
        if isinstance(enqueued, JobGone):
            outcome.missing += 1
            continue
        outcome.task_ids.append(enqueued.task_id)
        if enqueued.created:
            outcome.queued += 1
        else:
            outcome.already += 1
    return outcome


def move_many(manager: TaskManager, status: str, job_ids: Iterable[int]) -> BulkOutcome:
    """Move every job to `status` through `jobs.set_status` (history, announcements, Interview's brief)."""
    status = JobStatus(status)
    outcome = BulkOutcome()
    for job_id in dict.fromkeys(job_ids):
        if jobs.set_status(manager, job_id, status):
            outcome.moved += 1
        else:
            outcome.missing += 1
    return outcome


def batch_view(what: str, tasks: Mapping[int, TaskSummary | None], ticks: Mapping[int, ProgressTick]) -> dict[str, Any]:
    """How far a batch has got, for the pipeline page: `tasks` maps each of its task ids to the task's latest
    summary (None: the task is gone, its job deleted), `ticks` the running ones' unwritten progress.

    {"what", "total", "done", "failed", "running", "queued", "percent", "finished", "text"}; "failed" counts
    tasks that failed, were cancelled or are gone.
    """
    counts = dict.fromkeys(("done", "failed", "running", "queued"), 0)
    worked = 0.0  # finished tasks count whole, running ones by their progress
    for task_id, task in tasks.items():
        if task is None or task.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
            counts["failed"] += 1
            worked += 1
        elif task.status == TaskStatus.COMPLETED:
            counts["done"] += 1
            worked += 1
        elif task.status == TaskStatus.RUNNING:
            counts["running"] += 1
            tick = ticks.get(task_id)
            worked += (tick.progress if tick is not None else task.progress) / 100
        else:
            counts["queued"] += 1
    total = len(tasks)
    finished = counts["running"] == counts["queued"] == 0
    parts = [f"{counts[name]} {name}" for name in ("done", "failed", "running", "queued") if counts[name]]
    jobs = f"{total} job{'s' if total != 1 else ''}"
    text = f"{what} of {jobs}{' finished' if finished else ''}: {', '.join(parts) or 'nothing to do'}."
    return {
        "what": what,
        "total": total,
        **counts,
        "percent": round(100 * worked / total) if total else 100,
        "finished": finished,
        "text": text,
    }
