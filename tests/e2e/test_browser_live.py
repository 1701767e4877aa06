"""Live updates in a real browser: two tabs, reload mid-task, backend restart mid-task."""

from __future__ import annotations

import re
import signal
import time

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from jobapp.db import make_engine
from jobapp.models import Job, Profile

pytestmark = pytest.mark.e2e

RESUME = """# Ada Example
Backend engineer.
- Built Python services on PostgreSQL and Redis for payments at Lumen
- Ran Kubernetes clusters on AWS with Terraform
- Mentored four engineers and led the CI/CD migration
"""
POSTING = """We need a Senior Backend Engineer with Python, PostgreSQL, Kubernetes and AWS.
You will design APIs, own CI/CD, and mentor engineers. Go and Kafka are a plus."""


def seed(db_url: str) -> int:
    """A profile and one job, written before the backend starts."""
    engine = make_engine(db_url)
    with Session(engine) as s:
        s.add(Profile(name="Ada Example", resume=RESUME))
        job = Job(title="Senior Backend Engineer", company="Acme", location="Remote", description=POSTING)
        s.add(job)
        s.commit()
        s.refresh(job)
    engine.dispose()
    return job.id


def progress_of(page: Page, selector: str) -> int:
    rows = page.locator(selector)
    if rows.count() == 0:  # not shown yet: the caller's deadline decides, not Playwright's own timeout
        return 0
    value = rows.first.get_attribute("data-progress") or "0"
    return int(value) if value.isdigit() else 0


def wait_for_progress_change(page: Page, selector: str, above: int, timeout: float = 60) -> int:
    """Block until the live progress attribute exceeds `above`; return the new value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = progress_of(page, selector)
        if current > above:
            return current
        page.wait_for_timeout(100)
    raise AssertionError(f"progress stayed at {above} for {timeout}s")


def open_job(context, site, job_id: int) -> Page:
    page = context.new_page()
    page.goto(f"{site['url']}/jobs/{job_id}")
    expect(page.locator("#job-title")).to_have_text("Senior Backend Engineer")
    return page


def test_two_tabs_watch_the_same_task_live(site, backend, context):
    job_id = seed(backend.db_url)
    backend.start()
    first, second = open_job(context, site, job_id), open_job(context, site, job_id)

    first.locator("#generate-cover-letter").click()
    expect(first.locator("#job-notice")).to_contain_text("Queued: warm medium cover letter")
    running = ".task-row[data-status='running']"
    expect(second.locator(running)).to_have_count(1)
    # The button is disabled in both tabs while the letter is being written.
    expect(second.locator("#generate-cover-letter")).to_be_disabled()
    expect(second.locator("#generate-cover-letter")).to_have_text("Cover letter already queued")
    expect(second.locator("#indicator")).to_contain_text(f"Building 1 item: writing a cover letter for #{job_id}")

    # Both tabs see progress move and the letter's text grow, pushed while the task runs.
    seen = progress_of(second, running)
    later = wait_for_progress_change(second, running, seen)
    wait_for_progress_change(first, running, later - 1)
    expect(second.locator(".stream-text")).to_contain_text("Dear Acme hiring team")
    streamed = second.locator(".stream-text").inner_text()
    expect(second.locator(".stream-text")).not_to_have_text(streamed, timeout=5000)

    for page in (first, second):
        expect(page.locator(".task-row[data-status='completed']")).to_have_count(1, timeout=60_000)
        expect(page.locator(".document")).to_have_count(1)
        expect(page.locator(".document")).to_contain_text("Dear Acme hiring team")
        expect(page.locator(".document")).to_contain_text("Written by offline drafter")
        expect(page.locator(".stream-text")).to_have_count(0)
        expect(page.locator("#generate-cover-letter")).to_be_enabled()
        expect(page.locator("#indicator-idle")).to_be_visible()


def test_reload_mid_task_shows_current_state_and_keeps_updating(site, backend, context):
    job_id = seed(backend.db_url)
    backend.start()
    page = open_job(context, site, job_id)
    page.locator("#generate-cover-letter").click()
    running = ".task-row[data-status='running']"
    wait_for_progress_change(page, running, 20)

    page.reload()
    expect(page.locator(running)).to_have_count(1)
    expect(page.locator(".stream-text")).to_contain_text("Dear Acme hiring team")
    seen = progress_of(page, running)
    wait_for_progress_change(page, running, seen)
    expect(page.locator(".document")).to_have_count(1, timeout=60_000)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["clean-restart", "crash-kill-9"])
def test_backend_restart_mid_task_completes_and_is_shown(site, backend, context, stop_signal):
    job_id = seed(backend.db_url)
    backend.start()
    page = open_job(context, site, job_id)
    page.locator("#generate-cover-letter").click()
    wait_for_progress_change(page, ".task-row[data-status='running']", 20)

    backend.stop(stop_signal)
    backend.start()
    # No reload: the page reconnects by itself and the re-run task completes in view.
    expect(page.locator(".task-row[data-status='completed']")).to_have_count(1, timeout=90_000)
    expect(page.locator(".document")).to_have_count(1)
    expect(page.locator(".document")).to_contain_text(re.compile("Kind regards"))


def test_reloading_mid_stream_again_and_again_shows_one_streaming_box(site, backend, context):
    """A tab reloaded while a letter is being written shows one box with the text so far, never two."""
    job_id = seed(backend.db_url)
    backend.start()
    page = open_job(context, site, job_id)
    page.locator("#generate-cover-letter").click()
    expect(page.locator(".stream-text")).to_contain_text("Dear Acme hiring team")
    for _ in range(8):
        page.reload()
        if page.locator(".task-row[data-status='completed']").count():
            break
        expect(page.locator("#job-title")).to_have_text("Senior Backend Engineer")
        boxes = page.locator("[id^='stream-']")
        if page.locator(".task-row[data-status='running']").count():
            # The text follows the row in the next push, unless the letter was finished meanwhile.
            shown = page.locator("[id^='stream-'], .task-row[data-status='completed']")
            expect(shown.first).to_be_visible(timeout=15_000)
            texts = boxes.all_inner_texts()  # no waiting: the box goes once its document arrives
            assert len(texts) <= 1, texts
            assert all(text.count("Dear Acme hiring team") <= 1 for text in texts), texts
    expect(page.locator(".task-row[data-status='completed']")).to_have_count(1, timeout=60_000)
    expect(page.locator("[id^='stream-']")).to_have_count(0)
    expect(page.locator(".document")).to_have_count(1)
