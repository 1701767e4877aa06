"""The admin pages in a real browser, on the real backend: the login refuses a wrong and an absent password;
a person filters the tasks, retries a failed one, and the app tab open on that job shows it run again live."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from jobapp.admin.auth import hash_password
from jobapp.db import make_engine
from jobapp.models import Job, Profile
from jobapp.tasks import TaskManager
from jobapp.work import request_evaluation

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
TOKEN = "e2e-api-token-that-must-never-be-logged"
RESUME = "# Ada Example\n- Built Python services on PostgreSQL at Lumen (2019–2023)\n- Ran Kubernetes on AWS"
POSTING = "We need a backend engineer with Python, PostgreSQL and Kubernetes."


@pytest.fixture
def backend_env() -> dict[str, str]:
    return {
        "JOBAPP_OFFLINE_PACE": "0.02",
        "JOBAPP_LEASE_SECONDS": "3",
        "JOBAPP_POLL_SECONDS": "0.5",
        "JOBAPP_ADMIN_USERNAME": "ada",
        "JOBAPP_ADMIN_PASSWORD_HASH": hash_password(PASSWORD),
        "JOBAPP_SECRET_KEY": "e2e-secret-key-0123456789abcdef",
        "JOBAPP_API_TOKEN": TOKEN,
    }


def seed(db_url: str) -> tuple[int, int, int]:
    """Two jobs, each with an evaluation: the first failed (through the engine's own verbs), the second queued
    (the backend runs it). Written before the backend starts."""
    engine = make_engine(db_url)
    with Session(engine) as s:
        s.add(Profile(name="Ada Example", resume=RESUME))
        failing = Job(title="Backend Engineer", company="Acme", description=POSTING)
        other = Job(title="Platform Engineer", company="Initech", description=POSTING)
        s.add_all([failing, other])
        s.commit()
        ids = (failing.id, other.id)
    manager = TaskManager(engine)
    failed = request_evaluation(manager, ids[0]).task_id
    manager.claim("seed-worker", limit=1, lease_seconds=30)
    manager.fail(failed, "seed-worker", error="the model said no", transient=False)
    request_evaluation(manager, ids[1])
    engine.dispose()
    return ids[0], ids[1], failed


def sign_in(page: Page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    # An absent password is refused by the server, not only by the browser's own check of the form.
    page.evaluate("document.getElementById('password').removeAttribute('required')")
    page.click("button[type=submit]")


def test_retry_a_failed_task_from_the_admin_and_watch_it_run_again(site, backend, context):
    job_id, _other, failed = seed(backend.db_url)
    backend.start()
    admin_url = f"http://127.0.0.1:{site['backend_port']}/admin"

    app = context.new_page()
    app.goto(f"{site['url']}/jobs/{job_id}")
    expect(app.locator(".task-row[data-status='failed']")).to_have_count(1)

    admin = context.new_page()
    admin.goto(f"{admin_url}/task/list")
    expect(admin.locator("#username")).to_be_visible()  # sent to the login page
    for password in ("wrong password", ""):
        sign_in(admin, "ada", password)
        expect(admin.get_by_text("Wrong username or password.")).to_be_visible()
    sign_in(admin, "ada", PASSWORD)
    expect(admin).to_have_url(f"{admin_url}/task/list")
    expect(admin.locator("tr[data-sa-pk]")).to_have_count(2)

    # The failed tasks only (the filter the list's filter builder writes into the address).
    admin.goto(f"{admin_url}/task/list?filter=status__eq%3Dfailed")
    rows = admin.locator("tr[data-sa-pk]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-sa-pk", str(failed))
    rows.first.locator("a[data-sa-name='retry']").click()
    admin.click("#actionSubmit")
    expect(admin.get_by_text(f"Task #{failed} queued again.")).to_be_visible(timeout=15_000)

    # The app tab was not reloaded: the engine's events brought the re-run to it.
    expect(app.locator(".task-row[data-status='failed']")).to_have_count(0, timeout=20_000)
    expect(app.locator(".task-row[data-status='completed']")).to_have_count(1, timeout=30_000)
    assert app.url == f"{site['url']}/jobs/{job_id}"


def test_the_api_and_the_admin_sit_beside_reflex_on_the_backend(site, backend):
    """A split deployment: the exported frontend on one origin, the backend on another. Reflex's routes, the
    API (with CORS for the frontend's origin) and the admin all answer on the backend."""
    backend.start()
    base = f"http://127.0.0.1:{site['backend_port']}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.get(f"{base}/ping").status_code == 200
    assert httpx.get(f"{base}/api/jobs").status_code == 401
    assert httpx.get(f"{base}/api/jobs", headers=auth).json()["total"] == 0
    preflight = httpx.options(
        f"{base}/api/tasks",
        headers={
            "Origin": site["url"],
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", site["url"])
    answer = httpx.get(f"{base}/api/kinds", headers={"Origin": site["url"]} | auth)
    assert answer.headers["access-control-allow-origin"] in ("*", site["url"])
    assert httpx.get(f"{base}/admin/login").status_code == 200
    assert httpx.get(f"{base}/api/nope", headers=auth).json()["error"].startswith("no API route")
    backend.stop()
    logged = "\n".join(log.read_text() for log in backend.logs)
    assert TOKEN not in logged
