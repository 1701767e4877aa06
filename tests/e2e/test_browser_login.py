"""The login in the browser, with the frontend served apart from the backend (the static export on one
port, `reflex run --backend-only` on another, as in a static deployment): the page sends the person to
the backend's login form, which brings them back; the app then works over the websocket, uploads carry
the cookie, and logging out leads back to the form. (The one-port app: test_start_command.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_browser_live import POSTING

pytestmark = pytest.mark.e2e

USER, PASSWORD = "ada", "correct horse battery staple"


@pytest.fixture
def backend_env(site) -> dict[str, str]:
    return {
        "JOBAPP_OFFLINE_PACE": "0.01",
        "JOBAPP_REQUIRE_LOGIN": "1",
        "JOBAPP_USERNAME": USER,
        "JOBAPP_PASSWORD": PASSWORD,
        "JOBAPP_SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
        # The page's origin: trusted for the websocket and as a place to return to after logging in.
        "JOBAPP_FRONTEND_ORIGINS": str(site["url"]),
    }


def test_log_in_upload_a_resume_add_a_job_and_log_out(site, backend, context, tmp_path):
    backend.start()
    login_url = f"http://127.0.0.1:{backend.port}/_auth/login"
    page = context.new_page()
    page.goto(f"{site['url']}/")
    expect(page.locator("#login-form")).to_be_visible()
    assert page.url.startswith(login_url)

    page.locator("#username").fill(USER)
    page.locator("#password").fill("not the password")
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_have_text("Wrong username or password.")
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(f"{site['url']}/")
    expect(page.locator("#account-user")).to_have_text(USER)

    resume = tmp_path / "resume.md"
    resume.write_text("# Ada Example\n\nBackend engineer: Python, PostgreSQL.\n")
    page.goto(f"{site['url']}/settings")
    page.locator("#resume-upload input[type=file]").set_input_files(resume)
    expect(page.locator("#profile-saved")).to_contain_text("Imported resume.md")
    expect(page.locator("#profile-resume")).to_have_value(resume.read_text())
    page.locator("#profile-name").fill("Ada Example")
    page.locator("#save-profile").click()
    expect(page.locator("#profile-saved")).to_have_text("Saved.")

    page.goto(site["url"])
    page.locator("#new-title").fill("Staff Engineer")
    page.locator("#new-company").fill("Globex")
    page.locator("#new-description").fill(POSTING)
    page.locator("#add-job").click()
    expect(page.locator("tr", has_text="Staff Engineer")).to_contain_text("Evaluated", timeout=30_000)

    page.locator("#logout").click()
    expect(page.locator("#login-form")).to_be_visible()
    assert page.url.startswith(login_url)
    page.goto(f"{site['url']}/activity")  # the session is over: the app sends the person to log in again
    expect(page.locator("#login-form")).to_be_visible()
