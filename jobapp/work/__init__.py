"""What each task kind does, and how the app asks for it.

Each kind lives in its own module with a `KIND` name and an async `run(ctx) -> Outcome`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from jobapp.tasks import Enqueued, Handler, NewTask, TaskManager
from jobapp.work import cover_letter, evaluate

HANDLERS: dict[str, Handler] = {
    evaluate.KIND: evaluate.run,
    cover_letter.KIND: cover_letter.run,
}

# What people see in lists and the navigation indicator ("evaluating #14").
VERBS = {
    evaluate.KIND: "evaluating",
    cover_letter.KIND: "writing a cover letter for",
}

# Work a person clicked for runs before work the app queued by itself.
CLICKED = 0


def dedupe_key(kind: str, job_id: int | None, options: dict[str, Any] | None = None) -> str:
    """One active task per kind, job and output-changing settings (the settings fingerprint)."""
    from jobapp.llm import get_provider

    fingerprint = json.dumps({"provider": get_provider().name, **(options or {})}, sort_keys=True)
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:12]
    return f"{kind}:{job_id}:{digest}"


def request_evaluation(manager: TaskManager, job_id: int) -> Enqueued:
    return manager.enqueue(
        NewTask(evaluate.KIND, job_id=job_id, dedupe_key=dedupe_key(evaluate.KIND, job_id), priority=CLICKED)
    )


def request_cover_letter(manager: TaskManager, job_id: int, *, tone: str, length: str) -> Enqueued:
    opts = cover_letter.options({"tone": tone, "length": length})
    return manager.enqueue(
        NewTask(
            cover_letter.KIND,
            job_id=job_id,
            payload=opts,
            dedupe_key=dedupe_key(cover_letter.KIND, job_id, opts),
            priority=CLICKED,
        )
    )
