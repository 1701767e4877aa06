"""Discovering jobs in the browser: follow boards, scan them, watch each company's progress live (one board
failing, one held back until the test lets it answer), see new postings marked New, scan again."""

from __future__ import annotations

import json
import threading
from urllib.parse import urlsplit

import pytest
from fake_board import JSON, FakeBoard, Reply, ashby_board, greenhouse_list, lever_list
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from jobapp.db import make_engine, writer
from jobapp.discovery import store
from jobapp.models import Board, Job

pytestmark = pytest.mark.e2e

LEVER_ID = "5ac21346-8e0c-4494-8e7a-3eb92ff77902"


@pytest.fixture
def gate() -> threading.Event:
    """Orbit's board answers only once the test sets this (a slow company, without timing anything)."""
    return threading.Event()


@pytest.fixture
def board(gate: threading.Event):
    with FakeBoard() as fake:
        fake.json(
            "/v1/boards/acme/jobs",
            greenhouse_list((101, "Senior Backend Engineer", "Remote - US"), (102, "Office Manager", "London")),
        )
        fake.json("/v0/postings/nimbus", lever_list("nimbus", (LEVER_ID, "Platform Engineer", "Berlin")))
        fake.respond("/posting-api/job-board/orbit", Reply(200, json.dumps(ashby_board()), JSON, hold=gate))
        yield fake
        gate.set()  # never leave a server thread waiting


@pytest.fixture
def backend_env(board: FakeBoard) -> dict[str, str]:
    bases = {api: board.url() for api in ("greenhouse", "lever", "ashby")}
    return {
        "JOBAPP_POLL_SECONDS": "0.5",
        "JOBAPP_FETCH_ALLOW_LOOPBACK": "1",
        "JOBAPP_FETCH_LOOPBACK_PORTS": str(urlsplit(board.url()).port),
        "JOBAPP_ATS_API_BASE": json.dumps(bases),
    }


def panel_row(page: Page, company: str):
    return page.locator("#scan-panel .panel-row", has_text=company)


