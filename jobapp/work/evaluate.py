"""evaluate-job: how well the posting fits the resume.

Always the deterministic skill check of jobapp.skills: required and preferred skills found (each with
the resume line that shows it) and missing, years and seniority asked for, and a score. With a
language model, also the rubric of jobapp.work.rubric (structured output where the provider has it,
validated either way, one repair request); the offline drafter writes a short verdict from the skill
check instead. The job moves to Evaluated on success.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from jobapp.llm import Completion, Provider, Request
from jobapp.models import Job, JobStatus, utcnow
from jobapp.skills import Fit, analyze
from jobapp.tasks import JobGone, Outcome, PermanentError, TaskContext
from jobapp.tracking import move_status
from jobapp.work import rubric
from jobapp.work.common import load_inputs, posting_text, provider_for, total_usage
from jobapp.work.kind import TaskKind

NAME = "evaluate-job"


async def run(ctx: TaskContext) -> Outcome:
    await ctx.progress(5, "Reading the posting and your resume", stage=True)
    inputs = await load_inputs(ctx)
    job, resume = inputs.job, inputs.profile.resume
    await ctx.progress(20, "Checking the skills the posting asks for", stage=True)
    fit = analyze(job.description, resume, title=job.title, company=job.company, location=job.location)
    provider = await provider_for(ctx)

    if provider.answers_json:
        completions, scored = await _rubric(ctx, provider, job, resume, fit)
        evaluation: dict[str, Any] = {
            "summary": scored.summary,
            "rubric": scored.rows(),
            "recommendation": scored.recommendation,
        }
        score = scored.percent()
    else:
        await ctx.progress(50, "Writing the verdict", stage=True)
        completion = await provider.stream(_verdict_request(job, resume, fit), ctx.stream)
        completions = [completion]
        evaluation = {"summary": completion.text, "rubric": [], "recommendation": ""}
        score = fit.score
    evaluation |= fit.as_dict() | {"provider": completions[-1].provider, "model": completions[-1].model}
    job_id = job.id

    def apply(s: Session) -> None:
        row = s.get(Job, job_id)
        if row is None:
            raise JobGone(job_id)
        row.fit_score = score
        row.evaluation = evaluation
        row.evaluated_at = row.updated_at = utcnow()
        if row.status == JobStatus.PENDING:
            move_status(s, row, JobStatus.EVALUATED, at=row.updated_at)
        s.add(row)

    return Outcome(
        result={"score": score, "keyword_score": fit.score},
        apply=apply,
        usage=total_usage(completions),
        provider=completions[-1].provider,
        model=completions[-1].model,
    )


def _verdict_request(job: Job, resume: str, fit: Fit) -> Request:
    return Request(
        purpose=NAME,
        system="You assess how well a candidate's resume fits a job posting. Be concise and concrete.",
        prompt=f"Posting:\n{posting_text(job)}\n\nResume:\n{resume}",
        inputs={
            "score": fit.score,
            "matched": fit.matched,
            "required_missing": fit.required_missing,
            "preferred_missing": fit.preferred_missing,
            "asks": fit.asks_label(),
        },
    )


async def _rubric(
    ctx: TaskContext, provider: Provider, job: Job, resume: str, fit: Fit
) -> tuple[list[Completion], rubric.Rubric]:
    """Ask for the rubric; on an invalid answer ask once more with the error, then give up."""
    await ctx.progress(35, f"Asking {provider.name} for the rubric", stage=True)
    request = rubric.request(posting=posting_text(job), resume=resume, fit=fit)
    first = await provider.stream(request, ctx.stream)
    try:
        return [first], rubric.parse(first.text)
    except rubric.RubricError as error:
        await ctx.progress(75, f"Repairing the model's answer ({error})", stage=True)
        repaired = await provider.complete(rubric.repair_request(request, first.text, str(error)))
    try:
        return [first, repaired], rubric.parse(repaired.text)
    except rubric.RubricError as error:
        raise PermanentError(
            f"{provider.name} did not return a valid evaluation, even after one repair request: {error}"
        ) from None


KIND = TaskKind(name=NAME, label="evaluation", verb="evaluating", run=run)
