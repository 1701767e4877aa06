"""generate-cover-letter: a letter tailored to the posting, streamed as it is written; every run is a
new version."""

from __future__ import annotations

from jobapp.llm import Request
from jobapp.tasks import Outcome, TaskContext
from jobapp.work.common import load_inputs, posting_text
from jobapp.work.drafting import draft_document
from jobapp.work.kind import TaskKind

NAME = "generate-cover-letter"
TONES = ("warm", "formal", "direct")
LENGTHS = ("short", "medium", "long")
WORDS = {"short": 150, "medium": 250, "long": 400}


async def run(ctx: TaskContext) -> Outcome:
    await ctx.progress(5, "Reading the posting and your resume", stage=True)
    inputs = await load_inputs(ctx)
    job, profile = inputs.job, inputs.profile
    opts = KIND.options_of(ctx.task.payload)
    request = Request(
        purpose=NAME,
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
    return await draft_document(
        ctx,
        request,
        document_kind=KIND.document_kind,
        label="Writing the letter",
        expected_words=WORDS[opts["length"]],
        options=opts,
    )


KIND = TaskKind(
    name=NAME,
    label="cover letter",
    verb="writing a cover letter for",
    run=run,
    choices={"tone": TONES, "length": LENGTHS},
    defaults={"length": "medium"},
    document_kind="cover_letter",
)
