"""The interview view's rows: jobs in Interview with their latest company brief and its talking points."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, select

from jobapp.models import Document, Job, JobStatus
from jobapp.work import research

LIMIT = 200


def section(markdown: str, heading: str) -> str:
    """The body of the `## heading` section of a brief ("" when it has none)."""
    pattern = rf"^##\s+{re.escape(heading)}\s*$(.*?)(?=^##\s|\Z)"
    found = re.search(pattern, markdown, re.MULTILINE | re.DOTALL | re.IGNORECASE)
    return found.group(1).strip() if found else ""


def talking_points(markdown: str) -> list[str]:
    """The brief's talking points, one per bullet (a paragraph counts as one point)."""
    body = section(markdown, "Talking points")
    bullets = [m.group(1).strip() for m in re.finditer(r"^\s*(?:[-*+]|\d+[.)])\s+(.+)$", body, re.MULTILINE)]
    return bullets or ([body] if body else [])


def interview_rows(s: Session, researching: set[int], limit: int = LIMIT) -> list[dict[str, Any]]:
    """Jobs in Interview, most recently changed first, each with its newest brief (if any).

    `researching`: the jobs with a company-research task queued or running (from the live picture).
    """
    jobs = s.exec(
        select(Job).where(Job.status == JobStatus.INTERVIEW).order_by(col(Job.updated_at).desc()).limit(limit)
    ).all()
    ids = [job.id for job in jobs]
    briefs: dict[int, Document] = {}
    if ids:
        docs = s.exec(
            select(Document)
            .where(col(Document.job_id).in_(ids), Document.kind == research.KIND.document_kind)
            .order_by(col(Document.version).desc())
        ).all()
        for doc in docs:
            briefs.setdefault(doc.job_id, doc)
    rows = []
    for job in jobs:
        brief = briefs.get(job.id or 0)
        rows.append(
            {
                "id": job.id,
                "title": job.title or job.url or "(untitled)",
                "company": job.company,
                "location": job.location,
                "brief": brief.content if brief else "",
                "version": brief.version if brief else 0,
                "written": brief.created_at.strftime("%Y-%m-%d %H:%M UTC") if brief else "",
                "talking_points": talking_points(brief.content) if brief else [],
                "researching": job.id in researching,
            }
        )
    return rows
