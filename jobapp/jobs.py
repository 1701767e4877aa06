"""Job writes made by people (not tasks): add, change pipeline status, delete.

Each announces the change on the event bus so every open tab sees it.
"""

from __future__ import annotations

from jobapp.db import session
from jobapp.models import Job, JobStatus, utcnow
from jobapp.tasks import JobChanged, TaskManager


class JobInputError(ValueError):
    """The posting cannot be saved as given; the message says what to fix."""


def add_job(manager: TaskManager, *, title: str, company: str, location: str, url: str, description: str) -> int:
    """Save a pasted posting as a Pending job and return its id."""
    description = description.strip()
    if not description:
        raise JobInputError("Paste the job description.")
    if len(description) > 200_000:
        raise JobInputError("That description is over 200,000 characters; paste the posting itself.")
    first_line = description.splitlines()[0].strip("# ").strip()
    job = Job(
        title=(title.strip() or first_line)[:300],
        company=company.strip()[:300],
        location=location.strip()[:300],
        url=url.strip()[:2000] or None,
        description=description,
    )
    with session() as s:
        s.add(job)
        s.commit()
        s.refresh(job)
    manager.bus.publish(JobChanged(job.id))  # type: ignore[arg-type]
    return job.id  # type: ignore[return-value]


def set_status(manager: TaskManager, job_id: int, status: str) -> bool:
    """Move a job along the pipeline. False: no such job."""
    status = JobStatus(status)
    with session() as s:
        job = s.get(Job, job_id)
        if job is None:
            return False
        job.status = status
        job.updated_at = utcnow()
        s.add(job)
        s.commit()
    manager.bus.publish(JobChanged(job_id))
    return True


def delete_job(manager: TaskManager, job_id: int) -> bool:
    """Delete a job; its active tasks are cancelled in the same transaction."""
    deleted = manager.delete_job(job_id)
    manager.bus.publish(JobChanged(job_id, deleted=True))
    return deleted
