"""The frontend deployed apart from the backend, as the README says: `scripts/export-frontend` output on a
plain static server with the one fallback rule (a path that matches no file gets 404.html), and
`reflex run --env prod --backend-only` elsewhere. Every route opens directly and survives a reload."""

from __future__ import annotations

import re

import pytest
from harness import StaticHost, serve_static
from playwright.sync_api import Page, expect
from test_browser_live import POSTING, seed

pytestmark = pytest.mark.e2e


class StaticHost404(StaticHost):
    """The same rule on a host that answers it with status 404 (as hosts serving 404.html by themselves do)."""

    fallback_status = 404


def check_route(page: Page, route: str, job_id: int) -> None:
    """What each page shows once it has loaded and its state came over the backend's websocket."""
    if route == "/":
        expect(page).to_have_title("Pipeline · jobapp")
        expect(page.locator(f"#job-row-{job_id}")).to_contain_text("Senior Backend Engineer")
    elif route == "/activity":
        expect(page).to_have_title("Activity · jobapp")
        expect(page.locator("#indicator-idle")).to_be_visible()
    elif route == "/settings":
        expect(page).to_have_title("Settings · jobapp")
        expect(page.locator("#profile-name")).to_have_value("Ada Example")
    else:
        expect(page).to_have_title("Job · jobapp")
        expect(page.locator("#job-title")).to_have_text("Senior Backend Engineer")


def test_every_route_opens_directly_and_reloads_then_a_new_job_is_evaluated_live(site, backend, context):
    job_id = seed(backend.db_url)
    backend.start()
    page = context.new_page()
    for route in ("/", "/activity", "/settings", f"/jobs/{job_id}"):
        page.goto(site["url"] + route)
        check_route(page, route, job_id)
        page.reload()
        check_route(page, route, job_id)

    # A host that answers unknown paths with 404.html *and* status 404 works the same.
    other_host = serve_static(site["dir"], StaticHost404)
    try:
        deep_link = f"http://127.0.0.1:{other_host.server_address[1]}/jobs/{job_id}"
        assert page.goto(deep_link).status == 404
        check_route(page, f"/jobs/{job_id}", job_id)
        page.reload()
        check_route(page, f"/jobs/{job_id}", job_id)
    finally:
        other_host.shutdown()

    page.goto(site["url"])
    page.locator("#new-title").fill("Platform Engineer")
    page.locator("#new-company").fill("Globex")
    page.locator("#new-description").fill(POSTING)
    page.locator("#add-job").click()
    row = page.locator("tr", has_text="Platform Engineer")
    expect(row).to_contain_text("Evaluated", timeout=30_000)
    expect(row).to_contain_text(re.compile(r"\d+% fit"))
