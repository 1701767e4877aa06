"""Stopping the backend every way a process is stopped (jobapp/shutdown.py).

Ctrl-C in a terminal (SIGINT to the process group), SIGTERM to the main process, and SIGTERM to every
process at once (`kill -- -PGID`, systemd's default), with one worker on SQLite and with several on
PostgreSQL + Redis: every process exits within STOP_LIMIT seconds, a task running at the time is handed
back to the queue and completes after the next start, and a second signal exits at once. Also when the
signal comes while a worker is still loading the app or starting, or when a handler does not stop.

STOP_LIMIT (harness.py) is a correctness limit (what a service manager waits before it kills), not a
measurement.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import STOP_LIMIT, Backend, free_port, healthy_workers
from sqlmodel import Session, select
from stubborn_backend import BLOCKS_A_THREAD, CANCEL_IGNORED, IGNORES_CANCEL
from test_browser_live import seed

from jobapp.db import make_engine, migrate
from jobapp.models import Document
from jobapp.tasks import NewTask, TaskManager
from jobapp.work import request_cover_letter

pytestmark = pytest.mark.e2e

# Each way to stop: the signal, and whether it goes to every process of the backend or its main one.
WAYS = {
    "ctrl-c": (signal.SIGINT, True),
    "sigterm-main": (signal.SIGTERM, False),
    "sigterm-all": (signal.SIGTERM, True),
}
# Slow enough that the letter is still being written when the stop comes; fast after the restart.
SLOW_PACE, FAST_PACE = "0.2", "0.002"


class StubbornBackend(Backend):
    """The backend with the test-only kinds of stubborn_backend.py."""

    launcher = "tests.e2e.stubborn_backend"


def wait_for(predicate: Callable[[], Any], what: str, backend: Backend, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{backend.log_text()[-4000:]}")
        time.sleep(0.05)
    return value


def make_backend(
    tmp_path: Path, db_url: str | None, env: dict[str, str], backend_class: type[Backend] = Backend
) -> Backend:
    data_dir = tmp_path / "data"
    backend = backend_class(free_port(), data_dir, tmp_path, {"JOBAPP_POLL_SECONDS": "0.5", **env}, db_url=db_url)
    migrate(backend.db_url)
    return backend


def finish(backend: Backend) -> None:
    """Stop the backend if a test left it running; its logs must hold no error."""
    backend.stop()
    errors = backend.error_lines()
    assert not errors, "the backend logged errors:\n" + "\n".join(errors[:20])


def deploy(
    request: pytest.FixtureRequest, tmp_path: Path, env: dict[str, str], backend_class: type[Backend]
) -> Iterator[Backend]:
    """One worker on SQLite, or Reflex's default number of workers on PostgreSQL + Redis."""
    db_url = None
    if request.param == "several-workers":
        db_url = request.getfixturevalue("pg_url")
        env = {**env, "REFLEX_REDIS_URL": request.getfixturevalue("redis_url")}
    backend = make_backend(tmp_path, db_url, env, backend_class)
    yield backend
    finish(backend)


