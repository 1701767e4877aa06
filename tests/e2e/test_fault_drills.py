"""Fault drills: a batch of tasks runs while the whole backend is killed (kill -9, every process) again and
again. Afterwards no task is lost, none is stuck, and none wrote its results twice.

The real backend (`reflex run --env prod --backend-only`, with a drill task kind, see drill_backend.py) on
SQLite; the kills land wherever the work happens to be: mid-handler, mid-commit, mid-claim.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter

import pytest
from harness import Backend, free_port
from sqlalchemy import func
from sqlmodel import Session, select

from jobapp.db import make_engine, migrate
from jobapp.models import Document, Job, Task
from jobapp.tasks import EventBus, NewTask, TaskManager

pytestmark = pytest.mark.e2e

TASKS = 120
KILLS = 6


class DrillBackend(Backend):
    launcher = "tests.e2e.drill_backend"


def test_killing_the_backend_again_and_again_loses_nothing_and_repeats_nothing(tmp_path):
    env = {
        "JOBAPP_LEASE_SECONDS": "2",
        "JOBAPP_POLL_SECONDS": "0.2",
        "JOBAPP_CONCURRENCY": "4",
        "JOBAPP_DRILL_SECONDS": "0.4",
        # A task running at every kill loses its worker each time: the crash budget must outlast the drill
        # (a real deployment keeps the default of 3; the drill is about what is lost, not about giving up).
        "JOBAPP_MAX_CRASHES": str(KILLS + 2),
    }
    backend = DrillBackend(free_port(), tmp_path / "data", tmp_path, env)
    migrate(backend.db_url)
    engine = make_engine(backend.db_url)
    with Session(engine) as s:
        jobs = [Job(title=f"Drill {i}", description="drill") for i in range(TASKS)]
        s.add_all(jobs)
        s.commit()
        job_ids = [job.id for job in jobs]
    producer = TaskManager(engine, EventBus())
    task_ids = [producer.enqueue(NewTask("fault-drill", job_id=job_id)).task_id for job_id in job_ids]

    def counts() -> Counter[str]:
        with Session(engine) as s:
            return Counter(dict(s.exec(select(Task.status, func.count()).group_by(Task.status)).all()))  # type: ignore[call-overload]

    rng = random.Random(7)
    killed_mid_work = 0
    try:
        for _ in range(KILLS):
            backend.start()
            time.sleep(rng.uniform(1.0, 3.0))  # somewhere in the middle of claims, handlers and commits
            killed_mid_work += counts()["running"] > 0
            backend.stop(signal.SIGKILL)
            if counts()["completed"] == TASKS:
                break
        backend.start()
        deadline = time.monotonic() + 180
        while counts()["completed"] < TASKS:
            assert time.monotonic() < deadline, f"not all tasks completed: {dict(counts())}"
            time.sleep(0.25)
    finally:
        backend.stop()

    assert killed_mid_work >= 2  # the drill really interrupted work in flight
    assert counts() == Counter({"completed": TASKS})  # none lost, none stuck queued or running
    with Session(engine) as s:
        documents = Counter(s.exec(select(Document.job_id).where(Document.kind == "drill")).all())
        tasks = {t.id: t for t in s.exec(select(Task)).all()}
    assert documents == Counter(job_ids)  # every task's results written exactly once
    assert sum(tasks[t].crashes for t in task_ids) >= 1  # and some were rescued after a kill
    errors = backend.error_lines()
    assert not errors, "the backend logged errors:\n" + "\n".join(errors[:20])
    engine.dispose()
