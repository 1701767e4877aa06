"""The REST API (FastAPI), mounted in front of Reflex through `rx.App(api_transformer=api)`.

Routes: `/api/jobs` and `/api/tasks` (`jobapp.rest`), a task's live events (`/api/tasks/{id}/events`), the
document downloads (`/api/documents/{id}.{md|pdf|docx}`), this worker's health (`/api/health`: no
credentials, it holds no secrets, load balancers call it); the OpenAPI document at `/api/openapi.json` and
browsable docs at `/api/docs` (both public: they describe the API, they hold no data). Every other path falls
through to Reflex (`/_event`, `/ping`, `/_upload`, the admin at `/admin`, the frontend in single-port mode).

Credentials are decided by the guard around the whole backend (`jobapp.auth`), which `authorized` reads: with
the login on, a session or JOBAPP_API_TOKEN; without it, the token when one is set (`Authorization: Bearer …`),
else this machine only, so a port exposed by accident gives nothing away. The token is never accepted in the
URL: access logs (granian's, uvicorn's, a proxy's) record URLs, not headers.

Errors are JSON, `{"error": "a sentence", "detail": …}`, with the status code that says what happened; bad
input is a 4xx, never a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import AsyncIterator, Callable
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Path, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount

from jobapp import health
from jobapp.auth import api_access, granted_access
from jobapp.db import get_engine, reader
from jobapp.documents import to_docx, to_markdown_file, to_pdf
from jobapp.jobs import JobInputError
from jobapp.models import Document, Job
from jobapp.rest import events, jobs, tasks
from jobapp.rest.events import get_streams
from jobapp.rest.problems import NotFound, Problem, Unprocessable
from jobapp.rest.schemas import MAX_ID, ErrorBody
from jobapp.runtime import current_runner
from jobapp.settings import load_settings

logger = logging.getLogger("jobapp.api")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS: dict[str, tuple[str, Callable[[str, str], bytes]]] = {
    "md": ("text/markdown; charset=utf-8", lambda markdown, _title: to_markdown_file(markdown)),
    "pdf": ("application/pdf", to_pdf),
    "docx": (DOCX, to_docx),
}
KIND_NAMES = {"cv": "CV", "cover_letter": "Cover letter", "research": "Interview prep"}


def authorized(request: Request) -> bool:
    """May this request use the API? The guard around the whole backend decides (jobapp.auth: a login session,
    the API token, or this machine); the API on its own (no guard in front) applies the guard's rule itself."""
    if granted_access(request.scope) is not None:
        return True
    return api_access(request.scope, os.environ.get("JOBAPP_API_TOKEN", "")) is not None


class Unauthorized(Problem):
    status_code = 401


class Forbidden(Problem):
    status_code = 403


# Declared so the OpenAPI document (and the docs' "Authorize" button) shows how to authenticate.
bearer = HTTPBearer(auto_error=False, description="The server's JOBAPP_API_TOKEN (required when it is set).")


