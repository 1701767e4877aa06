"""A person's path through the app: profile, paste a posting, watch it evaluated, cancel, retry, delete."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from test_browser_live import POSTING, RESUME, open_job, seed, wait_for_progress_change

pytestmark = pytest.mark.e2e


def test_paste_a_posting_and_watch_it_evaluated(site, backend, context):
    backend.start()
    page = context.new_page()
    page.goto(f"{site['url']}/settings")
    page.locator("#profile-name").fill("Ada Example")
    page.locator("#profile-resume").fill(RESUME)
    page.locator("#save-profile").click()
    expect(page.locator("#profile-saved")).to_have_text("Saved.")

    watcher = context.new_page()  # a second tab on the pipeline sees the new job arrive
    watcher.goto(site["url"])
    expect(watcher.locator("text=No jobs yet")).to_be_visible()

    page.goto(site["url"])
    page.locator("#new-title").fill("Senior Backend Engineer")
    page.locator("#new-company").fill("Acme")
    page.locator("#new-description").fill(POSTING)
    page.locator("#add-job").click()
    expect(page.locator("#new-description")).to_have_value("")

    for tab in (page, watcher):
        row = tab.locator("tr", has_text="Senior Backend Engineer")
        expect(row).to_contain_text("Evaluated", timeout=30_000)
        expect(row).to_contain_text(re.compile(r"\d+% fit"))
    watcher.locator("a.job-link").click()
    expect(watcher.locator("#evaluation-summary")).to_contain_text("Skill coverage is")
    # The skill check: "Go and Kafka are a plus" are nice to have, not required; each match shows its line.
    expect(watcher.locator("#preferred-missing")).to_have_text("Nice to have, not in your resume: Go, Kafka")
    expect(watcher.locator("#required-missing")).to_have_count(0)
    expect(watcher.locator("#matched-evidence")).to_contain_text(
        "PostgreSQL — “Built Python services on PostgreSQL and Redis for payments at Lumen”"
    )
    expect(watcher.locator("#asks")).to_have_text("The posting asks for: senior")
    expect(watcher.locator("text=Written by offline drafter")).to_be_visible()


def test_empty_posting_is_refused_with_a_reason(site, backend, context):
    backend.start()
    page = context.new_page()
    page.goto(site["url"])
    page.locator("#add-job").click()
    expect(page.locator("text=Paste the job description.")).to_be_visible()


# Evaluations never start (per-kind cap 0), so the queued state can be looked at without racing it.
@pytest.mark.parametrize(
    "backend_env",
    [{"JOBAPP_OFFLINE_PACE": "0.15", "JOBAPP_KIND_LIMITS": "evaluate-job=0", "JOBAPP_POLL_SECONDS": "0.5"}],
)
def test_already_queued_cancel_retry_and_delete(site, backend, context):
    job_id = seed(backend.db_url)
    backend.start()
    page = open_job(context, site, job_id)

    page.locator("#evaluate").click()
    expect(page.locator("#job-notice")).to_contain_text("Queued: evaluation")
    expect(page.locator("#evaluate")).to_be_disabled()
    expect(page.locator("#evaluate")).to_have_text("Evaluation already queued")
    expect(page.locator("#indicator")).to_contain_text(f"Building 1 item: evaluating #{job_id}")

    activity = context.new_page()
    activity.goto(f"{site['url']}/activity")
    queued = activity.locator("#active-tasks .task-row[data-status='queued']")
    expect(queued).to_have_count(1)
    queued.get_by_role("button", name="Cancel").click()
    expect(activity.locator("#task-notice")).to_contain_text("cancelled")
    expect(page.locator("#evaluate")).to_be_enabled()

    # A running letter, cancelled mid-stream: no document is written.
    page.locator("#generate-cover-letter").click()
    first_letter = page.locator("#job-tasks .task-row[data-status='running']")
    wait_for_progress_change(page, "#job-tasks .task-row[data-status='running']", 16)
    first_id = first_letter.get_attribute("id")
    first_letter.get_by_role("button", name="Cancel").click()
    expect(page.locator(f"#{first_id}")).to_have_attribute("data-status", "cancelled")
    expect(page.locator(".document")).to_have_count(0)
    expect(page.locator(".stream-text")).to_have_count(0)

    # A second letter with the same settings holds the dedupe key: retrying the first says so.
    page.locator("#generate-cover-letter").click()
    expect(page.locator("#job-tasks .task-row[data-status='running']")).to_have_count(1)
    page.locator(f"#{first_id}").get_by_role("button", name="Retry").click()
    expect(page.locator("#task-notice")).to_contain_text("Already queued as task #")

    # Deleting the job cancels its running task and takes the person back to the pipeline.
    page.locator("#delete-job").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("text=No jobs yet")).to_be_visible()
    expect(activity.locator("#active-tasks .task-row")).to_have_count(0)
    expect(activity.locator("#recent-tasks .task-row[data-status='cancelled']")).to_have_count(3)


# Reflex drops states nobody touched for REFLEX_REDIS_TOKEN_EXPIRATION seconds, the shared board too.
@pytest.mark.parametrize("backend_env", [{"REFLEX_REDIS_TOKEN_EXPIRATION": "2", "JOBAPP_POLL_SECONDS": "0.5"}])
def test_a_tab_opened_after_the_board_expired_still_sees_the_pipeline(site, backend, context):
    seed(backend.db_url)
    backend.start()
    first = context.new_page()
    first.goto(site["url"])
    expect(first.locator("tr", has_text="Senior Backend Engineer")).to_be_visible()
    first.close()
    time.sleep(5)  # idle past the expiry, with no tab open

    later = context.new_page()
    later.goto(site["url"])
    expect(later.locator("tr", has_text="Senior Backend Engineer")).to_be_visible()
    expect(later.locator("#indicator-idle")).to_be_visible()
