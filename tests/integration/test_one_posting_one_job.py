"""The same posting never becomes two jobs, on SQLite and PostgreSQL, against the fake job board.

Links are added the way the UI adds them (`jobs.add_job_from_url`) and read by the real
hydrate-job-url handler in a real runner; the ATS APIs point at the fake board. A link the app can
tell apart only by reading it becomes a placeholder first, and the read merges it into the job the
pipeline already has. evaluate-job is held back (cap 0) so chained evaluations stay visible.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from jobapp.db import writer
from jobapp.jobs import add_job_from_url
from jobapp.models import Job, JobStatus, Task, utcnow
from jobapp.tasks import Limits, NewTask, Runner, RunnerConfig, TaskContext, TaskManager
from jobapp.work import HANDLERS, evaluate, hydrate, request_hydration
from tests.integration.fake_board import (
    ASHBY_ID,
    LEVER_ID,
    FakeBoard,
    ashby_board,
    careers_page,
    greenhouse_job,
    guard_loopback,
    lever_posting,
    posting_page,
)

pytestmark = pytest.mark.timeout(60)

TEXT = " ".join(["You will own our payments ledger end to end, from design reviews to the on-call rota."] * 4)
OTHER_TEXT = " ".join(["You will run the warehouse robots' fleet software and its simulators in the cloud."] * 4)
CITY_TEXT = " ".join(["Our platform team keeps two hundred services fast, observable and boring to operate."] * 4)
GREENHOUSE = "https://boards.greenhouse.io/acme/jobs/4012345"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return guard_loopback(monkeypatch)


@pytest.fixture
def board() -> Iterator[FakeBoard]:
    with FakeBoard() as server:
        server.json("/v1/boards/acme/jobs/4012345", greenhouse_job())
        server.json(f"/v0/postings/acme-corp/{LEVER_ID}", lever_posting())
        server.json("/posting-api/job-board/nimbus-labs", ashby_board())
        yield server


@pytest.fixture
def reading_env(board: FakeBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fetcher may reach the board's port; every ATS API is the board."""
    monkeypatch.setenv("JOBAPP_FETCH_ALLOW_LOOPBACK", "1")
    monkeypatch.setenv("JOBAPP_FETCH_LOOPBACK_PORTS", str(board.port))
    bases = {name: board.url() for name in ("greenhouse", "lever", "lever-eu", "ashby")}
    monkeypatch.setenv("JOBAPP_ATS_API_BASE", json.dumps(bases))


# Evaluations stay queued (their cap is 0), where the tests can see them.
HOLD_EVALUATIONS = Limits(kind_limits={evaluate.KIND.name: 0})


class _NoProgressWrites:
    def note(self, *args: Any) -> None:
        pass


def context(manager: TaskManager, task: Any) -> TaskContext:
    """The context a runner would give the handler (progress is not written when played by hand)."""
    return TaskContext(task, manager.engine, manager.bus, _NoProgressWrites())


@pytest.fixture
async def manager(engine: Engine, reading_env: None) -> AsyncIterator[TaskManager]:
    """A manager with a real runner behind it (the real task registry)."""
    manager = TaskManager(engine, limits=HOLD_EVALUATIONS)
    runner = Runner(manager, HANDLERS, RunnerConfig(poll_seconds=0.05))
    await runner.start()
    yield manager
    await runner.stop()


async def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def add(manager: TaskManager, link: str) -> tuple[int, bool]:
    return await asyncio.to_thread(add_job_from_url, manager, link)


def hydrations(engine: Engine) -> list[Task]:
    with Session(engine) as s:
        return list(s.exec(select(Task).where(Task.kind == hydrate.KIND.name).order_by(Task.id)).scalars())  # type: ignore[call-overload]


async def read_all(engine: Engine) -> list[Task]:
    """Wait until every hydrate-job-url task has finished; they all must have completed."""
    finished = ("completed", "failed", "cancelled")
    await wait_for(lambda: all(t.status in finished for t in hydrations(engine)), "every link to be read")
    tasks = hydrations(engine)
    assert [t.status for t in tasks] == ["completed"] * len(tasks), [(t.status, t.error) for t in tasks]
    return tasks


def jobs(engine: Engine) -> list[Job]:
    with Session(engine) as s:
        return list(s.exec(select(Job).order_by(Job.id)).scalars())  # type: ignore[call-overload]


