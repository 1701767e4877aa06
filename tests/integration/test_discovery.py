"""discover-jobs end to end: fake Greenhouse, Lever and Ashby boards on 127.0.0.1, the real registry in a real
runner, on SQLite and PostgreSQL. Plus the schedule's one-enqueue-per-period rule within one process (the
two-process version is in test_processes.py)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fake_board import JSON, FakeBoard, Reply, ashby_board, greenhouse_list, lever_list
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from jobapp.db import writer
from jobapp.discovery import store
from jobapp.discovery.boards import BoardRef, Listing, listings
from jobapp.models import Board, Job, JobStatus, Profile, Schedule, SeenPosting, Task, utcnow
from jobapp.tasks import Limits, ProgressTick, Runner, RunnerConfig, TaskManager
from jobapp.tasks._scheduler import Scheduler
from jobapp.work import HANDLERS, discover, evaluate, request_discovery

LEVER_A = "5ac21346-8e0c-4494-8e7a-3eb92ff77902"
LEVER_B = "6bd32457-9f1d-4a05-9f8b-4fc03aa88a13"


@pytest.fixture
def board() -> Iterator[FakeBoard]:
    with FakeBoard() as fake:
        fake.json(
            "/v1/boards/acme/jobs",
            greenhouse_list(
                (101, "Senior Backend Engineer", "Remote - US"),
                (102, "Office Manager", "London"),
                (103, "Data Engineer", "Berlin, Germany"),
                (104, "Engineering Intern", "Berlin, Germany"),
            ),
        )
        fake.json(
            "/v0/postings/nimbus",
            lever_list("nimbus", (LEVER_A, "Platform Engineer", "Berlin, Germany"), (LEVER_B, "Sales Lead", "Paris")),
        )
        fake.json("/posting-api/job-board/orbit", ashby_board())
        fake.respond("/v0/postings/broken", Reply(500, "oops"))
        fake.respond("/posting-api/job-board/garbled", Reply(200, "{not json", JSON))
        yield fake


@pytest.fixture
def fetch_env(board: FakeBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ATS API on the fake board; the safe fetcher may reach its loopback port and no other."""
    monkeypatch.setenv("JOBAPP_FETCH_ALLOW_LOOPBACK", "1")
    monkeypatch.setenv("JOBAPP_FETCH_LOOPBACK_PORTS", str(board.port))
    monkeypatch.setenv("JOBAPP_FETCH_TIMEOUT", "2")
    bases = {api: board.url() for api in ("greenhouse", "lever", "lever-eu", "ashby")}
    monkeypatch.setenv("JOBAPP_ATS_API_BASE", json.dumps(bases))


@pytest.fixture
async def runner(engine: Engine, fetch_env: None):
    """The real registry in a real runner; evaluate-job is held back (cap 0) so chained evaluations stay
    queued where the test can see them."""
    manager = TaskManager(engine, limits=Limits(max_attempts=3, kind_limits={evaluate.NAME: 0}))
    runner = Runner(manager, HANDLERS, RunnerConfig(poll_seconds=0.05))
    await runner.start()
    yield runner
    await runner.stop()


def follow(engine: Engine, *sources: str, terms: str = "", locations: str = "") -> list[int]:
    with Session(writer(engine), expire_on_commit=False) as s:
        return [store.add_board(s, source, terms=terms, locations=locations).id for source in sources]  # type: ignore[misc]


def set_defaults(engine: Engine, **fields: Any) -> None:
    with Session(writer(engine)) as s:
        store.save_preferences(s, store.Preferences(**fields))


async def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return value


async def scan(runner: Runner) -> dict[str, Any]:
    """Queue a scan and wait until it finished (or failed an attempt); its task row as JSON."""
    task_id = request_discovery(runner.manager).task_id

    def ended() -> dict[str, Any] | None:
        row = runner.manager.task(task_id)
        return row if row and (row["status"] in ("completed", "failed", "cancelled") or row["errors"]) else None

    return await wait_for(ended, f"scan task {task_id} to end")


