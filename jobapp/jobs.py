"""Job writes made by people (not tasks): add, change pipeline status, edit what they track, delete.

Each announces the change on the event bus so every open tab sees it. Status changes go through
`jobapp.tracking.move_status`, which records them.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from jobapp.db import writer
from jobapp.intake import find_known_job, key_for_url, lock_intake, validate_url
from jobapp.live.events import JobChanged
from jobapp.models import Contact, Job, JobStatus, utcnow
from jobapp.tasks import TaskManager
from jobapp.tracking import (
    TRACKED_FIELDS,
    JobInputError,  # raised here; callers catch it as jobs.JobInputError
    apply_tracking,
    clean_contact,
    clean_tracking,
    mark_edited,
    move_status,
)
from jobapp.work import AUTOMATIC, request_hydration, request_research


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
        moved = move_status(s, job, status)
        s.commit()
    if not moved:
        return True
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


# The fields a person may edit on a job (the rest is written by tasks: description, evaluation, fit score),
# besides the tracked ones (jobapp.tracking.TRACKED_FIELDS).
EDITABLE_FIELDS = ("title", "company", "location", "url")


def update_job(manager: TaskManager, job_id: int, changes: dict[str, Any]) -> bool:
    """Edit a job's own and tracked fields and/or move it along the pipeline. False: no such job.

    `changes` may hold any of `EDITABLE_FIELDS`, `TRACKED_FIELDS` and `status`; everything is checked before
    anything is written. The fields that change are marked typed by the person (`Job.user_edited`), so a re-read
    of the posting keeps them. A status change goes through `set_status` (so moving to Interview queues the
    brief, as on the pipeline page).
    """
    changes = dict(changes)
    status = changes.pop("status", None)
    if status is not None:
        try:
            status = JobStatus(status)
        except ValueError:
            raise JobInputError(f"status is one of: {', '.join(s.value for s in JobStatus)}") from None
    own = {name: changes.pop(name) for name in EDITABLE_FIELDS if name in changes}
    allowed = (*EDITABLE_FIELDS, *TRACKED_FIELDS)
    if unknown := sorted(set(changes) - set(TRACKED_FIELDS)):
        raise JobInputError(f"{', '.join(unknown)} cannot be edited (editable: {', '.join(allowed)}, status)")
    tracked = clean_tracking(changes)
    own = {name: _own_field(name, value) for name, value in own.items()}
    if own or tracked:
        with _session(manager) as s:
            job = s.get(Job, job_id)
            if job is None:
                return False
            changed = [name for name, value in own.items() if getattr(job, name) != value]
            for name in changed:
                setattr(job, name, own[name])
            mark_edited(job, changed)
            changed += apply_tracking(job, tracked)
            if changed:
                job.updated_at = utcnow()
                s.add(job)
                s.commit()
        if changed:
            manager.bus.publish(JobChanged(job_id))
    if status is not None:
        return set_status(manager, job_id, status)
    if not (own or tracked):
        with _session(manager) as s:
            return s.get(Job, job_id) is not None
    return True


def _own_field(name: str, value: str | None) -> str | None:
    text = (value or "").strip()
    if name == "url":
        return _posting_url(text) if text else None
    if len(text) > 300:
        raise JobInputError(f"{name} is longer than 300 characters.")
    return text


def toggle_star(manager: TaskManager, job_id: int) -> bool | None:
    """Star or unstar a job; returns the new value (None: no such job)."""
    with _session(manager) as s:
        job = s.get(Job, job_id)
        if job is None:
            return None
        apply_tracking(job, {"starred": not job.starred})
        job.updated_at = utcnow()
        s.add(job)
        s.commit()
        starred = job.starred
    manager.bus.publish(JobChanged(job_id))
    return starred


def add_contact(manager: TaskManager, job_id: int, **fields: str) -> int | None:
    """Save a contact for the job (checked: `JobInputError` says what is wrong); its id, None: no such job."""
    contact = Contact(job_id=job_id, **clean_contact(**fields))
    with _session(manager) as s:
        job = s.get(Job, job_id)
        if job is None:
            return None
        s.add(contact)
        job.updated_at = utcnow()  # the job page follows the job row
        s.add(job)
        s.commit()
        s.refresh(contact)
    manager.bus.publish(JobChanged(job_id))
    return contact.id


def remove_contact(manager: TaskManager, job_id: int, contact_id: int) -> bool:
    """Delete one of the job's contacts. False: no such contact on that job."""
    with _session(manager) as s:
        contact = s.get(Contact, contact_id)
        job = s.get(Job, job_id)
        if contact is None or job is None or contact.job_id != job_id:
            return False
        s.delete(contact)
        job.updated_at = utcnow()
        s.add(job)
        s.commit()
    manager.bus.publish(JobChanged(job_id))
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
