"""hydrate-job-url: read the posting behind a job's link and fill the job in; chains evaluate-job.

The UI saves a placeholder job holding only the link, then queues this task. On success the
posting's title, company and location fill the fields the person left empty, the description is
replaced by the posting's, the link is stored in canonical form, and evaluate-job is queued in the
same transaction.
"""

from __future__ import annotations

from sqlmodel import Session

from jobapp.intake import FetchPolicy, InvalidURL, Posting, extract_posting, validate_url
from jobapp.models import Job, utcnow
from jobapp.tasks import JobGone, Outcome, PermanentError, TaskContext
from jobapp.work import evaluate
from jobapp.work.kind import TaskKind
from jobapp.work.requests import CLICKED, new_task

MAX_DESCRIPTION = 200_000  # as for pasted descriptions (jobapp.jobs.add_job)


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
    evaluation = await ctx.read(lambda s: new_task(s, evaluate.KIND, job_id, priority=CLICKED))

    def apply(s: Session) -> None:
        fill(s, job_id, posting)

    return Outcome(
        result={
            "source": posting.source,
            "url": posting.url,
            "title": posting.title,
            "company": posting.company,
            "location": posting.location,
            "salary": posting.salary,
            "remote": posting.remote,
        },
        apply=apply,
        follow_ups=[evaluation],
    )


def fill(s: Session, job_id: int | None, posting: Posting) -> Job:
    """Write `posting` into the job: title/company/location only where empty (or still the link
    standing in for a title), the description whenever the posting has one."""
    row = s.get(Job, job_id) if job_id is not None else None
    if row is None:
        raise JobGone(job_id)
    location = posting.location or ("Remote" if posting.remote else "")
    # The UI may show the link as a stand-in title until the posting is read: that is not the person's.
    stand_ins = {"", *(_stand_ins(row.url) if row.url else ())}
    for field, value in (("title", posting.title), ("company", posting.company), ("location", location)):
        if (getattr(row, field) or "").strip() in stand_ins and value:
            setattr(row, field, value[:300])
    description = posting.description_markdown
    if posting.salary and posting.salary not in description:
        description = f"{description}\n\n**Salary:** {posting.salary}".strip()
    if description:
        row.description = description[:MAX_DESCRIPTION]
    if len(posting.url) <= 2000:
        row.url = posting.url
    row.updated_at = utcnow()
    s.add(row)
    return row


def _stand_ins(url: str) -> set[str]:
    """A link as a placeholder title may show it: whole, or without its scheme (cut to the column)."""
    bare = url.split("://", 1)[-1]
    return {url, url[:300], bare, bare[:300]}


KIND = TaskKind(
    name="hydrate-job-url",
    label="reading the posting",
    verb="reading the posting for",
    run=run,
    uses_model=False,
    person_can_request=False,
)
