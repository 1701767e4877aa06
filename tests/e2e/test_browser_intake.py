"""Adding a job by URL in the browser: placeholder at once, posting read in the background, evaluated."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from fake_board import FakeBoard
from playwright.sync_api import expect
from sqlmodel import Session
from test_browser_live import RESUME

from jobapp.db import make_engine
from jobapp.models import Profile

pytestmark = pytest.mark.e2e

POSTING = {
    "@context": "https://schema.org",
    "@type": "JobPosting",
    "title": "Staff Platform Engineer",
    "hiringOrganization": {"@type": "Organization", "name": "Initech"},
    "jobLocation": {"@type": "Place", "address": {"addressLocality": "Berlin"}},
    "description": "<p>We run <b>Python</b> and PostgreSQL on Kubernetes.</p><script>window.__pwned=1</script>",
}


def jsonld_page(data: dict) -> str:
    script = json.dumps(data).replace("</", "<\\/")
    return f"<html><head><script type='application/ld+json'>{script}</script></head><body>Apply</body></html>"


@pytest.fixture
def board():
    with FakeBoard() as fake:
        fake.page("/careers/42", jsonld_page(POSTING))
        fake.page(
            "/careers/wall",
            "<html><head><title>Just a moment...</title></head><body>Enable JavaScript "
            "and cookies to continue</body></html>",
            status=403,
        )
        yield fake


@pytest.fixture
def backend_env(board):
    """The safe fetcher may reach the fake board's loopback port, and nothing else on loopback."""
    return {
        "JOBAPP_OFFLINE_PACE": "0",
        "JOBAPP_POLL_SECONDS": "0.5",
        "JOBAPP_FETCH_ALLOW_LOOPBACK": "1",
        "JOBAPP_FETCH_LOOPBACK_PORTS": str(urlsplit(board.url()).port),
    }


def test_add_by_url_reads_the_posting_and_evaluates_it(site, backend, context, board):
    engine = make_engine(backend.db_url)
    with Session(engine) as s:
        s.add(Profile(name="Ada Example", resume=RESUME))
        s.commit()
    engine.dispose()
    backend.start()
    page = context.new_page()
    page.goto(site["url"])

    page.locator("#new-url").fill(board.url("/careers/42") + "?utm_source=newsletter")
    page.locator("#add-url").click()
    row = page.locator("tr", has_text="Staff Platform Engineer")
    expect(row).to_contain_text("Initech", timeout=30_000)
    expect(row).to_contain_text("Evaluated", timeout=30_000)

    # The same posting without the tracking parameter is recognised, not added again.
    page.locator("#new-url").fill(board.url("/careers/42"))
    page.locator("#add-url").click()
    expect(page.get_by_text("already in your pipeline")).to_be_visible()
    expect(page.locator("tr", has_text="Staff Platform Engineer")).to_have_count(1)

    row.locator("a.job-link").click()
    expect(page.locator("#job-title")).to_have_text("Staff Platform Engineer")
    expect(page.get_by_text("We run Python and PostgreSQL on Kubernetes.")).to_be_visible()
    assert page.evaluate("window.__pwned") is None


def test_a_bot_wall_says_paste_the_description_instead(site, backend, context, board):
    backend.start()
    page = context.new_page()
    page.goto(site["url"])
    page.locator("#new-url").fill(board.url("/careers/wall"))
    page.locator("#add-url").click()
    activity = context.new_page()
    activity.goto(f"{site['url']}/activity")
    failed = activity.locator("#recent-tasks .task-row[data-status='failed']")
    expect(failed).to_have_count(1, timeout=30_000)
    expect(failed).to_contain_text("paste the description")
