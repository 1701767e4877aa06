"""Reads every task kind needs: the job it works on and the person's profile."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from jobapp import preferences
from jobapp.llm import Completion, Provider, Usage
from jobapp.llm.config import build_provider
from jobapp.models import Job, Profile
from jobapp.tasks import JobGone, PermanentError, TaskContext


@dataclass(frozen=True)
class Inputs:
    job: Job
    profile: Profile


async def load_inputs(ctx: TaskContext, *, need_resume: bool = True) -> Inputs:
    """The task's job and the profile; a deleted job ends the task quietly (JobGone)."""
    job_id = ctx.task.job_id

    def read(s: Session) -> tuple[Job | None, Profile | None]:
        job = s.get(Job, job_id) if job_id is not None else None
        return job, s.exec(select(Profile).order_by(Profile.id)).first()

    job, profile = await ctx.read(read)
    if job is None:
        raise JobGone(job_id)
    if need_resume and (profile is None or not profile.resume.strip()):
        raise PermanentError("Add your resume in Settings first: the evaluation compares the posting against it.")
    return Inputs(job, profile or Profile())


def posting_text(job: Job) -> str:
    return f"{job.title}\n{job.location}\n{job.description}"


async def provider_for(ctx: TaskContext) -> Provider:
    """The provider the task was queued with (saved in its payload); the one in force for older tasks."""
    snapshot = ctx.task.payload.get("llm")
    return build_provider(await ctx.read(lambda s: preferences.provider_for_task(s, snapshot)))


def total_usage(completions: Iterable[Completion]) -> dict[str, Any]:
    """Usage of every model call a task made, added up (what the task row records)."""
    return sum((c.usage for c in completions), Usage()).as_dict()
