"""The row shapes the pages' states carry: small, JSON-ready dicts built from table rows and summaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from jobapp.models import Document, Job
from jobapp.tasks import ProgressTick, TaskSummary
from jobapp.work import KINDS

JOB_TASKS_LIMIT = 12


def job_row(job: Job) -> dict[str, Any]:
    """A pipeline row: what the job list shows."""
    return {
        "id": job.id,
        "title": job.title or job.url or "(untitled)",
        "company": job.company,
        "location": job.location,
        "status": job.status,
        "fit_score": job.fit_score if job.fit_score is not None else -1,
        "created_at": job.created_at.isoformat(),
        # Found by a board scan and not opened yet: shown as "New".
        "is_new": job.is_new,
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
        "provider": " · ".join(filter(None, (doc.provider, doc.model))),
        "options": ", ".join(f"{k}: {v}" for k, v in sorted(options.items())),
        "warnings": [w.get("message", "") for w in doc.warnings or []],
        "created_at": doc.created_at.isoformat(),
    }


def documents_by_kind(docs: Sequence[Document]) -> dict[str, list[dict[str, Any]]]:
    """Every version of every document kind the registry knows, newest first (empty lists included)."""
    by_kind: dict[str, list[dict[str, Any]]] = {k.document_kind: [] for k in KINDS.values() if k.document_kind}
    for doc in docs:
        by_kind.setdefault(doc.kind, []).append(document_row(doc))
    return by_kind


def task_row(task: TaskSummary, tick: ProgressTick | None = None, job_title: str = "") -> dict[str, Any]:
    """A task as lists show it: what a row displays and nothing else (a listed row is re-sent whole when any
    of its values changes), with its latest unwritten progress and its job's title."""
    progress, label = task.progress, task.progress_label
    if tick is not None and task.status == "running":
        progress, label = tick.progress, tick.label
    kind = KINDS.get(task.kind)
    return {
        "id": task.id,
        "kind": task.kind,
        "label": kind.label if kind else task.kind,
        "status": task.status,
        "progress": progress,
        "progress_label": label,
        "error": task.error or "",
        "job_id": task.job_id or 0,
        "job_title": "(deleted job)" if task.job_deleted else job_title,
        "job_deleted": task.job_deleted,
        "who": " · ".join(filter(None, (task.provider, task.model))),
        "cost": _cost(task.usage or {}),
    }


def _cost(usage: dict[str, Any]) -> str:
    """'1,200 in / 300 out tokens · $0.0021', with "~" for estimated counts and "cost unknown"."""
    if not usage:
        return ""
    approx = "~" if usage.get("estimated") else ""
    tokens = f"{approx}{usage.get('input_tokens', 0):,} in / {approx}{usage.get('output_tokens', 0):,} out tokens"
    price = "cost unknown" if usage.get("price") == "unknown price" else f"${usage.get('cost_usd', 0):.4f}"
    return f"{tokens} · {price}"


def job_documents(session: Session, job_id: int) -> dict[str, list[dict[str, Any]]]:
    docs = session.exec(select(Document).where(Document.job_id == job_id).order_by(col(Document.version).desc())).all()
    return documents_by_kind(docs)
