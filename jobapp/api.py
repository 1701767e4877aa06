"""REST routes, mounted in front of Reflex through `rx.App(api_transformer=...)`: document downloads and
the health check.

Credentials: when JOBAPP_API_TOKEN is set, every download must carry it (`Authorization: Bearer …` or
`?token=…`); when it is not set, only requests from this machine are served, so a port exposed by
accident gives nothing away. `/api/health` needs none: load balancers and monitors call it from other
machines, and it holds no secrets.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import os
import re
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from jobapp import health
from jobapp.db import get_engine, session
from jobapp.documents import to_docx, to_markdown_file, to_pdf
from jobapp.models import Document, Job
from jobapp.runtime import current_runner
from jobapp.settings import load_settings

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS: dict[str, tuple[str, Callable[[str, str], bytes]]] = {
    "md": ("text/markdown; charset=utf-8", lambda markdown, _title: to_markdown_file(markdown)),
    "pdf": ("application/pdf", to_pdf),
    "docx": (DOCX, to_docx),
}
KIND_NAMES = {"cv": "CV", "cover_letter": "Cover letter", "research": "Interview prep"}


def authorized(request: Request) -> bool:
    token = os.environ.get("JOBAPP_API_TOKEN", "")
    if token:
        header = request.headers.get("authorization", "")
        supplied = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        supplied = supplied or request.query_params.get("token", "")
        return hmac.compare_digest(supplied.encode(), token.encode())
    try:
        return ipaddress.ip_address(request.client.host if request.client else "").is_loopback
    except ValueError:
        return False


def _load(doc_id: int) -> tuple[Document, Job] | None:
    with session() as s:
        doc = s.get(Document, doc_id)
        job = s.get(Job, doc.job_id) if doc else None
        return (doc, job) if doc and job else None


def _filename(job: Job, doc: Document, extension: str) -> str:
    stem = f"{job.company} {job.title} {KIND_NAMES.get(doc.kind, doc.kind)} v{doc.version}"
    return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()[:120] + f".{extension}"


async def download(request: Request) -> Response:
    if not authorized(request):
        return PlainTextResponse("Set JOBAPP_API_TOKEN and send it to use the API from another machine.", 401)
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        return PlainTextResponse(f"Unknown format {fmt!r}: use md, pdf or docx.", 404)
    found = await asyncio.to_thread(_load, request.path_params["doc_id"])
    if found is None:
        return PlainTextResponse("No such document (it may have been deleted with its job).", 404)
    doc, job = found
    media_type, render = FORMATS[fmt]
    title = f"{KIND_NAMES.get(doc.kind, doc.kind)}: {job.title} at {job.company}"
    body = await asyncio.to_thread(render, doc.content, title)
    disposition = f'attachment; filename="{_filename(job, doc, fmt)}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


async def health_check(_request: Request) -> Response:
    """This worker's health (jobapp/health.py): 200 when healthy, 503 otherwise, JSON either way."""
    healthy, report = await health.check(get_engine(), current_runner(), load_settings().redis_url)
    return JSONResponse(report, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"})


api = Starlette(
    routes=[
        Route("/api/documents/{doc_id:int}.{fmt}", download),
        Route("/api/health", health_check),
    ]
)
