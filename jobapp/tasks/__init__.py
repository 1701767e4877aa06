"""The task engine: durable background work with dedupe, leases, retries, deployment-wide caps and events.

Framework-free (no Reflex imports) so it runs and is tested on its own.
"""

from jobapp.tasks.context import Handler, Outcome, TaskContext
from jobapp.tasks.errors import AlreadyEnqueued, JobGone, PermanentError, TransientError
from jobapp.tasks.events import EventBus, ProgressTick, TaskChanged, TextStreamed
from jobapp.tasks.limits import Limits
from jobapp.tasks.manager import ClaimedTask, Enqueued, NewTask, RetriedMany, TaskFilter, TaskManager
from jobapp.tasks.runner import Runner, RunnerConfig
from jobapp.tasks.summary import TaskSummary

__all__ = [
    "AlreadyEnqueued",
    "ClaimedTask",
    "Enqueued",
    "EventBus",
    "Handler",
    "JobGone",
    "Limits",
    "NewTask",
    "Outcome",
    "PermanentError",
    "ProgressTick",
    "RetriedMany",
    "Runner",
    "RunnerConfig",
    "TaskChanged",
    "TaskContext",
    "TaskFilter",
    "TaskManager",
    "TaskSummary",
    "TextStreamed",
    "TransientError",
]
