"""Finding the job a link or a posting already is, so the same posting is not added twice.

Race safety: a job's posting key is unique in the database, so two transactions can never both
save one posting under its key. Links and content hashes are not unique (a pasted job may share a
link; two postings may share a text), so the transactions that look a posting up and then save it
also hold `lock_intake` and see each other's work.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import text
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from jobapp.intake.identity import key_for_url
from jobapp.intake.urls import canonical_url, equivalent_urls
from jobapp.models import Job

# PostgreSQL advisory-lock id of intake's look-up-then-save transactions (any constant the app
# uses for nothing else).
INTAKE_LOCK = 7_415_001


def lock_intake(s: Session) -> None:
    """Serialise, until `s` commits, the transactions that look a posting up and then save it.

    PostgreSQL: a transaction-scoped advisory lock. SQLite needs none: the app's writes begin
    IMMEDIATE (jobapp.db.writer), holding the database's one write lock from their first statement.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": INTAKE_LOCK})


def find_job_by_url(session: Session, url: str, *, exclude: int | None = None) -> Job | None:
    """The oldest job (other than `exclude`) whose link has the canonical form of `url`, or None.

    Jobs saved by intake store the normalised form (`normalize_url`): the few normalised forms
    sharing the canonical one are looked up through the index. Older rows (a link typed next to a
    pasted description) may hold another form: those on the same site are compared by their
    canonical form.
    """
    canonical = canonical_url(url)
    exact = session.exec(_jobs(exclude).where(col(Job.url).in_(equivalent_urls(canonical)))).first()
    if exact is not None:
        return exact
    host = urlsplit(canonical).hostname
    if not host:
        return None
    # Case-insensitive match on the host (rows may hold "HTTPS://Jobs.Example.com/…"); the LIKE
    # narrows the candidates, the canonical comparison decides.
    rows = session.exec(_jobs(exclude).where(col(Job.url).ilike(f"%{host}%"))).all()
    return next((job for job in rows if job.url and _canonical(job.url) == canonical), None)


def find_job_by_key(session: Session, key: str, *, exclude: int | None = None) -> Job | None:
    """The job (other than `exclude`) that is the posting `key` (a `Posting.key`), or None.

    Besides the unique column, jobs saved before posting keys existed, or pasted with their link,
    are recognised by the ATS posting their link names.
    """
    if (job := session.exec(_jobs(exclude).where(Job.posting_key == key)).first()) is not None:
        return job
    if key.startswith("ref:"):  # an employer's reference is known only from the fetched page
        return None
    posting_id = key.rsplit(":", 1)[-1]
    rows = session.exec(
        _jobs(exclude).where(col(Job.posting_key).is_(None), col(Job.url).ilike(f"%{posting_id}%"))
    ).all()
    return next((job for job in rows if job.url and key_for_url(job.url) == key), None)


def find_known_job(
    session: Session, *, key: str | None, url: str, content_hash: str | None, exclude: int | None = None
) -> Job | None:
    """The job (other than `exclude`, the placeholder asking) a posting already is: the same posting
    key, else the same link, else the same text.

    A shared text does not make two postings one when each is known by a different key (a company
    posting one description for two cities).
    """
    found = find_job_by_key(session, key, exclude=exclude) if key else None
    found = found or find_job_by_url(session, url, exclude=exclude)
    if found is None and content_hash:
        rows = session.exec(_jobs(exclude).where(Job.content_hash == content_hash)).all()
        found = next((job for job in rows if key is None or job.posting_key in (None, key)), None)
    return found


def _jobs(exclude: int | None) -> SelectOfScalar[Job]:
    """Jobs, oldest first, but for `exclude`."""
    query = select(Job).order_by(col(Job.id))
    return query.where(Job.id != exclude) if exclude is not None else query


def _canonical(stored: str) -> str | None:
    try:
        return canonical_url(stored)
    except ValueError:
        return None
