"""Finding the job a link already belongs to, so the same posting is not added twice."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from jobapp.intake.urls import canonical_url
from jobapp.models import Job


def find_job_by_url(session: Session, canonical: str) -> Job | None:
    """The job whose URL is `canonical` (a `canonical_url`/`validate_url` result), or None.

    Jobs saved by intake store the canonical form, found through the index. Older rows (a URL typed
    next to a pasted description) may hold another form of it: those on the same site are compared
    by their canonical form.
    """
    exact = session.exec(select(Job).where(Job.url == canonical).order_by(col(Job.id))).first()
    if exact is not None:
        return exact
    host = urlsplit(canonical).hostname
    if not host:
        return None
    # Case-insensitive match on the host (rows may hold "HTTPS://Jobs.Example.com/…"); the LIKE
    # narrows the candidates, the canonical comparison decides.
    pattern = f"%{host}%"
    rows = session.exec(select(Job).where(col(Job.url).ilike(pattern)).order_by(col(Job.id))).all()
    return next((job for job in rows if job.url and _same(job.url, canonical)), None)


def _same(stored: str, canonical: str) -> bool:
    try:
        return canonical_url(stored) == canonical
    except ValueError:
        return False
