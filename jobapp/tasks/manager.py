"""Every task-lifecycle verb, and the only code that writes task rows.

Verbs: enqueue (enqueue_many: several in one transaction), claim, heartbeat, save_progress, complete_many, fail,
mark_cancelled, cancel, retry, retry_failed, delete_job, requeue, rescue, prune. Each transition is guarded
(`WHERE status = … AND worker_id = …`); a guard that matches no row means the caller lost the task (cancelled,
rescued elsewhere) and must stop. The columns a transition into each status sets are defined once (`_landing`),
and every statement is built once, at import, and only bound and executed per call.

The verbs are synchronous and short; the asyncio runner calls them through `asyncio.to_thread`, batching
where it can: one claim fills every free slot, one transaction completes every task that finished in the
same few milliseconds (group commit), and progress is written once a second for all running tasks.
After each commit the manager publishes `TaskChanged` summaries on the event bus — never before. On SQLite
the write-ahead log is checkpointed on a thread of its own (`checkpoint`), never inside a verb.

Caps hold for the whole deployment: a claim counts the running rows of every worker inside its own
transaction (serialized by SQLite's write lock, or by a PostgreSQL advisory lock) and never starts more
than the limits in force allow (`jobapp.tasks.limits`). The caps are also shared: each runner registers
in the `worker` table and beats with its heartbeat, and a claim leaves a worker no more than its fair
share of the global cap (the cap divided among the live workers, rounded up), so one busy worker cannot
keep every slot while the others idle. A worker alone has the whole cap.

Known failure mode (as in Oban's Lifeline): a worker that is alive but cannot reach the database for
longer than its lease has its tasks rescued and run again elsewhere; its own late completion is then
refused by the guard, so results are written once, but the handler's side effects ran twice.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from jobapp.db import writer
from jobapp.models import FINISHED_STATUSES, Job, Task, utcnow
from jobapp.tasks import _checkpointer
from jobapp.tasks import _sql as sql
from jobapp.tasks import retry as retry_policy
from jobapp.tasks._sql import CANCELLED, COMPLETED, FAILED, QUEUED, TASK_TABLE, T
from jobapp.tasks.errors import AlreadyEnqueued, JobGone
from jobapp.tasks.events import EventBus, TaskChanged
from jobapp.tasks.limits import Limits, limits_from, read_limits
from jobapp.tasks.summary import SUMMARY_COLUMNS, TaskSummary

_SUMMARY_WIDTH = len(SUMMARY_COLUMNS)

# One PostgreSQL advisory lock serializes claims across workers, so the running rows a claim counts
# against the caps cannot change under it ("jobapp" in ASCII).
CLAIM_LOCK = 0x6A6F62617070

# SQLite: a checkpoint copies the write-ahead log back into the database file, with an fsync. Left to
# SQLite, it runs inside the commit that takes the log past 1,000 pages, while that verb holds this
# process's write lock, so that verb and every one queued behind it wait milliseconds (they were the busy
# enqueue's p99). Instead the checkpoint thread (`_checkpointer`) is asked every CHECKPOINT_EVERY commits
# (PASSIVE: writers go on meanwhile); the write connection's own automatic checkpoint stays, as a backstop,
# at a higher bound.
CHECKPOINT_EVERY = 128  # commits: an enqueue writes about 6 pages to the log, a group commit of 4 about 10
CHECKPOINT_BACKSTOP_PAGES = 4000


@dataclass(frozen=True)
class Enqueued:
    task_id: int
    created: bool  # False: an active task already held the dedupe key; this is that task
    task: TaskSummary


@dataclass(frozen=True)
class NewTask:
    """What to enqueue; also used for follow-ups written with a completion."""

    kind: str
    job_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None
    priority: int = 0
    max_attempts: int = 8


@dataclass(frozen=True)
class ClaimedTask:
    """What a handler is given about the task it runs."""

    id: int
    kind: str
    job_id: int | None
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    stages: tuple[dict[str, Any], ...] = ()  # the stage log so far (earlier attempts included)


@dataclass(frozen=True)
class Finished:
    """A handler's result, waiting to be written by `complete_many`."""

    task_id: int
    result: dict[str, Any]
    apply: Callable[[Session], None] | None = None  # domain writes, in the completing transaction
    follow_ups: Sequence[NewTask] = ()
    usage: dict[str, Any] | None = None
    provider: str | None = None
    model: str | None = None
    stages: Sequence[dict[str, Any]] = ()  # the stage log to keep
    delete_job: bool = False  # then delete the task's job, as `delete_job` does (the task keeps its result)


