"""Enqueues recurring tasks (the board scan every N hours) exactly once per period, however many workers run.

Every worker runs this loop. A `schedule` row says how often and when next; a worker that finds it due moves
`next_run_at` forward with an UPDATE guarded by `next_run_at <= now`. The database lets one such UPDATE
match (SQLite serializes writers; PostgreSQL re-checks the condition after the first writer commits), and
only the worker whose UPDATE matched enqueues that period's task.

Known failure mode: a worker that dies between winning the period and enqueuing loses that period's run
(the next period runs as usual): at most once per period, never twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from jobapp.db import writer
from jobapp.models import Schedule, utcnow
from jobapp.tasks._loop import PeriodicLoop
from jobapp.tasks.manager import Enqueued, NewTask, TaskManager

logger = logging.getLogger("jobapp.tasks")

S = Schedule.__table__.c  # type: ignore[attr-defined]
SCHEDULE_TABLE = Schedule.__table__  # type: ignore[attr-defined]

# What a schedule enqueues when due: schedule name → the task, built with a session (it may read settings).
TaskFactory = Callable[[Session], NewTask]


class Scheduler(PeriodicLoop):
    name = "scheduler"

    def __init__(self, manager: TaskManager, factories: Mapping[str, TaskFactory], *, interval: float = 30.0) -> None:
        super().__init__(interval)
        self.manager = manager
        self.factories = dict(factories)

    async def tick(self) -> None:
        for enqueued in await asyncio.to_thread(self.run_due):
            logger.info("scheduled %s queued as task %s", enqueued.task.kind, enqueued.task_id)

    def run_due(self, now: datetime | None = None) -> list[Enqueued]:
        """Enqueue every schedule that is due and whose period this worker wins."""
        now = now or utcnow()
        with self.manager.engine.connect() as conn:
            due = conn.execute(
                select(S.name, S.every_seconds)
                .where(S.every_seconds > 0, S.next_run_at <= now, S.name.in_(list(self.factories)))
                .order_by(S.name)
            ).all()
        enqueued = []
        for name, every in due:
            if not self._win(name, every, now):
                continue
            with Session(self.manager.engine) as s:
                task = self.manager.enqueue(self.factories[name](s))
            with writer(self.manager.engine).begin() as conn:
                conn.execute(update(SCHEDULE_TABLE).where(S.name == name).values(last_task_id=task.task_id))
            enqueued.append(task)
        return enqueued

    def _win(self, name: str, every: int, now: datetime) -> bool:
        """Move the period forward; True for the one worker whose UPDATE matched."""
        with writer(self.manager.engine).begin() as conn:
            moved = conn.execute(
                update(SCHEDULE_TABLE)
                .where(S.name == name, S.every_seconds > 0, S.next_run_at <= now)
                .values(next_run_at=now + timedelta(seconds=every), last_run_at=now, updated_at=now)
            )
        return moved.rowcount == 1