async def require_access(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> None:
    if authorized(request):
        return
    if os.environ.get("JOBAPP_API_TOKEN"):
        raise Unauthorized("send the API token as `Authorization: Bearer <token>`")
    raise Forbidden("this API answers only this machine; set JOBAPP_API_TOKEN on the server to use it from elsewhere")


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route takes, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def known_parameters_only(request: Request) -> None:
    """Refuse query parameters the route does not take: a misspelt filter (`?stauts=failed`) would otherwise
    be ignored and answer with everything."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    if unknown := sorted(set(request.query_params) - known):
        taken = ", ".join(sorted(known)) or "none"
        raise Unprocessable(f"unknown query parameter {', '.join(map(repr, unknown))} (parameters: {taken})")


@contextlib.asynccontextmanager
async def api_lifespan(app: Any) -> AsyncIterator[None]:
    """Fold task events from the start, so a stream opened mid-task gets the text produced so far.

    Reflex passes its app as `app` (by name); a standalone ASGI server passes the FastAPI app."""
    get_streams().start()
    try:
        yield
    finally:
        await get_streams().stop()


ERRORS = {status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 410, 422)}
api = FastAPI(
    title="jobapp",
    version="1",
    summary="Add jobs, queue work and follow it live.",
    description="Authenticate with `Authorization: Bearer <JOBAPP_API_TOKEN>` (without a token configured, "
    'the API answers only this machine). Errors are `{"error": …, "detail": …}`.',
    openapi_url="/api/openapi.json",
    docs_url="/api/docs",
    redoc_url=None,
    swagger_ui_oauth2_redirect_url="/api/docs/oauth2-redirect",
    lifespan=api_lifespan,
)
guarded = [Depends(require_access), Depends(known_parameters_only)]
for router in (jobs.router, tasks.router, events.router):
    api.include_router(router, dependencies=guarded, responses=ERRORS)


class Format(StrEnum):
    md = "md"
    pdf = "pdf"
    docx = "docx"


def _load(doc_id: int) -> tuple[Document, Job] | None:
    with reader() as s:
        doc = s.get(Document, doc_id)
        job = s.get(Job, doc.job_id) if doc else None
        return (doc, job) if doc and job else None


def _filename(job: Job, doc: Document, extension: str) -> str:
    stem = f"{job.company} {job.title} {KIND_NAMES.get(doc.kind, doc.kind)} v{doc.version}"
    return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()[:120] + f".{extension}"


@api.get(
    "/api/documents/{doc_id}.{fmt}",
    dependencies=guarded,
    responses=ERRORS | {200: {"content": {m: {} for m, _ in FORMATS.values()}, "description": "The document."}},
    response_class=Response,
    tags=["documents"],
    summary="Download a document as Markdown, PDF or DOCX",
)
async def download(doc_id: Annotated[int, Path(ge=1, le=MAX_ID)], fmt: Format) -> Response:
    found = await asyncio.to_thread(_load, doc_id)
    if found is None:
        raise NotFound(f"document #{doc_id} does not exist (it may have been deleted with its job)")
    doc, job = found
    media_type, render = FORMATS[fmt.value]
    title = f"{KIND_NAMES.get(doc.kind, doc.kind)}: {job.title} at {job.company}"
    body = await asyncio.to_thread(render, doc.content, title)
    disposition = f'attachment; filename="{_filename(job, doc, fmt.value)}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


class WorkerReport(BaseModel):
    id: str | None  # the runner's worker id (host:pid:suffix); None while it is not running
    pid: int
    running: int  # tasks this worker runs now


class HealthReport(BaseModel):
    status: Literal["ok", "unhealthy"]
    database: str  # "ok", or the kind of error
    redis: str  # "ok", "not configured", or the kind of error
    runner: Literal["fetching", "stopped"]
    worker: WorkerReport
    queue: dict[str, int]  # queued and running tasks of the whole deployment


@api.get(
    "/api/health",
    tags=["health"],
    summary="This worker's health: database, Redis, runner, queue",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "A check failed: the report says which."}},
)
async def health_check() -> Response:
    """200 when healthy, 503 otherwise, JSON either way (jobapp/health.py). No credentials: it holds no secrets."""
    healthy, report = await health.check(get_engine(), current_runner(), load_settings().redis_url)
    return JSONResponse(report, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"})


ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@api.api_route("/api/{path:path}", methods=list(ANY_METHOD), include_in_schema=False)
async def unknown(request: Request) -> Response:
    """An /api path no route serves answers in JSON, like every other API error (not Reflex's text 404).

    Routes added to `api` must come before this one (it matches any /api path); Reflex mounts itself after it."""
    allowed = [
        method
        for method in ANY_METHOD
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in _api_routes())
    ]
    if allowed:
        methods = ", ".join(allowed)
        return _error(405, f"{request.method} is not allowed here; use {methods}", {"Allow": methods})
    return _error(404, f"no API route at {request.url.path}; see /api/docs")


def _api_routes() -> list[BaseRoute]:
    """The API's own routes: not this catch-all, nor the mount through which Reflex serves everything else."""
    return [r for r in api.routes if getattr(r, "endpoint", None) is not unknown and not isinstance(r, Mount)]


def _error(status: int, message: str, headers: dict[str, str] | None = None, detail: Any = None) -> JSONResponse:
    return JSONResponse({"error": message, "detail": detail}, status_code=status, headers=headers)


@api.exception_handler(Problem)
async def _problem(_request: Request, problem: Problem) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if problem.status_code == 401 else None
    return _error(problem.status_code, problem.message, headers, problem.detail)


@api.exception_handler(JobInputError)
async def _job_input(_request: Request, error: JobInputError) -> Response:
    return _error(422, str(error))


@api.exception_handler(RequestValidationError)
async def _invalid(_request: Request, error: RequestValidationError) -> Response:
    # The offending input is not echoed back: it may be large, or a secret pasted in the wrong field.
    problems = [{"where": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in error.errors()]
    first = problems[0] if problems else {"where": "request", "problem": "is not valid"}
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return _error(422, f"{first['where']}: {first['problem']}{more}", detail=problems)


@api.exception_handler(HTTPException)
async def _http(_request: Request, error: HTTPException) -> Response:
    return _error(error.status_code, str(error.detail), error.headers)


@api.exception_handler(Exception)
async def _crash(request: Request, error: Exception) -> Response:
    logger.exception("%s %s failed", request.method, request.url.path)
    return _error(500, "the server failed to answer; the error is in its log")