def test_a_scan_shows_each_company_live_adds_new_postings_once_and_keeps_edits(site, backend, context, board, gate):
    engine = make_engine(backend.db_url)
    with Session(writer(engine)) as s:
        store.add_board(s, "ashby:orbit")
        store.add_board(s, "greenhouse:gone")  # no such board: 404
        store.save_preferences(s, store.Preferences(terms="backend, platform, analytics"))
    backend.start()
    page = context.new_page()
    page.goto(f"{site['url']}/discover")

    # Follow two more boards from the page: a board link, and the short form.
    for source in ("https://boards.greenhouse.io/acme", "lever:nimbus"):
        page.locator("#board-input").fill(source)
        page.locator("#follow").click()
    expect(page.locator(".board-row")).to_have_count(4)
    page.locator("#board-input").fill("lever:nimbus")
    page.locator("#follow").click()
    expect(page.locator("#board-error")).to_have_text("You already follow Nimbus.")

    page.locator("#discover-now").click()
    expect(page.locator("#discover-notice")).to_contain_text("Scan queued")
    # Every other company finishes while Orbit is still being read; the failure stays with its board.
    expect(panel_row(page, "Acme")).to_have_attribute("data-state", "done", timeout=30_000)
    expect(panel_row(page, "Nimbus")).to_have_attribute("data-state", "done")
    expect(panel_row(page, "Gone")).to_have_attribute("data-state", "failed")
    expect(panel_row(page, "Gone")).to_contain_text("Greenhouse has no board named 'gone' (404)")
    expect(panel_row(page, "Orbit")).to_have_attribute("data-state", "scanning")
    expect(panel_row(page, "Acme").locator(".panel-new")).to_have_text("1")  # the office manager did not match
    expect(page.locator("#panel-summary")).to_have_text("Scanning 4 boards: 3 done, 1 failed · 2 new so far")

    # A second tab opened mid-scan shows the same panel, and keeps following it.
    other = context.new_page()
    other.goto(f"{site['url']}/discover")
    expect(panel_row(other, "Orbit")).to_have_attribute("data-state", "scanning")
    expect(panel_row(other, "Acme")).to_have_attribute("data-state", "done")

    gate.set()
    for tab in (page, other):
        expect(panel_row(tab, "Orbit")).to_have_attribute("data-state", "done", timeout=30_000)
        expect(tab.locator("#panel-summary")).to_contain_text("4 boards, 3 new, 1 failed")
    expect(page.locator(".board-row", has_text="Acme").locator(".board-counts")).to_have_text(
        "2 seen · 1 matching · 1 new"
    )
    expect(page.locator(".board-row", has_text="Gone").locator(".board-error")).to_contain_text("404")

    # The pipeline has the new postings, marked New until opened.
    pipeline = context.new_page()
    pipeline.goto(site["url"])
    for title in ("Senior Backend Engineer", "Platform Engineer", "Analytics Engineer"):
        expect(pipeline.locator("tr", has_text=title).locator(".new-badge")).to_be_visible()
    expect(pipeline.locator("tr", has_text="Office Manager")).to_have_count(0)
    pipeline.locator("tr", has_text="Platform Engineer").locator("a.job-link").click()
    expect(pipeline.locator("#job-title")).to_have_text("Platform Engineer")
    pipeline.go_back()
    expect(pipeline.locator("tr", has_text="Platform Engineer").locator(".new-badge")).to_have_count(0)
    expect(pipeline.locator("tr", has_text="Senior Backend Engineer").locator(".new-badge")).to_be_visible()

    # The person renames one; a second scan adds nothing and keeps the name.
    with Session(writer(engine)) as s:
        job = s.exec(select(Job).where(Job.title == "Senior Backend Engineer")).one()
        job.title = "Backend (referred by Dana)"
        s.add(job)
        s.commit()
    page.locator("#discover-now").click()
    expect(page.locator("#panel-summary")).to_contain_text("4 boards, 0 new, 1 failed", timeout=30_000)
    with Session(engine) as s:
        titles = sorted(j.title for j in s.exec(select(Job)).all())
        assert titles == ["Analytics Engineer", "Backend (referred by Dana)", "Platform Engineer"]
        assert len(s.exec(select(Board)).all()) == 4
    engine.dispose()


def test_unfollowing_and_the_schedule_are_saved(site, backend, context, board):
    backend.start()
    page = context.new_page()
    page.goto(f"{site['url']}/discover")
    expect(page.locator("#schedule-text")).to_have_text("No schedule: boards are scanned when you click Discover.")
    page.locator("#board-input").fill("https://jobs.lever.co/nimbus")
    page.locator("#follow").click()
    expect(page.locator(".board-row")).to_have_count(1)

    page.locator("#default-terms").fill("python, backend")
    page.locator("#every-hours").click()
    page.get_by_role("option", name="6", exact=True).click()
    page.locator("#save-defaults").click()
    expect(page.locator("#schedule-text")).to_contain_text("Scanned every 6 hours; next scan at")
    page.reload()
    expect(page.locator("#default-terms")).to_have_value("python, backend")

    # A board's own search terms and name.
    page.locator(".board-row", has_text="Nimbus").get_by_role("button", name="Edit").click()
    expect(page.locator("#board-company")).to_have_value("Nimbus")
    page.locator("#board-company").fill("Nimbus Labs")
    page.locator("#board-terms").fill("platform")
    page.locator("#follow").click()
    expect(page.locator(".board-row", has_text="Nimbus Labs")).to_contain_text("platform · anywhere")

    page.locator(".board-row", has_text="Nimbus").get_by_role("button", name="Unfollow").click()
    expect(page.locator(".board-row")).to_have_count(0)
    expect(page.get_by_text("No boards yet")).to_be_visible()
