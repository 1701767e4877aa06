"""Several backend workers (Reflex with Redis, Granian worker processes) on one database, in Chromium.

Each tab says which worker holds its socket (`#worker-id`, the worker's id with its process id), so the
tests can put tabs on different workers and check they show one picture; and kill one worker (kill -9,
by its process id) while it runs a task, and watch the task finish elsewhere from a tab on a survivor.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from jobapp.db import make_engine
from jobapp.models import Job, Profile, Task
from jobapp.tasks import EventBus, TaskManager
from jobapp.tasks.feed import FeedRelay, RedisTransport, channel_name
from jobapp.work import request_cover_letter
from tests.conftest import require_service

pytestmark = pytest.mark.e2e

WORKERS = 3
REDIS_URL = os.environ.get("JOBAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RESUME = """# Ada Example
- Built Python services on PostgreSQL and Redis for payments at Lumen
- Ran Kubernetes clusters on AWS
"""
POSTING = "We need a Senior Backend Engineer with Python, PostgreSQL and Kubernetes."


@pytest.fixture
def backend_env() -> dict[str, str]:
    require_service("Redis", "127.0.0.1", 6379)
    return {
        "REFLEX_REDIS_URL": REDIS_URL,
        "GRANIAN_WORKERS": str(WORKERS),
        "JOBAPP_KIND_LIMITS": "",  # all three letters at once
        "JOBAPP_OFFLINE_PACE": "0.06",
        "JOBAPP_LEASE_SECONDS": "3",
        "JOBAPP_POLL_SECONDS": "0.5",
    }


def seed(db_url: str, jobs: int = 1) -> list[int]:
    engine = make_engine(db_url)
    with Session(engine) as s:
        s.add(Profile(name="Ada Example", resume=RESUME))
        rows = [Job(title=f"Backend Engineer {i}", company="Acme", description=POSTING) for i in range(jobs)]
        s.add_all(rows)
        s.commit()
        ids = [job.id for job in rows]
    engine.dispose()
    return ids  # type: ignore[return-value]


def worker_of(page: Page) -> str:
    expect(page.locator("#worker-id")).not_to_have_text("", timeout=20_000)
    return page.locator("#worker-id").inner_text()


def tabs_on_different_workers(context, url: str, count: int = 2) -> list[Page]:
    """Open tabs until `count` of them have their sockets on different workers."""
    by_worker: dict[str, Page] = {}
    for _ in range(12):
        page = context.new_page()
        page.goto(url)
        by_worker.setdefault(worker_of(page), page)
        if len(by_worker) == count:
            return list(by_worker.values())
    pytest.fail(f"12 tabs landed on only {len(by_worker)} worker(s): {sorted(by_worker)}")


async def queue_letters(engine, db_url: str, job_ids: list[int]) -> list[int]:
    """Queue a cover letter per job from a process joined to the deployment's feed, as a worker is."""
    bus = EventBus()
    relay = FeedRelay(bus, RedisTransport(REDIS_URL, channel_name(db_url)))
    await relay.start()
    try:
        producer = TaskManager(engine, bus)
        return [request_cover_letter(producer, job_id, tone="formal", length="short").task_id for job_id in job_ids]
    finally:
        await relay.stop()


def pid_of(worker_id: str) -> int:
    return int(worker_id.split(":")[-2])  # host:pid:suffix (jobapp.tasks.runner)


def test_tabs_on_different_workers_show_one_live_picture(site, backend, context):
    job_ids = seed(backend.db_url, jobs=3)
    backend.start()
    activity = tabs_on_different_workers(context, f"{site['url']}/activity")
    assert len({worker_of(page) for page in activity}) == 2

    # Work queued by another process of the deployment: whichever worker claims each task, every tab sees
    # all of it, from the moment it is queued.
    engine = make_engine(backend.db_url)
    with ThreadPoolExecutor(1) as thread:  # sync Playwright holds this thread's event loop
        tasks = thread.submit(asyncio.run, queue_letters(engine, backend.db_url, job_ids)).result()

    for page in activity:
        expect(page.locator("#active-tasks .task-row")).to_have_count(3, timeout=30_000)
        expect(page.locator("#indicator")).to_contain_text("Building 3 items")
    running = "#active-tasks .task-row[data-status='running']"
    expect(activity[0].locator(running).first).to_be_visible(timeout=30_000)
    task_id = activity[0].locator(running).first.get_attribute("id")
    # The same task's progress moves in both tabs, pushed from whichever worker runs it.
    for page in activity:
        row = page.locator(f"#{task_id}")
        seen = int(row.get_attribute("data-progress") or 0)
        deadline = time.monotonic() + 30
        while int(row.get_attribute("data-progress") or 0) <= seen and row.get_attribute("data-status") == "running":
            assert time.monotonic() < deadline, "progress did not move in a tab"
            page.wait_for_timeout(100)

    for page in activity:
        expect(page.locator("#recent-tasks .task-row[data-status='completed']")).to_have_count(3, timeout=90_000)
        expect(page.locator("#active-tasks .task-row")).to_have_count(0)
        expect(page.locator("#indicator-idle")).to_be_visible()
    with Session(engine) as s:
        workers = {s.get(Task, task_id).worker_id for task_id in tasks}  # type: ignore[union-attr]
    engine.dispose()
    assert None not in workers


def test_a_worker_killed_mid_task_hands_it_to_another_seen_live(site, backend, context):
    (job_id,) = seed(backend.db_url)
    backend.start()
    engine = make_engine(backend.db_url)
    task_id = request_cover_letter(TaskManager(engine, EventBus()), job_id, tone="warm", length="long").task_id

    def runner_of_task() -> str | None:
        with Session(engine) as s:
            task = s.get(Task, task_id)
            return task.worker_id if task is not None and task.status == "running" else None

    deadline = time.monotonic() + 60
    while (doomed := runner_of_task()) is None:
        assert time.monotonic() < deadline, "the task did not start"
        time.sleep(0.1)
    # A tab on another worker, watching the job.
    for _ in range(12):
        page = context.new_page()
        page.goto(f"{site['url']}/jobs/{job_id}")
        if pid_of(worker_of(page)) != pid_of(doomed):
            break
    else:
        pytest.fail("no tab landed on a worker other than the one running the task")
    expect(page.locator(".task-row[data-status='running']")).to_have_count(1, timeout=20_000)

    backend.expected_errors.append(re.compile(r"Unexpected exit from worker"))  # Granian reports the kill
    os.kill(pid_of(doomed), signal.SIGKILL)

    # The lease lapses, another worker rescues and re-runs the task; the tab shows it without a reload.
    expect(page.locator(".task-row[data-status='completed']")).to_have_count(1, timeout=120_000)
    expect(page.locator(".document")).to_have_count(1)
    with Session(engine) as s:
        task = s.get(Task, task_id)
        assert task is not None and task.crashes == 1 and task.worker_id != doomed
        assert any("stopped responding" in e["error"] for e in task.errors)
    engine.dispose()
