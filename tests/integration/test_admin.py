"""The admin pages over HTTP, on a real database: the login, what each table allows, the engine's verbs behind
the task actions, masked secrets, and the SQL its lists run."""

from __future__ import annotations

import asyncio
import re

import pytest
from api_client import app_database, client
from sqlalchemy import event
from sqlmodel import Session
from starlette.applications import Starlette

from jobapp import jobs
from jobapp.admin import VIEWS, build_admin
from jobapp.admin.auth import HOW_TO_TURN_ON, hash_password
from jobapp.db import get_engine, writer
from jobapp.live.events import JobChanged
from jobapp.models import Job, Profile, Setting
from jobapp.runtime import get_manager
from jobapp.tasks import TaskChanged
from jobapp.work import request_evaluation

PASSWORD = "correct horse battery staple"
API_KEY = "sk-live-abcdefghijklmnop9876"
KEYS = ("job", "task", "document", "profile", "setting")


def admin_app() -> Starlette:
    """The admin as Reflex mounts it (`rx.AdminDash`: one view per model, mounted at /admin)."""
    admin = build_admin()
    for model, view in VIEWS.items():
        admin.add_view(view(model))
    app = Starlette()
    admin.mount_to(app)
    return app


@pytest.fixture
def configured(monkeypatch):
    monkeypatch.setenv("JOBAPP_ADMIN_USERNAME", "ada")
    monkeypatch.setenv("JOBAPP_ADMIN_PASSWORD_HASH", hash_password(PASSWORD))
    monkeypatch.setenv("JOBAPP_SECRET_KEY", "test-secret-key-0123456789abcdef")


@pytest.fixture
async def admin(db_url, monkeypatch, configured):
    with app_database(db_url, monkeypatch):
        async with client(admin_app()) as c:
            yield c


async def csrf(c) -> dict[str, str]:
    if "starlette_admin_csrftoken" not in c.cookies:
        await c.get("/admin/login")
    return {"X-CSRFToken": c.cookies["starlette_admin_csrftoken"]}


async def log_in(c, username: str = "ada", password: str = PASSWORD):
    return await c.post("/admin/login", data={"username": username, "password": password}, headers=await csrf(c))


async def row_action(c, key: str, pk: int, name: str):
    params = {"pk": pk, "name": name}
    return await c.post(f"/admin/_api/{key}/row-action", params=params, headers=await csrf(c))


def add_job(**fields) -> int:
    fields = {"title": "Backend Engineer", "company": "Acme", "location": "", "url": ""} | fields
    return jobs.add_job(get_manager(), description="Python and PostgreSQL.", **fields)


class TestLogin:
    async def test_without_credentials_everyone_is_refused_and_told_how_to_turn_it_on(self, db_url, monkeypatch):
        for name in ("JOBAPP_ADMIN_USERNAME", "JOBAPP_USERNAME", "JOBAPP_ADMIN_PASSWORD_HASH", "JOBAPP_SECRET_KEY"):
            monkeypatch.delenv(name, raising=False)
        with app_database(db_url, monkeypatch):
            async with client(admin_app()) as c:
                assert (await c.get("/admin/job/list")).status_code == 303
                page = await c.get("/admin/login")
                assert HOW_TO_TURN_ON in page.text.replace("&#39;", "'").replace("&#x60;", "`")
                refused = await log_in(c, "anyone", "anything")
                assert refused.status_code == 400 and "JOBAPP_ADMIN_PASSWORD_HASH" in refused.text
                assert (await c.get("/admin/task/list")).status_code == 303

    @pytest.mark.parametrize(("username", "password"), [("ada", "wrong"), ("ada", ""), ("eve", PASSWORD), ("", "")])
    async def test_a_wrong_or_absent_password_is_refused(self, admin, username, password):
        refused = await log_in(admin, username, password)
        assert refused.status_code == 400 and "Wrong username or password." in refused.text
        assert (await admin.get("/admin/job/list")).status_code == 303

    async def test_the_right_password_opens_every_table(self, admin):
        signed_in = await log_in(admin)
        assert signed_in.status_code == 303 and "jobapp_admin" in admin.cookies
        for key in KEYS:
            assert (await admin.get(f"/admin/{key}/list")).status_code == 200, key
        await admin.post("/admin/logout", headers=await csrf(admin))
        assert (await admin.get("/admin/job/list")).status_code == 303

    async def test_the_app_logins_credentials_are_used_when_the_admin_has_none(self, db_url, monkeypatch):
        monkeypatch.delenv("JOBAPP_ADMIN_USERNAME", raising=False)
        monkeypatch.delenv("JOBAPP_ADMIN_PASSWORD_HASH", raising=False)
        monkeypatch.setenv("JOBAPP_USERNAME", "ada")
        monkeypatch.setenv("JOBAPP_PASSWORD_HASH", hash_password(PASSWORD))
        monkeypatch.setenv("JOBAPP_SECRET_KEY", "another-secret-0123456789")
        with app_database(db_url, monkeypatch):
            async with client(admin_app()) as c:
                assert (await log_in(c)).status_code == 303

    async def test_a_session_ends_when_the_password_changes_or_the_cookie_is_forged(
        self, db_url, monkeypatch, configured
    ):
        with app_database(db_url, monkeypatch):
            async with client(admin_app()) as c:
                await log_in(c)
                session = c.cookies["jobapp_admin"]
            monkeypatch.setenv("JOBAPP_ADMIN_PASSWORD_HASH", hash_password("a new password"))
            async with client(admin_app(), cookies={"jobapp_admin": session}) as c:
                assert (await c.get("/admin/job/list")).status_code == 303
            async with client(admin_app(), cookies={"jobapp_admin": session[:-4] + "AAAA"}) as c:
                assert (await c.get("/admin/job/list")).status_code == 303


