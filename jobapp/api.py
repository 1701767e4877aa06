"""REST routes, mounted in front of Reflex through `rx.App(api_transformer=...)`: document downloads.

Who may call them is decided by the guard around the whole backend (jobapp/auth): with the login on, a
session cookie or JOBAPP_API_TOKEN; without it, the token when one is set, else this machine only.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from jobapp.db import session
from jobapp.documents import to_docx, to_markdown_file, to_pdf
from jobapp.models import Document, Job

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS: dict[str, tuple[str, Callable[[str, str], bytes]]] = {
    "md": ("text/markdown; charset=utf-8", lambda markdown, _title: to_markdown_file(markdown)),
    "pdf": ("application/pdf", to_pdf),
    "docx": (DOCX, to_docx),
}
KIND_NAMES = {"cv": "CV", "cover_letter": "Cover letter", "research": "Interview prep"}


def _load(doc_id: int) -> tuple[Document, Job] | None:
    with session() as s:
        doc = s.get(Document, doc_id)
        job = s.get(Job, doc.job_id) if doc else None
        return (doc, job) if doc and job else None


def _filename(job: Job, doc: Document, extension: str) -> str:
    stem = f"{job.company} {job.title} {KIND_NAMES.get(doc.kind, doc.kind)} v{doc.version}"
    return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()[:120] + f".{extension}"


async def download(request: Request) -> Response:
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


api = Starlette(routes=[Route("/api/documents/{doc_id:int}.{fmt}", download)])
