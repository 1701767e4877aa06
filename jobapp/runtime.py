"""The process-wide engine objects: the task manager, the runner and the live hub of this process.

Built by the lifespan (`jobapp.lifespan`); every backend worker process has its own.
"""

from __future__ import annotations

from functools import cache

from jobapp.db import get_engine
from jobapp.live.hub import LiveHub
from jobapp.preferences import default_limits
from jobapp.tasks import EventBus, Runner, TaskManager

# A stopping worker waits this long for its cancelled handlers before handing their tasks back anyway,
# and ends itself this long after it began to stop, whatever is left (jobapp/shutdown.py says why).
# Together they keep a stop within the 10 s a service manager is usually given.
HANDLER_GRACE = 3.0
STOP_LIMIT = 6.0


@cache
def get_manager() -> TaskManager:
    return TaskManager(get_engine(), EventBus(), limits=default_limits())


@cache
def get_hub() -> LiveHub:
    return LiveHub(get_manager())


_runner: list[Runner] = []  # the runner of this process while the app runs


def set_runner(runner: Runner | None) -> None:
    _runner[:] = [runner] if runner is not None else []


def current_runner() -> Runner | None:
    """This process's runner, once the lifespan has started it."""
    return _runner[0] if _runner else None
