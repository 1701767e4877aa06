"""generate-cover-letter: a letter tailored to the posting, streamed as it is written; every run is a
new version."""

from __future__ import annotations

from sqlmodel import Session, func, select

from jobapp.llm import Request
from jobapp.models import Document, Job
from jobapp.tasks import JobGone, Outcome, TaskContext
from jobapp.work.common import load_inputs, posting_text, provider_for, total_usage

KIND = "generate-cover-letter"
DOCUMENT_KIND = "cover_letter"
TONES = ("warm", "formal", "direct")
LENGTHS = ("short", "medium", "long")
WORDS = {"short": 150, "medium": 250, "long": 400}


def options(payload: dict) -> dict[str, str]:
    """The settings that change the letter (and so belong in its dedupe fingerprint)."""
    tone = payload.get("tone", "warm")
    length = payload.get("length", "medium")
    return {"tone": tone if tone in TONES else "warm", "length": length if length in LENGTHS else "medium"}


async def run(ctx: TaskContext) -> Outcome:
    await ctx.progress(5, "Reading the posting and your resume", stage=True)
    inputs = await load_inputs(ctx)
    job, profile = inputs.job, inputs.profile
    opts = options(ctx.task.payload)

    await ctx.progress(15, "Writing the letter", stage=True)
    request = Request(
        purpose="cover-letter",
        system=(
            "You write cover letters that are specific, honest and short. Use only facts from the resume. "
            f"Tone: {opts['tone']}. About {WORDS[opts['length']]} words. Markdown, no preamble."
        ),
        prompt=f"Job posting:\n{posting_text(job)}\n\nCompany: {job.company}\n\nResume:\n{profile.resume}",
        inputs={
            "title": job.title,
            "company": job.company,
            "description": job.description,
            "resume": profile.resume,
            "name": profile.name,
            **opts,
        },
    )
    expected = WORDS[opts["length"]]
    words = 0

    def on_text(piece: str) -> None:
        nonlocal words
        words += len(piece.split())
        ctx.stream(piece)
        ctx.report(15 + int(80 * min(1.0, words / expected)), f"Writing the letter ({words} words)")

    completion = await (await provider_for(ctx)).stream(request, on_text)
    ctx.stream("", flush=True)
    job_id, task_id = job.id, ctx.task.id

    def apply(s: Session) -> None:
        if s.get(Job, job_id) is None:
            raise JobGone(f"job #{job_id} was deleted")
        latest = s.exec(
            select(func.max(Document.version)).where(Document.job_id == job_id, Document.kind == DOCUMENT_KIND)
        ).one()
        s.add(
            Document(
                job_id=job_id,
                kind=DOCUMENT_KIND,
                version=(latest or 0) + 1,
                content=completion.text,
                provider=completion.provider,
                options=opts,
                task_id=task_id,
            )
        )

    return Outcome(
        result={"words": len(completion.text.split()), **opts},
        apply=apply,
        usage=total_usage([completion]),
        provider=completion.provider,
    )