def jobs(engine: Engine) -> list[Job]:
    with Session(engine, expire_on_commit=False) as s:
        return list(s.exec(select(Job).order_by(col(Job.id))).all())


def boards_by_company(engine: Engine) -> dict[str, Board]:
    with Session(engine, expire_on_commit=False) as s:
        return {b.company: b for b in s.exec(select(Board)).all()}


class TestScan:
    async def test_every_board_is_read_filtered_and_recorded_and_failures_stay_with_their_board(
        self, engine, board, runner
    ):
        set_defaults(engine, terms="engineer, -intern", locations="remote, berlin")
        follow(engine, "https://boards.greenhouse.io/acme", "jobs.lever.co/nimbus", "lever:broken")
        follow(engine, "https://jobs.ashbyhq.com/orbit", terms="analytics")  # its own terms; any location
        follow(engine, "greenhouse:gone", "ashby:garbled")

        row = await scan(runner)

        assert row["status"] == "completed", row["error"]
        by_company = {b["company"]: b for b in row["result"]["boards"]}
        assert {k: (v["seen"], v["matching"], v["new"]) for k, v in by_company.items() if not v["error"]} == {
            "Acme": (4, 2, 2),  # backend (remote) and data (Berlin); not the office manager, not the intern
            "Nimbus": (2, 1, 1),
            "Orbit": (2, 1, 1),
        }
        assert "no board named 'gone'" in by_company["Gone"]["error"]
        assert "500" in by_company["Broken"]["error"]
        assert "not valid JSON" in by_company["Garbled"]["error"]
        assert (row["result"]["new"], row["result"]["failed"]) == (4, 3)

        found = jobs(engine)
        assert sorted(j.title for j in found) == [
            "Analytics Engineer",
            "Data Engineer",
            "Platform Engineer",
            "Senior Backend Engineer",
        ]
        assert all(j.is_new and j.discovered_at and j.status == JobStatus.PENDING for j in found)
        backend = next(j for j in found if j.title == "Senior Backend Engineer")
        assert (backend.company, backend.location) == ("Acme", "Remote - US")
        assert backend.url == "https://boards.greenhouse.io/acme/jobs/101"
        assert "You will build **Python** services" in backend.description
        assert "**Salary:** USD 120,000–150,000" in backend.description
        assert "<script>" not in backend.description

        rows = boards_by_company(engine)
        assert (rows["Acme"].last_seen, rows["Acme"].last_matching, rows["Acme"].last_new) == (4, 2, 2)
        assert rows["Acme"].last_task_id == row["id"] and rows["Acme"].last_error == ""
        assert "no board named 'gone'" in rows["Gone"].last_error
        assert backend.board_id == rows["Acme"].id
        # Each company's outcome is in the stage log too.
        labels = [stage["label"] for stage in row["stages"]]
        assert "Acme: 4 seen, 2 matching, 2 new" in labels
        assert any(label.startswith("Gone: failed:") for label in labels)

    async def test_a_second_scan_adds_nothing_and_keeps_what_the_person_changed(self, engine, board, runner):
        follow(engine, "greenhouse:acme", "lever:nimbus")
        first = await scan(runner)
        assert first["result"]["new"] == 6
        found = {j.title: j for j in jobs(engine)}
        with Session(writer(engine)) as s:
            edited = s.get(Job, found["Data Engineer"].id)
            edited.title, edited.company, edited.status = "Data Engineer (referred by Dana)", "ACME", JobStatus.APPLIED
            edited.description = "My own notes."
            s.add(edited)
            s.delete(s.get(Job, found["Office Manager"].id))  # not interested: must not come back
            s.commit()

        second = await scan(runner)

        assert second["status"] == "completed"
        assert second["result"]["new"] == 0
        assert [b["seen"] for b in second["result"]["boards"]] == [4, 2]
        after = {j.title: j for j in jobs(engine)}
        assert "Office Manager" not in after
        assert len(after) == 5
        kept = after["Data Engineer (referred by Dana)"]
        assert (kept.company, kept.status, kept.description) == ("ACME", JobStatus.APPLIED, "My own notes.")

    async def test_a_posting_the_person_already_added_is_left_alone(self, engine, board, runner):
        with Session(writer(engine)) as s:
            # Added by hand through the careers site's link to the same Greenhouse posting.
            s.add(Job(title="Backend (from a friend)", url="https://acme.example/careers?gh_jid=101", description="x"))
            s.commit()
        follow(engine, "greenhouse:acme")

        row = await scan(runner)

        assert row["result"]["new"] == 3
        titles = [j.title for j in jobs(engine)]
        assert titles.count("Backend (from a friend)") == 1 and "Senior Backend Engineer" not in titles
        with Session(engine) as s:
            seen = s.get(SeenPosting, "greenhouse:acme:101")
            assert seen is not None and seen.job_id == jobs(engine)[0].id

    async def test_a_careers_page_is_resolved_to_the_board_it_embeds(self, engine, board, runner):
        board.page(
            "/careers",
            "<html><body><div id='grnhse_app'></div>"
            "<script src='https://boards.greenhouse.io/embed/job_board/js?for=acme'></script></body></html>",
        )
        follow(engine, board.url("/careers"))
        assert boards_by_company(engine)["127"].api == ""  # not read when followed: no network in a click

        row = await scan(runner)

        assert row["status"] == "completed" and row["result"]["new"] == 4
        resolved = boards_by_company(engine)["127"]
        assert (resolved.api, resolved.slug) == ("greenhouse", "acme")

    async def test_a_board_that_times_out_fails_alone(self, engine, board, runner):
        board.respond("/v1/boards/sleepy/jobs", Reply(200, json.dumps({"jobs": []}), JSON, delay=4))
        follow(engine, "greenhouse:sleepy", "lever:nimbus")

        row = await scan(runner)

        assert row["status"] == "completed"
        result = {b["company"]: b for b in row["result"]["boards"]}
        assert "within 2 seconds" in result["Sleepy"]["error"]
        assert result["Nimbus"]["new"] == 2

    async def test_no_board_read_at_all_fails_the_task_permanent_or_retried(self, engine, board, runner):
        follow(engine, "greenhouse:gone", "ashby:garbled")
        row = await scan(runner)
        assert row["status"] == "failed" and row["attempt"] == 1
        assert row["error"].startswith("No board could be read. Garbled: 127.0.0.1 sent something that is not valid")
        assert "Gone: Greenhouse has no board named 'gone' (404): check the link." in row["error"]

        with Session(writer(engine)) as s:
            for b in s.exec(select(Board)).all():
                s.delete(b)
            s.commit()
        follow(engine, "lever:broken")
        row = await scan(runner)
        assert row["status"] == "queued" and row["errors"][0]["transient"]  # backing off, then tried again

    async def test_nothing_followed_says_so(self, engine, board, runner):
        row = await scan(runner)
        assert row["status"] == "failed"
        assert row["error"] == "Follow at least one company board on the Discover page first."

    async def test_new_postings_chain_their_evaluation_when_asked(self, engine, board, runner):
        with Session(writer(engine)) as s:
            s.add(Profile(name="Sam", resume="Python, PostgreSQL, Kubernetes; ten years of backend work."))
            s.commit()
        set_defaults(engine, evaluate=True)
        follow(engine, "lever:nimbus")

        row = await scan(runner)

        assert row["result"]["evaluations"] == 2
        with Session(engine) as s:
            queued = s.exec(select(Task).where(Task.kind == evaluate.NAME)).all()
            assert sorted(t.job_id for t in queued) == sorted(j.id for j in jobs(engine))
            assert all(t.status == "queued" for t in queued)

    async def test_each_company_s_progress_is_pushed_live(self, engine, board, runner):
        gate = threading.Event()
        board.respond("/v1/boards/slow/jobs", Reply(200, json.dumps({"jobs": []}), JSON, hold=gate))
        ids = dict(zip(("Slow", "Nimbus"), follow(engine, "greenhouse:slow", "lever:nimbus"), strict=True))
        events = runner.manager.bus.subscribe()
        task_id = request_discovery(runner.manager).task_id

        def states(tick: ProgressTick) -> dict[int, str]:
            return {row[0]: row[1] for row in tick.detail["boards"]}  # type: ignore[index]

        seen: list[dict[int, str]] = []
        while not seen or seen[-1] != {ids["Slow"]: "scanning", ids["Nimbus"]: "done"}:
            event = await asyncio.wait_for(events.get(), 20)
            if isinstance(event, ProgressTick) and event.task_id == task_id and event.detail:
                seen.append(states(event))
        gate.set()  # the slow board answers only now: the other was done while it was still being read
        while seen[-1] != {ids["Slow"]: "done", ids["Nimbus"]: "done"}:
            event = await asyncio.wait_for(events.get(), 20)
            if isinstance(event, ProgressTick) and event.task_id == task_id and event.detail:
                seen.append(states(event))
        assert seen[0] == {ids["Slow"]: "waiting", ids["Nimbus"]: "waiting"}
        runner.manager.bus.unsubscribe(events)


