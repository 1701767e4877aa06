"""Acting on many jobs in one step: each selected job becomes an ordinary request (with the engine's usual
dedupe) or an ordinary status move (`jobapp.jobs.set_status`, the job page's own path), and the person gets
one summary: "3 queued, 1 already queued".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from jobapp import jobs
from jobapp.models import JobStatus
from jobapp.tasks import Enqueued, JobGone, TaskManager
from jobapp.work import request_cv, request_evaluation
from jobapp.work.cv import EMPHASES, LENGTHS

# The work a bulk button asks for, by name: (what the summary calls it, the request).
ACTIONS: dict[str, tuple[str, Callable[[TaskManager, int], Enqueued]]] = {
    "evaluate": ("Evaluation", lambda m, job_id: request_evaluation(m, job_id)),
    # The job page's default CV settings (the first of each choice).
    "cv": ("Tailored CV", lambda m, job_id: request_cv(m, job_id, emphasis=EMPHASES[0], length=LENGTHS[0])),
}


@dataclass
class BulkOutcome:
    queued: int = 0  # new tasks
    already: int = 0  # the same work was already queued or running
    moved: int = 0  # status moves
    missing: int = 0  # jobs deleted meanwhile

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
    """Queue `action` ("evaluate" or "cv") for every job; returns what happened."""
    _, request = ACTIONS[action]
    outcome = BulkOutcome()
    for job_id in dict.fromkeys(job_ids):  # each job once, in the order given
        try:
            enqueued = request(manager, job_id)
        except JobGone:
            outcome.missing += 1
            continue
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
