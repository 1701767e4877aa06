"""What each task kind does, and how the app asks for it.

Each kind lives in its own module exporting one `KIND = TaskKind(...)` (see `jobapp.work.kind`); the
registry (`jobapp.work.registry`) lists them. The typed `request_*` helpers below are what pages call.
"""

from __future__ import annotations

from jobapp.tasks import Enqueued, TaskManager
from jobapp.work import cover_letter, cv, discover, evaluate, hydrate, research
from jobapp.work.kind import OptionError, TaskKind
from jobapp.work.registry import HANDLERS, KINDS, kind_named
from jobapp.work.requests import AUTOMATIC, CLICKED, new_task, request


def request_evaluation(manager: TaskManager, job_id: int, *, priority: int = CLICKED) -> Enqueued:
    return request(manager, evaluate.KIND, job_id, priority=priority)


def request_cover_letter(manager: TaskManager, job_id: int, *, tone: str, length: str) -> Enqueued:
    return request(manager, cover_letter.KIND, job_id, {"tone": tone, "length": length})


def request_cv(manager: TaskManager, job_id: int, *, emphasis: str, length: str) -> Enqueued:
    return request(manager, cv.KIND, job_id, {"emphasis": emphasis, "length": length})


def request_research(manager: TaskManager, job_id: int, *, site_url: str = "", priority: int = CLICKED) -> Enqueued:
    return request(manager, research.KIND, job_id, {"site_url": site_url}, priority=priority)


def request_hydration(manager: TaskManager, job_id: int) -> Enqueued:
    """Read the posting behind the job's link; evaluate-job follows on success."""
    return request(manager, hydrate.KIND, job_id)


def request_discovery(manager: TaskManager) -> Enqueued:
    """Scan every followed board now (a scan already queued or running is the same work)."""
    return request(manager, discover.KIND, None)


__all__ = [
    "AUTOMATIC",
    "CLICKED",
    "HANDLERS",
    "KINDS",
    "OptionError",
    "TaskKind",
    "kind_named",
    "new_task",
    "request",
    "request_cover_letter",
    "request_cv",
    "request_discovery",
    "request_evaluation",
    "request_hydration",
    "request_research",
]
