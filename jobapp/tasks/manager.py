"""Every task-lifecycle verb, and the only code that writes task rows.

Verbs: enqueue, claim, heartbeat, progress, complete, fail, mark_cancelled, cancel, retry, requeue,
rescue, prune, delete_job. Each transition is guarded (`WHERE status = … AND worker_id = …`); a guard
that matches no row means the caller lost the task (cancelled, rescued elsewhere) and must stop.

The verbs are synchronous and short; the asyncio runner calls them through `asyncio.to_thread`.
After each commit the manager publishes a `TaskChanged` summary on the event bus.

Known failure mode (as in Oban's Lifeline): a worker that is alive but cannot reach the database for
longer than its lease has its tasks rescued and run again elsewhere; its own late `complete` is then
refused by the guard, so results are written once, but the handler's side effects ran twice.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from jobapp.db import writer
from jobapp.models import ACTIVE_STATUSES, FINISHED_STATUSES, Job, Task, TaskStatus, utcnow
from jobapp.tasks import retry as retry_policy
from jobapp.tasks.errors import AlreadyEnqueued, JobGone
from jobapp.tasks.events import EventBus, TaskChanged

T = Task.__table__.c  # type: ignore[attr-defined]
TASK_TABLE = Task.__table__  # type: ignore[attr-defined]

# What a list, a badge or the navigation indicator needs; never the payload or result.
SUMMARY_COLUMNS = (
    T.id,
    T.kind,
    T.status,
    T.job_id,
    T.priority,
    T.attempt,
    T.max_attempts,
    T.progress,
    T.progress_label,
    T.error,
    T.cancel_requested,
    T.provider,
    T.usage,
    T.created_at,
    T.updated_at,
    T.started_at,
    T.finished_at,
    T.run_after,
)


def summarize(row: Row) -> dict[str, Any]:
    """A JSON-ready summary of a task row selected with SUMMARY_COLUMNS."""
    out = dict(row._mapping)
    for key, value in out.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
    return out


@dataclass(frozen=True)
class Enqueued:
    task_id: int
    created: bool  # False: an active task already held the dedupe key; this is that task
    task: dict[str, Any]


@dataclass(frozen=True)
class NewTask:
    """What to enqueue; also used for follow-ups written with a completion."""

    kind: str
    job_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None
    priority: int = 0
    max_attempts: int = 3


@dataclass(frozen=True)
class ClaimedTask:
    """What a handler is given about the task it runs."""

    id: int
    kind: str
    job_id: int | None
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


@dataclass(frozen=True)
class HeartbeatResult:
    held: set[int]  # tasks this worker still holds
    cancel: set[int]  # of those, the ones a person asked to cancel


class TaskManager:
    def __init__(self, engine: Engine, bus: EventBus | None = None) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self._lock: AbstractContextManager[Any] = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )
        self.bus = bus or EventBus()
        self._pg = engine.dialect.name == "postgresql"

    # -- helpers -------------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A transaction for a verb. On SQLite it holds the write lock from BEGIN (jobapp.db.writer),
        and this process's verbs queue on a lock of their own first: a thread waiting in SQLite's
        busy handler sleeps in steps of milliseconds, one waiting on the lock wakes when it frees."""
        with self._lock, Session(self._writer, expire_on_commit=False) as s, s.begin():
            yield s

    def _reader(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _emit(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.bus.publish(TaskChanged(summarize(row)))

    def _active_with_key(self, dedupe_key: str) -> Row | None:
        with self._reader() as s:
            query = select(*SUMMARY_COLUMNS).where(
                T.dedupe_key == dedupe_key, T.status.in_(ACTIVE_STATUSES), T.cancel_requested.is_(False)
            )
            return s.execute(query).first()

    @staticmethod
    def _insert_values(new: NewTask, now: datetime) -> dict[str, Any]:
        return {
            "kind": new.kind,
            "status": TaskStatus.QUEUED,
            "job_id": new.job_id,
            "dedupe_key": new.dedupe_key,
            "priority": new.priority,
            "payload": new.payload,
            "max_attempts": new.max_attempts,
            "errors": [],
            "stages": [],
            "attempt": 0,
            "progress": 0,
            "progress_label": "Queued",
            "cancel_requested": False,
            "created_at": now,
            "updated_at": now,
            "run_after": now,
        }

    def task(self, task_id: int) -> dict[str, Any] | None:
        """The full row of one task (reads only)."""
        with self._reader() as s:
            row = s.get(Task, task_id)
            return row.model_dump(mode="json") if row else None

    # -- enqueue -------------------------------------------------------------------------------

    def enqueue(self, new: NewTask) -> Enqueued:
        """Insert a queued task, or return the active task that already holds its dedupe key.

        Race-safe: the partial unique index decides, not a check before the insert.
        """
        for _ in range(5):
            try:
                with self._writing() as s:
                    row = s.execute(
                        insert(TASK_TABLE).values(self._insert_values(new, utcnow())).returning(*SUMMARY_COLUMNS)
                    ).one()
            except IntegrityError:
                if new.dedupe_key and (existing := self._active_with_key(new.dedupe_key)):
                    return Enqueued(existing.id, False, summarize(existing))
                if new.job_id is not None and not self._job_exists(new.job_id):
                    raise JobGone(f"job #{new.job_id} no longer exists") from None
                # The holder of the key finished between our insert and our look-up: go again.
                continue
            self._emit([row])
            return Enqueued(row.id, True, summarize(row))
        msg = f"could not enqueue {new.kind}: dedupe key {new.dedupe_key!r} kept changing hands"
        raise RuntimeError(msg)

    def _job_exists(self, job_id: int) -> bool:
        with self._reader() as s:
            return s.get(Job, job_id) is not None

    # -- claim ---------------------------------------------------------------------------------

    def claim(
        self,
        worker_id: str,
        *,
        limit: int,
        lease_seconds: float,
        kind_room: Mapping[str, int] | None = None,
    ) -> list[ClaimedTask]:
        """Atomically move up to `limit` due queued tasks to running for this worker.

        `kind_room` maps a kind to how many more of it this worker may start (absent: no cap).
        Exactly-once: the UPDATE re-checks status='queued', and on PostgreSQL the candidate rows are
        locked with FOR UPDATE SKIP LOCKED so concurrent runners pick different rows.
        """
        if limit <= 0:
            return []
        room = dict(kind_room or {})
        full = [kind for kind, free in room.items() if free <= 0]
        now = utcnow()
        with self._writing() as s:
            query = select(T.id, T.kind).where(T.status == TaskStatus.QUEUED, T.run_after <= now)
            if full:
                query = query.where(T.kind.not_in(full))
            query = query.order_by(T.priority, T.id).limit(limit * 4 if room else limit)
            if self._pg:
                query = query.with_for_update(skip_locked=True)
            chosen: list[int] = []
            for task_id, kind in s.execute(query):
                if len(chosen) == limit:
                    break
                if kind in room:
                    if room[kind] <= 0:
                        continue
                    room[kind] -= 1
                chosen.append(task_id)
            if not chosen:
                return []
            rows = s.execute(
                update(TASK_TABLE)
                .where(T.id.in_(chosen), T.status == TaskStatus.QUEUED)
                .values(
                    status=TaskStatus.RUNNING,
                    worker_id=worker_id,
                    attempt=T.attempt + 1,
                    started_at=now,
                    updated_at=now,
                    heartbeat_at=now,
                    progress=0,
                    progress_label="Starting",
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                )
                .returning(*SUMMARY_COLUMNS, T.payload)
            ).all()
        rows.sort(key=lambda r: (r.priority, r.id))
        self._emit(rows)
        return [ClaimedTask(r.id, r.kind, r.job_id, r.payload or {}, r.attempt, r.max_attempts) for r in rows]

    # -- while running -------------------------------------------------------------------------

    def heartbeat(self, worker_id: str, *, lease_seconds: float) -> HeartbeatResult:
        """Renew the lease of every task this worker runs; report which it still holds."""
        now = utcnow()
        with self._writing() as s:
            rows = s.execute(
                update(TASK_TABLE)
                .where(T.worker_id == worker_id, T.status == TaskStatus.RUNNING)
                .values(heartbeat_at=now, lease_expires_at=now + timedelta(seconds=lease_seconds))
                .returning(T.id, T.cancel_requested)
            ).all()
        return HeartbeatResult(held={r.id for r in rows}, cancel={r.id for r in rows if r.cancel_requested})

    def progress(self, task_id: int, worker_id: str, *, progress: int, label: str, stage: bool = False) -> bool:
        """Record progress (and, for a new stage, a stage-log entry). False: the task was lost."""
        now = utcnow()
        with self._writing() as s:
            guard = (T.id == task_id, T.status == TaskStatus.RUNNING, T.worker_id == worker_id)
            values: dict[str, Any] = {"progress": progress, "progress_label": label[:300], "updated_at": now}
            if stage:
                stages = s.execute(select(T.stages).where(*guard)).scalar_one_or_none()
                if stages is None:
                    return False
                values["stages"] = [*stages, {"at": now.isoformat(), "label": label[:300]}]
            rows = s.execute(update(TASK_TABLE).where(*guard).values(values).returning(*SUMMARY_COLUMNS)).all()
        self._emit(rows)
        return bool(rows)

    # -- endings -------------------------------------------------------------------------------

    def complete(
        self,
        task_id: int,
        worker_id: str,
        *,
        result: dict[str, Any],
        apply: Callable[[Session], None] | None = None,
        follow_ups: Iterable[NewTask] = (),
        usage: dict[str, Any] | None = None,
        provider: str | None = None,
        delete_job: bool = False,
    ) -> bool:
        """Mark completed and write the results to domain tables in the same transaction.

        `apply` writes the domain rows (it may raise `JobGone`, which rolls everything back).
        Follow-ups are enqueued in that transaction too; a follow-up whose key is already active is
        skipped, since the active task does the same work. `delete_job` then deletes the task's job
        with `delete_job`'s semantics (its other active tasks cancelled); the completed task keeps
        its result. False: the task was lost, nothing written.
        """
        now = utcnow()
        with self._writing() as s:
            row = s.execute(
                update(TASK_TABLE)
                .where(T.id == task_id, T.status == TaskStatus.RUNNING, T.worker_id == worker_id)
                .values(
                    status=TaskStatus.COMPLETED,
                    result=result,
                    progress=100,
                    progress_label="Done",
                    finished_at=now,
                    updated_at=now,
                    lease_expires_at=None,
                    error=None,
                    usage=usage,
                    provider=provider,
                )
                .returning(*SUMMARY_COLUMNS)
            ).one_or_none()
            if row is None:
                return False
            if apply is not None:
                apply(s)
            emitted = [row, *self._insert_follow_ups(s, follow_ups, now)]
            if delete_job and row.job_id is not None:
                emitted += self._cancel_where(s, (T.job_id == row.job_id) & (T.id != task_id))
                s.execute(delete(Job).where(Job.id == row.job_id))  # type: ignore[arg-type]
        self._emit(emitted)
        return True

    def _insert_follow_ups(self, s: Session, follow_ups: Iterable[NewTask], now: datetime) -> list[Row]:
        rows = []
        for new in follow_ups:
            try:
                with s.begin_nested():  # a savepoint, so a dedupe hit does not abort the completion
                    rows.append(
                        s.execute(
                            insert(TASK_TABLE).values(self._insert_values(new, now)).returning(*SUMMARY_COLUMNS)
                        ).one()
                    )
            except IntegrityError:
                continue
        return rows

    def fail(self, task_id: int, worker_id: str, *, error: str, transient: bool) -> retry_policy.RetryDecision | None:
        """Record an error; back to queued with backoff if transient and attempts remain, else failed.

        A task someone asked to cancel is cancelled instead of retried.
        None: the task was lost (cancelled or rescued) and nothing was written.
        """
        now = utcnow()
        with self._writing() as s:
            guard = (T.id == task_id, T.status == TaskStatus.RUNNING, T.worker_id == worker_id)
            current = s.execute(
                select(T.attempt, T.max_attempts, T.errors, T.cancel_requested).where(*guard)
            ).one_or_none()
            if current is None:
                return None
            decision = retry_policy.decide(
                attempt=current.attempt, max_attempts=current.max_attempts, transient=transient, now=now
            )
            if current.cancel_requested:
                decision = retry_policy.RetryDecision(retry=False)
            entry = {"attempt": current.attempt, "at": now.isoformat(), "error": error, "transient": transient}
            values: dict[str, Any] = {
                "error": error,
                "errors": [*current.errors, entry],
                "updated_at": now,
                "worker_id": None,
                "lease_expires_at": None,
            }
            if decision.retry:
                values |= {
                    "status": TaskStatus.QUEUED,
                    "run_after": decision.run_after,
                    "progress_label": f"Retrying after attempt {current.attempt} of {current.max_attempts}",
                }
            elif current.cancel_requested:
                values |= {"status": TaskStatus.CANCELLED, "finished_at": now, "progress_label": "Cancelled"}
            else:
                values |= {"status": TaskStatus.FAILED, "finished_at": now, "progress_label": "Failed"}
            rows = s.execute(update(TASK_TABLE).where(*guard).values(values).returning(*SUMMARY_COLUMNS)).all()
        self._emit(rows)
        return decision

    def mark_cancelled(self, task_id: int, worker_id: str, *, label: str = "Cancelled") -> bool:
        """The runner stopped a running task on request (or because its job is gone)."""
        now = utcnow()
        with self._writing() as s:
            rows = s.execute(
                update(TASK_TABLE)
                .where(T.id == task_id, T.status == TaskStatus.RUNNING, T.worker_id == worker_id)
                .values(
                    status=TaskStatus.CANCELLED,
                    finished_at=now,
                    updated_at=now,
                    lease_expires_at=None,
                    progress_label=label,
                )
                .returning(*SUMMARY_COLUMNS)
            ).all()
        self._emit(rows)
        return bool(rows)

    # -- a person's verbs ----------------------------------------------------------------------

    def cancel(self, task_id: int) -> str | None:
        """Cancel a queued task now, or ask the runner of a running one to stop it.

        Returns the resulting status ("cancelled" or "running" with cancel requested), or None when
        the task was already finished.
        """
        with self._writing() as s:
            rows = self._cancel_where(s, T.id == task_id)
        self._emit(rows)
        return rows[0].status if rows else None

    def _cancel_where(self, s: Session, condition: Any) -> list[Row]:
        now = utcnow()
        queued = s.execute(
            update(TASK_TABLE)
            .where(condition, T.status == TaskStatus.QUEUED)
            .values(status=TaskStatus.CANCELLED, finished_at=now, updated_at=now, progress_label="Cancelled")
            .returning(*SUMMARY_COLUMNS)
        ).all()
        running = s.execute(
            update(TASK_TABLE)
            .where(condition, T.status == TaskStatus.RUNNING)
            .values(cancel_requested=True, updated_at=now, progress_label="Cancelling")
            .returning(*SUMMARY_COLUMNS)
        ).all()
        return [*queued, *running]

    def retry(self, task_id: int) -> dict[str, Any] | None:
        """Put a failed or cancelled task back in the queue with a fresh attempt budget.

        Raises `AlreadyEnqueued` when another active task holds its dedupe key.
        None: the task is not failed or cancelled (or does not exist).
        """
        now = utcnow()
        try:
            with self._writing() as s:
                row = s.execute(
                    update(TASK_TABLE)
                    .where(T.id == task_id, T.status.in_((TaskStatus.FAILED, TaskStatus.CANCELLED)))
                    .values(
                        status=TaskStatus.QUEUED,
                        attempt=0,
                        run_after=now,
                        updated_at=now,
                        finished_at=None,
                        started_at=None,
                        worker_id=None,
                        cancel_requested=False,
                        progress=0,
                        progress_label="Queued (retry)",
                        result=None,
                        error=None,
                    )
                    .returning(*SUMMARY_COLUMNS, T.dedupe_key)
                ).one_or_none()
        except IntegrityError:
            key = self.task(task_id)["dedupe_key"]  # type: ignore[index]
            holder = self._active_with_key(key)
            raise AlreadyEnqueued(holder.id if holder else task_id) from None
        if row is None:
            return None
        self._emit([row])
        return summarize(row)

    def delete_job(self, job_id: int) -> bool:
        """Delete a job and cancel its active tasks, in one transaction. False: no such job."""
        with self._writing() as s:
            rows = self._cancel_where(s, T.job_id == job_id)
            deleted = s.execute(delete(Job).where(Job.id == job_id)).rowcount  # type: ignore[arg-type]
        self._emit(rows)
        return bool(deleted)

    # -- maintenance ---------------------------------------------------------------------------

    def requeue(self, worker_id: str) -> int:
        """Clean shutdown: hand this worker's running tasks back to the queue.

        The interrupted attempt does not count against the task; a task someone asked to cancel
        is cancelled instead.
        """
        now = utcnow()
        with self._writing() as s:
            mine = (T.worker_id == worker_id, T.status == TaskStatus.RUNNING)
            cancelled = s.execute(
                update(TASK_TABLE)
                .where(*mine, T.cancel_requested.is_(True))
                .values(status=TaskStatus.CANCELLED, finished_at=now, updated_at=now, progress_label="Cancelled")
                .returning(*SUMMARY_COLUMNS)
            ).all()
            requeued = s.execute(
                update(TASK_TABLE)
                .where(*mine)
                .values(
                    status=TaskStatus.QUEUED,
                    worker_id=None,
                    lease_expires_at=None,
                    run_after=now,
                    updated_at=now,
                    attempt=T.attempt - 1,
                    progress_label="Queued (server restarted)",
                )
                .returning(*SUMMARY_COLUMNS)
            ).all()
        self._emit([*cancelled, *requeued])
        return len(requeued)

    def rescue(self) -> int:
        """Recover running tasks whose lease expired (their process died).

        Back to queued while attempts remain, failed when spent, cancelled when cancel was asked.
        """
        now = utcnow()
        emitted: list[Row] = []
        with self._writing() as s:
            query = select(T.id, T.attempt, T.max_attempts, T.errors, T.cancel_requested, T.worker_id).where(
                T.status == TaskStatus.RUNNING, T.lease_expires_at < now
            )
            if self._pg:
                query = query.with_for_update(skip_locked=True)
            for stale in s.execute(query).all():
                error = f"worker {stale.worker_id} stopped responding during attempt {stale.attempt}"
                entry = {"attempt": stale.attempt, "at": now.isoformat(), "error": error, "transient": True}
                values: dict[str, Any] = {
                    "errors": [*stale.errors, entry],
                    "worker_id": None,
                    "lease_expires_at": None,
                    "updated_at": now,
                }
                if stale.cancel_requested:
                    values |= {"status": TaskStatus.CANCELLED, "finished_at": now, "progress_label": "Cancelled"}
                elif stale.attempt < stale.max_attempts:
                    values |= {"status": TaskStatus.QUEUED, "run_after": now, "progress_label": "Queued (rescued)"}
                else:
                    values |= {
                        "status": TaskStatus.FAILED,
                        "finished_at": now,
                        "error": error,
                        "progress_label": "Failed",
                    }
                emitted += s.execute(
                    update(TASK_TABLE)
                    .where(T.id == stale.id, T.status == TaskStatus.RUNNING, T.lease_expires_at < now)
                    .values(values)
                    .returning(*SUMMARY_COLUMNS)
                ).all()
        self._emit(emitted)
        return len(emitted)

    def prune(self, *, keep_finished: timedelta, keep_failed: timedelta, keep_max: int) -> int:
        """Delete finished tasks past their age, failed ones later, and any beyond `keep_max`."""
        now = utcnow()
        done = (TaskStatus.COMPLETED, TaskStatus.CANCELLED)
        with self._writing() as s:
            deleted = s.execute(
                delete(TASK_TABLE).where(T.status.in_(done), T.finished_at < now - keep_finished)
            ).rowcount
            deleted += s.execute(
                delete(TASK_TABLE).where(T.status == TaskStatus.FAILED, T.finished_at < now - keep_failed)
            ).rowcount
            newest = (
                select(T.id)
                .where(T.status.in_(FINISHED_STATUSES))
                .order_by(T.id.desc())
                .offset(keep_max)
                .limit(1)
                .scalar_subquery()
            )
            deleted += s.execute(delete(TASK_TABLE).where(T.status.in_(FINISHED_STATUSES), T.id <= newest)).rowcount
        return deleted

    # -- reads for views -----------------------------------------------------------------------

    def summaries(
        self,
        *,
        statuses: Collection[str] | None = None,
        job_id: int | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """Task summaries, newest first."""
        with self._reader() as s:
            query = select(*SUMMARY_COLUMNS).order_by(T.id.desc()).limit(limit)
            if statuses:
                query = query.where(T.status.in_(statuses))
            if job_id is not None:
                query = query.where(T.job_id == job_id)
            return [summarize(r) for r in s.execute(query)]
