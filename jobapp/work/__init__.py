"""What each task kind does, and how the app asks for it.

Each kind lives in its own module with a `KIND` name and an async `run(ctx) -> Outcome`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from jobapp.tasks import Enqueued, Handler, NewTask, TaskManager
from jobapp.work import cover_letter, cv, evaluate, hydrate, research

HANDLERS: dict[str, Handler] = {
    evaluate.KIND: evaluate.run,
    cover_letter.KIND: cover_letter.run,
    cv.KIND: cv.run,
    research.KIND: research.run,
    hydrate.KIND: hydrate.run,
}

# What people see in lists and the navigation indicator ("evaluating #14").
VERBS = {
    evaluate.KIND: "evaluating",
    cover_letter.KIND: "writing a cover letter for",
    cv.KIND: "tailoring a CV for",
    research.KIND: "researching the company of",
    hydrate.KIND: "reading the posting for",
}

# Work a person clicked for runs before work the app queued by itself.
CLICKED = 0
AUTOMATIC = 5


def dedupe_key(kind: str, job_id: int | None, options: dict[str, Any] | None = None, *, engine: Engine) -> str:
    """One active task per kind, job and output-changing settings (the settings fingerprint).

    The provider and model in force (read from `engine`'s settings) are part of the fingerprint.
    """
    from jobapp.preferences import fingerprint as provider_fingerprint
    from jobapp.preferences import llm_config

    with Session(engine) as s:
        provider = provider_fingerprint(llm_config(s))
    fingerprint = json.dumps({**provider, **(options or {})}, sort_keys=True)
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:12]
    return f"{kind}:{job_id}:{digest}"


def _request(
    manager: TaskManager, kind: str, job_id: int, payload: dict[str, Any] | None = None, priority: int = CLICKED
) -> Enqueued:
    """Queue `kind` for a job; the payload (its output-changing settings) is part of the dedupe key."""
    payload = payload or {}
    key = dedupe_key(kind, job_id, payload, engine=manager.engine)
    return manager.enqueue(NewTask(kind, job_id=job_id, payload=payload, dedupe_key=key, priority=priority))


def request_evaluation(manager: TaskManager, job_id: int) -> Enqueued:
    return _request(manager, evaluate.KIND, job_id)


def request_cover_letter(manager: TaskManager, job_id: int, *, tone: str, length: str) -> Enqueued:
    return _request(manager, cover_letter.KIND, job_id, cover_letter.options({"tone": tone, "length": length}))


def request_cv(manager: TaskManager, job_id: int, *, emphasis: str, length: str) -> Enqueued:
    return _request(manager, cv.KIND, job_id, cv.options({"emphasis": emphasis, "length": length}))


def request_research(manager: TaskManager, job_id: int, *, site_url: str = "", priority: int = CLICKED) -> Enqueued:
    return _request(manager, research.KIND, job_id, {"site_url": site_url} if site_url else {}, priority)


def request_hydration(manager: TaskManager, job_id: int) -> Enqueued:
    """Read the posting behind the job's link; evaluate-job follows on success."""
    return manager.enqueue(
        NewTask(
            hydrate.KIND,
            job_id=job_id,
            # Reading a posting does not depend on any setting: one active task per job.
            dedupe_key=f"{hydrate.KIND}:{job_id}",
            priority=CLICKED,
        )
    )