def evaluations(engine: Engine) -> list[Task]:
    with Session(engine) as s:
        return list(s.exec(select(Task).where(Task.kind == evaluate.KIND.name).order_by(Task.id)).scalars())  # type: ignore[call-overload]


def save_job(engine: Engine, **fields: Any) -> int:
    with Session(writer(engine)) as s:
        job = Job(**fields)
        s.add(job)
        s.commit()
        s.refresh(job)
        assert job.id is not None
        return job.id


# -- at add time: known links return their job, nothing is added -----------------------------------


class TestKnownLinks:
    def test_the_placeholder_holds_only_the_link(self, engine):
        manager = TaskManager(engine)  # no runner: the placeholder as the click leaves it
        job_id, created = add_job_from_url(manager, GREENHOUSE + "?gh_src=abc&utm_source=linkedin")
        page_id, _ = add_job_from_url(manager, "https://careers.initech.example/jobs/42/")

        assert created
        placeholder, page = jobs(engine)
        assert (placeholder.id, placeholder.title, placeholder.url) == (job_id, "", GREENHOUSE)
        assert placeholder.posting_key == "greenhouse:acme:4012345"
        assert (page.id, page.title, page.url, page.posting_key) == (
            page_id,
            "",
            "https://careers.initech.example/jobs/42/",
            None,
        )
        assert [t.job_id for t in hydrations(engine)] == [job_id, page_id]

    @pytest.mark.parametrize(
        "variant",
        [
            "{board}/jobs/plain/?x=1",  # trailing slash
            "HTTP://127.0.0.1:{port}/jobs/plain?x=1",  # scheme case
            "{board}/jobs/plain/index.html?utm_source=newsletter&x=1#apply",
            "{board}/jobs/%70lain?x=1",  # needless percent-encoding
            "{board}/jobs/./plain?x=1&gclid=abc",
        ],
    )
    async def test_variants_of_a_known_link_return_its_job(self, engine, board, manager, variant):
        board.page("/jobs/plain", posting_page("Payments engineer", TEXT))
        first, created = await add(manager, board.url("/jobs/plain?x=1"))
        await read_all(engine)

        again = await add(manager, variant.format(board=board.url(), port=board.port))

        assert created and again == (first, False)
        assert [j.id for j in jobs(engine)] == [first]
        assert len(hydrations(engine)) == 1  # nothing was queued for the variant

    @pytest.mark.parametrize(
        ("stored", "typed"),
        [
            ("http://jobs.example.test/jobs/7", "HTTP://Jobs.Example.TEST:80/jobs/7/"),  # default port, case
            ("https://jobs.example.test/jobs/7", "jobs.example.test:443/jobs/7#apply"),
            ("HTTPS://Jobs.Example.test/careers/7?b=2&a=1", "https://jobs.example.test/careers/7/?a=1&b=2"),  # pasted
        ],
    )
    def test_a_job_saved_with_another_form_of_the_link_is_found(self, engine, stored, typed):
        job_id = save_job(engine, title="Typed by hand", url=stored, description="Pasted.")
        assert add_job_from_url(TaskManager(engine), typed) == (job_id, False)
        assert hydrations(engine) == []

    @pytest.mark.parametrize(
        ("first", "others"),
        [
            (
                GREENHOUSE,
                [
                    "https://job-boards.greenhouse.io/acme/jobs/4012345?gh_src=x",
                    "https://boards-api.greenhouse.io/v1/boards/acme/jobs/4012345",
                    "https://boards.greenhouse.io/embed/job_app?for=acme&token=4012345",
                    "https://boards.greenhouse.io/Acme?gh_jid=4012345",
                ],
            ),
            (
                f"https://jobs.lever.co/acme-corp/{LEVER_ID}",
                [
                    f"https://jobs.lever.co/acme-corp/{LEVER_ID}/apply?lever-source=LinkedIn",
                    f"https://api.lever.co/v0/postings/acme-corp/{LEVER_ID}",
                    f"https://jobs.lever.co/Acme-Corp/{LEVER_ID.upper()}",
                ],
            ),
            (
                f"https://jobs.ashbyhq.com/nimbus-labs/{ASHBY_ID}",
                [
                    f"https://jobs.ashbyhq.com/nimbus-labs/{ASHBY_ID}/application",
                    f"https://jobs.ashbyhq.com/nimbus-labs/{ASHBY_ID}?utm_source=x",
                ],
            ),
        ],
        ids=["greenhouse", "lever", "ashby"],
    )
    async def test_one_ats_posting_by_any_url_shape_is_one_job(self, engine, manager, first, others):
        job_id, created = await add(manager, first)
        for other in others:  # recognised at once, while the first is still being read or not
            assert await add(manager, other) == (job_id, False), other
        await read_all(engine)

        (job,) = jobs(engine)
        assert created and job.id == job_id and job.title  # read through the ATS API
        for other in others:  # and once it is read
            assert await add(manager, other) == (job_id, False), other
        assert len(hydrations(engine)) == 1

    def test_a_job_pasted_with_an_ats_link_is_found_by_another_shape(self, engine):
        job_id = save_job(engine, title="Pasted", url="https://job-boards.greenhouse.io/acme/jobs/4012345")
        assert add_job_from_url(TaskManager(engine), GREENHOUSE + "?gh_src=x") == (job_id, False)


