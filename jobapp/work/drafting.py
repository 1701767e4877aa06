"""What every document-writing kind shares: stream a draft with progress, save it as a new version."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import nh3
from sqlmodel import Session, func, select

from jobapp.llm import Request
from jobapp.models import Document, Job
from jobapp.tasks import JobGone, Outcome, TaskContext
from jobapp.work.common import provider_for, total_usage

TAG = re.compile(r"<[A-Za-z!/?]")


def without_html(markdown: str) -> str:
    """A model's Markdown with any HTML removed (scripts with their content); pages never render raw
    HTML either, this keeps stored drafts and their downloads clean too."""
    return nh3.clean(markdown, tags=set()) if TAG.search(markdown) else markdown


async def draft_document(
    ctx: TaskContext,
    request: Request,
    *,
    document_kind: str,
    label: str,
    expected_words: int,
    options: dict[str, Any] | None = None,
    review: Callable[[str], list[dict[str, Any]]] | None = None,
) -> Outcome:
    """Stream the draft live (progress by words written), then keep it as the job's next version.

    `review` returns warnings about the finished text (e.g. facts a CV names that the resume lacks);
    they are stored on the version, not hidden.
    """
    job_id, task_id = ctx.task.job_id, ctx.task.id
    words = 0

    def on_text(piece: str) -> None:
        nonlocal words
        words += len(piece.split())
        ctx.stream(piece)
        ctx.report(15 + int(80 * min(1.0, words / expected_words)), f"{label} ({words} words)")

    await ctx.progress(15, label, stage=True)
    completion = await (await provider_for(ctx)).stream(request, on_text)
    ctx.stream("", flush=True)
    content = without_html(completion.text)
    warnings = review(content) if review else []

    def apply(s: Session) -> None:
        if s.get(Job, job_id) is None:
            raise JobGone(job_id)
        latest = s.exec(
            select(func.max(Document.version)).where(Document.job_id == job_id, Document.kind == document_kind)
        ).one()
        s.add(
            Document(
                job_id=job_id,
                kind=document_kind,
                version=(latest or 0) + 1,
                content=content,
                provider=completion.provider,
                model=completion.model,
                options=options or {},
                warnings=warnings,
                task_id=task_id,
            )
        )

    return Outcome(
        result={"words": len(content.split()), "warnings": len(warnings), **(options or {})},
        apply=apply,
        usage=total_usage([completion]),
        provider=completion.provider,
        model=completion.model,
    )
