"""What a person tracks on a job, on SQLite and PostgreSQL: the 0010 migration both ways, the status history
written by every path that changes a status, the tracked fields through the REST API (validation answers 422,
never 500) and the admin, contacts, and intake filling salary / work mode / closing date from a JSON-LD
posting served on 127.0.0.1 without overwriting what the person typed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from api_client import app_database, client
from fake_board import FakeBoard, guard_loopback
from sqlalchemy import inspect, text
from sqlmodel import Session, col, select

from alembic import command
from jobapp import jobs, tracking
from jobapp.api import api
from jobapp.db import get_engine, make_engine, writer
from jobapp.live.events import JobChanged
from jobapp.models import Contact, Job, JobStatus, JobStatusChange, Profile
from jobapp.runtime import get_manager
from jobapp.tasks import Limits, Runner, RunnerConfig, TaskManager
from jobapp.work import HANDLERS, evaluate, request_evaluation, request_hydration

pytestmark = pytest.mark.timeout(90)

POSTING = "# Backend Engineer\nAcme is hiring a backend engineer: Python, PostgreSQL, Kubernetes."
JSONLD = {
    "@context": "https://schema.org",
    "@type": "JobPosting",
    "title": "Platform Engineer",
    "hiringOrganization": {"@type": "Organization", "name": "Globex"},
    "description": "<p>Run the platform. Python and Kubernetes.</p>",
    "jobLocationType": "TELECOMMUTE",
    "applicantLocationRequirements": {"@type": "Country", "name": "Germany"},
    "validThrough": "2027-01-15T23:59:59+01:00",
    "baseSalary": {
        "@type": "MonetaryAmount",
        "currency": "EUR",
        "value": {"@type": "QuantitativeValue", "minValue": 80000, "maxValue": 95000, "unitText": "YEAR"},
    },
}


def history(engine, job_id: int) -> list[tuple[str, str]]:
    with Session(engine) as s:
        return [(c.from_status, c.to_status) for c in reversed(tracking.history_of(s, job_id))]


def read_job(engine, job_id: int) -> Job:
    with Session(engine, expire_on_commit=False) as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def alembic_config(url: str):
    from alembic.config import Config

    from jobapp.settings import PROJECT_ROOT

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["db_url"] = url
    return config


# -- the migration ---------------------------------------------------------------------------------------------


def test_the_migration_downgrades_and_upgrades_keeping_the_jobs(db_url):
    engine = make_engine(db_url)
    try:
        with Session(writer(engine)) as s:
            s.add(Job(title="Kept", description="x"))
            s.commit()
        command.downgrade(alembic_config(db_url), "0009")
        names = inspect(engine).get_table_names()
        assert "contact" not in names and "job_status_change" not in names
        columns = {c["name"] for c in inspect(engine).get_columns("job")}
        assert not columns & {"notes", "starred", "next_step", "next_step_on", "user_edited", "applied_at"}

        command.upgrade(alembic_config(db_url), "head")
        columns = {c["name"] for c in inspect(engine).get_columns("job")}
        assert set(tracking.TRACKED_FIELDS) | {"applied_at", "user_edited"} <= columns
        indexes = {i["name"] for i in inspect(engine).get_indexes("job_status_change")}
        assert "ix_job_status_change_to_status_changed_at" in indexes
        with engine.connect() as conn:  # the job that was there before gets the defaults
            row = conn.execute(text("SELECT title, notes, work_mode, starred, user_edited FROM job")).one()
        assert row[:4] == ("Kept", "", "unknown", False)
        assert (json.loads(row[4]) if isinstance(row[4], str) else row[4]) == []
    finally:
        engine.dispose()


def test_deleting_a_job_deletes_its_contacts_and_history(engine):
    manager = TaskManager(engine)
    job_id = jobs.add_job(manager, title="T", company="C", location="", url="", description=POSTING)
    jobs.add_contact(manager, job_id, name="Dana", role="Recruiter", email="dana@example.com")
    jobs.set_status(manager, job_id, "Applied")
    assert jobs.delete_job(manager, job_id)
    with Session(engine) as s:
        assert s.exec(select(Contact)).all() == []
        assert s.exec(select(JobStatusChange)).all() == []


# -- status history from every path ----------------------------------------------------------------------------


class TestStatusHistory:
    async def test_set_status_records_each_change_and_the_first_applied_time(self, engine):
        manager = TaskManager(engine)
        job_id = jobs.add_job(manager, title="T", company="C", location="", url="", description=POSTING)
        events = manager.bus.subscribe()
        assert jobs.set_status(manager, job_id, "Applied")
        applied_at = read_job(engine, job_id).applied_at
        assert applied_at is not None
        assert jobs.set_status(manager, job_id, "Applied")  # no change: nothing recorded
        jobs.set_status(manager, job_id, "Rejected")
        jobs.set_status(manager, job_id, "Applied")  # applied again: the first time stays
        assert history(engine, job_id) == [("Pending", "Applied"), ("Applied", "Rejected"), ("Rejected", "Applied")]
        assert read_job(engine, job_id).applied_at == applied_at
        assert await asyncio.wait_for(events.get(), 5) == JobChanged(job_id)
        with Session(engine) as s:
            times = [c.changed_at for c in reversed(tracking.history_of(s, job_id))]
        assert times == sorted(times)

    def test_update_job_records_the_change(self, engine):
        manager = TaskManager(engine)
        job_id = jobs.add_job(manager, title="T", company="C", location="", url="", description=POSTING)
        jobs.update_job(manager, job_id, {"title": "New title", "status": "Discarded"})
        assert history(engine, job_id) == [("Pending", "Discarded")]

    async def test_evaluate_job_records_pending_to_evaluated(self, engine):
        manager = TaskManager(engine, limits=Limits())
        with Session(writer(engine)) as s:
            s.add(Profile(name="Sam", resume="Python, PostgreSQL, Kubernetes; ten years of backend work."))
            s.commit()
        job_id = jobs.add_job(manager, title="T", company="C", location="", url="", description=POSTING)
        runner = Runner(manager, HANDLERS, RunnerConfig(poll_seconds=0.05))
        await runner.start()
        try:
            task_id = request_evaluation(manager, job_id).task_id
            done = await wait_for(lambda: (t := manager.task(task_id)) and t["status"] in ("completed", "failed") and t)
        finally:
            await runner.stop()
        assert done["status"] == "completed", done["error"]
        assert history(engine, job_id) == [("Pending", "Evaluated")]

    async def test_the_rest_patch_records_the_change(self, db_url, monkeypatch):
        with app_database(db_url, monkeypatch):
            async with client(api) as http:
                job_id = jobs.add_job(get_manager(), title="T", company="C", location="", url="", description=POSTING)
                answer = await http.patch(f"/api/jobs/{job_id}", json={"status": "Interview"})
                assert answer.status_code == 200, answer.text
                body = answer.json()
                assert [(c["from_status"], c["to_status"]) for c in body["status_changes"]] == [
                    ("Pending", "Interview")
                ]
                assert history(get_engine(), job_id) == [("Pending", "Interview")]

    async def test_the_admin_edit_records_the_change(self, db_url, monkeypatch):
        from test_admin import admin_app, csrf, log_in

        from jobapp.admin.auth import hash_password

        monkeypatch.setenv("JOBAPP_ADMIN_USERNAME", "ada")
        monkeypatch.setenv("JOBAPP_ADMIN_PASSWORD_HASH", hash_password("correct horse battery staple"))
        monkeypatch.setenv("JOBAPP_SECRET_KEY", "test-secret-key-0123456789abcdef")
        with app_database(db_url, monkeypatch):
            async with client(admin_app()) as admin:
                job_id = jobs.add_job(get_manager(), title="T", company="C", location="", url="", description=POSTING)
                await log_in(admin)
                form = {
                    "title": "T",
                    "company": "C",
                    "location": "",
                    "url": "",
                    "status": "Offer",
                    "starred": "on",
                    "salary_min": "100000",
                    "salary_max": "120000",
                    "salary_currency": "usd",
                    "work_mode": "hybrid",
                    "next_step": "Negotiate",
                    "next_step_on": "2026-12-10",
                    "notes": "Good team",
                }
                saved = await admin.post("/admin/job/edit", params={"pk": job_id}, data=form, headers=await csrf(admin))
                assert saved.status_code == 303, saved.text
                job = read_job(get_engine(), job_id)
                assert (job.status, job.starred, job.salary_min, job.salary_currency) == ("Offer", True, 100000, "USD")
                assert (job.work_mode, job.next_step_on, job.notes) == ("hybrid", date(2026, 12, 10), "Good team")
                assert history(get_engine(), job_id) == [("Pending", "Offer")]

                form |= {"salary_min": "130000"}  # above the maximum: the form says so
                refused = await admin.post(
                    "/admin/job/edit", params={"pk": job_id}, data=form, headers=await csrf(admin)
                )
                assert refused.status_code == 422 and "above the maximum" in refused.text


# -- the REST API -----------------------------------------------------------------------------------------------


class TestRestApi:
    @pytest.fixture
    async def http(self, db_url, monkeypatch):
        with app_database(db_url, monkeypatch):
            async with client(api) as c:
                yield c

    async def test_tracked_fields_are_saved_marked_typed_and_cleared_by_null(self, http):
        job_id = jobs.add_job(get_manager(), title="T", company="C", location="", url="", description=POSTING)
        changes = {
            "notes": "## Why\n- good fit",
            "starred": True,
            "salary_min": 90000,
            "salary_max": 110000,
            "salary_currency": "eur",
            "work_mode": "remote",
            "closes_on": "2026-12-31",
            "next_step": "Call Dana",
            "next_step_on": "2026-12-05",
        }
        answer = await http.patch(f"/api/jobs/{job_id}", json=changes)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body | changes | {"salary_currency": "EUR"} == body
        assert set(body["user_edited"]) == set(changes)
        listed = (await http.get("/api/jobs")).json()["items"][0]
        assert (listed["starred"], listed["next_step"], listed["next_step_on"]) == (True, "Call Dana", "2026-12-05")

        cleared = await http.patch(
            f"/api/jobs/{job_id}", json={"next_step_on": None, "salary_max": None, "title": None}
        )
        body = cleared.json()
        assert (body["next_step_on"], body["salary_max"], body["salary_min"], body["title"]) == (None, None, 90000, "T")

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            ({"salary_min": 120000, "salary_max": 100000}, "salary_min is above salary_max"),
            ({"salary_min": 200000}, "above the maximum"),  # against the stored maximum
            ({"salary_currency": "euro"}, "salary_currency"),
            ({"closes_on": "31/12/2026"}, "closes_on"),
            ({"next_step_on": "tomorrow"}, "next_step_on"),
            ({"work_mode": "sometimes"}, "work_mode"),
            ({"salary_min": -5}, "salary_min"),
            ({"starred": "maybe"}, "starred"),
            ({"applied_at": "2026-01-01T00:00:00Z"}, "applied_at"),
        ],
    )
    async def test_invalid_changes_are_a_422_saying_why(self, http, change, words):
        job_id = jobs.add_job(get_manager(), title="T", company="C", location="", url="", description=POSTING)
        jobs.update_job(get_manager(), job_id, {"salary_max": 150000})
        answer = await http.patch(f"/api/jobs/{job_id}", json=change)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        assert words in json.dumps(answer.json())
        assert read_job(get_engine(), job_id).salary_max == 150000


# -- contacts and the tracked fields through jobapp.jobs ---------------------------------------------------------


class TestContacts:
    def test_add_and_remove(self, engine):
        manager = TaskManager(engine)
        job_id = jobs.add_job(manager, title="T", company="C", location="", url="", description=POSTING)
        contact_id = jobs.add_contact(
            manager, job_id, name=" Dana  Lee ", role="Recruiter", link="linkedin.com/in/dana"
        )
        with Session(engine) as s:
            (contact,) = tracking.contacts_of(s, job_id)
        assert (contact.id, contact.name, contact.link) == (contact_id, "Dana Lee", "https://linkedin.com/in/dana")
        assert not jobs.remove_contact(manager, job_id + 1, contact_id)  # another job's: refused
        assert jobs.remove_contact(manager, job_id, contact_id)
        assert jobs.add_contact(manager, job_id + 99, name="X", email="x@example.com") is None

    @pytest.mark.parametrize(
        ("fields", "words"),
        [
            ({"name": "", "email": "a@example.com"}, "name"),
            ({"name": "Dana"}, "email address or a link"),
            ({"name": "Dana", "email": "dana(at)example.com"}, "not an email address"),
            ({"name": "Dana", "link": "javascript:alert(1)"}, "http or https"),
            ({"name": "Dana", "link": "not a link"}, "not a web address"),
        ],
    )
    def test_invalid_contacts_say_why(self, fields, words):
        with pytest.raises(jobs.JobInputError, match=words):
            tracking.clean_contact(**fields)


# -- intake -----------------------------------------------------------------------------------------------------


async def wait_for(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the task")
        await asyncio.sleep(0.02)
    return value


class TestIntake:
    @pytest.fixture
    async def runner(self, engine, monkeypatch):
        guard_loopback(monkeypatch)
        with FakeBoard() as board:
            monkeypatch.setenv("JOBAPP_FETCH_ALLOW_LOOPBACK", "1")
            monkeypatch.setenv("JOBAPP_FETCH_LOOPBACK_PORTS", str(board.port))
            manager = TaskManager(engine, limits=Limits(kind_limits={evaluate.KIND.name: 0}))
            runner = Runner(manager, HANDLERS, RunnerConfig(poll_seconds=0.05))
            await runner.start()
            try:
                yield runner, board
            finally:
                await runner.stop()

    async def read(self, runner, job_id: int) -> None:
        task_id = request_hydration(runner.manager, job_id).task_id
        done = await wait_for(
            lambda: (t := runner.manager.task(task_id)) and t["status"] in ("completed", "failed") and t
        )
        assert done["status"] == "completed", done["error"]

    async def test_a_json_ld_posting_fills_salary_work_mode_and_closing_date(self, engine, runner):
        runner, board = runner
        board.page("/careers/platform", page(JSONLD))
        job_id, _ = jobs.add_job_from_url(runner.manager, board.url("/careers/platform"))
        await self.read(runner, job_id)
        job = read_job(engine, job_id)
        assert (job.title, job.company) == ("Platform Engineer", "Globex")
        assert (job.salary_min, job.salary_max, job.salary_currency) == (80000, 95000, "EUR")
        assert (job.work_mode, job.closes_on) == ("remote", date(2027, 1, 15))
        assert job.user_edited == []

    async def test_a_re_read_never_overwrites_what_the_person_typed(self, engine, runner):
        runner, board = runner
        board.page("/careers/platform", page(JSONLD))
        job_id, _ = jobs.add_job_from_url(runner.manager, board.url("/careers/platform"))
        await self.read(runner, job_id)
        jobs.update_job(runner.manager, job_id, {"salary_max": 99000, "company": "Globex (via Dana)", "notes": "hi"})

        newer = {**JSONLD, "validThrough": "2027-02-01", "jobLocationType": None, "title": "Renamed"}
        newer["baseSalary"] = {"currency": "USD", "value": {"minValue": 1000, "maxValue": 2000, "unitText": "YEAR"}}
        board.page("/careers/platform", page(newer))
        await self.read(runner, job_id)

        job = read_job(engine, job_id)
        # Typed: kept (the salary as a whole, though only its maximum was typed).
        assert (job.salary_min, job.salary_max, job.salary_currency) == (80000, 99000, "EUR")
        assert (job.company, job.notes) == ("Globex (via Dana)", "hi")
        assert job.title == "Platform Engineer"  # held already: a re-read fills only empty fields
        # Not typed: what the posting says now.
        assert job.closes_on == date(2027, 2, 1)
        assert set(job.user_edited) == {"salary_max", "company", "notes"}


def page(data: dict[str, Any]) -> str:
    script = json.dumps(data).replace("</", "<\\/")
    return (
        "<!doctype html><html><head><title>Careers</title>"
        f"<script type='application/ld+json'>{script}</script></head><body><p>Apply below.</p></body></html>"
    )


def test_changes_are_ordered_by_id(engine):
    """`history_of` is newest first by id: two changes in one clock tick still come out in order."""
    manager = TaskManager(engine)
    job_id = jobs.add_job(manager, title="T", company="C", location="", url="", description=POSTING)
    for status in (JobStatus.EVALUATED, JobStatus.APPLIED, JobStatus.INTERVIEW):
        jobs.set_status(manager, job_id, status)
    with Session(engine) as s:
        ids = s.exec(select(JobStatusChange.id).order_by(col(JobStatusChange.changed_at))).all()
    assert list(ids) == sorted(ids)
    assert history(engine, job_id)[-1] == ("Applied", "Interview")
