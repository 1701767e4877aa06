"""`/api/jobs`: add a posting (pasted or by link), list, read, edit, delete, and a job's documents.

Every write goes through `jobapp.jobs` (which announces it, so open tabs update live) and every task through
the work registry's `request` (the UI's dedupe rules). The endpoints are plain functions: FastAPI runs them in
its thread pool, off the event loop, as the database calls block.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from jobapp import jobs, tracking
from jobapp.db import get_engine
from jobapp.intake import find_known_job, key_for_url, validate_url
from jobapp.models import Document, Job, JobStatus
from jobapp.rest.paging import Sort, encode_cursor, keyset
from jobapp.rest.problems import NotFound, Unprocessable
from jobapp.rest.schemas import MAX_ID, DocumentOut, JobCreate, JobCreated, JobDetail, JobOut, JobPage, JobPatch, Text
from jobapp.rest.tasks import task_out
from jobapp.runtime import get_manager
from jobapp.work import request_evaluation

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

JobId = Annotated[int, Path(ge=1, le=MAX_ID)]
LIST_COLUMNS = tuple(getattr(Job, name) for name in JobOut.model_fields)
SORTS: dict[str, tuple[Any, type]] = {
    "created_at": (Job.created_at, datetime),  # indexed
    "updated_at": (Job.updated_at, datetime),
    "title": (Job.title, str),
    "company": (Job.company, str),  # indexed (0009)
    "status": (Job.status, str),  # indexed
    "fit_score": (func.coalesce(Job.fit_score, -1), int),  # not yet evaluated sorts as lowest
    "id": (Job.id, int),
}
JobSort = StrEnum("JobSort", {f"{d}{k}".replace("-", "desc_"): f"{d}{k}" for k in SORTS for d in ("", "-")})
NEWEST_FIRST = JobSort("-created_at")


def _sort(name: str) -> Sort:
    key = name.removeprefix("-")
    column, value_type = SORTS[key]
    return Sort(key, column, name.startswith("-"), value_type)


def _job_out(job: Job) -> JobOut:
    return JobOut.model_validate(job, from_attributes=True)


def _read_job(job_id: int) -> Job:
    with Session(get_engine()) as s:
        job = s.get(Job, job_id)
    if job is None:
        raise NotFound(f"job #{job_id} does not exist (it may have been deleted)")
    return job


@router.get("", response_model=JobPage, summary="List jobs")
def list_jobs(
    status: JobStatus | None = None,
    company: Annotated[Text | None, Query(max_length=300, description="exact company name, any case")] = None,
    q: Annotated[Text | None, Query(max_length=200, description="words in the title or company")] = None,
    sort: Annotated[JobSort, Query(description="a field, '-' first for descending")] = NEWEST_FIRST,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip (or use `cursor`)")] = 0,
    cursor: Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")] = None,
) -> JobPage:
    if cursor is not None and offset:
        raise Unprocessable("page with `offset` or with `cursor`, not both")
    order = _sort(sort.value)
    conditions = []
    if status is not None:
        conditions.append(Job.status == status.value)
    if company:
        conditions.append(func.lower(Job.company) == company.strip().lower())
    if q and q.strip():
        words = q.strip()
        in_title = col(Job.title).icontains(words, autoescape=True)
        conditions.append(or_(in_title, col(Job.company).icontains(words, autoescape=True)))
    query = keyset(select(*LIST_COLUMNS, order.column.label("sort_value")).where(*conditions), order, Job.id, cursor)
    with get_engine().connect() as conn:
        rows = conn.execute(query.offset(offset).limit(limit + 1)).all()
        total = conn.execute(select(func.count()).select_from(Job).where(*conditions)).scalar_one()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(order, rows[-1].sort_value, rows[-1].id) if more else None
    items = [JobOut.model_validate(dict(row._mapping)) for row in rows]
    return JobPage(items=items, total=total, limit=limit, next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    response_model=JobCreated,
    summary="Add a job",
    responses={
        200: {"model": JobCreated, "description": "That link is already in the pipeline: the existing job."},
        201: {"description": "A pasted posting was saved and its evaluation queued."},
        202: {"description": "A job was made for the link and the reading of the posting queued."},
    },
)
def add_job(body: JobCreate, response: Response) -> JobCreated:
    manager = get_manager()
    if not (body.description or "").strip():
        job_id, created = jobs.add_job_from_url(manager, body.url or "")
        task = manager.summaries(job_id=job_id, limit=1) if created else []
        response.status_code = 202 if created else 200
        return JobCreated(job=_job_out(_read_job(job_id)), task=task_out(task[0]) if task else None, created=created)
    url = ""
    if (body.url or "").strip():
        try:
            url = validate_url(body.url or "")
        except ValueError as error:
            raise Unprocessable(str(error)) from None
        with Session(get_engine()) as s:  # the same posting by any link to it, as intake decides
            existing = find_known_job(s, key=key_for_url(url), url=url, content_hash=None)
        if existing is not None:
            response.status_code = 200
            return JobCreated(job=_job_out(existing), task=None, created=False)
    fields = body.model_dump(include={"title", "company", "location", "description"})
    job_id = jobs.add_job(manager, url=url, **fields)
    queued = request_evaluation(manager, job_id)
    return JobCreated(job=_job_out(_read_job(job_id)), task=task_out(queued.task), created=True)


@router.get("/{job_id}", response_model=JobDetail, summary="Read a job")
def read_job(job_id: JobId) -> JobDetail:
    with Session(get_engine()) as s:
        job = s.get(Job, job_id)
        if job is None:
            raise NotFound(f"job #{job_id} does not exist (it may have been deleted)")
        contacts = [c.model_dump() for c in tracking.contacts_of(s, job_id)]
        changes = [c.model_dump() for c in tracking.history_of(s, job_id)]
        return JobDetail.model_validate({**job.model_dump(), "contacts": contacts, "status_changes": changes})


@router.patch(
    "/{job_id}",
    response_model=JobDetail,
    summary="Edit a job, what the person tracks on it, or move it along the pipeline",
)
def edit_job(job_id: JobId, body: JobPatch) -> JobDetail:
    # Sent as null: cleared for the fields that may be empty, left alone for the others.
    changes = {
        name: value
        for name, value in body.model_dump(exclude_unset=True, mode="json").items()
        if value is not None or name in tracking.NULLABLE_FIELDS
    }
    if not jobs.update_job(get_manager(), job_id, changes):
        raise NotFound(f"job #{job_id} does not exist (it may have been deleted)")
    return read_job(job_id)


@router.delete("/{job_id}", status_code=204, summary="Delete a job (its active tasks are cancelled)")
def delete_job(job_id: JobId) -> Response:
    if not jobs.delete_job(get_manager(), job_id):
        raise NotFound(f"job #{job_id} does not exist (it may have been deleted)")
    return Response(status_code=204)


@router.get("/{job_id}/documents", response_model=list[DocumentOut], summary="A job's documents, newest first")
def list_documents(job_id: JobId) -> list[DocumentOut]:
    _read_job(job_id)
    with Session(get_engine()) as s:
        docs = s.scalars(select(Document).where(Document.job_id == job_id).order_by(col(Document.id).desc())).all()
    return [
        DocumentOut.model_validate(
            {
                **doc.model_dump(),
                "downloads": {fmt: f"/api/documents/{doc.id}.{fmt}" for fmt in ("md", "pdf", "docx")},
            }
        )
        for doc in docs
    ]
