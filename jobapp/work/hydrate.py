"""hydrate-job-url: read the posting behind a job's link and fill the job in; chains evaluate-job.

The UI saves a placeholder job holding only the link (its title stays empty), then queues this
task. Once the posting is read:

- a posting the pipeline already has (the same posting key, link or text; `find_known_job`) does
  not become a second job: the placeholder is deleted in the completing transaction, the task's
  result names the job it duplicates (`{"duplicate_of": id}`), that job learns the posting key
  the read found (if it had none) and no evaluation is chained. A job the person already worked
  on (a title, a status, a document) is never deleted: it keeps what it has and gets the read's
  empty fields filled, and the result still names the other job;
- otherwise the posting's title, company and location fill the fields that are empty, as does
  its description, the link is stored in normalised form with the posting's identity, and
  evaluate-job is queued in the same transaction.

A re-read never overwrites what a job already holds, nor a field the person typed (`Job.user_edited`): the
tracked fields the posting gives (salary, work mode, closing date) are refreshed by a re-read unless typed.

Two reads of one posting finishing at once: the look-up before the completion may miss the other,
so the completion looks again while holding `lock_intake`; when the answer changed it raises
`SavedMeanwhile`, a transient error, and the retry reads the posting again and sees the other job.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from jobapp.intake import (
    FetchPolicy,
    InvalidURL,
    Posting,
    content_hash,
    extract_posting,
    find_known_job,
    lock_intake,
    validate_url,
)
from jobapp.models import Document, Job, JobStatus, utcnow
from jobapp.tasks import JobGone, Outcome, PermanentError, TaskContext, TransientError
from jobapp.tracking import fill_from_posting
from jobapp.work import evaluate
from jobapp.work.kind import TaskKind
from jobapp.work.requests import CLICKED, new_task

MAX_DESCRIPTION = 200_000  # as for pasted descriptions (jobapp.jobs.add_job)


class SavedMeanwhile(TransientError):
    """Another read saved the same posting while this one was reading it; the retry merges them."""


async def run(ctx: TaskContext) -> Outcome:
    await ctx.progress(5, "Fetching the page", stage=True)
    job_id = ctx.task.job_id
    job = await ctx.read(lambda s: s.get(Job, job_id) if job_id is not None else None)
    if job is None:
        raise JobGone(job_id)
    link = (job.url or ctx.task.payload.get("url") or "").strip()
    if not link:
        raise PermanentError("This job has no link to read; add the posting's web address or paste the description.")
    try:
        url = validate_url(link)
    except InvalidURL as error:
        raise InvalidURL(f"The job's link cannot be read: {error}") from None

    async def reading(label: str) -> None:
        await ctx.progress(40, label, stage=True)

    posting = await extract_posting(url, FetchPolicy.from_env(), on_stage=reading)
    await ctx.progress(90, "Saving", stage=True)
    digest = content_hash(posting.description_markdown)
    match = await ctx.read(lambda s: _known(s, job_id, posting, digest))
    result: dict[str, Any] = {
        "source": posting.source,
        "url": posting.url,
        "title": posting.title,
        "company": posting.company,
        "location": posting.location,
        "salary": posting.salary,
        "remote": posting.remote,
    }
    if match is not None:
        known, placeholder = match.id, await ctx.read(lambda s: is_placeholder(s, job_id))

        def merge(s: Session) -> None:
            lock_intake(s)
            found = _known(s, job_id, posting, digest)
            if found is None or found.id != known or is_placeholder(s, job_id) != placeholder:
                raise SavedMeanwhile("The jobs this posting matches changed while it was being read.")
            if placeholder:
                adopt_identity(s, job_id, found, key=posting.key, digest=digest)
            else:
                fill(s, job_id, posting)  # the person's job stays; it may only gain what it lacks

        return Outcome(result={**result, "duplicate_of": known}, apply=merge, delete_job=placeholder)

    evaluation = await ctx.read(lambda s: new_task(s, evaluate.KIND, job_id, priority=CLICKED))

    def save(s: Session) -> None:
        lock_intake(s)
        if _known(s, job_id, posting, digest) is not None:
            raise SavedMeanwhile("The same posting was saved from another link while this one was being read.")
        fill(s, job_id, posting, key=posting.key, digest=digest)

    return Outcome(
        result=result,
        apply=save,
        follow_ups=[evaluation],
    )


def _known(s: Session, job_id: int | None, posting: Posting, digest: str | None) -> Job | None:
    """The job (other than this one) the posting already is, or None."""
    return find_known_job(s, key=posting.key, url=posting.url, content_hash=digest, exclude=job_id)


def is_placeholder(s: Session, job_id: int | None) -> bool:
    """True while the job is still only the link the person gave: nothing read or written into it
    and nothing done with it, so deleting it loses nothing."""
    row = s.get(Job, job_id) if job_id is not None else None
    if row is None:
        raise JobGone(job_id)
    untouched = not any((row.title, row.company, row.location, row.description, row.evaluation))
    has_documents = s.exec(select(col(Document.id)).where(Document.job_id == job_id).limit(1)).first() is not None
    return untouched and row.status == JobStatus.PENDING and not has_documents


def adopt_identity(s: Session, placeholder_id: int | None, known: Job, *, key: str | None, digest: str | None) -> None:
    """The job a placeholder turned out to be learns the identity the read found, where it has
    none, so the next link of that shape is recognised when it is added, without a read."""
    if key and known.posting_key is None:
        placeholder = s.get(Job, placeholder_id)
        if placeholder is not None and placeholder.posting_key == key:
            placeholder.posting_key = None  # it is deleted with this completion; the unique key moves first
            s.add(placeholder)
            s.flush()
        known.posting_key = key
    known.content_hash = known.content_hash or digest
    s.add(known)


def fill(s: Session, job_id: int | None, posting: Posting, *, key: str | None = None, digest: str | None = None) -> Job:
    """Write `posting` into the job where the job has nothing yet: title, company, location and
    description only when empty, so a re-read never overwrites what the person (or an earlier read)
    put there; the salary, work mode and closing date the posting gives, unless the person typed them.
    The link becomes the posting's normalised one; `key` and `digest` are its identity."""
    row = s.get(Job, job_id) if job_id is not None else None
    if row is None:
        raise JobGone(job_id)
    location = posting.location or ("Remote" if posting.remote else "")
    description = posting.description_markdown
    if posting.salary and posting.salary not in description:
        description = f"{description}\n\n**Salary:** {posting.salary}".strip()
    for field, value in (
        ("title", posting.title[:300]),
        ("company", posting.company[:300]),
        ("location", location[:300]),
        ("description", description[:MAX_DESCRIPTION]),
    ):
        if not (getattr(row, field) or "").strip() and value and field not in (row.user_edited or []):
            setattr(row, field, value)
    fill_from_posting(row, posting.tracking())
    if len(posting.url) <= 2000:
        row.url = posting.url
    row.posting_key = row.posting_key or key
    row.content_hash = row.content_hash or digest
    row.updated_at = utcnow()
    s.add(row)
    return row


KIND = TaskKind(
    name="hydrate-job-url",
    label="reading the posting",
    verb="reading the posting for",
    run=run,
    uses_model=False,
    person_can_request=False,
)
