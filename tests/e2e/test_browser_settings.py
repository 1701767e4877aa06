"""Settings in the browser: a model provider chosen and used, with its key never shown back; the engine's
limits changed and holding at the next claim."""

from __future__ import annotations

import time

import pytest
from fake_llm import MODEL, VALID_KEY, FakeOpenAI
from playwright.sync_api import expect
from sqlmodel import Session, func, select
from test_browser_live import POSTING, open_job, seed
from test_work_llm import RUBRIC

from jobapp.db import make_engine
from jobapp.models import Job, Task
from jobapp.tasks import EventBus, TaskManager
from jobapp.work import request_cover_letter

pytestmark = pytest.mark.e2e


@pytest.fixture
def model_server():
    with FakeOpenAI() as server:
        server.json_answer = RUBRIC  # answered through structured output
        yield server


def test_a_chosen_provider_evaluates_and_its_key_stays_secret(site, backend, context, model_server):
    job_id = seed(backend.db_url)
    backend.start()
    page = context.new_page()
    page.goto(f"{site['url']}/settings")
    page.locator("#provider-kind").click()
    page.get_by_role("option", name="openai").click()
    page.locator("#provider-model").fill(MODEL)
    page.locator("#provider-base-url").fill(model_server.base_url)
    page.locator("#provider-key").fill(VALID_KEY)
    page.locator("#save-provider").click()
    expect(page.locator("#provider-message")).to_contain_text("Saved")

    page.reload()
    expect(page.locator("#provider-model")).to_have_value(MODEL)
    expect(page.locator("#provider-key")).to_have_value("")
    expect(page.locator("#provider-key")).to_have_attribute(
        "placeholder", f"API key (blank: keep sk-…{VALID_KEY[-4:]})"
    )
    assert VALID_KEY not in page.content()

    job = open_job(context, site, job_id)
    job.locator("#evaluate").click()
    expect(job.locator("#recommendation")).to_have_text("Recommendation: apply", timeout=30_000)
    expect(job.locator("#rubric tbody tr")).to_have_count(5)
    expect(job.get_by_text("Written by OpenAI-compatible")).to_be_visible()
    expect(job.locator(".task-usage").first).to_contain_text(MODEL)
    # The fake model has no known price: the row says so instead of showing "$0".
    expect(job.locator(".task-usage").first).to_contain_text("out tokens · cost unknown")
    assert model_server.requests[-1].body["response_format"]["type"] == "json_schema"
    assert model_server.requests[-1].headers["authorization"] == f"Bearer {VALID_KEY}"
    assert VALID_KEY not in "\n".join(backend.logs[-1].read_text().splitlines())


def test_limits_changed_in_settings_hold_at_the_next_claim(site, backend, context):
    """A cap typed into Settings reaches the running backend without a restart; bad input is refused."""
    engine = make_engine(backend.db_url)
    job_ids = [seed(backend.db_url)]
    with Session(engine) as s:
        jobs = [Job(title=f"Engineer {n}", company=f"Company {n}", description=POSTING) for n in range(2)]
        s.add_all(jobs)
        s.commit()
        job_ids += [job.id for job in jobs]
    backend.start()
    page = context.new_page()
    page.goto(f"{site['url']}/settings")

    page.locator("#limit-concurrency").fill("two")
    page.locator("#save-limits").click()
    expect(page.locator("#limits-message")).to_have_text(
        "Not saved: Tasks at once (whole deployment): two is not a whole number."
    )
    page.locator("#limit-concurrency").fill("0")
    page.locator("#save-limits").click()
    expect(page.locator("#limits-message")).to_contain_text("at least one task must be allowed to run at once")

    page.locator("#limit-concurrency").fill("1")
    page.locator("#cap-generate-cover-letter").fill("")
    page.locator("#limit-keep_failed_days").fill("14")
    page.locator("#save-limits").click()
    expect(page.locator("#limits-message")).to_contain_text("Saved")
    page.reload()
    expect(page.locator("#limit-concurrency")).to_have_value("1")
    expect(page.locator("#limit-keep_failed_days")).to_have_value("14")
    expect(page.locator("#cap-generate-cover-letter")).to_have_value("")

    # Three letters queued at once: the backend, started with a cap of 4, now runs one at a time.
    manager = TaskManager(engine, EventBus())
    ids = [request_cover_letter(manager, job_id, tone="warm", length="short").task_id for job_id in job_ids]
    most_running, deadline = 0, time.monotonic() + 120
    while True:
        with Session(engine) as s:
            statuses = dict(
                s.exec(select(Task.status, func.count()).where(Task.id.in_(ids)).group_by(Task.status)).all()
            )
        most_running = max(most_running, statuses.get("running", 0))
        if statuses.get("completed") == len(ids):
            break
        assert time.monotonic() < deadline, f"letters not done: {statuses}"
        time.sleep(0.05)
    assert most_running == 1
    engine.dispose()