class TestPostingsAreAddedOnce:
    def test_two_scans_adding_the_same_postings_at_once_add_each_once(self, engine):
        ref = BoardRef("lever", "nimbus")
        found: list[tuple[Listing, Any]] = [
            (listing, listing.posting())
            for listing in listings(ref, lever_list("nimbus", (LEVER_A, "A", "Berlin"), (LEVER_B, "B", "Paris")))
        ]
        barrier = threading.Barrier(2)
        added: list[list[int]] = []

        def add() -> None:
            barrier.wait()
            with Session(writer(engine)) as s:
                added.append(store.add_postings(s, 0, "Nimbus", found))

        threads = [threading.Thread(target=add) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(len(a) for a in added) == [0, 2]
        with Session(engine) as s:
            assert s.exec(select(func.count()).select_from(Job)).one() == 2


class TestSchedule:
    def test_a_due_period_is_enqueued_once_whatever_the_number_of_schedulers(self, engine):
        follow(engine, "greenhouse:acme")
        set_defaults(engine, every_hours=6)
        manager = TaskManager(engine)
        schedulers = [Scheduler(manager, {discover.NAME: discover.scheduled_task}) for _ in range(4)]
        assert [s.run_due() for s in schedulers] == [[]] * 4  # the first scan is 6 hours away

        due = utcnow() + timedelta(hours=6, seconds=1)
        barrier = threading.Barrier(len(schedulers))
        results: list[int] = []

        def tick(scheduler: Scheduler) -> None:
            barrier.wait()
            results.append(len(scheduler.run_due(due)))

        threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [0, 0, 0, 1]
        with Session(engine) as s:
            tasks = s.exec(select(Task).where(Task.kind == discover.NAME)).all()
            schedule = s.get(Schedule, discover.NAME)
            assert len(tasks) == 1 and tasks[0].priority == 5
            assert schedule is not None and schedule.last_task_id == tasks[0].id
            assert schedule.next_run_at is not None and schedule.next_run_at > due + timedelta(hours=5)
        assert [s.run_due(due) for s in schedulers] == [[]] * 4  # that period is taken

    def test_switching_the_schedule_off_stops_it(self, engine):
        set_defaults(engine, every_hours=1)
        set_defaults(engine, every_hours=0)
        scheduler = Scheduler(TaskManager(engine), {discover.NAME: discover.scheduled_task})
        assert scheduler.run_due(utcnow() + timedelta(days=2)) == []
        with Session(engine) as s:
            assert store.preferences(s).every_hours == 0

    def test_an_unknown_schedule_is_refused(self, engine):
        with Session(writer(engine)) as s, pytest.raises(ValueError, match="every 1, 3, 6, 12, 24 hours"):
            store.save_preferences(s, store.Preferences(every_hours=5))
