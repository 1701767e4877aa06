"""`/api/tasks`: queue work, list and read tasks, cancel and retry them; `/api/kinds`: what can be queued.

Only the engine's own verbs change tasks (`request` → `TaskManager.enqueue`, `cancel`, `retry`): the API never
writes a task row, so every invariant (dedupe, guarded transitions) and every live push holds as in the UI.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import func, select
from sqlmodel import Session

from jobapp.db import get_engine
from jobapp.models import Job, Task, TaskStatus
from jobapp.rest.paging import Sort, encode_cursor, keyset
from jobapp.rest.problems import Conflict, Gone, NotFound, Unprocessable
from jobapp.rest.schemas import MAX_ID, KindOut, TaskCreate, TaskDetail, TaskOut, TaskPage, TaskQueued
from jobapp.runtime import get_manager
from jobapp.tasks import AlreadyEnqueued, JobGone, TaskSummary
from jobapp.tasks.summary import SUMMARY_COLUMNS
from jobapp.work import KINDS, OptionError, request

router = APIRouter(tags=["tasks"])

TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
T = Task.__table__.c  # type: ignore[attr-defined]
NEWEST_FIRST = Sort("id", T.id, True, int)


def task_out(summary: TaskSummary) -> TaskOut:
    return TaskOut.model_validate(summary.to_json())


def _requestable() -> list[str]:
    return [name for name, kind in KINDS.items() if kind.person_can_request]


def _summary(task_id: int) -> TaskSummary:
    summary = get_manager().summary(task_id)
    if summary is None:
        raise NotFound(f"task #{task_id} does not exist (finished tasks are pruned after a while)")
    return summary


@router.get("/api/kinds", response_model=list[KindOut], summary="The kinds of work that can be queued")
def list_kinds() -> list[KindOut]:
    return [
        KindOut(
            name=kind.name,
            label=kind.label,
            choices={
                option: [kind.default(option), *(v for v in values if v != kind.default(option))]
                for option, values in kind.choices.items()
            },
            text_options=list(kind.text_options),
            needs_job=kind.needs_job,
        )
        for kind in KINDS.values()
        if kind.person_can_request
    ]


@router.post(
    "/api/tasks",
    status_code=202,
    response_model=TaskQueued,
    summary="Queue work",
    responses={
        200: {"model": TaskQueued, "description": "The same work is already queued or running: that task."},
        202: {"description": "Queued; follow it at /api/tasks/{id}/events."},
    },
)
def queue_task(body: TaskCreate, response: Response) -> TaskQueued:
    kind = KINDS.get(body.kind)
    if kind is None or not kind.person_can_request:
        why = "is queued by the app itself" if kind else "is not a kind of work"
        kinds = _requestable()
        raise Unprocessable(f"{body.kind!r} {why}; ask for one of: {', '.join(kinds)}", {"kinds": kinds})
    if kind.needs_job and body.job_id is None:
        raise Unprocessable(f"{kind.label} works on a job: send its `job_id`")
    if not kind.needs_job and body.job_id is not None:
        raise Unprocessable(f"{kind.label} does not work on a job: leave out `job_id`")
    if body.job_id is not None:
        with Session(get_engine()) as s:
            if s.get(Job, body.job_id) is None:
                raise NotFound(f"job #{body.job_id} does not exist (it may have been deleted)")
    try:
        queued = request(get_manager(), kind, body.job_id, body.options)
    except OptionError as error:
        raise Unprocessable(str(error), {"options": {o: list(v) for o, v in kind.choices.items()}}) from None
    response.status_code = 202 if queued.created else 200
    return TaskQueued(task=task_out(queued.task), created=queued.created)


@router.get("/api/tasks", response_model=TaskPage, summary="List tasks, newest first")
def list_tasks(
    status: TaskStatus | None = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    job_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip (or use `cursor`)")] = 0,
    cursor: Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")] = None,
) -> TaskPage:
    if cursor is not None and offset:
        raise Unprocessable("page with `offset` or with `cursor`, not both")
    conditions = []
    if status is not None:
        conditions.append(T.status == status.value)
    if kind:
        if kind not in KINDS:
            raise Unprocessable(f"{kind!r} is not a kind of work; kinds: {', '.join(KINDS)}")
        conditions.append(T.kind == kind)
    if job_id is not None:
        conditions.append(T.job_id == job_id)
    query = keyset(select(*SUMMARY_COLUMNS).where(*conditions), NEWEST_FIRST, T.id, cursor)
    with get_engine().connect() as conn:
        rows = conn.execute(query.offset(offset).limit(limit + 1)).all()
        total = conn.execute(select(func.count()).select_from(Task).where(*conditions)).scalar_one()
    more = len(rows) > limit
    items = [TaskSummary.from_row(row) for row in rows[:limit]]
    next_cursor = encode_cursor(NEWEST_FIRST, items[-1].id, items[-1].id) if more else None
    return TaskPage(items=[task_out(t) for t in items], total=total, limit=limit, next_cursor=next_cursor)


@router.get("/api/tasks/{task_id}", response_model=TaskDetail, summary="Read a task, with its payload and result")
def read_task(task_id: TaskId) -> TaskDetail:
    row = get_manager().task(task_id)
    if row is None:
        raise NotFound(f"task #{task_id} does not exist (finished tasks are pruned after a while)")
    return TaskDetail.model_validate(row)


@router.post(
    "/api/tasks/{task_id}/cancel",
    response_model=TaskOut,
    summary="Cancel a task (a running one stops at its next step)",
    responses={409: {"description": "The task has already finished."}},
)
def cancel_task(task_id: TaskId) -> TaskOut:
    manager = get_manager()
    if manager.cancel(task_id) is None:
        summary = _summary(task_id)
        if summary.finished:
            raise Conflict(f"task #{task_id} has already finished ({summary.status})", {"status": summary.status})
    return task_out(_summary(task_id))


@router.post(
    "/api/tasks/{task_id}/retry",
    status_code=202,
    response_model=TaskOut,
    summary="Queue a failed or cancelled task again",
    responses={
        409: {"description": "The task is not failed or cancelled, or another task is doing the same work."},
        410: {"description": "The task's job was deleted."},
    },
)
def retry_task(task_id: TaskId) -> TaskOut:
    try:
        summary = get_manager().retry(task_id)
    except AlreadyEnqueued as error:
        raise Conflict(
            f"task #{error.task_id} is already doing this work; follow that one", {"task_id": error.task_id}
        ) from None
    except JobGone:
        raise Gone(f"task #{task_id} belonged to a job that was deleted; it cannot run again") from None
    if summary is None:
        current = _summary(task_id)
        raise Conflict(
            f"only failed or cancelled tasks can be retried; task #{task_id} is {current.status}",
            {"status": current.status},
        )
    return task_out(summary)
