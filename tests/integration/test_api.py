"""The REST API over a real database (SQLite and PostgreSQL), as a client sees it: routes, the guard, errors."""

from __future__ import annotations

import asyncio
import json

import pytest
from api_client import ELSEWHERE, app_database, client
from fake_board import FakeBoard
from sqlmodel import Session

from jobapp.api import api
from jobapp.db import get_engine, writer
from jobapp.live.events import JobChanged
from jobapp.models import Document, Job, TaskStatus
from jobapp.runtime import get_manager
from jobapp.tasks import TaskChanged
from jobapp.work import KINDS

TOKEN = "jobapp-test-token-0123456789"
POSTING = "# Backend Engineer\nAcme is hiring a backend engineer: Python, PostgreSQL, Kubernetes."


@pytest.fixture
async def http(db_url, monkeypatch):
    with app_database(db_url, monkeypatch):
        async with client(api) as c:
            yield c


async def add_pasted(http, **fields) -> dict:
    response = await http.post("/api/jobs", json={"description": POSTING, "title": "Backend Engineer", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def fail_task(task_id: int) -> None:
    """Make a task failed the way the runner would: claim it, then fail it permanently."""
    manager = get_manager()
    claimed = manager.claim("test-worker", limit=50, lease_seconds=30)
    assert task_id in {c.id for c in claimed}
    manager.fail(task_id, "test-worker", error="the model said no", transient=False)


class TestJobs:
    async def test_a_pasted_posting_is_saved_and_its_evaluation_queued(self, http):
        body = await add_pasted(http, company="Acme", location="Remote")
        assert body["created"] is True
        assert body["job"] | {"id": 0} == body["job"] | {
            "id": 0,
            "title": "Backend Engineer",
            "company": "Acme",
            "location": "Remote",
            "status": "Pending",
        }
        assert body["task"]["kind"] == "evaluate-job" and body["task"]["status"] == "queued"
        assert body["task"]["job_id"] == body["job"]["id"]

    async def test_a_posting_link_is_read_in_the_background_and_not_added_twice(self, http):
        first = await http.post("/api/jobs", json={"url": "https://boards.example.com/jobs/42?utm_source=x"})
        assert first.status_code == 202, first.text
        assert first.json()["task"]["kind"] == "hydrate-job-url"
        again = await http.post("/api/jobs", json={"url": "https://boards.example.com/jobs/42"})
        assert again.status_code == 200
        assert again.json() == {"job": first.json()["job"], "task": None, "created": False}

    async def test_a_pasted_posting_whose_link_is_known_is_the_existing_job(self, http):
        first = await add_pasted(http, url="https://boards.example.com/jobs/7")
        again = await http.post("/api/jobs", json={"description": POSTING, "url": "https://boards.example.com/jobs/7"})
        assert again.status_code == 200 and again.json()["job"]["id"] == first["job"]["id"]

    @pytest.mark.parametrize(
        ("body", "says"),
        [
            ({}, "description"),
            ({"description": "   "}, "description"),
            ({"url": "ftp://example.com/job"}, "http"),
            ({"url": "https://example.com/x", "title": "T"}, "pasted"),
            ({"description": "x", "salary": 1}, "salary"),
            ({"description": "x\x00y"}, "NUL"),
            ({"description": "x" * 200_001}, "200000"),
        ],
    )
    async def test_bad_postings_are_refused_with_a_readable_message(self, http, body, says):
        response = await http.post("/api/jobs", json=body)
        assert response.status_code == 422
        assert says.lower() in response.json()["error"].lower().replace(",", "")

    async def test_list_filters_searches_sorts_and_pages(self, http):
        for company, title in [("Acme", "Go Engineer"), ("Initech", "Python Developer"), ("acme", "SRE")]:
            await add_pasted(http, company=company, title=title)
        listed = (await http.get("/api/jobs", params={"company": "ACME", "sort": "title"})).json()
        assert [j["title"] for j in listed["items"]] == ["Go Engineer", "SRE"] and listed["total"] == 2
        assert [j["title"] for j in (await http.get("/api/jobs", params={"q": "python"})).json()["items"]] == [
            "Python Developer"
        ]
        assert (await http.get("/api/jobs", params={"status": "Applied"})).json()["total"] == 0
        pages, cursor = [], None
        while True:
            params = {"limit": 2, "sort": "-title"} | ({"cursor": cursor} if cursor else {})
            page = (await http.get("/api/jobs", params=params)).json()
            pages.append([j["title"] for j in page["items"]])
            if not (cursor := page["next_cursor"]):
                break
        assert pages == [["SRE", "Python Developer"], ["Go Engineer"]]
        offset = (await http.get("/api/jobs", params={"limit": 1, "offset": 2, "sort": "title"})).json()
        assert [j["title"] for j in offset["items"]] == ["SRE"]

    async def test_a_cursor_of_another_sort_or_a_forged_one_is_refused(self, http):
        for title in ("a", "b"):
            await add_pasted(http, title=title)
        cursor = (await http.get("/api/jobs", params={"limit": 1, "sort": "title"})).json()["next_cursor"]
        other = await http.get("/api/jobs", params={"cursor": cursor, "sort": "company"})
        assert other.status_code == 422 and "sort=title" in other.json()["error"]
        forged = await http.get("/api/jobs", params={"cursor": "bm90IG91cnM"})
        assert forged.status_code == 422 and "next_cursor" in forged.json()["error"]

    async def test_read_edit_and_move_a_job_each_announced(self, http):
        job = (await add_pasted(http))["job"]
        events = get_manager().bus.subscribe()
        response = await http.patch(f"/api/jobs/{job['id']}", json={"company": "Initech", "status": "Applied"})
        assert response.status_code == 200, response.text
        assert response.json()["company"] == "Initech" and response.json()["status"] == "Applied"
        detail = (await http.get(f"/api/jobs/{job['id']}")).json()
        assert detail["description"] == POSTING and detail["status"] == "Applied"
        assert JobChanged(job["id"]) == await asyncio.wait_for(events.get(), 5)

    async def test_an_edit_is_checked_like_a_new_posting(self, http):
        job = (await add_pasted(http))["job"]
        bad = await http.patch(f"/api/jobs/{job['id']}", json={"url": "javascript:alert(1)"})
        assert bad.status_code == 422 and "http" in bad.json()["error"]
        fine = await http.patch(
            f"/api/jobs/{job['id']}", json={"url": "https://Boards.example.com/jobs/9?utm_source=x"}
        )
        assert fine.json()["url"] == "https://boards.example.com/jobs/9"
        cleared = await http.patch(f"/api/jobs/{job['id']}", json={"url": ""})
        assert cleared.json()["url"] is None
        assert (await http.patch("/api/jobs/999", json={"title": "x"})).status_code == 404

    async def test_moving_a_job_to_interview_queues_the_brief(self, http):
        job = (await add_pasted(http))["job"]
        await http.patch(f"/api/jobs/{job['id']}", json={"status": "Interview"})
        kinds = [t["kind"] for t in (await http.get("/api/tasks", params={"job_id": job["id"]})).json()["items"]]
        assert "company-research" in kinds

    async def test_deleting_a_job_cancels_its_tasks(self, http):
        body = await add_pasted(http)
        assert (await http.delete(f"/api/jobs/{body['job']['id']}")).status_code == 204
        assert (await http.get(f"/api/jobs/{body['job']['id']}")).status_code == 404
        task = (await http.get(f"/api/tasks/{body['task']['id']}")).json()
        assert task["status"] == "cancelled" and task["job_deleted"] is True
        assert (await http.delete(f"/api/jobs/{body['job']['id']}")).status_code == 404

    async def test_documents_are_listed_with_their_downloads(self, http):
        job = (await add_pasted(http, company="Acme"))["job"]
        with Session(writer(get_engine())) as s:
            s.add(Document(job_id=job["id"], kind="cv", version=1, content="# Ada\n\n- Python", provider="offline"))
            s.commit()
        docs = (await http.get(f"/api/jobs/{job['id']}/documents")).json()
        assert [(d["kind"], d["version"]) for d in docs] == [("cv", 1)]
        for fmt, media in (("md", "text/markdown"), ("pdf", "application/pdf"), ("docx", "officedocument")):
            download = await http.get(docs[0]["downloads"][fmt])
            assert download.status_code == 200 and media in download.headers["content-type"]
        assert (await http.get("/api/documents/999.pdf")).status_code == 404
        assert (await http.get(f"/api/documents/{docs[0]['id']}.exe")).status_code == 422
        assert (await http.get("/api/jobs/999/documents")).status_code == 404


class TestTasks:
    async def test_queue_work_and_get_the_same_task_back_while_it_is_queued(self, http):
        job = (await add_pasted(http))["job"]
        body = {"kind": "generate-cover-letter", "job_id": job["id"], "options": {"tone": "warm"}}
        first = await http.post("/api/tasks", json=body)
        assert first.status_code == 202 and first.json()["created"] is True
        again = await http.post("/api/tasks", json=body)
        assert again.status_code == 200
        assert again.json()["created"] is False and again.json()["task"]["id"] == first.json()["task"]["id"]
        other_tone = await http.post("/api/tasks", json=body | {"options": {"tone": "formal"}})
        assert other_tone.status_code == 202

    @pytest.mark.parametrize(
        ("body", "status", "says"),
        [
            ({"kind": "make-coffee", "job_id": 1}, 422, "not a kind of work"),
            ({"kind": "hydrate-job-url", "job_id": 1}, 422, "queued by the app itself"),
            ({"kind": "generate-cover-letter"}, 422, "job_id"),
            ({"kind": "generate-cover-letter", "job_id": 1, "options": {"tone": "angry"}}, 422, "tone must be"),
            ({"kind": "generate-cover-letter", "job_id": 1, "options": {"font": "x"}}, 422, "no option 'font'"),
            ({"kind": "generate-cover-letter", "job_id": 999}, 404, "job #999"),
            ({"kind": "generate-cover-letter", "job_id": 0}, 422, "job_id"),
        ],
    )
    async def test_bad_requests_for_work_are_refused_with_a_readable_message(self, http, body, status, says):
        await add_pasted(http)
        response = await http.post("/api/tasks", json=body)
        assert response.status_code == status, response.text
        assert says in response.json()["error"]

    async def test_list_and_read_tasks(self, http):
        first = await add_pasted(http)
        await add_pasted(http, title="Second")
        listed = (await http.get("/api/tasks", params={"kind": "evaluate-job", "status": "queued"})).json()
        assert listed["total"] == 2 and listed["items"][0]["id"] > listed["items"][1]["id"]
        page = (await http.get("/api/tasks", params={"limit": 1})).json()
        rest = (await http.get("/api/tasks", params={"limit": 1, "cursor": page["next_cursor"]})).json()
        assert rest["items"][0]["id"] == first["task"]["id"] and rest["next_cursor"] is None
        detail = (await http.get(f"/api/tasks/{first['task']['id']}")).json()
        assert detail["payload"]["llm"]["kind"] == "offline" and detail["errors"] == []
        assert (await http.get("/api/tasks/424242")).status_code == 404
        assert (await http.get("/api/tasks", params={"kind": "nope"})).status_code == 422

    async def test_kinds_lists_what_a_person_can_ask_for(self, http):
        kinds = {k["name"]: k for k in (await http.get("/api/kinds")).json()}
        assert "hydrate-job-url" not in kinds
        letter = KINDS["generate-cover-letter"]
        assert kinds[letter.name]["choices"]["tone"][0] == letter.default("tone")
        assert sorted(kinds[letter.name]["choices"]["length"]) == sorted(letter.choices["length"])

    async def test_cancel_a_queued_task_then_retry_it(self, http):
        task = (await add_pasted(http))["task"]
        events = get_manager().bus.subscribe()
        cancelled = await http.post(f"/api/tasks/{task['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert (await asyncio.wait_for(events.get(), 5)) == TaskChanged(get_manager().summary(task["id"]))
        again = await http.post(f"/api/tasks/{task['id']}/cancel")
        assert again.status_code == 409 and "already finished" in again.json()["error"]
        retried = await http.post(f"/api/tasks/{task['id']}/retry")
        assert retried.status_code == 202 and retried.json()["status"] == "queued"
        not_failed = await http.post(f"/api/tasks/{task['id']}/retry")
        assert not_failed.status_code == 409 and "is queued" in not_failed.json()["error"]

    async def test_retry_is_refused_while_another_task_does_the_same_work(self, http):
        body = await add_pasted(http)
        fail_task(body["task"]["id"])
        newer = await http.post("/api/tasks", json={"kind": "evaluate-job", "job_id": body["job"]["id"]})
        assert newer.status_code == 202
        refused = await http.post(f"/api/tasks/{body['task']['id']}/retry")
        assert refused.status_code == 409
        assert refused.json()["detail"] == {"task_id": newer.json()["task"]["id"]}

    async def test_retry_of_a_deleted_jobs_task_is_gone(self, http):
        body = await add_pasted(http)
        fail_task(body["task"]["id"])
        await http.delete(f"/api/jobs/{body['job']['id']}")
        gone = await http.post(f"/api/tasks/{body['task']['id']}/retry")
        assert gone.status_code == 410 and "deleted" in gone.json()["error"]

    async def test_a_failed_task_retried_is_queued_again(self, http):
        task = (await add_pasted(http))["task"]
        fail_task(task["id"])
        assert (await http.get(f"/api/tasks/{task['id']}")).json()["status"] == TaskStatus.FAILED
        retried = await http.post(f"/api/tasks/{task['id']}/retry")
        assert retried.status_code == 202 and retried.json()["attempt"] == 0


class TestErrors:
    async def test_unknown_paths_and_methods_answer_json(self, http):
        missing = await http.get("/api/nothing-here")
        assert missing.status_code == 404 and missing.json()["error"].startswith("no API route")
        wrong = await http.put("/api/jobs")
        assert wrong.status_code == 405 and "POST" in wrong.headers["allow"]

    @pytest.mark.parametrize(
        "path", ["/api/jobs/0", "/api/jobs/abc", f"/api/jobs/{2**40}", "/api/tasks?limit=0", "/api/jobs?offset=-1"]
    )
    async def test_bad_paths_and_parameters_are_422_not_500(self, http, path):
        response = await http.get(path)
        assert response.status_code == 422 and response.json()["detail"]

    async def test_a_misspelt_query_parameter_is_refused_not_ignored(self, http):
        response = await http.get("/api/tasks", params={"stauts": "failed"})
        assert response.status_code == 422 and "'stauts'" in response.json()["error"]
        assert "status" in response.json()["error"]

    async def test_a_body_that_is_not_json_is_422(self, http):
        response = await http.post("/api/jobs", content=b"{nope", headers={"content-type": "application/json"})
        assert response.status_code == 422 and "error" in response.json()


class TestGuard:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/api/jobs"),
            ("POST", "/api/jobs"),
            ("GET", "/api/jobs/1"),
            ("PATCH", "/api/jobs/1"),
            ("DELETE", "/api/jobs/1"),
            ("GET", "/api/jobs/1/documents"),
            ("GET", "/api/kinds"),
            ("GET", "/api/tasks"),
            ("POST", "/api/tasks"),
            ("GET", "/api/tasks/1"),
            ("POST", "/api/tasks/1/cancel"),
            ("POST", "/api/tasks/1/retry"),
            ("GET", "/api/tasks/1/events"),
            ("GET", "/api/documents/1.md"),
        ],
    )
    async def test_every_route_needs_the_token_or_this_machine(self, db_url, monkeypatch, method, path):
        with app_database(db_url, monkeypatch):
            async with client(api, ELSEWHERE) as remote:
                refused = await remote.request(method, path, json={})
                assert refused.status_code == 403 and "only this machine" in refused.json()["error"]
                monkeypatch.setenv("JOBAPP_API_TOKEN", TOKEN)
                for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
                    refused = await remote.request(method, path, json={}, headers=headers)
                    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
                allowed = await remote.request(method, path, json={}, headers={"Authorization": f"Bearer {TOKEN}"})
                assert allowed.status_code not in (401, 403), allowed.text
            async with client(api) as local:
                # With a token set, this machine needs it too (a shared machine is not a trusted one).
                assert (await local.request(method, path, json={})).status_code == 401

    async def test_the_token_in_the_url_is_not_accepted(self, db_url, monkeypatch):
        with app_database(db_url, monkeypatch):
            monkeypatch.setenv("JOBAPP_API_TOKEN", TOKEN)
            async with client(api, ELSEWHERE) as remote:
                assert (await remote.get("/api/jobs", params={"token": TOKEN})).status_code == 401

    async def test_the_docs_and_the_schema_are_public(self, db_url, monkeypatch):
        with app_database(db_url, monkeypatch):
            async with client(api, ELSEWHERE) as remote:
                schema = (await remote.get("/api/openapi.json")).json()
                assert "/api/tasks/{task_id}/events" in schema["paths"]
                assert "HTTPBearer" in schema["components"]["securitySchemes"]
                assert "swagger" in (await remote.get("/api/docs")).text.lower()


def test_job_rows_need_no_description_to_list(db_url, monkeypatch):
    """The list reads the columns it shows (a 200 kB description is not read for a row)."""
    from jobapp.rest.jobs import LIST_COLUMNS

    assert "description" not in {c.key for c in LIST_COLUMNS} and Job.description is not None


async def test_adding_by_url_reads_a_real_board(db_url, monkeypatch):
    """The hydrate task the API queues reads the posting from a fake board on loopback."""
    from test_engine import fast, wait_status

    from jobapp.tasks import Runner
    from jobapp.work import HANDLERS

    posting = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": "Staff Engineer",
        "hiringOrganization": {"@type": "Organization", "name": "Initech"},
        "description": "<p>Python</p>",
    }
    with app_database(db_url, monkeypatch), FakeBoard() as board:
        board.page("/jobs/backend", f"<script type='application/ld+json'>{json.dumps(posting)}</script>")
        monkeypatch.setenv("JOBAPP_FETCH_ALLOW_LOOPBACK", "1")
        monkeypatch.setenv("JOBAPP_FETCH_LOOPBACK_PORTS", str(board.port))
        runner = Runner(get_manager(), HANDLERS, fast())
        await runner.start()
        try:
            async with client(api) as http:
                created = (await http.post("/api/jobs", json={"url": board.url("/jobs/backend")})).json()
                task = await wait_status(get_manager(), created["task"]["id"], "completed", "failed")
                job = (await http.get(f"/api/jobs/{created['job']['id']}")).json()
        finally:
            await runner.stop()
    assert task["status"] == "completed", task["error"]
    assert (job["title"], job["company"]) == ("Staff Engineer", "Initech")
