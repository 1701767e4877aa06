"""Settings in the browser: a model provider chosen and used, with its key never shown back."""

from __future__ import annotations

import pytest
from fake_llm import MODEL, VALID_KEY, FakeOpenAI
from playwright.sync_api import expect
from test_browser_live import open_job, seed
from test_work_llm import RUBRIC

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