class TestTables:
    async def test_job_edits_go_through_the_app_and_are_announced(self, admin):
        job_id = add_job()
        await log_in(admin)
        events = get_manager().bus.subscribe()
        form = {"title": "Staff Engineer", "company": "Initech", "location": "Berlin", "url": "", "status": "Applied"}
        saved = await admin.post("/admin/job/edit", params={"pk": job_id}, data=form, headers=await csrf(admin))
        assert saved.status_code == 303, saved.text
        with Session(get_engine()) as s:
            job = s.get(Job, job_id)
        assert (job.title, job.company, job.status) == ("Staff Engineer", "Initech", "Applied")
        assert await asyncio.wait_for(events.get(), 5) == JobChanged(job_id)

    async def test_a_job_added_in_the_admin_is_saved_and_evaluated_like_a_pasted_one(self, admin):
        await log_in(admin)
        events = get_manager().bus.subscribe()
        form = {"title": "SRE", "company": "Initech", "location": "", "url": "", "description": "Run Kubernetes."}
        saved = await admin.post("/admin/job/create", data=form, headers=await csrf(admin))
        assert saved.status_code == 303, saved.text
        changed = await asyncio.wait_for(events.get(), 5)
        assert isinstance(changed, JobChanged)
        queued = get_manager().summaries(job_id=changed.job_id)
        assert [(t.kind, t.status) for t in queued] == [("evaluate-job", "queued")]
        refused = await admin.post("/admin/job/create", data=form | {"description": " "}, headers=await csrf(admin))
        assert refused.status_code == 422 and "Paste the job description." in refused.text

    async def test_the_profile_can_be_edited(self, admin):
        with Session(writer(get_engine())) as s:
            s.add(Profile(name="Ada", resume="# Ada"))
            s.commit()
        await log_in(admin)
        form = {"name": "Ada Lovelace", "resume": "# Ada Lovelace\n- Analytical engines"}
        saved = await admin.post("/admin/profile/edit", params={"pk": 1}, data=form, headers=await csrf(admin))
        assert saved.status_code == 303, saved.text
        with Session(get_engine()) as s:
            assert s.get(Profile, 1).name == "Ada Lovelace"

    async def test_deleting_a_job_cancels_its_tasks(self, admin):
        job_id = add_job()
        task = request_evaluation(get_manager(), job_id).task
        await log_in(admin)
        assert (await row_action(admin, "job", job_id, "delete")).status_code == 200
        summary = get_manager().summary(task.id)
        assert summary.status == "cancelled" and summary.job_deleted

    async def test_a_failed_task_is_retried_through_the_engine(self, admin):
        task = request_evaluation(get_manager(), add_job()).task
        manager = get_manager()
        manager.claim("w", limit=1, lease_seconds=30)
        manager.fail(task.id, "w", error="model said no", transient=False)
        await log_in(admin)
        failed = await admin.get("/admin/task/list", params={"filter": "status__eq=failed"})
        assert f'data-pk="{task.id}"' in failed.text or f"pk={task.id}" in failed.text
        events = manager.bus.subscribe()
        assert (await row_action(admin, "task", task.id, "retry")).status_code == 200
        changed = await asyncio.wait_for(events.get(), 5)
        assert isinstance(changed, TaskChanged) and changed.task.status == "queued" and changed.task.id == task.id
        refused = await row_action(admin, "task", task.id, "retry")  # queued now: not offered, refused
        assert refused.status_code == 400

    async def test_a_queued_task_is_cancelled_through_the_engine(self, admin):
        task = request_evaluation(get_manager(), add_job()).task
        await log_in(admin)
        assert (await row_action(admin, "task", task.id, "cancel")).status_code == 200
        assert get_manager().summary(task.id).status == "cancelled"

    async def test_tasks_documents_and_settings_cannot_be_written(self, admin):
        task = request_evaluation(get_manager(), add_job()).task
        await log_in(admin)
        for key in ("task", "document", "setting"):
            assert (await admin.get(f"/admin/{key}/create")).status_code == 403, key
        assert (await admin.get("/admin/task/edit", params={"pk": task.id})).status_code == 403
        assert (await row_action(admin, "task", task.id, "delete")).status_code == 400
        assert get_manager().summary(task.id) is not None

    async def test_the_stored_api_key_is_shown_masked_and_cannot_be_searched(self, admin):
        with Session(writer(get_engine())) as s:
            s.add(Setting(key="llm", value={"kind": "openai", "api_key": API_KEY}))
            s.commit()
        await log_in(admin)
        for page in (
            await admin.get("/admin/setting/list"),
            await admin.get("/admin/setting/detail", params={"pk": "llm"}),
        ):
            assert page.status_code == 200
            assert API_KEY not in page.text and "abcdefgh" not in page.text
            assert "sk-…9876" in page.text or "sk-\\u20269876" in page.text
        probe = await admin.get("/admin/setting/list", params={"q": "abcdefgh"})
        assert 'data-pk="llm"' not in probe.text and "pk=llm" not in probe.text
        exported = await admin.post(
            "/admin/_api/setting/action", params={"name": "export"}, data={"format": "json"}, headers=await csrf(admin)
        )
        assert API_KEY not in exported.text


