"""The workspace around the background work, as a person uses it: the activity page's filters (kept in the
URL), a task's history, "Retry all failed", a job-page notice that leaves with its task, the interview view
and the app's icon."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session
from test_browser_live import POSTING, RESUME, open_job, seed

from jobapp.db import make_engine
from jobapp.models import Document, Job, JobStatus, Profile
from jobapp.tasks import NewTask, TaskManager

pytestmark = pytest.mark.e2e

BRIEF = """## Overview

Acme builds payment rails.

## Talking points

- Payments services on PostgreSQL at Lumen
- Led the CI/CD migration

## Questions to ask

- What does success look like?
"""


def seed_tasks(db_url: str) -> dict[str, int]:
    """Two jobs, and tasks taken to their ends through the engine's verbs before the backend starts:
    a failed evaluation and a failed letter on the first, a completed evaluation on the second."""
    engine = make_engine(db_url)
    with Session(engine) as s:
        s.add(Profile(name="Ada Example", resume=RESUME))
        first = Job(title="Senior Backend Engineer", company="Acme", description=POSTING)
        second = Job(title="Data Engineer", company="Globex", description=POSTING)
        s.add_all([first, second])
        s.commit()
        ids = {"first": first.id or 0, "second": second.id or 0}
    manager = TaskManager(engine)

    def run(kind: str, job_id: int, error: str | None) -> int:
        task_id = manager.enqueue(NewTask(kind, job_id, dedupe_key=f"{kind}:{job_id}")).task_id
        (claimed,) = manager.claim("seed-worker", limit=1, lease_seconds=30)
        assert claimed.id == task_id
        if error is None:
            manager.complete(task_id, "seed-worker", result={"ok": True})
        else:
            manager.fail(task_id, "seed-worker", error=error, transient=False)
        return task_id

    ids["eval_failed"] = run("evaluate-job", ids["first"], "The model server answered 400: context too long")
    ids["letter_failed"] = run("generate-cover-letter", ids["first"], "The model refused the prompt")
    ids["eval_done"] = run("evaluate-job", ids["second"], None)
    engine.dispose()
    return ids


def pick(page: Page, select_id: str, option: str) -> None:
    page.locator(f"#{select_id}").click()
    page.get_by_role("option", name=option, exact=True).click()


def rows(page: Page) -> list[str]:
    return [row.get_attribute("id") or "" for row in page.locator("#task-list .task-row").all()]


# The retried tasks stay queued (caps of 0), so what the page shows can be checked without racing them.
@pytest.mark.parametrize(
    "backend_env",
    [{"JOBAPP_KIND_LIMITS": "evaluate-job=0,generate-cover-letter=0", "JOBAPP_POLL_SECONDS": "0.5"}],
)
def test_filters_live_in_the_url_history_shows_errors_and_retry_all_failed(site, backend, context):
    ids = seed_tasks(backend.db_url)
    backend.start()
    page = context.new_page()
    page.goto(f"{site['url']}/activity")
    expect(page.locator("#task-list .task-row")).to_have_count(3)
    expect(page.locator("#task-list-heading")).to_have_text("All tasks (3)")

    pick(page, "filter-kind", "evaluation")
    expect(page).to_have_url(re.compile(r"/activity/?\?kind=evaluate-job$"))
    expect(page.locator("#task-list .task-row")).to_have_count(2)
    pick(page, "filter-status", "failed")
    expect(page).to_have_url(re.compile(r"/activity/?\?kind=evaluate-job&status=failed$"))
    expect(page.locator("#task-list .task-row")).to_have_count(1)
    assert rows(page) == [f"all-task-{ids['eval_failed']}"]

    # A reload shows the same filter and list.
    page.reload()
    expect(page.locator("#task-list .task-row")).to_have_count(1)
    assert rows(page) == [f"all-task-{ids['eval_failed']}"]
    expect(page.locator("#filter-kind")).to_have_text("evaluation")
    expect(page.locator("#filter-status")).to_have_text("failed")

    # The task's history: its attempt's error, the worker that ran it; back keeps the filter.
    page.locator(f"#all-task-{ids['eval_failed']} a.task-link").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{ids['eval_failed']}$"))
    expect(page.locator("#task-history")).to_contain_text("Attempt 1 failed")
    expect(page.locator(".history-error")).to_have_text("The model server answered 400: context too long")
    expect(page.locator("#task-history")).to_contain_text("permanent · worker seed-worker")
    expect(page.locator("#task-worker")).to_have_text("seed-worker")
    expect(page.locator("#task-job")).to_have_text("Senior Backend Engineer")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/activity/?\?kind=evaluate-job&status=failed$"))
    expect(page.locator("#task-list .task-row")).to_have_count(1)

    # The job filter.
    page.locator("#clear").click()
    expect(page).to_have_url(re.compile(r"/activity/?$"))
    page.locator("#filter-job").select_option(label=f"#{ids['second']} Data Engineer")  # a native select
    expect(page).to_have_url(re.compile(rf"/activity/?\?job={ids['second']}$"))
    expect(page.locator("#task-list .task-row")).to_have_count(1)
    assert rows(page) == [f"all-task-{ids['eval_done']}"]

    # Retry all failed: every kind, failed only. Both failures go back to the queue; the list (failed
    # only) empties by itself, and the live list above shows them queued.
    page.locator("#clear").click()
    expect(page).to_have_url(re.compile(r"/activity/?$"))
    pick(page, "filter-status", "failed")
    expect(page.locator("#task-list .task-row")).to_have_count(2)
    page.locator("#retry-all-failed").click()
    expect(page.locator("#task-notice")).to_have_text("Queued 2 failed tasks again.")
    expect(page.locator("#task-list")).to_contain_text("No task matches this filter.")
    expect(page.locator("#active-tasks .task-row[data-status='queued']")).to_have_count(2)
    pick(page, "filter-status", "completed")
    expect(page.locator("#task-list .task-row")).to_have_count(1)
    assert rows(page) == [f"all-task-{ids['eval_done']}"]

    # Retrying again finds nothing failed; the history of a retried task still keeps its error.
    pick(page, "filter-status", "failed")
    page.locator("#retry-all-failed").click()
    expect(page.locator("#task-notice")).to_have_text("No failed task matches this filter.")
    page.goto(f"{site['url']}/tasks/{ids['letter_failed']}")
    expect(page.locator(".history-error")).to_have_text("The model refused the prompt")
    expect(page.locator("#task-title")).to_contain_text("cover letter")


def test_a_deleted_jobs_task_renders_without_retry(site, backend, context):
    ids = seed_tasks(backend.db_url)
    engine = make_engine(backend.db_url)
    assert TaskManager(engine).delete_job(ids["first"])
    engine.dispose()
    backend.start()
    page = context.new_page()
    page.goto(f"{site['url']}/activity?status=failed")
    row = page.locator(f"#all-task-{ids['eval_failed']}")
    expect(row).to_contain_text("(deleted job)")
    expect(row.get_by_role("button", name="Retry")).to_have_count(0)
    page.goto(f"{site['url']}/tasks/{ids['eval_failed']}")
    expect(page.locator("#task-job")).to_have_text("(deleted job)")
    expect(page.locator("#task-retry")).to_have_count(0)
    expect(page.locator(".history-error")).to_have_text("The model server answered 400: context too long")


def test_a_queued_notice_goes_away_when_its_task_completes(site, backend, context):
    job_id = seed(backend.db_url)
    backend.start()
    page = open_job(context, site, job_id)
    page.locator("#research").click()
    expect(page.locator("#job-notice")).to_contain_text("Queued: company research (task #")
    expect(page.locator("#job-tasks .task-row[data-status='completed']")).to_have_count(1, timeout=60_000)
    expect(page.locator("#job-notice")).to_have_count(0)
    expect(page.locator("#research-briefs .document")).to_have_count(1)


def test_interview_view_lists_interview_jobs_with_their_brief(site, backend, context):
    engine = make_engine(backend.db_url)
    with Session(engine) as s:
        s.add(Profile(name="Ada Example", resume=RESUME))
        briefed = Job(title="Platform Engineer", company="Acme", description=POSTING, status=JobStatus.INTERVIEW)
        bare = Job(title="Backend Engineer", company="Initech", description=POSTING, status=JobStatus.INTERVIEW)
        applied = Job(title="Site Reliability Engineer", company="Hooli", description=POSTING, status="Applied")
        s.add_all([briefed, bare, applied])
        s.commit()
        s.add(Document(job_id=briefed.id, kind="research", version=1, content=BRIEF))
        s.commit()
        briefed_id, bare_id = briefed.id, bare.id
    engine.dispose()
    backend.start()
    page = context.new_page()
    page.goto(site["url"])
    page.get_by_role("link", name="Interview", exact=True).click()
    expect(page).to_have_url(re.compile(r"/interview$"))
    expect(page.locator(".interview-job")).to_have_count(2)
    expect(page.locator("#interview-jobs")).not_to_contain_text("Site Reliability Engineer")

    card = page.locator(f"#interview-{briefed_id}")
    expect(card.locator(".points li")).to_have_text(
        ["Payments services on PostgreSQL at Lumen", "Led the CI/CD migration"]
    )
    card.get_by_text("Company brief (v1").click()
    expect(card).to_contain_text("Acme builds payment rails.")

    # The job without a brief: queue its research from here, and the brief arrives live.
    bare_card = page.locator(f"#interview-{bare_id}")
    expect(bare_card.locator(".no-brief")).to_be_visible()
    bare_card.get_by_role("button", name="Research company").click()
    expect(page.locator("#interview-notice")).to_contain_text(f"Queued: company research for job #{bare_id}")
    expect(bare_card.locator(".points li").first).to_be_visible(timeout=60_000)

    card.locator("a.job-link").click()
    expect(page).to_have_url(re.compile(rf"/jobs/{briefed_id}$"))
    expect(page.locator("#job-title")).to_have_text("Platform Engineer")


def test_the_app_icon_is_served_and_linked(site, backend, context):
    backend.start()
    icon = httpx.get(f"{site['url']}/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    logo = httpx.get(f"{site['url']}/logo.svg", timeout=10)
    assert logo.status_code == 200 and b"<svg" in logo.content
    page = context.new_page()
    page.goto(f"{site['url']}/activity")
    expect(page.locator("link[rel='icon'][href='/favicon.ico']")).to_have_count(1)
    expect(page.locator("#logo img")).to_have_attribute("src", "/logo.svg")
    assert page.evaluate("() => document.querySelector('#logo img').naturalWidth") > 0
