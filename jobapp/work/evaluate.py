"""evaluate-job: keyword coverage of the posting by the resume, plus a short written verdict.

The LLM rubric (weighted 1–5 dimensions, recommendation) arrives with the remote providers; the
deterministic coverage score is always computed and is what the offline drafter reports on.
"""

from __future__ import annotations

from sqlmodel import Session

from jobapp.llm import Request, get_provider
from jobapp.models import Job, JobStatus, utcnow
from jobapp.tasks import JobGone, Outcome, TaskContext
from jobapp.work.common import load_inputs, posting_text
from jobapp.work.keywords import coverage

KIND = "evaluate-job"


async def run(ctx: TaskContext) -> Outcome:
    await ctx.progress(5, "Reading the posting and your resume", stage=True)
    inputs = await load_inputs(ctx)
    job = inputs.job
    await ctx.progress(25, "Scoring keyword coverage", stage=True)
    cover = coverage(posting_text(job), inputs.profile.resume, company=job.company)

    await ctx.progress(50, "Writing the verdict", stage=True)
    provider = get_provider()
    request = Request(
        purpose="evaluation-summary",
        system="You assess how well a candidate's resume fits a job posting. Be concise and concrete.",
        prompt=f"Posting:\n{posting_text(job)}\n\nResume:\n{inputs.profile.resume}",
        inputs={"score": cover.score, "matched": cover.matched, "missing": cover.missing},
    )
    completion = await provider.stream(request, ctx.stream)
    evaluation = {
        "keyword_score": cover.score,
        "matched": cover.matched,
        "missing": cover.missing,
        "summary": completion.text,
        "provider": completion.provider,
        "model": completion.model,
    }
    job_id = job.id

    def apply(s: Session) -> None:
        row = s.get(Job, job_id)
        if row is None:
            raise JobGone(f"job #{job_id} was deleted")
        row.fit_score = cover.score
        row.evaluation = evaluation
        row.evaluated_at = row.updated_at = utcnow()
        if row.status == JobStatus.PENDING:
            row.status = JobStatus.EVALUATED
        s.add(row)

    return Outcome(
        result={"score": cover.score},
        apply=apply,
        usage=completion.usage.as_dict(),
        provider=completion.provider,
    )