# -- after the read: a placeholder that is a known posting is merged -----------------------------

EMBEDS = {
    "greenhouse-embed": (
        "/careers/backend?gh_jid=4012345",
        "",
        "<div id='grnhse_app'></div><script src='https://boards.greenhouse.io/embed/job_board/js?for=acme'></script>",
    ),
    "application-iframe": (
        "/careers/backend",
        "",
        "<iframe src='https://boards.greenhouse.io/embed/job_app?for=acme&amp;token=4012345'></iframe>",
    ),
    "canonical-link": ("/careers/backend", f"<link rel='canonical' href='{GREENHOUSE}'>", "<p>Loading…</p>"),
    "json-ld-url": (
        "/careers/backend",
        "<script type='application/ld+json'>"
        + json.dumps({"@type": "JobPosting", "title": "Senior Backend Engineer", "url": GREENHOUSE})
        + "</script>",
        "",
    ),
    "apply-link": ("/careers/backend", "", f"<h1>Senior Backend Engineer</h1><a href='{GREENHOUSE}#app'>Apply</a>"),
}


class TestReadLinks:
    @pytest.mark.parametrize("form", list(EMBEDS))
    async def test_a_careers_page_embedding_a_known_posting_is_that_job(self, engine, board, manager, form):
        path, head, body = EMBEDS[form]
        board.page(path.split("?")[0], careers_page(body, head=head))
        known, _ = await add(manager, GREENHOUSE)
        await read_all(engine)

        placeholder, created = await add(manager, board.url(path))
        _, second = await read_all(engine)

        assert created and placeholder != known  # a careers page says who it is only once it is read…
        assert second.result is not None and second.result["duplicate_of"] == known  # …and then it is merged
        assert second.result["source"] == "greenhouse"
        assert second.job_id is None  # the placeholder is gone; the task's history stays
        assert [j.id for j in jobs(engine)] == [known]
        assert [t.job_id for t in evaluations(engine)] == [known]  # none chained for the duplicate

    async def test_a_careers_page_read_first_is_found_by_its_ats_link_later(self, engine, board, manager):
        path, head, body = EMBEDS["greenhouse-embed"]
        board.page("/careers/backend", careers_page(body, head=head))
        job_id, _ = await add(manager, board.url(path))
        await read_all(engine)

        (job,) = jobs(engine)
        # Read through the Greenhouse API (the page itself only holds the embed), kept as the page's link.
        assert (job.title, job.company, job.url) == ("Senior Backend Engineer", "Acme Robotics", board.url(path))
        assert job.posting_key == "greenhouse:acme:4012345"
        assert await add(manager, "https://job-boards.greenhouse.io/acme/jobs/4012345") == (job_id, False)

    async def test_a_page_whose_ats_no_longer_lists_the_posting_is_read_from_the_page(self, engine, board, manager):
        apply = "<a href='https://boards.greenhouse.io/acme/jobs/999'>Apply</a>"
        board.page("/careers/closed", posting_page("Payments engineer", TEXT, head="", site="Acme") + apply)
        job_id, _ = await add(manager, board.url("/careers/closed"))
        await read_all(engine)

        (job,) = jobs(engine)  # Greenhouse answers 404 for job 999: the page's own text is read
        assert (job.title, job.posting_key) == ("Payments engineer", "greenhouse:acme:999")
        assert "payments ledger" in job.description
        assert await add(manager, "https://boards.greenhouse.io/acme/jobs/999") == (job_id, False)

    async def test_two_pages_with_the_same_posting_text_are_one_job(self, engine, board, manager):
        board.page("/jobs/payments", posting_page("Payments engineer", TEXT, site="Initech"))
        board.page("/mirror/initech-payments", posting_page("Payments engineer", TEXT, site="JobMirror"))
        known, _ = await add(manager, board.url("/jobs/payments"))
        await read_all(engine)

        await add(manager, board.url("/mirror/initech-payments"))
        _, mirror = await read_all(engine)

        assert mirror.result is not None and mirror.result["duplicate_of"] == known
        (job,) = jobs(engine)
        assert job.id == known and job.url == board.url("/jobs/payments")
        assert job.content_hash is not None

    async def test_the_job_a_posting_merges_into_learns_its_ats_identity(self, engine, board, manager):
        board.page("/jobs/payments", careers_page(f"<p>{TEXT}</p>"))  # the same words as the ATS posting
        board.json("/v1/boards/acme/jobs/77", {**greenhouse_job(77), "content": f"&lt;p&gt;{TEXT}&lt;/p&gt;"})
        page_job, _ = await add(manager, board.url("/jobs/payments"))
        await read_all(engine)
        assert jobs(engine)[0].posting_key is None  # an ordinary page: known by its text only

        await add(manager, "https://boards.greenhouse.io/acme/jobs/77")
        _, merged = await read_all(engine)

        assert merged.result is not None and merged.result["duplicate_of"] == page_job
        (job,) = jobs(engine)
        assert job.posting_key == "greenhouse:acme:77"
        # The next link of the posting is known when it is added: no placeholder, no read.
        assert await add(manager, "https://job-boards.greenhouse.io/acme/jobs/77") == (page_job, False)
        assert len(hydrations(engine)) == 2

    async def test_two_different_postings_stay_two_jobs(self, engine, board, manager):
        board.page("/jobs/payments", posting_page("Payments engineer", TEXT))
        board.page("/jobs/robots", posting_page("Robotics engineer", OTHER_TEXT))
        # One description posted for two cities: two Greenhouse postings with the same text.
        long_content = "&lt;p&gt;" + CITY_TEXT + "&lt;/p&gt;"
        board.json("/v1/boards/acme/jobs/1", {**greenhouse_job(1), "content": long_content})
        board.json(
            "/v1/boards/acme/jobs/2", {**greenhouse_job(2), "content": long_content, "location": {"name": "Berlin"}}
        )
        links = [
            board.url("/jobs/payments"),
            board.url("/jobs/robots"),
            "https://boards.greenhouse.io/acme/jobs/1",
            "https://boards.greenhouse.io/acme/jobs/2",
        ]
        for link in links:
            await add(manager, link)
            await read_all(engine)

        assert [r.result and r.result.get("duplicate_of") for r in hydrations(engine)] == [None] * 4
        assert len(jobs(engine)) == 4
        assert len(evaluations(engine)) == 4

    async def test_the_placeholders_other_tasks_end_with_it(self, engine, board, manager):
        board.page("/jobs/payments", posting_page("Payments engineer", TEXT, site="Initech"))
        board.page("/mirror/payments", posting_page("Payments engineer", TEXT, site="JobMirror"))
        known, _ = await add(manager, board.url("/jobs/payments"))
        await read_all(engine)
        placeholder = save_job(engine, url=board.url("/mirror/payments"))
        waiting = manager.enqueue(NewTask(evaluate.KIND.name, job_id=placeholder)).task_id  # held back: stays queued

        request_hydration(manager, placeholder)
        await read_all(engine)

        assert [j.id for j in jobs(engine)] == [known]
        assert manager.task(waiting)["status"] == "cancelled"  # type: ignore[index]

    async def test_a_duplicate_the_person_worked_on_is_kept(self, engine, board, manager):
        board.page("/jobs/payments", posting_page("Payments engineer", TEXT, site="Initech"))
        board.page("/mirror/payments", posting_page("Payments engineer", TEXT, site="JobMirror"))
        known, _ = await add(manager, board.url("/jobs/payments"))
        await read_all(engine)
        mine = save_job(engine, url=board.url("/mirror/payments"), status=JobStatus.APPLIED)  # the person applied

        request_hydration(manager, mine)
        _, read = await read_all(engine)

        assert read.result is not None and read.result["duplicate_of"] == known
        assert [j.id for j in jobs(engine)] == [known, mine]
        kept = jobs(engine)[1]
        assert (kept.title, kept.status, kept.posting_key) == ("Payments engineer", "Applied", None)  # filled, kept
        assert [t.job_id for t in evaluations(engine)] == [known]

    async def test_a_re_read_never_overwrites_what_the_job_holds(self, engine, board, manager):
        job_id = save_job(engine, url=GREENHOUSE, title="Backend (via Dana)", description="My notes on the role.")
        request_hydration(manager, job_id)
        (task,) = await read_all(engine)

        job = next(j for j in jobs(engine) if j.id == job_id)
        assert (job.title, job.description) == ("Backend (via Dana)", "My notes on the role.")
        assert (job.company, job.location) == ("Acme Robotics", "Remote - US")  # empty: filled
        assert task.result is not None and "duplicate_of" not in task.result


