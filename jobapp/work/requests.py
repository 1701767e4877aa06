"""How the app asks for work: a `TaskKind`, a job and options become a queued task with its dedupe key.

The provider configuration in force when a person asks (Settings, else the environment) is saved with the
task, without its key, and named in the dedupe key: the task runs on exactly the provider its key names,
even if Settings change while it waits (`jobapp.preferences.provider_for_task`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session

from jobapp import preferences
from jobapp.tasks import Enqueued, JobGone, NewTask, TaskManager
from jobapp.work.kind import TaskKind

# Work a person clicked for runs before work the app queued by itself.
CLICKED = 0
AUTOMATIC = 5


def dedupe_key(kind: TaskKind, job_id: int | None, payload: Mapping[str, Any]) -> str:
    """One active task per kind, job and everything that changes its output (options and provider)."""
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]
    return f"{kind.name}:{job_id}:{digest}"


def new_task(
    session: Session,
    kind: TaskKind,
    job_id: int | None,
    options: Mapping[str, Any] | None = None,
    *,
    priority: int = CLICKED,
) -> NewTask:
    """The task to enqueue for `kind` (options checked: `OptionError` names what is wrong)."""
    payload: dict[str, Any] = kind.clean_options(options)
    if kind.uses_model:
        payload["llm"] = preferences.provider_snapshot(preferences.llm_config(session))
    return NewTask(
        kind.name,
        job_id=job_id,
        payload=payload,
        dedupe_key=dedupe_key(kind, job_id, payload),
        priority=priority,
        max_attempts=preferences.engine_limits(session).max_attempts,
    )


def request(
    manager: TaskManager,
    kind: TaskKind,
    job_id: int | None,
    options: Mapping[str, Any] | None = None,
    *,
    priority: int = CLICKED,
) -> Enqueued:
    """Queue `kind` (or find the same work already queued: `Enqueued.created` is False then)."""
    with Session(manager.engine) as s:
        task = new_task(s, kind, job_id, options, priority=priority)
    return manager.enqueue(task)


def request_many(
    manager: TaskManager,
    kind: TaskKind,
    job_ids: Iterable[int],
    options: Mapping[str, Any] | None = None,
    *,
    priority: int = CLICKED,
) -> list[Enqueued | JobGone]:
    """`request` for each job, in one transaction (`TaskManager.enqueue_many`): per job, in order, the task
    queued or found, or `JobGone` for a job deleted meanwhile."""
    with Session(manager.engine) as s:
        tasks = [new_task(s, kind, job_id, options, priority=priority) for job_id in job_ids]
    return manager.enqueue_many(tasks)
