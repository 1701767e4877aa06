"""What a person tracks on a job: notes, salary, work mode, dates, a star, the next step, contacts, and the
history of its pipeline status.

Rules kept here, whatever writes (the job page, the REST API, the admin, a task):

- every status change goes through `move_status`, which records it (`JobStatusChange`) with its time and sets
  `applied_at` the first time the job becomes Applied;
- a field the person typed is named in `Job.user_edited`, and intake (`fill_from_posting`) never overwrites it.
  The salary is one thing: typing any of its three parts protects all three, so a re-read cannot pair the
  person's minimum with the posting's currency.

This module imports only the models, so task handlers and `jobapp.jobs` can both use it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from jobapp.models import Contact, Job, JobStatus, JobStatusChange, WorkMode, utcnow


class JobInputError(ValueError):
    """The change cannot be saved as given; the message says what to fix."""


# The fields of the Tracking card, in its order. `applied_at` is not among them: the status change sets it.
TRACKED_FIELDS = (
    "notes",
    "salary_min",
    "salary_max",
    "salary_currency",
    "work_mode",
    "closes_on",
    "starred",
    "next_step",
    "next_step_on",
)
SALARY_FIELDS = ("salary_min", "salary_max", "salary_currency")
# Fields that may be cleared (set to None) rather than left as they are.
NULLABLE_FIELDS = ("salary_min", "salary_max", "closes_on", "next_step_on")
MAX_NOTES = 100_000
MAX_NEXT_STEP = 500
MAX_SALARY = 100_000_000  # fits a 32-bit column with room; no posting pays more per year
HISTORY_LIMIT = 100

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


# -- status --------------------------------------------------------------------------------------------------


def move_status(s: Session, job: Job, status: str, *, at: datetime | None = None) -> bool:
    """Move `job` to `status` in the caller's transaction and record the change. False: it was already there.

    Every path that changes a job's status calls this (people through `jobapp.jobs.set_status`; evaluate-job
    for Pending → Evaluated), so the history is complete.
    """
    status = JobStatus(status)
    if job.status == status:
        return False
    at = at or utcnow()
    s.add(JobStatusChange(job_id=job.id, from_status=job.status, to_status=status, changed_at=at))  # type: ignore[arg-type]
    job.status = status
    if status == JobStatus.APPLIED and job.applied_at is None:
        job.applied_at = at
    job.updated_at = at
    s.add(job)
    return True


# -- the tracked fields ----------------------------------------------------------------------------------------


def clean_tracking(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes as the columns hold them, from form text or typed values; `JobInputError` says what is wrong.

    Empty text clears a nullable field. Only the fields given are returned (unknown names are refused).
    """
    if unknown := sorted(set(changes) - set(TRACKED_FIELDS)):
        raise JobInputError(f"{', '.join(unknown)} cannot be tracked (fields: {', '.join(TRACKED_FIELDS)})")
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name in ("salary_min", "salary_max"):
            clean[name] = _salary(name, value)
        elif name == "salary_currency":
            text = _text(value)
            if text and not _CURRENCY.match(text):
                raise JobInputError("The currency is a 3-letter code, like USD or EUR.")
            clean[name] = text.upper()
        elif name == "work_mode":
            text = _text(value).lower() or WorkMode.UNKNOWN.value
            if text not in {m.value for m in WorkMode}:
                raise JobInputError(f"Work mode is one of: {', '.join(m.value for m in WorkMode)}.")
            clean[name] = text
        elif name in ("closes_on", "next_step_on"):
            clean[name] = _date(name, value)
        elif name == "starred":
            clean[name] = _flag(value)
        elif name == "notes":
            text = str(value or "").replace("\r\n", "\n")
            if len(text) > MAX_NOTES:
                raise JobInputError(f"Notes are limited to {MAX_NOTES:,} characters.")
            clean[name] = text
        else:  # next_step
            text = _text(value)
            if len(text) > MAX_NEXT_STEP:
                raise JobInputError(f"The next step is limited to {MAX_NEXT_STEP} characters.")
            clean[name] = text
    return clean


