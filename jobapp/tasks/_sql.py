"""Every statement the task manager runs, each built once at import.

`_landing` defines, once, the columns every transition into a status sets. `Statements` runs them: through
SQLAlchemy on PostgreSQL, and on SQLite — where a transaction costs tens of microseconds and SQLAlchemy's
execution machinery several times that — the hot ones (enqueue, claim, complete, progress, heartbeat) go
straight to the driver, compiled once to SQL, with the columns' own SQLAlchemy bind and result processors,
so values are stored and read exactly as SQLAlchemy would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    cast,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import Executable, operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.types import TypeEngine
from sqlmodel.sql.sqltypes import UTCDateTime

from jobapp.models import FINISHED_STATUSES, Job, Task, TaskStatus, Worker
from jobapp.tasks import limits
from jobapp.tasks.summary import SUMMARY_COLUMNS

T = Task.__table__.c  # type: ignore[attr-defined]
TASK_TABLE = Task.__table__  # type: ignore[attr-defined]
W = Worker.__table__.c  # type: ignore[attr-defined]
JOB_TABLE = Job.__table__  # type: ignore[attr-defined]
WORKER_TABLE = Worker.__table__  # type: ignore[attr-defined]
QUEUED, RUNNING = TaskStatus.QUEUED, TaskStatus.RUNNING
COMPLETED, FAILED, CANCELLED = TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED

NOW = bindparam("now", type_=T.updated_at.type)
ME = bindparam("me", type_=T.worker_id.type)
ID = bindparam("task_id", type_=T.id.type)


def landing(status: TaskStatus, label: Any) -> dict[str, Any]:
    """The columns every transition into `status` sets: one definition, so no two verbs can disagree
    about what a finished, cancelled or re-queued task looks like."""
    values = {
        "status": status,
        "updated_at": NOW,
        "lease_expires_at": None,  # nobody holds a task that is waiting or finished
        "progress_label": label,
        "version": T.version + 1,
    }
    if status in FINISHED_STATUSES:
        return values | {"finished_at": NOW}  # worker_id stays: the worker that last held it
    if status == QUEUED:
        return values | {"finished_at": None, "worker_id": None}
    raise ValueError(f"{status} is not a landing status (claim moves tasks to running)")


def status_is(status: TaskStatus, *, indexable: bool = True) -> Any:
    """`status = '<status>'`, the status written into the SQL rather than bound. SQLite checks a bound value
    compared with a column that a partial index's WHERE names (the task's partial indexes name the status)
    against that WHERE, and so prepares the statement again every time it is executed: 6-20 us a statement.

    `indexable=False` writes `+status` on the left, which no index can serve (SQLite's way to keep the planner
    from an index)."""
    column = (
        UnaryExpression(T.status, operator=operators.custom_op("+"), type_=T.status.type) if not indexable else T.status
    )
    return column == literal_column(f"'{status.value}'")


def held_by_me(status: TaskStatus) -> tuple[Any, ...]:
    return (T.id == ID, status_is(status), T.worker_id == ME)


def _index(name: str) -> Any:
    return next(index for index in TASK_TABLE.indexes if index.name == name)


def _id_list(name: str, *, sqlite: bool) -> Any:
    """A list of ids bound as one parameter: a JSON array read by json_each on SQLite (one statement for
    any length), an expanding IN on PostgreSQL."""
    if sqlite:
        return select(literal_column("value")).select_from(func.json_each(bindparam(name))).scalar_subquery()
    return bindparam(name, expanding=True)


# -- enqueue -------------------------------------------------------------------------------------------

# What every new task starts as; only kind, job, key, priority, payload, budget and time vary.
NEW_TASK: dict[str, Any] = {
    "status": QUEUED,
    "errors": [],
    "stages": [],
    "attempt": 0,
    "crashes": 0,
    "progress": 0,
    "progress_label": "Queued",
    "cancel_requested": False,
    "job_deleted": False,
    "version": 0,
}
_NEW_VALUES = (
    NEW_TASK
    | {name: bindparam(name, type_=T[name].type) for name in ("kind", "job_id", "dedupe_key", "priority")}
    | {"payload": bindparam("payload", type_=T.payload.type), "max_attempts": bindparam("max_attempts")}
    | {"created_at": NOW, "updated_at": NOW, "run_after": NOW}
)
INSERT_SUMMARY = insert(TASK_TABLE).values(_NEW_VALUES).returning(*SUMMARY_COLUMNS)  # a follow-up, with its summary
# The partial unique index that lets one active task hold a dedupe key (jobapp.models.Task).
_ACTIVE_KEY = _index("uq_task_active_dedupe")


def _insert(*, sqlite: bool) -> Any:
    """A new task's id, or no row when an active task already holds its dedupe key.

    The conflict target is the partial index, named by its column and its own predicate (SQLite matches
    the predicate as written), so the index still decides and a dedupe hit is not an error: a batch goes
    on after one. A missing job is still an error (a foreign key is no conflict target).
    """
    dialect = "sqlite" if sqlite else "postgresql"
    upsert = sqlite_insert if sqlite else postgresql_insert
    return (
        upsert(TASK_TABLE)
        .values(_NEW_VALUES)
        .on_conflict_do_nothing(
            index_elements=[T.dedupe_key], index_where=_ACTIVE_KEY.dialect_options[dialect]["where"]
        )
        .returning(T.id)
    )


# The task holding a key: the index's own predicate (the same text for both databases).
ACTIVE_WITH_KEY = select(*SUMMARY_COLUMNS).where(
    T.dedupe_key == bindparam("key"), _ACTIVE_KEY.dialect_options["sqlite"]["where"]
)


def _existing_jobs(*, sqlite: bool) -> Any:
    """Which of a batch's jobs exist. On PostgreSQL they are locked FOR KEY SHARE, as the foreign key
    check of an insert would lock them, so none can be deleted before the batch commits (on SQLite the
    batch holds the write lock)."""
    return (
        select(JOB_TABLE.c.id)
        .where(JOB_TABLE.c.id.in_(_id_list("jobs", sqlite=sqlite)))
        .with_for_update(read=True, key_share=True)
    )


# PostgreSQL: a batch takes a transaction-scoped lock per dedupe key (this class of the two-integer
# advisory locks, "jobd"), in one order for every batch, before inserting. Without them two batches that
# share keys in different orders would each wait for the other's uncommitted row: a deadlock.
DEDUPE_LOCKS = 0x6A6F6264
LOCK_KEYS = text(
    "SELECT pg_advisory_xact_lock(:lock_class, h) FROM "
    "(SELECT DISTINCT hashtext(key) AS h FROM unnest(CAST(:keys AS text[])) AS key ORDER BY h) AS ordered"
)

# -- claim ---------------------------------------------------------------------------------------------

RUNNING_BY_KIND = select(T.kind, func.count()).where(status_is(RUNNING)).group_by(T.kind)
# Everything a claim weighs before it chooses, in one statement (rows tagged by their first column):
# - "running": running tasks per kind, and whether they are this worker's (at most the cap of rows);
# - "workers": how many workers of the deployment beat within the lease (the caps are shared among them);
# - "limits": the stored limits, if any (`jobapp.tasks.limits`).
_NO_LIMITS = cast(null(), limits.SETTING.c.value.type)  # typed, so PostgreSQL can unite it with the JSON column
CLAIM_STATE = union_all(
    select(literal("running"), T.kind, T.worker_id == ME, func.count(), _NO_LIMITS)
    .where(status_is(RUNNING))
    .group_by(T.kind, T.worker_id == ME),
    select(literal("workers"), null(), null(), func.count(), _NO_LIMITS)
    .select_from(WORKER_TABLE)
    .where(W.heartbeat_at > bindparam("since", type_=W.heartbeat_at.type)),
    select(literal("limits"), null(), null(), null(), limits.SETTING.c.value).where(
        limits.SETTING.c.key == limits.SETTING_KEY
    ),
)
REGISTER_WORKER = insert(WORKER_TABLE).values(id=ME, started_at=NOW, heartbeat_at=NOW)
BEAT_WORKER = update(WORKER_TABLE).where(W.id == ME).values(heartbeat_at=NOW)


# The claim index holds queued rows only; the claim names its predicate as written (not a bound status),
# so both databases' planners see that the index applies.
_QUEUED_ONLY = _index("ix_task_claim").dialect_options["sqlite"]["where"]


def _claim_candidates(*, sqlite: bool) -> Any:
    return (
        select(T.id, T.kind)
        .where(_QUEUED_ONLY, T.run_after <= NOW, T.kind.not_in(_id_list("full", sqlite=sqlite)))
        .order_by(T.priority, T.id)
        .limit(bindparam("scan"))
    )


def _claim(*, sqlite: bool) -> Any:
    # SQLite: the status guard is not indexable, so the rows are found by id (the primary key). Given an
    # indexable status beside the id list, SQLite's planner looks the ids up in ix_task_status_id instead, an
    # index the UPDATE itself changes, and then has to collect the rows in a first pass before changing them:
    # 2-3 times the work for a claim of 4.
    return (
        update(TASK_TABLE)
        .where(T.id.in_(_id_list("chosen", sqlite=sqlite)), status_is(QUEUED, indexable=not sqlite))
        .values(
            status=RUNNING,
            worker_id=ME,
            attempt=T.attempt + 1,
            started_at=NOW,
            updated_at=NOW,
            heartbeat_at=NOW,
            progress=0,
            progress_label="Starting",
            lease_expires_at=bindparam("lease", type_=T.lease_expires_at.type),
            version=T.version + 1,
        )
        .returning(*SUMMARY_COLUMNS, T.payload, T.stages)
    )


# -- while running -------------------------------------------------------------------------------------

HEARTBEAT = (
    update(TASK_TABLE)
    .where(T.worker_id == ME, status_is(RUNNING))
    .values(heartbeat_at=NOW, lease_expires_at=bindparam("lease", type_=T.lease_expires_at.type))
    .returning(T.id, T.cancel_requested)
)
SAVE_PROGRESS = (
    update(TASK_TABLE)
    .where(T.id == ID, status_is(RUNNING), T.worker_id == ME)
    .values(
        progress=bindparam("p_progress"),
        progress_label=bindparam("p_label"),
        stages=bindparam("p_stages", type_=T.stages.type),
        updated_at=NOW,
    )
)

# -- endings -------------------------------------------------------------------------------------------

COMPLETE = (
    update(TASK_TABLE)
    .where(*held_by_me(RUNNING))
    .values(
        landing(COMPLETED, "Done")
        | {
            "result": bindparam("p_result", type_=T.result.type),
            "progress": 100,
            "error": None,
            "usage": bindparam("p_usage", type_=T.usage.type),
            "provider": bindparam("p_provider", type_=T.provider.type),
            "model": bindparam("p_model", type_=T.model.type),
            "stages": bindparam("p_stages", type_=T.stages.type),
        }
    )
    .returning(*SUMMARY_COLUMNS)
)
FAIL_READ = select(T.attempt, T.max_attempts, T.errors, T.cancel_requested).where(*held_by_me(RUNNING))


def _fail(status: TaskStatus, label: Any) -> Any:
    values = landing(status, label) | {
        "error": bindparam("p_error"),
        "errors": bindparam("p_errors", type_=T.errors.type),
        "stages": bindparam("p_stages", type_=T.stages.type),
    }
    if status == QUEUED:
        values["run_after"] = bindparam("p_run_after", type_=T.run_after.type)
    return update(TASK_TABLE).where(*held_by_me(RUNNING)).values(values).returning(*SUMMARY_COLUMNS)


FAIL = {
    QUEUED: _fail(QUEUED, bindparam("p_label")),
    FAILED: _fail(FAILED, bindparam("p_label")),
    CANCELLED: _fail(CANCELLED, "Cancelled"),
}
MARK_CANCELLED = (
    update(TASK_TABLE)
    .where(*held_by_me(RUNNING))
    .values(landing(CANCELLED, bindparam("p_label")) | {"stages": bindparam("p_stages", type_=T.stages.type)})
    .returning(*SUMMARY_COLUMNS)
)

# -- a person's verbs ----------------------------------------------------------------------------------

RETRY = (
    update(TASK_TABLE)
    .where(T.id == ID, T.status.in_((FAILED, CANCELLED)), T.job_deleted.is_(False))
    .values(
        landing(QUEUED, "Queued (retry)")
        | {
            "attempt": 0,
            "crashes": 0,
            "run_after": NOW,
            "started_at": None,
            "cancel_requested": False,
            "progress": 0,
            "result": None,
            "error": None,
        }
    )
    .returning(*SUMMARY_COLUMNS)
)


def cancel_queued(condition: Any, label: str) -> Any:
    return update(TASK_TABLE).where(condition, status_is(QUEUED)).values(landing(CANCELLED, label))


def request_cancel(condition: Any) -> Any:
    return (
        update(TASK_TABLE)
        .where(condition, status_is(RUNNING), T.cancel_requested.is_(False))
        .values(cancel_requested=True, updated_at=NOW, progress_label="Cancelling", version=T.version + 1)
    )


# -- maintenance ---------------------------------------------------------------------------------------

REQUEUE_CANCELLED = (
    update(TASK_TABLE)
    .where(T.worker_id == ME, status_is(RUNNING), T.cancel_requested.is_(True))
    .values(landing(CANCELLED, "Cancelled"))
    .returning(*SUMMARY_COLUMNS)
)
REQUEUE = (
    update(TASK_TABLE)
    .where(T.worker_id == ME, status_is(RUNNING))
    .values(landing(QUEUED, "Queued (server restarted)") | {"run_after": NOW, "attempt": T.attempt - 1})
    .returning(*SUMMARY_COLUMNS)
)
STALE = select(T.id, T.attempt, T.crashes, T.errors, T.cancel_requested, T.worker_id).where(
    status_is(RUNNING), T.lease_expires_at < NOW
)


def _rescue(status: TaskStatus, label: str) -> Any:
    # The crashed try does not count as an attempt: the crash is counted apart.
    values = landing(status, label) | {
        "errors": bindparam("p_errors", type_=T.errors.type),
        "attempt": T.attempt - 1,
        "crashes": T.crashes + 1,
    }
    if status == QUEUED:
        values["run_after"] = NOW
    if status == FAILED:
        values["error"] = bindparam("p_error")
    return (
        update(TASK_TABLE)
        .where(T.id == ID, status_is(RUNNING), T.lease_expires_at < NOW)
        .values(values)
        .returning(*SUMMARY_COLUMNS)
    )


RESCUE = {
    QUEUED: _rescue(QUEUED, "Queued (rescued)"),
    FAILED: _rescue(FAILED, "Failed"),
    CANCELLED: _rescue(CANCELLED, "Cancelled"),
}


# -- running them --------------------------------------------------------------------------------------


# SQLite stores an aware UTC datetime as naive text (SQLAlchemy's DATETIME format); SQLModel's UTCDateTime
# makes it aware again on the way back. Both go through layers of generic processors (`replace(tzinfo=…)`
# alone is 1.5 µs on Python 3.11), and a task's summary carries five of them, so the hot statements take
# these shortcuts for the common case — a value that is UTC already, text that has no offset — and hand
# anything else to SQLAlchemy's own processor. Either way the text written and the value read are the same.
_SQLITE_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def _bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    process = type_._cached_bind_processor(dialect)
    if process is None or not isinstance(type_, UTCDateTime):
        return process

    def utc_text(value: datetime) -> Any:
        if value.tzinfo is UTC:
            return _SQLITE_DATETIME % (
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            )
        return process(value)

    return utc_text


def _result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    process = type_._cached_result_processor(dialect, None)
    if process is None or not isinstance(type_, UTCDateTime):
        return process

    def utc_datetime(value: Any) -> Any:
        try:
            parsed = datetime.fromisoformat(value + "+00:00")  # stored naive, in UTC
        except (TypeError, ValueError):  # not text, or text with an offset of its own
            return process(value)
        # A date without a time reads the appended offset as part of the date: SQLAlchemy's way then.
        return parsed if parsed.tzinfo is UTC else process(value)

    return utc_datetime


class _DriverStatement:
    """A statement compiled once for SQLite and run on the driver's connection."""

    def __init__(self, statement: Executable, engine: Engine) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self._order: tuple[str, ...] = tuple(compiled.positiontup or ())
        # The statement's own literals are converted once, here, and each parameter the caller supplies
        # once per call, however often the statement uses it (`now` sets three columns of a new task).
        self._literals: dict[str, Any] = {}
        self._caller: list[tuple[str, Callable[[Any], Any] | None]] = []
        for name in dict.fromkeys(self._order):
            bind = compiled.binds[name]
            process = _bind_processor(bind.type, dialect)
            if bind.required:
                self._caller.append((name, process))
            else:
                value = process(bind.value) if process is not None and bind.value is not None else bind.value
                if isinstance(value, str):
                    # The plain text the driver would send: a str subclass (a status) costs it an adaptation
                    # look-up at every execution (1.3 us).
                    value = str.__str__(value)
                self._literals[name] = value
        processors = [_result_processor(column.type, dialect) for column in compiled._result_columns]
        # Only the columns that need converting are visited (8 of a summary's 22: dates, JSON, booleans).
        self._results = [(i, p) for i, p in enumerate(processors) if p is not None]

    def bind(self, params: dict[str, Any]) -> tuple[Any, ...]:
        values = self._literals.copy()
        for name, process in self._caller:
            value = params[name]
            values[name] = process(value) if process is not None and value is not None else value
        return tuple(map(values.__getitem__, self._order))

    def rows(self, raw: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        out = []
        for row in raw:
            values = list(row)
            for i, process in self._results:
                if (value := values[i]) is not None:
                    values[i] = process(value)
            out.append(tuple(values))
        return out


class Statements:
    """The statements of one engine. Rows come back as tuples in RETURNING/SELECT order."""

    def __init__(self, engine: Engine) -> None:
        self.sqlite = engine.dialect.name == "sqlite"
        self.claim_candidates = _claim_candidates(sqlite=self.sqlite)
        self.claim = _claim(sqlite=self.sqlite)
        self.insert = _insert(sqlite=self.sqlite)
        self.existing_jobs = _existing_jobs(sqlite=self.sqlite)
        hot = (
            self.insert,
            ACTIVE_WITH_KEY,
            CLAIM_STATE,
            self.claim_candidates,
            self.claim,
            COMPLETE,
            SAVE_PROGRESS,
            HEARTBEAT,
        )
        self._driver = {id(s): _DriverStatement(s, engine) for s in hot} if self.sqlite else {}

    def ids(self, ids: Sequence[Any]) -> Any:
        """A list bound for `_id_list`."""
        return json.dumps(list(ids)) if self.sqlite else list(ids)

    def rows(self, conn: Connection, statement: Executable, params: dict[str, Any] | None = None) -> list[Any]:
        if (driver := self._driver.get(id(statement))) is not None:
            cursor = conn.connection.dbapi_connection.execute(driver.sql, driver.bind(params or {}))
            return driver.rows(cursor.fetchall())
        return list(conn.execute(statement, params or {}).all())

    def run_many(self, conn: Connection, statement: Executable, params: Sequence[dict[str, Any]]) -> None:
        """One statement for many parameter sets, no rows back (progress writes)."""
        if (driver := self._driver.get(id(statement))) is not None:
            conn.connection.dbapi_connection.executemany(driver.sql, [driver.bind(p) for p in params])
        else:
            conn.execute(statement, list(params))
