"""The task engine: durable background work with dedupe, leases, retries and live events.

Framework-free (no Reflex imports) so it runs and is tested on its own.
"""

from jobapp.tasks.context import Handler, Outcome, TaskContext
from jobapp.tasks.errors import AlreadyEnqueued, JobGone, PermanentError, TransientError
from jobapp.tasks.events import EventBus, JobChanged, TaskChanged, TextStreamed, ViewRefresh
from jobapp.tasks.manager import ClaimedTask, Enqueued, NewTask, TaskManager
from jobapp.tasks.runner import Runner, RunnerConfig

__all__ = [
    "AlreadyEnqueued",
    "ClaimedTask",
    "Enqueued",
    "EventBus",
    "Handler",
    "JobChanged",
    "JobGone",
    "NewTask",
    "Outcome",
    "PermanentError",
    "Runner",
    "RunnerConfig",
    "TaskChanged",
    "TaskContext",
    "TaskManager",
    "TextStreamed",
    "TransientError",
    "ViewRefresh",
]
