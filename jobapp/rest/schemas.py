"""The REST API's bodies: what it accepts (every field validated) and what it answers (every field typed).

Text fields refuse NUL characters and lone surrogates: neither can be stored (PostgreSQL refuses NUL in text,
the drivers refuse surrogates), so they are a 422 here instead of a 500 deeper down.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from jobapp.models import JobStatus, TaskStatus, WorkMode
from jobapp.tracking import MAX_NEXT_STEP, MAX_NOTES, MAX_SALARY

# Ids are 32-bit on PostgreSQL; a larger one is simply not found, never an overflow.
MAX_ID = 2**31 - 1


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]


def _iso_date(value: Any) -> Any:
    # Pydantic would also take a number (a Unix time) or a date-time; the document says an ISO date.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be an ISO date like 2026-12-31")
    if not isinstance(value, str | date) or isinstance(value, datetime):
        raise ValueError("must be an ISO date like 2026-12-31")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class ErrorBody(BaseModel):
    """Every error: a sentence a person can read, and details a program can use."""

    error: str = Field(description="what went wrong, in a sentence")
    detail: Any = Field(None, description="more: the fields that failed validation, the task holding a key, …")


class JobOut(BaseModel):
    id: int
    title: str = Field(description="empty until a posting added by URL has been read")
    company: str
    location: str
    url: str | None
    status: JobStatus = Field(description="the pipeline status (never a task's state)")
    fit_score: int | None = Field(description="0–100 once evaluated")
    evaluated_at: datetime | None
    starred: bool
    salary_min: int | None = Field(description="yearly, in `salary_currency`")
    salary_max: int | None
    salary_currency: str = Field(description='ISO 4217 code ("USD"); "" when unknown')
    work_mode: WorkMode
    closes_on: date | None = Field(description="when applications close")
    next_step: str
    next_step_on: date | None
    applied_at: datetime | None = Field(description="set when the status first became Applied")
    created_at: datetime
    updated_at: datetime


class ContactOut(BaseModel):
    id: int
    name: str
    role: str
    email: str
    link: str
    created_at: datetime


class StatusChangeOut(BaseModel):
    from_status: JobStatus
    to_status: JobStatus
    changed_at: datetime


class JobDetail(JobOut):
    description: str
    evaluation: dict[str, Any] | None = Field(description="the evaluation's keyword coverage and rubric")
    notes: str = Field(description="the person's notes, Markdown")
    user_edited: list[str] = Field(description="fields the person typed: re-reading the posting keeps them")
    contacts: list[ContactOut]
    status_changes: list[StatusChangeOut] = Field(description="every move along the pipeline, newest first")


class JobCreate(BaseModel):
    """A posting: pasted (`description`, with `title`, `company`, … when known) or by `url` alone."""

    model_config = ConfigDict(extra="forbid")

    description: Text | None = Field(None, max_length=200_000, description="the posting's text")
    url: Text | None = Field(None, max_length=2000, description="the posting's page (alone: it is fetched and read)")
    title: Text = Field("", max_length=300)
    company: Text = Field("", max_length=300)
    location: Text = Field("", max_length=300)

    @model_validator(mode="after")
    def _something_to_save(self) -> JobCreate:
        if not (self.description or "").strip() and not (self.url or "").strip():
            raise ValueError("send the posting's text as `description`, or its link as `url`")
        if not (self.description or "").strip() and (self.title or self.company or self.location):
            raise ValueError("title, company and location go with a pasted `description`; a `url` is read for them")
        return self


# Strict: a JSON true or 12.5 is not a salary, nor "yes" a star (Pydantic's lax mode would take them).
Salary = Annotated[int, Field(ge=0, le=MAX_SALARY, strict=True)]
Flag = Annotated[bool, Field(strict=True)]


class JobPatch(BaseModel):
    """Fields to change; a field left out stays as it is, and so does a null one, except the salary amounts and
    the dates, which a null clears. An empty `url` removes the link. The fields changed are marked typed by the
    person: re-reading the posting keeps them."""

    model_config = ConfigDict(extra="forbid")

    status: JobStatus | None = Field(None, description="moving to Interview queues the interview brief")
    title: Text | None = Field(None, max_length=300)
    company: Text | None = Field(None, max_length=300)
    location: Text | None = Field(None, max_length=300)
    url: Text | None = Field(None, max_length=2000)
    notes: Text | None = Field(None, max_length=MAX_NOTES, description="Markdown")
    starred: Flag | None = None
    salary_min: Salary | None = Field(None, description="yearly; at most `salary_max`")
    salary_max: Salary | None = None
    salary_currency: str | None = Field(None, pattern=r"^([A-Za-z]{3})?$", description='"USD", "EUR", …; "" clears')
    work_mode: WorkMode | None = None
    closes_on: IsoDate | None = Field(None, description="ISO date, e.g. 2026-12-31")
    next_step: Text | None = Field(None, max_length=MAX_NEXT_STEP)
    next_step_on: IsoDate | None = Field(None, description="ISO date")

    @model_validator(mode="after")
    def _salary_in_order(self) -> JobPatch:
        if self.salary_min is not None and self.salary_max is not None and self.salary_min > self.salary_max:
            raise ValueError("salary_min is above salary_max")
        return self


class TaskOut(BaseModel):
    """A task's summary (what lists show), never its payload or result."""

    id: int
    kind: str
    status: TaskStatus
    job_id: int | None
    priority: int = Field(description="lower runs first")
    attempt: int
    max_attempts: int
    crashes: int = Field(description="times the worker running it died")
    progress: int = Field(description="0–100 (as last written; live progress comes as events)")
    progress_label: str
    error: str | None
    cancel_requested: bool
    provider: str | None
    model: str | None
    usage: dict[str, Any] | None = Field(description="tokens and estimated cost")
    job_deleted: bool = Field(description="its job was deleted: it is never retried")
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    run_after: datetime
    version: int = Field(description="bumped by every change of the task")