@pytest.fixture(params=["one-worker", "several-workers"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from deploy(request, tmp_path, {"JOBAPP_OFFLINE_PACE": SLOW_PACE}, Backend)


@pytest.fixture(params=["one-worker", "several-workers"])
def stubborn_deployment(
    request: pytest.FixtureRequest, tmp_path: Path, backend_env: dict[str, str]
) -> Iterator[Backend]:
    yield from deploy(request, tmp_path, backend_env, StubbornBackend)


def start_all(backend: Backend) -> int:
    """Start the backend and wait until every worker serves; the number of workers."""
    backend.start()
    workers = len(backend.processes()) - 1  # the main process supervises the workers
    if "REFLEX_REDIS_URL" in backend.env:
        assert workers > 1
    else:
        assert workers == 1
    healthy_workers(backend.port, workers)  # a stop before that: see the last test
    return workers


@pytest.fixture
def stubborn(tmp_path: Path, backend_env: dict[str, str]) -> Iterator[Backend]:
    """One worker on SQLite that knows the test-only kinds (settings from `backend_env`)."""
    backend = make_backend(tmp_path, None, backend_env, StubbornBackend)
    yield backend
    finish(backend)


@pytest.mark.parametrize("way", WAYS)
def test_a_stop_hands_the_running_task_back_and_it_completes_after_a_restart(deployment: Backend, way: str):
    backend = deployment
    job_id = seed(backend.db_url)
    engine = make_engine(backend.db_url)
    manager = TaskManager(engine)
    start_all(backend)

    task_id = request_cover_letter(manager, job_id, tone="warm", length="medium").task_id
    wait_for(lambda: (t := manager.task(task_id))["status"] == "running" and t["progress"] > 0, "the letter", backend)

    sig, group = WAYS[way]
    backend.signal(sig, group=group)
    assert backend.gone_within(STOP_LIMIT), f"still running: {backend.processes()}\n{backend.log_text()[-4000:]}"
    row = manager.task(task_id)
    assert (row["status"], row["attempt"], row["worker_id"], row["errors"]) == ("queued", 0, None, [])

    backend.env["JOBAPP_OFFLINE_PACE"] = FAST_PACE
    start_all(backend)
    row = wait_for(lambda: (t := manager.task(task_id))["status"] == "completed" and t, "completion", backend)
    assert (row["attempt"], row["errors"]) == (1, [])
    with Session(engine) as s:
        assert s.exec(select(Document.kind).where(Document.job_id == job_id)).all() == ["cover_letter"]
    engine.dispose()


@pytest.mark.parametrize("backend_env", [{}])
def test_handlers_that_do_not_stop_do_not_hold_the_process(tmp_path: Path, stubborn: Backend):
    """A handler that ignores cancellation, and one blocked in a thread: both tasks go back to the queue
    and every process exits within the limit."""
    backend = stubborn
    manager = TaskManager(make_engine(backend.db_url))
    backend.start()
    ids = [
        manager.enqueue(NewTask(kind, payload={"ran": str(tmp_path / kind)})).task_id
        for kind in (IGNORES_CANCEL, BLOCKS_A_THREAD)
    ]
    # Both handlers are past their first progress report: one waits, the other sleeps in its thread.
    wait_for(lambda: all(manager.task(i)["progress"] == 10 for i in ids), "both handlers to wait", backend)

    backend.signal(signal.SIGTERM, group=True)
    assert backend.gone_within(STOP_LIMIT), f"still running: {backend.processes()}\n{backend.log_text()[-4000:]}"
    assert [(manager.task(i)["status"], manager.task(i)["attempt"]) for i in ids] == [("queued", 0)] * 2
    # The thread could not be stopped: the worker ended itself once its stop had taken too long.
    assert "still stopping after" in backend.log_text()

    backend.start()
    wait_for(lambda: all(manager.task(i)["status"] == "completed" for i in ids), "both tasks to complete", backend)


@pytest.mark.parametrize("backend_env", [{"JOBAPP_LEASE_SECONDS": "2"}])
@pytest.mark.parametrize("way", WAYS)
def test_a_second_signal_exits_at_once(tmp_path: Path, stubborn_deployment: Backend, way: str):
    """The first signal starts a stop that waits for a handler ignoring its cancellation; the second
    ends every process before that wait is over, so the task is left to the lease, as after a crash."""
    backend = stubborn_deployment
    manager = TaskManager(make_engine(backend.db_url))
    start_all(backend)
    task_id = manager.enqueue(NewTask(IGNORES_CANCEL, payload={"ran": str(tmp_path / "ran")})).task_id
    wait_for(lambda: manager.task(task_id)["progress"] == 10, "the handler to wait", backend)

    sig, group = WAYS[way]
    backend.signal(sig, group=group)
    wait_for(lambda: manager.task(task_id)["progress_label"] == CANCEL_IGNORED, "the stop to begin", backend)
    backend.signal(sig, group=group)
    assert backend.gone_within(STOP_LIMIT), f"still running: {backend.processes()}\n{backend.log_text()[-4000:]}"
    # Still running: the stop was cut short before it handed the task back.
    assert manager.task(task_id)["status"] == "running"

    start_all(backend)  # the lease has expired: the task is rescued and completes
    row = wait_for(lambda: (t := manager.task(task_id))["status"] == "completed" and t, "completion", backend)
    # The cut-short run counts as a crash, not as an attempt (the engine's crash budget is apart).
    assert (row["attempt"], row["crashes"]) == (1, 1)


@pytest.mark.parametrize("phase", ["loading", "starting"])
@pytest.mark.parametrize("way", WAYS)
def test_a_worker_told_to_stop_before_it_serves_stops(tmp_path: Path, stubborn: Backend, way: str, phase: str):
    """While a worker loads the app it still has the supervisor's signal handler (the signal was lost);
    while its lifespan starts, Granian's handler froze on a second signal (a group's own and the
    supervisor's relay). Either way it now stops, once it has started."""
    marker = tmp_path / phase
    stubborn.env.update({"STUBBORN_SLOW": phase, "STUBBORN_MARKER": str(marker)})
    stubborn.start(wait=False)
    wait_for(marker.exists, f"the worker to be {phase}", stubborn)

    sig, group = WAYS[way]
    stubborn.signal(sig, group=group)
    assert stubborn.gone_within(STOP_LIMIT), f"still running: {stubborn.processes()}\n{stubborn.log_text()[-4000:]}"


def exited(pid: int) -> bool:
    """The process has ended (gone, or a zombie its stopped parent has not reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_worker_that_stops_before_its_supervisor_is_no_failure(tmp_path: Path):
    """A stop signal to every process at once, on a machine busy enough that the supervisor handles its
    signal a moment after the worker has stopped: Granian logged the worker's exit as unexpected (an
    ERROR) and began to respawn it."""
    backend = make_backend(tmp_path, None, {})
    try:
        start_all(backend)
        main = backend.proc.pid  # type: ignore[union-attr]
        (worker,) = [pid for pid in backend.processes() if pid != main]
        os.kill(worker, signal.SIGTERM)
        wait_for(lambda: exited(worker), "the worker to stop", backend)
        time.sleep(0.3)  # the supervisor held back
        os.kill(main, signal.SIGTERM)
        assert backend.gone_within(STOP_LIMIT), f"still running: {backend.processes()}\n{backend.log_text()[-4000:]}"
    finally:
        finish(backend)  # no "Unexpected exit from worker-1"