@dataclass(frozen=True)
class ProgressWrite:
    """The latest progress of one running task, written in a batch by `save_progress`."""

    task_id: int
    progress: int
    label: str
    stages: Sequence[dict[str, Any]]


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks a list shows (the activity page) or "Retry all failed" touches; None means any.

    `job_id` 0 means tasks without a job: board scans, and tasks whose job was deleted.
    """

    kind: str | None = None
    status: str | None = None
    job_id: int | None = None

    def conditions(self) -> list[Any]:
        found: list[Any] = []
        if self.kind:
            found.append(T.kind == self.kind)
        if self.status:
            found.append(T.status == self.status)
        if self.job_id == 0:
            found.append(T.job_id.is_(None))
        elif self.job_id is not None:
            found.append(T.job_id == self.job_id)
        return found


@dataclass(frozen=True)
class RetriedMany:
    """What `retry_failed` did, task by task."""

    retried: list[int] = field(default_factory=list)  # queued again
    # Skipped: another active task already holds their dedupe key (it does the same work).
    already_queued: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class HeartbeatResult:
    held: set[int]  # tasks this worker still holds
    cancel: set[int]  # of those, the ones a person asked to cancel


def _insert_values(new: NewTask, now: datetime) -> dict[str, Any]:
    return {
        "kind": new.kind,
        "job_id": new.job_id,
        "dedupe_key": new.dedupe_key,
        "priority": new.priority,
        "payload": new.payload,
        "max_attempts": new.max_attempts,
        "now": now,
    }


def _queued_summary(task_id: int, values: dict[str, Any]) -> TaskSummary:
    """The summary of a task just inserted with `values`: known without reading it back."""
    return TaskSummary(
        id=task_id,
        kind=values["kind"],
        status=QUEUED,
        job_id=values["job_id"],
        priority=values["priority"],
        attempt=0,
        max_attempts=values["max_attempts"],
        crashes=0,
        progress=0,
        progress_label=sql.NEW_TASK["progress_label"],
        error=None,
        cancel_requested=False,
        provider=None,
        model=None,
        usage=None,
        job_deleted=False,
        created_at=values["now"],
        updated_at=values["now"],
        started_at=None,
        finished_at=None,
        run_after=values["now"],
        version=0,
    )


class TaskManager:
    def __init__(self, engine: Engine, bus: EventBus | None = None, *, limits: Limits | None = None) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self._sqlite = engine.dialect.name == "sqlite"
        self._pg = engine.dialect.name == "postgresql"
        self._q = sql.Statements(engine)
        self._lock: AbstractContextManager[Any] = threading.Lock() if self._sqlite else contextlib.nullcontext()
        # SQLite takes one writer at a time, so this process's verbs share one connection (under the lock)
        # instead of checking one out of the pool for every transaction.
        self._sqlite_conn: Connection | None = None
        self._commits = 0  # since the last checkpoint (SQLite)
        self._checkpointing = threading.Lock()  # held from a checkpoint's request to its end
        self.bus = bus or EventBus()
        # The limits when none are saved in Settings (from the environment, see jobapp.preferences).
        self.default_limits = limits or Limits()

    # -- helpers -------------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A transaction for a verb. On SQLite it holds the write lock from BEGIN (jobapp.db.writer),
        and this process's verbs queue on a lock of their own first: a thread waiting in SQLite's
        busy handler sleeps in steps of milliseconds, one waiting on the lock wakes when it frees."""
        with self._lock:
            if not self._sqlite:
                with self._writer.begin() as conn:
                    yield conn
                return
            conn = self._shared_connection()
            with conn.begin():
                yield conn
        self._committed()

    def _shared_connection(self) -> Connection:
        """This process's SQLite write connection (call with the lock held)."""
        if self._sqlite_conn is None or self._sqlite_conn.closed or self._sqlite_conn.invalidated:
            self._sqlite_conn = conn = self._writer.connect()
            conn.connection.dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_BACKSTOP_PAGES}")
            weakref.finalize(self, conn.close)
        return self._sqlite_conn

    def _committed(self) -> None:
        """Count a commit of the SQLite write connection (called after the lock is released); every
        CHECKPOINT_EVERY of them, ask the checkpoint thread for a checkpoint unless one is pending."""
        self._commits += 1  # unlocked: two threads may count one commit once, which only delays a checkpoint
        if self._commits < CHECKPOINT_EVERY or not self._checkpointing.acquire(blocking=False):
            return
        self._commits = 0
        _checkpointer.request(self._checkpoint_and_release)

    def _checkpoint_and_release(self) -> None:
        try:
            self.checkpoint()
        finally:
            self._checkpointing.release()

    def checkpoint(self) -> None:
        """Copy SQLite's write-ahead log back into the database file (PASSIVE: never waits for, nor blocks,
        the writers). On its own connection, without this process's write lock. No-op on PostgreSQL."""
        if not self._sqlite:
            return
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            raw.close()

    def _emit(self, rows: Iterable[Sequence[Any]]) -> list[TaskSummary]:
        summaries = [TaskSummary.from_row(row) for row in rows]
        self.bus.publish_many(TaskChanged(summary) for summary in summaries)
        return summaries

    def limits(self, conn: Connection | None = None) -> Limits:
        """The limits in force (Settings over the environment)."""
        if conn is not None:
            return read_limits(conn, self.default_limits)
        with self.engine.connect() as c:
            return read_limits(c, self.default_limits)

    def task(self, task_id: int) -> dict[str, Any] | None:
        """The full row of one task as JSON (reads only)."""
        with Session(self.engine, expire_on_commit=False) as s:
            row = s.get(Task, task_id)
            return row.model_dump(mode="json") if row else None

    def summary(self, task_id: int) -> TaskSummary | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*SUMMARY_COLUMNS).where(T.id == task_id)).first()
        return TaskSummary.from_row(row) if row else None

    # -- enqueue -------------------------------------------------------------------------------

    def enqueue(self, new: NewTask) -> Enqueued:
        """Insert a queued task, or return the active task that already holds its dedupe key.

        Race-safe: the partial unique index decides, not a check before the insert. Raises `JobGone` when
        the task's job was deleted.
        """
        try:
            if self._sqlite:
                # Each statement is whole on its own: SQLite runs it in a transaction of its own (no BEGIN,
                # no COMMIT), on this process's write connection.
                with self._lock:
                    enqueued = self._insert_or_find(self._shared_connection(), new, utcnow())
                self._committed()
            else:
                with self._writing() as conn:
                    enqueued = self._insert_or_find(conn, new, utcnow())
        except (IntegrityError, sqlite3.IntegrityError):
            # A dedupe hit inserts nothing and raises nothing: this is the job's foreign key.
            if new.job_id is not None and not self._job_exists(new.job_id):
                raise JobGone(new.job_id) from None
            raise
        if enqueued.created:
            self.bus.publish(TaskChanged(enqueued.task))
        return enqueued

    def enqueue_many(self, news: Sequence[NewTask]) -> list[Enqueued | JobGone]:
        """`enqueue` for several tasks in one transaction (on SQLite, one hold of the write lock).

        Entry by entry the same as calling `enqueue` for each in order: an `Enqueued`, created or not (an
        active task, or one earlier in the batch, holds the key: that task is returned), or, for a task
        whose job was deleted, the `JobGone` error in its place, returned rather than raised so the rest of
        the batch is queued. The created tasks are announced after the commit, in one hand-over.
        """
        if not news:
            return []
        now = utcnow()
        results: list[Enqueued | JobGone] = []
        holders: dict[str, Enqueued] = {}  # the task each key resolved to earlier in the batch
        with self._writing() as conn:
            if self._pg and (keys := [new.dedupe_key for new in news if new.dedupe_key]):
                conn.execute(sql.LOCK_KEYS, {"lock_class": sql.DEDUPE_LOCKS, "keys": keys})
            # Checked up front, under the write lock (SQLite) or a lock on the jobs (PostgreSQL), so no
            # insert fails its foreign key: on PostgreSQL a failed statement would abort the whole batch.
            job_ids = list({new.job_id for new in news if new.job_id is not None})
            found = self._q.rows(conn, self._q.existing_jobs, {"jobs": self._q.ids(job_ids)}) if job_ids else []
            jobs = {row[0] for row in found}
            for new in news:
                if new.job_id is not None and new.job_id not in jobs:
                    results.append(JobGone(new.job_id))
                elif new.dedupe_key in holders:
                    holder = holders[new.dedupe_key]
                    results.append(Enqueued(holder.task_id, False, holder.task))
                else:
                    enqueued = self._insert_or_find(conn, new, now)
                    if new.dedupe_key:
                        holders[new.dedupe_key] = enqueued
                    results.append(enqueued)
        self.bus.publish_many(TaskChanged(r.task) for r in results if isinstance(r, Enqueued) and r.created)
        return results

    def _insert_or_find(self, conn: Connection, new: NewTask, now: datetime) -> Enqueued:
        """Insert `new`, or find the active task that holds its dedupe key (the insert then does nothing)."""
        values = _insert_values(new, now)
        for _ in range(5):
            if inserted := self._q.rows(conn, self._q.insert, values):
                return Enqueued(inserted[0][0], True, _queued_summary(inserted[0][0], values))
            if found := self._q.rows(conn, sql.ACTIVE_WITH_KEY, {"key": new.dedupe_key}):
                holder = TaskSummary.from_row(found[0])
                return Enqueued(holder.id, False, holder)
            # The holder finished between the insert and the look-up (each statement sees the latest
            # commits): go again.
        msg = f"could not enqueue {new.kind}: dedupe key {new.dedupe_key!r} kept changing hands"
        raise RuntimeError(msg)

    def _active_with_key(self, dedupe_key: str) -> TaskSummary | None:
        with self.engine.connect() as conn:
            row = conn.execute(sql.ACTIVE_WITH_KEY, {"key": dedupe_key}).first()
        return TaskSummary.from_row(row) if row else None

    def _job_exists(self, job_id: int) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(Job.id).where(Job.id == job_id)).first() is not None  # type: ignore[arg-type]

    # -- claim ---------------------------------------------------------------------------------

    def claim(self, worker_id: str, *, limit: int, lease_seconds: float) -> list[ClaimedTask]:
        """Atomically move up to `limit` due queued tasks to running for this worker, within the caps.

        The global and per-kind caps count the running tasks of every worker, inside this transaction.
        Exactly-once: the UPDATE re-checks status='queued'; claims are serialized (SQLite's write lock,
        a PostgreSQL advisory lock), and candidate rows are also locked with FOR UPDATE SKIP LOCKED there.
        """
        if limit <= 0:
            return []
        with self._writing() as conn:
            rows = self._claim_in(conn, worker_id, limit, lease_seconds, utcnow())
        claimed = self._claimed(rows)
        self._emit(rows)
        return claimed

    def _claim_in(self, conn: Connection, worker_id: str, limit: int, lease_seconds: float, now: datetime) -> list[Any]:
        q = self._q
        if self._pg:
            conn.execute(select(func.pg_advisory_xact_lock(literal(CLAIM_LOCK))))
        limits, live, mine = self.default_limits, 1, 0
        running: dict[str, int] = {}
        since = now - timedelta(seconds=lease_seconds)
        for what, kind, is_mine, count, stored in q.rows(conn, sql.CLAIM_STATE, {"me": worker_id, "since": since}):
            if what == "running":
                running[kind] = running.get(kind, 0) + count
                mine += count if is_mine else 0
            elif what == "workers":
                live = max(1, count)
            else:
                limits = limits_from(stored, self.default_limits)
        fair_share = math.ceil(limits.concurrency / live)
        room = min(limit, limits.concurrency - sum(running.values()), fair_share - mine)
        if room <= 0:
            return []
        kind_room = {kind: cap - running.get(kind, 0) for kind, cap in limits.kind_limits.items()}
        full = [kind for kind, free in kind_room.items() if free <= 0]
        candidates_query = q.claim_candidates.with_for_update(skip_locked=True) if self._pg else q.claim_candidates
        candidates = q.rows(
            conn, candidates_query, {"now": now, "full": q.ids(full), "scan": room * 4 if kind_room else room}
        )
        chosen: list[int] = []
        for task_id, kind in candidates:
            if len(chosen) == room:
                break
            if kind in kind_room:
                if kind_room[kind] <= 0:
                    continue
                kind_room[kind] -= 1
            chosen.append(task_id)
        if not chosen:
            return []
        lease = now + timedelta(seconds=lease_seconds)
        return q.rows(conn, q.claim, {"chosen": q.ids(chosen), "me": worker_id, "now": now, "lease": lease})

    def _claimed(self, rows: list[Any]) -> list[ClaimedTask]:
        """Claimed rows as the runner's tasks, in queue order (the caller announces them after its commit)."""
        rows.sort(key=lambda r: (r[4], r[0]))  # priority, id
        return [
            ClaimedTask(r[0], r[1], r[3], r[_SUMMARY_WIDTH] or {}, r[5], r[6], tuple(r[_SUMMARY_WIDTH + 1] or ()))
            for r in rows
        ]

    # -- while running -------------------------------------------------------------------------

    def register_worker(self, worker_id: str) -> None:
        """A runner joins the deployment (it counts when the caps are shared)."""
        with self._writing() as conn:
            conn.execute(sql.REGISTER_WORKER, {"me": worker_id, "now": utcnow()})

    def heartbeat(self, worker_id: str, *, lease_seconds: float) -> HeartbeatResult:
        """Renew the lease of every task this worker runs, and the worker's own beat; report which tasks it
        still holds. A worker forgotten meanwhile (it looked dead) registers again."""
        now = utcnow()
        with self._writing() as conn:
            rows = self._q.rows(
                conn, sql.HEARTBEAT, {"me": worker_id, "now": now, "lease": now + timedelta(seconds=lease_seconds)}
            )
            if not conn.execute(sql.BEAT_WORKER, {"me": worker_id, "now": now}).rowcount:
                conn.execute(sql.REGISTER_WORKER, {"me": worker_id, "now": now})
        return HeartbeatResult(held={r[0] for r in rows}, cancel={r[0] for r in rows if r[1]})

    def save_progress(self, worker_id: str, writes: Sequence[ProgressWrite]) -> None:
        """Write the latest progress (and stage log) of several running tasks in one transaction.

        Unannounced: progress reaches browsers as `ProgressTick` events when it happens; this write only
        keeps it for whoever opens the task later. A task lost meanwhile is skipped by the guard.
        """
        if not writes:
            return
        now = utcnow()
        params = [
            {
                "task_id": w.task_id,
                "me": worker_id,
                "now": now,
                "p_progress": w.progress,
                "p_label": w.label[:300],
                "p_stages": list(w.stages),
            }
            for w in writes
        ]
        with self._writing() as conn:
            self._q.run_many(conn, sql.SAVE_PROGRESS, params)

    # -- endings -------------------------------------------------------------------------------

    def complete_many(self, worker_id: str, finished: Sequence[Finished]) -> list[bool | Exception]:
        """Mark several tasks completed in one transaction (group commit), each with its domain writes.

        Per task: True (completed, results written), False (the task was lost: nothing written), or the
        exception its `apply` raised (e.g. `JobGone`), which rolled back only that task's writes. Follow-ups
        are enqueued with their task; one whose key is already active is skipped (the active task does
        the same work). The summaries are published after the commit.
        """
        return self.complete_and_claim(worker_id, finished, claim=0, lease_seconds=0)[0]

    def complete_and_claim(
        self, worker_id: str, finished: Sequence[Finished], *, claim: int, lease_seconds: float
    ) -> tuple[list[bool | Exception], list[ClaimedTask]]:
        """`complete_many`, then `claim` up to `claim` tasks for the slots it frees, in the same
        transaction: a busy worker pays one commit per batch, not two."""
        outcomes: list[bool | Exception] = []
        emitted: list[Sequence[Any]] = []
        now = utcnow()
        with self._writing() as conn:
            for item in finished:
                params = {
                    "task_id": item.task_id,
                    "me": worker_id,
                    "now": now,
                    "p_result": item.result,
                    "p_usage": item.usage,
                    "p_provider": item.provider,
                    "p_model": item.model,
                    "p_stages": list(item.stages),
                }
                if item.apply is None and not item.follow_ups and not item.delete_job:
                    rows = self._q.rows(conn, sql.COMPLETE, params)
                    outcomes.append(bool(rows))
                    emitted += rows
                    continue
                try:
                    with conn.begin_nested():  # this task's writes stand or fall together
                        written = self._q.rows(conn, sql.COMPLETE, params)
                        if written:
                            if item.apply is not None:
                                with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
                                    item.apply(s)
                                    s.commit()
                            written += self._insert_follow_ups(conn, item.follow_ups, now)
                            if item.delete_job and (job_id := written[0][3]) is not None:
                                written += self._delete_job(conn, job_id, keep=item.task_id)[0]
                except Exception as error:
                    outcomes.append(error)
                    continue
                emitted += written
                outcomes.append(bool(written))
            claimed = self._claim_in(conn, worker_id, claim, lease_seconds, now) if claim > 0 else []
        tasks = self._claimed(claimed)
        self._emit([*emitted, *claimed])  # one announcement for the whole transaction
        return outcomes, tasks

    def complete(self, task_id: int, worker_id: str, **fields: Any) -> bool:
        """`complete_many` for one task (its `apply` exceptions are raised)."""
        (outcome,) = self.complete_many(worker_id, [Finished(task_id, **fields)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _insert_follow_ups(self, conn: Connection, follow_ups: Iterable[NewTask], now: datetime) -> list[Any]:
        rows = []
        for new in follow_ups:
            try:
                with conn.begin_nested():  # a savepoint, so a dedupe hit does not abort the completion
                    rows.append(conn.execute(sql.INSERT_SUMMARY, _insert_values(new, now)).one())
            except IntegrityError:
                continue
        return rows

    def fail(
        self,
        task_id: int,
        worker_id: str,
        *,
        error: str,
        transient: bool,
        retry_after: float | None = None,
        stages: Sequence[dict[str, Any]] = (),
    ) -> retry_policy.RetryDecision | None:
        """Record an error; back to queued with backoff if transient and attempts remain, else failed.

        A task someone asked to cancel is cancelled instead of retried.
        None: the task was lost (cancelled or rescued) and nothing was written.
        """
        now = utcnow()
        with self._writing() as conn:
            current = conn.execute(sql.FAIL_READ, {"task_id": task_id, "me": worker_id}).first()
            if current is None:
                return None
            decision = retry_policy.decide(
                attempt=current.attempt,
                max_attempts=current.max_attempts,
                transient=transient,
                now=now,
                retry_after=retry_after,
            )
            entry = {
                "attempt": current.attempt,
                "at": now.isoformat(),
                "error": error,
                "transient": transient,
                "worker": worker_id,
            }
            params = {
                "task_id": task_id,
                "me": worker_id,
                "now": now,
                "p_error": error,
                "p_errors": [*current.errors, entry],
                "p_stages": list(stages),
            }
            if current.cancel_requested:
                decision = retry_policy.RetryDecision(retry=False)
                status = CANCELLED
            elif decision.retry:
                status = QUEUED
                params["p_run_after"] = decision.run_after
                params["p_label"] = f"Waiting to retry (attempt {current.attempt} of {current.max_attempts} failed)"
            else:
                status = FAILED
                params["p_label"] = (
                    f"Failed after {current.attempt} attempts" if transient and current.attempt > 1 else "Failed"
                )
            rows = conn.execute(sql.FAIL[status], params).all()
        self._emit(rows)
        return decision

    def mark_cancelled(
        self, task_id: int, worker_id: str, *, label: str = "Cancelled", stages: Sequence[dict[str, Any]] = ()
    ) -> bool:
        """The runner stopped a running task on request (or because its job is gone)."""
        params = {"task_id": task_id, "me": worker_id, "now": utcnow(), "p_label": label, "p_stages": list(stages)}
        with self._writing() as conn:
            rows = conn.execute(sql.MARK_CANCELLED, params).all()
        self._emit(rows)
        return bool(rows)

    # -- a person's verbs ----------------------------------------------------------------------

    def cancel(self, task_id: int) -> str | None:
        """Cancel a queued task now, or ask the runner of a running one to stop it.

        Returns the resulting status ("cancelled" or "running" with cancel requested), or None when
        the task was already finished.
        """
        with self._writing() as conn:
            rows = self._cancel_where(conn, T.id == task_id)
        self._emit(rows)
        return rows[0].status if rows else None

    def _cancel_where(self, conn: Connection, condition: Any, label: str = "Cancelled") -> list[Any]:
        params = {"now": utcnow()}
        queued = conn.execute(sql.cancel_queued(condition, label).returning(*SUMMARY_COLUMNS), params).all()
        running = conn.execute(sql.request_cancel(condition).returning(*SUMMARY_COLUMNS), params).all()
        return [*queued, *running]

    def retry(self, task_id: int) -> TaskSummary | None:
        """Put a failed or cancelled task back in the queue with a fresh budget of attempts and crashes.

        Raises `AlreadyEnqueued` when another active task holds its dedupe key, `JobGone` when its job
        was deleted. None: the task is not failed or cancelled (or does not exist).
        """
        try:
            with self._writing() as conn:
                row = conn.execute(sql.RETRY, {"task_id": task_id, "now": utcnow()}).first()
                if row is None:
                    gone = conn.execute(select(T.job_deleted).where(T.id == task_id)).scalar_one_or_none()
                    if gone:
                        raise JobGone(None)
        except IntegrityError:
            with self.engine.connect() as conn:
                key = conn.execute(select(T.dedupe_key).where(T.id == task_id)).scalar_one()
            holder = self._active_with_key(key)
            raise AlreadyEnqueued(holder.id if holder else task_id) from None
        if row is None:
            return None
        return self._emit([row])[0]

    def retry_failed(self, where: TaskFilter, *, limit: int = 500) -> RetriedMany:
        """`retry` every failed task matching `where` (tasks of deleted jobs excepted), newest first.

        Each goes through `retry`, so dedupe holds: of two failed tasks with one key, the newer is queued
        and the older is reported as already queued. A filter on another status matches nothing.
        """
        report = RetriedMany()
        if where.status not in (None, "", FAILED):
            return report
        query = (
            select(T.id)
            .where(*TaskFilter(where.kind, FAILED, where.job_id).conditions(), T.job_deleted.is_(False))
            .order_by(T.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            ids = list(conn.execute(query).scalars())
        for task_id in ids:
            try:
                if self.retry(task_id) is not None:
                    report.retried.append(task_id)
            except AlreadyEnqueued:
                report.already_queued.append(task_id)
            except JobGone:
                continue  # its job was deleted meanwhile
        return report

    def delete_job(self, job_id: int) -> bool:
        """Delete a job and cancel its active tasks, in one transaction. False: no such job.

        Its tasks stay in the activity log, marked as belonging to a deleted job (never retried).
        """
        with self._writing() as conn:
            rows, deleted = self._delete_job(conn, job_id)
        self._emit(rows)
        return deleted

    def _delete_job(self, conn: Connection, job_id: int, *, keep: int | None = None) -> tuple[list[Any], bool]:
        """Cancel the job's active tasks (all but `keep`), mark its tasks, delete it.

        Returns the cancelled tasks' rows, and whether the job existed."""
        condition = T.job_id == job_id if keep is None else (T.job_id == job_id) & (T.id != keep)
        rows = self._cancel_where(conn, condition, label="Cancelled: job deleted")
        conn.execute(update(TASK_TABLE).where(T.job_id == job_id).values(job_deleted=True))
        deleted = conn.execute(delete(Job).where(Job.id == job_id)).rowcount  # type: ignore[arg-type]
        return rows, bool(deleted)

    # -- maintenance ---------------------------------------------------------------------------

    def requeue(self, worker_id: str) -> int:
        """Clean shutdown: hand this worker's running tasks back to the queue.

        The interrupted attempt does not count against the task; a task someone asked to cancel
        is cancelled instead.
        """
        params = {"me": worker_id, "now": utcnow()}
        with self._writing() as conn:
            cancelled = conn.execute(sql.REQUEUE_CANCELLED, params).all()
            requeued = conn.execute(sql.REQUEUE, params).all()
            conn.execute(delete(sql.WORKER_TABLE).where(sql.W.id == worker_id))  # it leaves the deployment
        self._emit([*cancelled, *requeued])
        return len(requeued)

    def rescue(self, *, lease_seconds: float = 30.0) -> int:
        """Recover running tasks whose lease expired (their process died).

        A crash is counted apart from attempts: the task goes back to the queue until it has lost its
        worker `max_crashes` times (then it fails, saying so); a task someone asked to cancel is cancelled.
        Workers that stopped beating `lease_seconds` ago are forgotten, so the caps are shared among the
        live ones only.
        """
        now = utcnow()
        emitted: list[Any] = []
        with self._writing() as conn:
            conn.execute(delete(sql.WORKER_TABLE).where(sql.W.heartbeat_at < now - timedelta(seconds=lease_seconds)))
            limits = read_limits(conn, self.default_limits)
            stale_query = sql.STALE.with_for_update(skip_locked=True) if self._pg else sql.STALE
            for stale in conn.execute(stale_query, {"now": now}).all():
                crashes = stale.crashes + 1
                error = f"worker {stale.worker_id} stopped responding during attempt {stale.attempt}"
                entry = {"attempt": stale.attempt, "at": now.isoformat(), "error": error, "transient": True}
                if stale.cancel_requested:
                    status = CANCELLED
                elif crashes < limits.max_crashes:
                    status = QUEUED
                else:
                    status = FAILED
                    error = f"the task's worker stopped responding {crashes} times; giving up"
                params = {"task_id": stale.id, "now": now, "p_errors": [*stale.errors, entry], "p_error": error}
                emitted += conn.execute(sql.RESCUE[status], params).all()
        self._emit(emitted)
        return len(emitted)

    def prune(self, *, keep_finished: timedelta, keep_failed: timedelta, keep_max: int) -> int:
        """Delete finished tasks past their age, failed ones later, and any beyond `keep_max`."""
        now = utcnow()
        with self._writing() as conn:
            deleted = conn.execute(
                delete(TASK_TABLE).where(T.status.in_((COMPLETED, CANCELLED)), T.finished_at < now - keep_finished)
            ).rowcount
            deleted += conn.execute(
                delete(TASK_TABLE).where(T.status == FAILED, T.finished_at < now - keep_failed)
            ).rowcount
            newest = (
                select(T.id)
                .where(T.status.in_(FINISHED_STATUSES))
                .order_by(T.id.desc())
                .offset(keep_max)
                .limit(1)
                .scalar_subquery()
            )
            deleted += conn.execute(delete(TASK_TABLE).where(T.status.in_(FINISHED_STATUSES), T.id <= newest)).rowcount
        return deleted

    # -- reads for views -----------------------------------------------------------------------

    def summaries(
        self,
        *,
        statuses: Collection[str] | None = None,
        job_id: int | None = None,
        ids: Collection[int] | None = None,
        limit: int = 200,
    ) -> list[TaskSummary]:
        """Task summaries, newest first."""
        query = select(*SUMMARY_COLUMNS).order_by(T.id.desc()).limit(limit)
        if statuses:
            query = query.where(T.status.in_(statuses))
        if job_id is not None:
            query = query.where(T.job_id == job_id)
        if ids is not None:
            query = query.where(T.id.in_(ids))
        with self.engine.connect() as conn:
            return [TaskSummary.from_row(r) for r in conn.execute(query)]

    def listing(self, where: TaskFilter, *, offset: int = 0, limit: int = 50) -> tuple[list[TaskSummary], int]:
        """One page of the tasks matching `where`, newest first, and how many match in all."""
        conditions = where.conditions()
        query = select(*SUMMARY_COLUMNS).where(*conditions).order_by(T.id.desc()).offset(offset).limit(limit)
        count = select(func.count()).select_from(TASK_TABLE).where(*conditions)
        with self.engine.connect() as conn:
            rows = [TaskSummary.from_row(r) for r in conn.execute(query)]
            return rows, int(conn.execute(count).scalar_one())

    def running_counts(self) -> dict[str, int]:
        """Running tasks per kind, across every worker."""
        with self.engine.connect() as conn:
            return dict(conn.execute(sql.RUNNING_BY_KIND).all())


__all__ = [
    "ClaimedTask",
    "Enqueued",
    "Finished",
    "HeartbeatResult",
    "NewTask",
    "ProgressWrite",
    "RetriedMany",
    "TaskFilter",
    "TaskManager",
]