def test_the_task_and_job_lists_read_indexes_not_the_whole_table(sqlite_url, monkeypatch, configured):
    """The SQL behind the task list (default, by status, by kind, by creation date): counted and paged from
    an index, never sorted, so 100,000 tasks page like 100 (an offset still walks the rows before the page).
    Checked on SQLite's query plans."""
    with app_database(sqlite_url, monkeypatch):
        statements: list[tuple[str, tuple]] = []

        def record(_conn, _cursor, statement, parameters, _context, _many):
            if statement.lstrip().upper().startswith("SELECT") and re.search(r"FROM (task|job)\b", statement):
                statements.append((statement, parameters))

        event.listen(get_engine(), "before_cursor_execute", record)

        async def browse() -> None:
            async with client(admin_app()) as c:
                await log_in(c)
                for params in (
                    {},
                    {"filter": "status__eq=failed"},
                    {"filter": "kind__eq=evaluate-job"},
                    {"sort": "created_at__desc"},
                    {"page": "3", "page_size": "25"},
                ):
                    assert (await c.get("/admin/task/list", params=params)).status_code == 200
                for params in ({}, {"filter": "status__eq=Applied"}, {"sort": "company__asc"}):
                    assert (await c.get("/admin/job/list", params=params)).status_code == 200

        asyncio.run(browse())
        assert len(statements) >= 10
        with get_engine().connect() as conn:
            for statement, parameters in statements:
                plan = " | ".join(
                    row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                )
                # No sort of the table; a filter is an index search (an unfiltered page walks the primary key
                # backwards, which SQLite shows as a scan that stops after the page).
                assert "TEMP B-TREE" not in plan, f"{statement}\n→ {plan}"
                if " WHERE " in statement:
                    assert re.search(r"SEARCH (task|job) USING (COVERING )?INDEX", plan), f"{statement}\n→ {plan}"
