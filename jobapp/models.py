"""The SQLModel tables. Job pipeline status and task state live on different tables, on purpose:
a job can be "Evaluated" while a cover letter for it is still being written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime columns refuse naive values."""
    return datetime.now(UTC)


class JobStatus(StrEnum):
    PENDING = "Pending"  # added, not yet evaluated
    EVALUATED = "Evaluated"  # fit scored against the profile
    APPLIED = "Applied"  # the person sent an application
    INTERVIEW = "Interview"  # at least one interview scheduled
    OFFER = "Offer"  # an offer arrived
    REJECTED = "Rejected"  # the company said no
    DISCARDED = "Discarded"  # the person lost interest


class WorkMode(StrEnum):
    REMOTE = "remote"  # from anywhere (schema.org jobLocationType TELECOMMUTE)
    HYBRID = "hybrid"  # some days at the office
    ON_SITE = "on-site"  # at the office
    UNKNOWN = "unknown"  # the posting does not say, and neither did the person


class TaskStatus(StrEnum):
    QUEUED = "queued"  # waiting for a runner (maybe until run_after, when backing off)
    RUNNING = "running"  # claimed by one runner, which holds a lease renewed by heartbeat
    COMPLETED = "completed"  # finished; its results were written with this status
    FAILED = "failed"  # gave up: a permanent error or attempts exhausted
    CANCELLED = "cancelled"  # stopped by a person or because its job was deleted


ACTIVE_STATUSES = (TaskStatus.QUEUED, TaskStatus.RUNNING)
FINISHED_STATUSES = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)


