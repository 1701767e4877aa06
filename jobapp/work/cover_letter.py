"""generate-cover-letter: a letter tailored to the posting, streamed as it is written; every run is a
new version."""

from __future__ import annotations

from typing import Any

from jobapp.llm import Request
from jobapp.tasks import Outcome, TaskContext
from jobapp.work.common import load_inputs, posting_text
from jobapp.work.drafting import draft_document

KIND = "generate-cover-letter"
DOCUMENT_KIND = "cover_letter"
TONES = ("warm", "formal", "direct")
LENGTHS = ("short", "medium", "long")
WORDS = {"short": 150, "medium": 250, "long": 400}


def options(payload: dict[str, Any]) -> dict[str, str]:
    """The settings that change the letter (and so belong in its dedupe fingerprint)."""
    tone = payload.get("tone", "warm")
    length = payload.get("length", "medium")
    return {"tone": tone if tone in TONES else "warm", "length": length if length in LENGTHS else "medium"}


async def run(ctx: TaskContext) -> Outcome:
    await ctx.progress(5, "Reading the posting and your resume", stage=True)
    inputs = await load_inputs(ctx)
    job, profile = inputs.job, inputs.profile
    opts = options(ctx.task.payload)
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
    return await draft_document(
        ctx,
        request,
        document_kind=DOCUMENT_KIND,
        label="Writing the letter",
        expected_words=WORDS[opts["length"]],
        options=opts,
    )