class TaskDetail(TaskOut):
    payload: dict[str, Any] = Field(description="the task's options (and the provider it runs on, without its key)")
    result: dict[str, Any] | None
    errors: list[dict[str, Any]] = Field(description="every error of every attempt")
    stages: list[dict[str, Any]] = Field(description="the stages the task went through")


class JobCreated(BaseModel):
    job: JobOut
    task: TaskOut | None = Field(description="the evaluation (pasted) or the reading of the link (url)")
    created: bool = Field(description="false: the link was already in the pipeline; this is that job")


class JobPage(BaseModel):
    items: list[JobOut]
    total: int = Field(description="jobs matching the filters")
    limit: int
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last one")


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Text = Field(max_length=64, description="e.g. evaluate-job, generate-cv, generate-cover-letter")
    job_id: int | None = Field(None, ge=1, le=MAX_ID)
    options: dict[Annotated[Text, Field(max_length=64)], Annotated[Text, Field(max_length=2000)]] = Field(
        default_factory=dict, description='the kind\'s options, e.g. {"tone": "warm", "length": "short"}'
    )


class TaskQueued(BaseModel):
    task: TaskOut
    created: bool = Field(description="false: the same work was already queued or running; this is that task")


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int = Field(description="tasks matching the filters")
    limit: int
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last one")


class DocumentOut(BaseModel):
    id: int
    job_id: int
    kind: str = Field(description="cv, cover_letter or research")
    version: int
    content: str = Field(description="Markdown")
    provider: str
    model: str
    options: dict[str, Any] | None
    warnings: list[dict[str, Any]] = Field(description="claims the resume does not support")
    task_id: int | None
    created_at: datetime
    downloads: dict[str, str] = Field(description="paths of the md, pdf and docx downloads")


class KindOut(BaseModel):
    name: str
    label: str
    choices: dict[str, list[str]] = Field(description="each option's accepted values, the default first")
    text_options: list[str]
    needs_job: bool
