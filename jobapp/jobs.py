"""Job writes made by people (not tasks): add, change pipeline status, delete.

Each announces the change on the event bus so every open tab sees it.
"""

from __future__ import annotations

from sqlmodel import Session

from jobapp.db import writer
from jobapp.intake import find_known_job, key_for_url, lock_intake, validate_url
from jobapp.live.events import JobChanged
from jobapp.models import Job, JobStatus, utcnow
from jobapp.tasks import TaskManager
from jobapp.work import AUTOMATIC, request_hydration, request_research


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
    with _session(manager) as s:
        s.add(job)
        s.commit()
        s.refresh(job)
    manager.bus.publish(JobChanged(job.id))  # type: ignore[arg-type]
    return job.id  # type: ignore[return-value]


def add_job_from_url(manager: TaskManager, text: str) -> tuple[int, bool]:
    """Create a placeholder job for a posting URL and queue its reading (hydrate-job-url).

    Returns (job id, created). A link to a posting the pipeline already has (the same ATS posting by
    any of its URL shapes, or the same canonical URL) returns that job with created=False and adds
    nothing. The placeholder holds only the link; its title stays empty until the posting is read.
    """
    try:
        url = validate_url(text)
    except ValueError as error:
        raise JobInputError(str(error)) from None
    key = key_for_url(url)
    with _session(manager) as s:
        lock_intake(s)  # two clicks at once: the second waits, then finds the first's job
        if existing := find_known_job(s, key=key, url=url, content_hash=None):
            return existing.id, False  # type: ignore[return-value]
        # No title until the posting is read: pages show the link meanwhile.
        job = Job(url=url, posting_key=key)
        s.add(job)
        s.commit()
        s.refresh(job)
    manager.bus.publish(JobChanged(job.id))  # type: ignore[arg-type]
    request_hydration(manager, job.id)  # type: ignore[arg-type]
    return job.id, True  # type: ignore[return-value]


def set_status(manager: TaskManager, job_id: int, status: str) -> bool:
    """Move a job along the pipeline. False: no such job."""
    status = JobStatus(status)
    with _session(manager) as s:
        job = s.get(Job, job_id)
        if job is None:
            return False
        job.status = status
        job.updated_at = utcnow()
        s.add(job)
        s.commit()
    manager.bus.publish(JobChanged(job_id))
    if status == JobStatus.INTERVIEW:
        # Interview prep starts by itself; a brief already queued for this job is reused.
        request_research(manager, job_id, priority=AUTOMATIC)
    return True


def mark_opened(manager: TaskManager, job_id: int) -> bool:
    """The person opened a discovered job: it stops being "New". True when that changed the row."""
    with _session(manager) as s:
        job = s.get(Job, job_id)
        if job is None or not job.is_new:
            return False
        job.is_new = False
        s.add(job)
        s.commit()
    manager.bus.publish(JobChanged(job_id))
    return True


# The fields a person may edit on a job (the rest is written by tasks: description, evaluation, fit score).
EDITABLE_FIELDS = ("title", "company", "location", "url")


def update_job(manager: TaskManager, job_id: int, changes: dict[str, str | None]) -> bool:
    """Edit a job's own fields and/or move it along the pipeline. False: no such job.

    `changes` may hold any of `EDITABLE_FIELDS` and `status`; a status change goes through `set_status`
    (so moving to Interview queues the brief, as on the pipeline page).
    """
    changes = dict(changes)
    status = changes.pop("status", None)
    if unknown := sorted(set(changes) - set(EDITABLE_FIELDS)):
        raise JobInputError(f"{', '.join(unknown)} cannot be edited (editable: {', '.join(EDITABLE_FIELDS)}, status)")
    if changes:
        with _session(manager) as s:
            job = s.get(Job, job_id)
            if job is None:
                return False
            for name, value in changes.items():
                text = (value or "").strip()
                if name == "url":
                    setattr(job, name, _posting_url(text) if text else None)
                elif len(text) > 300:
                    raise JobInputError(f"{name} is longer than 300 characters.")
                else:
                    setattr(job, name, text)
            job.updated_at = utcnow()
            s.add(job)
            s.commit()
        manager.bus.publish(JobChanged(job_id))
    if status is not None:
        return set_status(manager, job_id, status)
    if not changes:
        with _session(manager) as s:
            return s.get(Job, job_id) is not None
    return True


def _posting_url(text: str) -> str:
    """A link as intake stores it (http/https, normalised), or `JobInputError` saying what is wrong."""
    try:
        return validate_url(text)
    except ValueError as error:
        raise JobInputError(str(error)) from None


def delete_job(manager: TaskManager, job_id: int) -> bool:
    """Delete a job; its active tasks are cancelled in the same transaction."""
    deleted = manager.delete_job(job_id)
    manager.bus.publish(JobChanged(job_id, deleted=True))
    return deleted


def _session(manager: TaskManager) -> Session:
    """A session on the manager's database that takes SQLite's write lock at BEGIN, as
    `jobapp.db.session` does: these writes read first (is this job still there? is it known?)."""
    return Session(writer(manager.engine), expire_on_commit=False)