def apply_tracking(job: Job, clean: Mapping[str, Any]) -> list[str]:
    """Write cleaned changes into `job`, marking them typed by the person; returns the fields that changed.

    Checked against what the job will hold afterwards: a minimum above the maximum is refused whichever of the
    two this change sets.
    """
    low = clean.get("salary_min", job.salary_min)
    high = clean.get("salary_max", job.salary_max)
    if low is not None and high is not None and low > high:
        raise JobInputError("The minimum salary is above the maximum.")
    changed = [name for name, value in clean.items() if getattr(job, name) != value]
    for name in changed:
        setattr(job, name, clean[name])
    mark_edited(job, changed)
    return changed


def mark_edited(job: Job, fields: Iterable[str]) -> None:
    """Name `fields` in `user_edited` (a new list, so the JSON column is seen as changed)."""
    edited = list(job.user_edited or [])
    for name in fields:
        if name not in edited:
            edited.append(name)
    if edited != list(job.user_edited or []):
        job.user_edited = edited


def posting_tracking(
    *,
    salary_min: float | None,
    salary_max: float | None,
    salary_currency: str,
    remote: bool | None,
    work_mode: str | None,
    closes_on: date | None,
) -> dict[str, Any]:
    """What a read posting says about the tracked fields; only what it does say."""
    found: dict[str, Any] = {}
    low = round(salary_min) if salary_min is not None and 0 < salary_min <= MAX_SALARY else None
    high = round(salary_max) if salary_max is not None and 0 < salary_max <= MAX_SALARY else None
    if low is not None and high is not None and low > high:
        low, high = high, low
    if low is not None or high is not None:
        found |= {"salary_min": low, "salary_max": high}
        if _CURRENCY.match(salary_currency or ""):
            found["salary_currency"] = salary_currency.upper()
    mode = work_mode or ("remote" if remote else None)
    if mode in {m.value for m in WorkMode} - {WorkMode.UNKNOWN.value}:
        found["work_mode"] = mode
    if closes_on is not None:
        found["closes_on"] = closes_on
    return found


def fill_from_posting(job: Job, found: Mapping[str, Any]) -> None:
    """Intake's write of the tracked fields: what the posting says, except what the person typed."""
    edited = set(job.user_edited or [])
    salary_typed = bool(edited & set(SALARY_FIELDS))
    for name, value in found.items():
        if name in edited or (name in SALARY_FIELDS and salary_typed):
            continue
        setattr(job, name, value)


# -- contacts ---------------------------------------------------------------------------------------------------


def clean_contact(*, name: str, role: str = "", email: str = "", link: str = "") -> dict[str, str]:
    """A contact's fields checked; `JobInputError` says what is wrong."""
    name, role, email, link = (_text(v) for v in (name, role, email, link))
    if not name:
        raise JobInputError("Give the contact's name.")
    if len(name) > 200 or len(role) > 200:
        raise JobInputError("A contact's name and role are limited to 200 characters.")
    if not email and not link:
        raise JobInputError("Give an email address or a link (a profile page) to reach the contact.")
    if email and (len(email) > 320 or not _EMAIL.match(email)):
        raise JobInputError(f"{email!r} is not an email address (like dana@example.com).")
    if link:
        link = _link(link)
    return {"name": name, "role": role, "email": email, "link": link}


def _link(text: str) -> str:
    # "javascript:…", "mailto:…" name a scheme; "example.com:8080/x" names a port.
    scheme = _SCHEME.match(text)
    value = text if "://" in text or scheme else "https://" + text
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise JobInputError(f"A contact's link must be an http or https address (this one is {parts.scheme}:).")
    host = parts.hostname or ""
    if any(ch.isspace() for ch in value) or "." not in host.strip("."):
        raise JobInputError(f"{text!r} is not a web address (like https://www.linkedin.com/in/dana).")
    if len(value) > 2000:
        raise JobInputError("A contact's link is limited to 2,000 characters.")
    return value