class Job(SQLModel, table=True):
    # Lists filtered by status, newest first (the admin, the REST API).
    __table_args__ = (Index("ix_job_status_created_at", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(default="", max_length=300)
    company: str = Field(default="", max_length=300, index=True)
    location: str = Field(default="", max_length=300)
    url: str | None = Field(default=None, max_length=2000, index=True)
    # Who the posting is, whatever link reached it ("greenhouse:acme:123", see jobapp.intake.identity).
    # Unique: two clicks on two links to one posting cannot both become jobs.
    posting_key: str | None = Field(default=None, max_length=255, unique=True, index=True)
    # sha256 of the fetched description's words: two pages serving one posting's text are one job.
    content_hash: str | None = Field(default=None, max_length=64, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default=JobStatus.PENDING, max_length=16, index=True)
    # Evaluation results (written in the transaction that completes evaluate-job).
    fit_score: int | None = Field(default=None, index=True)  # indexed: the fit histogram and the fit sort
    evaluation: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    evaluated_at: datetime | None = None
    # Found by a board scan (discover-jobs): when, and on which followed board. None for jobs a person added.
    discovered_at: datetime | None = None
    board_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("board.id", ondelete="SET NULL"), nullable=True)
    )
    # Discovered and not opened yet: the pipeline shows it as "New" until the person opens its page.
    is_new: bool = False
    # What the person tracks (jobapp.tracking). Salary, work mode and closing date are also filled by intake
    # from the posting, unless the person typed them (see `user_edited`).
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))  # Markdown
    salary_min: int | None = None
    salary_max: int | None = None
    salary_currency: str = Field(default="", max_length=3)  # ISO 4217 ("USD"); "" when unknown
    work_mode: str = Field(default=WorkMode.UNKNOWN, max_length=16)
    closes_on: date | None = None  # applications close (schema.org validThrough)
    starred: bool = False
    next_step: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    next_step_on: date | None = Field(default=None, index=True)
    # Set when the status first becomes Applied; indexed for the applications-per-week chart.
    applied_at: datetime | None = Field(default=None, index=True)
    # The fields the person typed: re-reading the posting never overwrites them.
    user_edited: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list, server_default=text("'[]'"))
    )
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class Contact(SQLModel, table=True):
    """Someone at (or around) the company for one job: a recruiter, the hiring manager, a referrer."""

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(sa_column=Column(Integer, ForeignKey("job.id", ondelete="CASCADE"), nullable=False, index=True))
    name: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    link: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class JobStatusChange(SQLModel, table=True):
    """One move of a job along the pipeline, written by `jobapp.tracking.move_status` whatever moved it."""

    __tablename__ = "job_status_change"
    # "jobs that reached Interview this month": an index range on (to_status, changed_at).
    __table_args__ = (Index("ix_job_status_change_to_status_changed_at", "to_status", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(sa_column=Column(Integer, ForeignKey("job.id", ondelete="CASCADE"), nullable=False, index=True))
    from_status: str = Field(max_length=16)
    to_status: str = Field(max_length=16)
    changed_at: datetime = Field(default_factory=utcnow)


class Profile(SQLModel, table=True):
    """The person using the workspace; one row."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=200)
    resume: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = Field(default_factory=utcnow)


class Setting(SQLModel, table=True):
    """App settings a person changes in the Settings page (the LLM provider, …), one row per key."""

    key: str = Field(primary_key=True, max_length=64)
    value: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Board(SQLModel, table=True):
    """A company job board the person follows (Greenhouse, Lever or Ashby), scanned by discover-jobs.

    `source` is what the person gave: an ATS board link or slug ("greenhouse:acme"), or a careers page that
    embeds or links one. A careers page is read at the first scan (network work never runs in a click), which
    fills in `api` and `slug`. Search terms and locations left empty use the defaults of the Discover page.
    """

    id: int | None = Field(default=None, primary_key=True)
    # The followed board in one form: "greenhouse:acme", or "page:<canonical careers URL>" until resolved.
    key: str = Field(max_length=400, unique=True)
    source: str = Field(default="", max_length=2000)
    api: str = Field(default="", max_length=16)  # greenhouse, lever, lever-eu, ashby; "" until resolved
    slug: str = Field(default="", max_length=200)  # board token / site / organisation
    company: str = Field(default="", max_length=300)
    terms: str = Field(default="", max_length=1000)  # comma-separated; "" → the defaults
    locations: str = Field(default="", max_length=1000)  # comma-separated; "" → the defaults
    # The last scan of this board: when, by which task, what it saw, and its error if it failed.
    last_scan_at: datetime | None = None
    last_task_id: int | None = None
    last_seen: int = 0
    last_matching: int = 0
    last_new: int = 0
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)


class SeenPosting(SQLModel, table=True):
    """Every posting discovery ever added (or found already in the pipeline), by its ATS identity.

    The primary key makes insertion race-safe (two scans cannot both add a posting), and the row outlives
    its job: a discovered job the person deleted is not brought back by the next scan.
    """

    __tablename__ = "seen_posting"

    posting_key: str = Field(primary_key=True, max_length=255)  # "greenhouse:acme:4012345" (see discovery.boards)
    board_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("board.id", ondelete="SET NULL"), nullable=True)
    )
    job_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("job.id", ondelete="SET NULL"), nullable=True)
    )
    first_seen_at: datetime = Field(default_factory=utcnow)


class Schedule(SQLModel, table=True):
    """A recurring task (the board scan every N hours). Whichever worker moves `next_run_at` forward with a
    guarded UPDATE enqueues that period's task; the others' UPDATE matches no row (`jobapp.tasks._scheduler`)."""

    name: str = Field(primary_key=True, max_length=64)  # the task kind it enqueues
    every_seconds: int = 0  # 0: off
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None
    last_task_id: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class Document(SQLModel, table=True):
    """A generated document version (CV, cover letter, research brief); every run keeps its own version."""

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(sa_column=Column(Integer, ForeignKey("job.id", ondelete="CASCADE"), index=True))
    kind: str = Field(max_length=32)
    version: int = 1
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Who wrote it: the provider's label ("OpenAI-compatible server (openrouter.ai)") and the model, apart.
    provider: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    model: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    options: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # Problems found in the draft, e.g. a CV naming an employer the resume does not: [{"kind", "text", "message"}].
    warnings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    task_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


# Which tasks hold their dedupe key (migration 0012 added the last condition).
ACTIVE_KEY_HOLDER = "status IN ('queued', 'running') AND NOT cancel_requested AND dedupe_key IS NOT NULL"


class Task(SQLModel, table=True):
    """One unit of background work. Only `jobapp.tasks.manager.TaskManager` writes these rows."""

    __table_args__ = (
        # At most one active task per dedupe key, enforced by the database (DESIGN invariant 2).
        # A running task being cancelled no longer holds its key: asking again starts a new task. Tasks
        # without a key are left out (NULLs never conflict), so they cost the index nothing.
        Index(
            "uq_task_active_dedupe",
            "dedupe_key",
            unique=True,
            sqlite_where=text(ACTIVE_KEY_HOLDER),
            postgresql_where=text(ACTIVE_KEY_HOLDER),
        ),
        # The claim query: queued rows in (priority, id) order straight from the index, no sort. Partial, so
        # only enqueue and claim touch it: a completion (running → completed) leaves it alone.
        Index(
            "ix_task_claim",
            "status",  # constant here, but it lets the planner prefer this index to ix_task_status_id
            "priority",
            "id",
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        # No (status, finished_at) index: its one reader was the hourly prune, which reads the finished rows
        # of a status through ix_task_status_id (retention bounds them), while every enqueue, claim and
        # completion paid to keep it (migration 0012).
        # Lists filtered by status or kind, newest first (the admin, the REST API).
        Index("ix_task_status_id", "status", "id"),
        Index("ix_task_kind_id", "kind", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    status: str = Field(default=TaskStatus.QUEUED, max_length=16)
    job_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("job.id", ondelete="SET NULL"), index=True, nullable=True),
    )
    dedupe_key: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    # Lower runs first (0 = a person is waiting on it).
    priority: int = 0
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = Field(default=None, sa_column=Column(Text))
    # Every error of every attempt: [{"attempt", "at", "error", "transient"}].
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attempt: int = 0  # tries so far, the running one included; a crash does not count as a try
    max_attempts: int = 8
    crashes: int = 0  # times the worker running it died (lease expired); counted apart from attempts
    progress: int = 0
    progress_label: str = Field(default="", max_length=300)
    # Stage log: [{"at", "label"}], one entry per stage the handler announced.
    stages: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    run_after: datetime = Field(default_factory=utcnow)
    worker_id: str | None = Field(default=None, max_length=64)
    heartbeat_at: datetime | None = None
    lease_expires_at: datetime | None = None
    cancel_requested: bool = False
    provider: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    model: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # {"input_tokens", "output_tokens", "cost_usd"}, plus "estimated" / "price" when they apply.
    usage: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # Bumped by every transition, so events about this task can be ordered whatever delivered them.
    version: int = 0
    # Its job was deleted (job_id is then NULL): shown as such and never retried.
    job_deleted: bool = False


class Worker(SQLModel, table=True):
    """A runner process of the deployment, alive while it beats. Claims divide the caps among the live ones,
    so one busy worker cannot hold every slot while the others idle. Written only by the task manager."""

    id: str = Field(primary_key=True, max_length=64)
    started_at: datetime = Field(default_factory=utcnow)
    heartbeat_at: datetime = Field(default_factory=utcnow, index=True)
