"""The row shapes the shared states carry: small, JSON-ready dicts built from table rows."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from jobapp.models import Document, Job
from jobapp.tasks import TaskManager

JOB_TASKS_LIMIT = 12


def job_row(job: Job) -> dict[str, Any]:
    """A pipeline row: what the job list shows."""
    return {
        "id": job.id,
        "title": job.title or "(untitled)",
        "company": job.company,
        "location": job.location,
        "status": job.status,
        "fit_score": job.fit_score if job.fit_score is not None else -1,
        "created_at": job.created_at.isoformat(),
    }


def job_detail(job: Job) -> dict[str, Any]:
    evaluation = job.evaluation or {}
    return {
        **job_row(job),
        "url": job.url or "",
        "description": job.description,
        "summary": evaluation.get("summary", ""),
        "matched": ", ".join(evaluation.get("matched", [])),
        "missing": ", ".join(evaluation.get("missing", [])),
        # Evaluations stored before required and preferred were told apart have only "missing".
        "required_missing": ", ".join(evaluation.get("required_missing", evaluation.get("missing", []))),
        "preferred_missing": ", ".join(evaluation.get("preferred_missing", [])),
        "matched_evidence": [
            {"skill": str(e.get("skill", "")), "line": str(e.get("line", ""))}
            for e in evaluation.get("matched_evidence", [])
        ],
        "asks": evaluation.get("asks", ""),  # "senior · 5+ years of Python"
        "evaluated_by": " · ".join(filter(None, (evaluation.get("provider"), evaluation.get("model")))),
        "recommendation": evaluation.get("recommendation", ""),
        "rubric": [
            {**row, "score": str(row["score"]), "weight": f"{round(row['weight'] * 100)}%"}
            for row in evaluation.get("rubric", [])
        ],
    }


def document_row(doc: Document) -> dict[str, Any]:
    options = doc.options or {}
    return {
        "id": doc.id,
        "kind": doc.kind,
        "version": doc.version,
        "content": doc.content,
        "provider": doc.provider,
        "options": ", ".join(f"{k}: {v}" for k, v in sorted(options.items())),
        "warnings": [w.get("message", "") for w in doc.warnings or []],
        "created_at": doc.created_at.isoformat(),
    }


def read_job_channel(session: Session, manager: TaskManager, job_id: int) -> dict[str, Any] | None:
    """Everything a job page shows, from the database (on first watch, and after a change)."""
    job = session.get(Job, job_id)
    if job is None:
        return None
    docs = session.exec(select(Document).where(Document.job_id == job_id).order_by(col(Document.version).desc())).all()
    return {
        "job": job_detail(job),
        "documents": [document_row(d) for d in docs],
        "tasks": manager.summaries(job_id=job_id, limit=JOB_TASKS_LIMIT),
    }