# -- what pages show ------------------------------------------------------------------------------------------


def tracking_view(job: Job) -> dict[str, Any]:
    """The Tracking card's values, as text a form shows (dates ISO, empty for none)."""
    view: dict[str, Any] = {
        "notes": job.notes or "",
        "salary_min": "" if job.salary_min is None else str(job.salary_min),
        "salary_max": "" if job.salary_max is None else str(job.salary_max),
        "salary_currency": job.salary_currency or "",
        "salary": salary_text(job),
        "work_mode": job.work_mode or WorkMode.UNKNOWN.value,
        "closes_on": job.closes_on.isoformat() if job.closes_on else "",
        "starred": bool(job.starred),
        "next_step": job.next_step or "",
        "next_step_on": job.next_step_on.isoformat() if job.next_step_on else "",
        "applied_at": _when(job.applied_at) if job.applied_at else "",
        "user_edited": ", ".join(job.user_edited or []),
    }
    # Each form is keyed on a digest of its saved values: when they change (in any tab) the form is drawn again
    # with them, and a save of one form leaves what is being typed in another alone.
    details = [view[name] for name in ("salary_min", "salary_max", "salary_currency", "work_mode", "closes_on")]
    details += [view["next_step"], view["next_step_on"]]
    view["notes_key"] = _digest(view["notes"])
    view["details_key"] = _digest("\x1f".join(details))
    return view


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def salary_text(job: Job) -> str:
    """'USD 120,000–150,000', 'from 90,000', or ''."""
    low, high = job.salary_min, job.salary_max
    if low is None and high is None:
        return ""
    if low is not None and high is not None:
        amount = f"{low:,}" if low == high else f"{low:,}–{high:,}"
    else:
        amount = f"from {low:,}" if low is not None else f"up to {high:,}"
    return f"{job.salary_currency} {amount}".strip()


def contacts_of(s: Session, job_id: int) -> list[Contact]:
    return list(s.exec(select(Contact).where(Contact.job_id == job_id).order_by(col(Contact.id))).all())


def history_of(s: Session, job_id: int, limit: int = HISTORY_LIMIT) -> list[JobStatusChange]:
    """The job's status changes, newest first."""
    query = select(JobStatusChange).where(JobStatusChange.job_id == job_id)
    return list(s.exec(query.order_by(col(JobStatusChange.id).desc()).limit(limit)).all())


def contact_row(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "role": contact.role,
        "email": contact.email,
        "link": contact.link,
    }


def history_row(change: JobStatusChange) -> dict[str, Any]:
    return {
        "from_status": change.from_status,
        "to_status": change.to_status,
        "changed_at": change.changed_at.isoformat(timespec="seconds"),
        "when": _when(change.changed_at),
    }


def _when(moment: datetime) -> str:
    """'2026-11-29 19:04 UTC' (stored times are UTC; the page does not know the reader's zone)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# -- parsing ----------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _salary(name: str, value: Any) -> int | None:
    label = "minimum" if name == "salary_min" else "maximum"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise JobInputError(f"The {label} salary is a whole number.")
    try:
        number = int(value) if isinstance(value, int) else int(str(value).replace(",", "").replace("_", "").strip())
    except ValueError:
        raise JobInputError(f"The {label} salary is a whole number, like 120000.") from None
    if not 0 <= number <= MAX_SALARY:
        raise JobInputError(f"The {label} salary must be between 0 and {MAX_SALARY:,}.")
    return number


def _date(name: str, value: Any) -> date | None:
    label = "closing date" if name == "closes_on" else "next step's date"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise JobInputError(f"The {label} is a date like 2026-12-31.") from None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes")
