"""generate-cv: the master resume tailored to the posting, checked against the resume for invented
employers, titles, schools and dates (violations are kept as warnings on the version)."""

from __future__ import annotations

from dataclasses import asdict

from jobapp.documents import check_cv
from jobapp.llm import Request
from jobapp.tasks import Outcome, TaskContext
from jobapp.work.common import load_inputs, posting_text
from jobapp.work.drafting import draft_document
from jobapp.work.kind import TaskKind

NAME = "generate-cv"
EMPHASES = ("balanced", "technical", "leadership")
LENGTHS = ("one page", "two pages")


async def run(ctx: TaskContext) -> Outcome:
    await ctx.progress(5, "Reading the posting and your resume", stage=True)
    inputs = await load_inputs(ctx)
    job, resume = inputs.job, inputs.profile.resume
    opts = KIND.options_of(ctx.task.payload)
    request = Request(
        purpose=NAME,
        system=(
            "You tailor a resume to a job posting. Use ONLY facts in the resume: never add an employer, job "
            "title, school, degree or date that it does not contain; you may reorder, shorten and reword "
            f"bullets to stress what the posting asks for. Emphasis: {opts['emphasis']}. Length: {opts['length']}. "
            "Answer with the CV in Markdown only."
        ),
        prompt=f"Job posting:\n{posting_text(job)}\n\nResume:\n{resume}",
        inputs={"title": job.title, "company": job.company, "description": job.description, "resume": resume, **opts},
    )
    return await draft_document(
        ctx,
        request,
        document_kind=KIND.document_kind,
        label="Tailoring your CV",
        expected_words=max(80, len(resume.split())),
        options=opts,
        review=lambda text: [asdict(finding) for finding in check_cv(text, resume)],
    )


KIND = TaskKind(
    name=NAME,
    label="CV",
    verb="tailoring a CV for",
    run=run,
    choices={"emphasis": EMPHASES, "length": LENGTHS},
    document_kind="cv",
)