# -- two at once ---------------------------------------------------------------------------------


class TestTwoAtOnce:
    @pytest.mark.parametrize(
        "links",
        [
            ["https://careers.initech.example/jobs/42"] * 8,
            [f"https://careers.initech.example/jobs/42{tail}" for tail in ("", "/", "?utm_source=x", "#a")] * 2,
            [GREENHOUSE, "https://job-boards.greenhouse.io/acme/jobs/4012345", GREENHOUSE + "?gh_src=1"] * 3,
        ],
        ids=["same-link", "link-variants", "ats-shapes"],
    )
    def test_concurrent_adds_of_one_posting_make_one_job(self, engine, links):
        manager = TaskManager(engine)
        start = threading.Barrier(len(links))

        def click(link: str) -> tuple[int, bool]:
            start.wait()
            return add_job_from_url(manager, link)

        with ThreadPoolExecutor(len(links)) as pool:
            results = list(pool.map(click, links))

        assert len({job_id for job_id, _ in results}) == 1
        assert sorted(created for _, created in results) == [False] * (len(links) - 1) + [True]
        assert len(jobs(engine)) == 1 and len(hydrations(engine)) == 1

    async def test_two_links_to_one_posting_read_at_once_make_one_job(self, engine, board, manager):
        board.page("/jobs/payments", posting_page("Payments engineer", TEXT, site="Initech"))
        board.page("/mirror/payments", posting_page("Payments engineer", TEXT, site="JobMirror"))

        await asyncio.gather(add(manager, board.url("/jobs/payments")), add(manager, board.url("/mirror/payments")))
        reads = await read_all(engine)

        (job,) = jobs(engine)
        merged = [t for t in reads if t.result and "duplicate_of" in t.result]
        assert len(merged) == 1 and merged[0].result["duplicate_of"] == job.id  # type: ignore[index]
        assert [t.job_id for t in evaluations(engine)] == [job.id]

    async def test_a_completion_that_lost_the_race_is_read_again_and_merged(self, engine, board, reading_env):
        """Both reads look before either saves; the second to save sees the first under the lock,
        steps back with a transient error, and its retry merges."""
        board.page("/jobs/payments", posting_page("Payments engineer", TEXT, site="Initech"))
        board.page("/mirror/payments", posting_page("Payments engineer", TEXT, site="JobMirror"))
        manager = TaskManager(engine, limits=HOLD_EVALUATIONS)  # the runner's part played by hand, step by step
        first, _ = add_job_from_url(manager, board.url("/jobs/payments"))
        second, _ = add_job_from_url(manager, board.url("/mirror/payments"))
        claimed = {c.job_id: c for c in manager.claim("w1", limit=2, lease_seconds=60)}
        outcomes = {job_id: await hydrate.run(context(manager, claimed[job_id])) for job_id in claimed}

        def complete(job_id: int) -> bool:
            outcome = outcomes[job_id]
            return manager.complete(
                claimed[job_id].id,
                "w1",
                result=outcome.result,
                apply=outcome.apply,
                follow_ups=outcome.follow_ups,
                delete_job=outcome.delete_job,
            )

        assert complete(first)
        with pytest.raises(hydrate.SavedMeanwhile):
            complete(second)
        decision = manager.fail(claimed[second].id, "w1", error="saved meanwhile", transient=True)
        assert decision is not None and decision.retry

        with writer(engine).begin() as conn:  # the backoff comes due now
            conn.execute(update(Task).values(run_after=utcnow()))
        (retry,) = manager.claim("w1", limit=1, lease_seconds=60)
        outcome = await hydrate.run(context(manager, retry))
        assert outcome.result["duplicate_of"] == first and outcome.delete_job and not outcome.follow_ups
        assert manager.complete(retry.id, "w1", result=outcome.result, apply=outcome.apply, delete_job=True)
        assert [j.id for j in jobs(engine)] == [first]
