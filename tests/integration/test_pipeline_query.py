"""The pipeline's filtered page (search, each filter, sort, paging, board columns), its pictures and the
bulk actions, on a real database with a few hundred jobs (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from sqlmodel import Session

from jobapp.live.events import JobChanged
from jobapp.models import Job, JobStatus, Task, utcnow
from jobapp.pipeline import bulk, charts
from jobapp.pipeline.query import COLUMN_SIZE, PAGE_SIZE, STATUSES, PipelineQuery, read_board, read_list
from jobapp.tasks import EventBus, NewTask, TaskManager

pytestmark = pytest.mark.timeout(120)

JOBS = 300
COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli")


def seed(engine: Engine) -> list[dict[str, Any]]:
    """300 jobs over every status and company; every 7th has no score; every 10th says "Kubernetes" in its text
    only; each job's title says its number. Returns the rows as inserted (with their ids)."""
    rng = random.Random(3)
    now = utcnow()
    rows = []
    for i in range(JOBS):
        rows.append(
            {
                "title": f"Engineer {i:03d}",
                "company": COMPANIES[i % len(COMPANIES)],
                "location": "Remote",
                "description": "We build things." + (" Kubernetes at scale." if i % 10 == 0 else ""),
                "status": STATUSES[i % len(STATUSES)],
                "fit_score": None if i % 7 == 0 else rng.randint(0, 100),
                "is_new": False,
                "created_at": now - timedelta(minutes=JOBS - i),
                "updated_at": now,
            }
        )
    with Session(engine) as s:
        s.execute(insert(Job), rows)
        s.commit()
        ids = list(s.execute(select(Job.id).order_by(Job.id)).scalars())
    for row, job_id in zip(rows, ids, strict=True):
        row["id"] = job_id
    return rows


def read(engine: Engine, **params: str):
    with Session(engine) as s:
        return read_list(s, PipelineQuery.from_params(params))


def ids(page) -> list[int]:
    return [r["id"] for r in page.rows]


def test_the_list_pages_through_every_job_newest_first(engine: Engine):
    rows = seed(engine)
    newest_first = sorted((r["id"] for r in rows), reverse=True)
    first, second = read(engine), read(engine, page="1")
    assert first.total == JOBS and first.pages == -(-JOBS // PAGE_SIZE)
    assert ids(first) == newest_first[:PAGE_SIZE]
    assert ids(second) == newest_first[PAGE_SIZE : 2 * PAGE_SIZE]
    # A page past the end shows the last page, not nothing.
    assert ids(read(engine, page="99")) == newest_first[(first.pages - 1) * PAGE_SIZE :]
    assert sum(first.counts.values()) == JOBS


def test_search_matches_every_word_in_title_company_or_posting(engine: Engine):
    rows = seed(engine)
    kube = {r["id"] for r in rows if "Kubernetes" in r["description"]}
    assert set(ids(read(engine, q="kubernetes"))) == kube  # the posting text, any case
    assert {r["id"] for r in read(engine, q="engineer 04").rows} == {r["id"] for r in rows if "04" in r["title"]}
    acme_kube = {r["id"] for r in rows if r["company"] == "Acme" and r["id"] in kube}
    assert set(ids(read(engine, q="acme KUBERNETES"))) == acme_kube  # each word, in any field
    assert read(engine, q="100%").total == 0  # LIKE's wildcards are searched as text
    assert read(engine, q="nothing-like-this").rows == []


def test_each_filter(engine: Engine):
    rows = seed(engine)
    applied = read(engine, status="Applied")
    assert {r["status"] for r in applied.rows} == {"Applied"}
    assert applied.total == sum(r["status"] == "Applied" for r in rows)
    # Counts leave the status filter out (the board's heads); the total keeps it.
    assert applied.counts == read(engine).counts
    two = read(engine, status="Offer,Rejected")
    assert two.total == sum(r["status"] in ("Offer", "Rejected") for r in rows)

    band = read(engine, fit_min="40", fit_max="60", page="0")
    expected = {r["id"] for r in rows if r["fit_score"] is not None and 40 <= r["fit_score"] <= 60}
    assert band.total == len(expected)
    assert all(40 <= r["fit_score"] <= 60 for r in band.rows)

    globex = read(engine, company="glob")
    assert globex.total == sum(r["company"] == "Globex" for r in rows)
    assert {r["company"] for r in globex.rows} == {"Globex"}


def test_the_busy_filter_keeps_jobs_with_work_queued_or_running(engine: Engine):
    rows = seed(engine)
    manager = TaskManager(engine, EventBus())
    busy = [rows[5]["id"], rows[17]["id"]]
    for job_id in busy:
        manager.enqueue(NewTask("evaluate-job", job_id=job_id, dedupe_key=f"evaluate-job:{job_id}"))
    finished = manager.enqueue(NewTask("evaluate-job", job_id=rows[9]["id"], dedupe_key="done"))
    with Session(engine) as s:
        task = s.get(Task, finished.task_id)
        assert task is not None
        task.status = "completed"
        s.add(task)
        s.commit()
    assert sorted(ids(read(engine, busy="1"))) == sorted(busy)


def test_sorts(engine: Engine):
    rows = seed(engine)
    by_fit = read(engine, sort="fit", status="Evaluated")
    scores = [r["fit_score"] for r in by_fit.rows]
    assert scores == sorted(scores, reverse=True)
    # Jobs never scored come last.
    tail = read(engine, sort="fit", page=str(read(engine).pages - 1))
    assert tail.rows[-1]["fit_score"] == -1
    by_company = read(engine, sort="company")
    companies = [r["company"] for r in by_company.rows]
    assert companies == sorted(companies, key=str.lower)
    assert companies[0] == "Acme"
    assert len(rows) == JOBS


def test_the_board_has_a_column_per_status_with_its_first_cards(engine: Engine):
    rows = seed(engine)
    with Session(engine) as s:
        board = read_board(s, PipelineQuery(view="board"))
        assert [c["status"] for c in board.columns] == list(STATUSES)
        for column in board.columns:
            mine = sorted((r["id"] for r in rows if r["status"] == column["status"]), reverse=True)
            assert column["count"] == len(mine)
            assert [j["id"] for j in column["jobs"]] == mine[:COLUMN_SIZE]
            assert column["more"] == (len(mine) > COLUMN_SIZE)
        # "Show more" on one column; a search narrows every column; a status filter keeps its columns.
        more = read_board(s, PipelineQuery.from_params({"view": "board", "more": "Pending:40"}))
        assert len(more.columns[0]["jobs"]) == min(40, more.columns[0]["count"])
        assert len(more.columns[1]["jobs"]) == COLUMN_SIZE
        kube = read_board(s, PipelineQuery(view="board", q="kubernetes"))
        assert sum(len(c["jobs"]) for c in kube.columns) == sum("Kubernetes" in r["description"] for r in rows)
        narrowed = read_board(s, PipelineQuery(view="board", statuses=("Applied", "Offer")))
        assert [c["status"] for c in narrowed.columns] == ["Applied", "Offer"]


def test_the_query_round_trips_through_the_url():
    query = PipelineQuery(
        view="board",
        q="rust remote",
        statuses=("Applied",),
        fit_min=50,
        fit_max=90,
        company="Acme",
        busy=True,
        sort="fit",
        page=2,
        more={"Applied": 40},
    )
    params = dict(p.split("=", 1) for p in query.url().split("?", 1)[1].split("&"))
    from urllib.parse import unquote_plus

    assert PipelineQuery.from_params({k: unquote_plus(v) for k, v in params.items()}) == query
    assert PipelineQuery().url() == "/"
    # Nonsense falls back to defaults instead of failing the page.
    odd = PipelineQuery.from_params({"view": "grid", "status": "Nope", "fit_min": "x", "sort": "?", "page": "-3"})
    assert odd == PipelineQuery()
    assert query.with_filters(q="go").page == 0


def test_the_funnel_and_the_fit_histogram(engine: Engine):
    rows = seed(engine)
    with Session(engine) as s:
        stages = {row["stage"]: row for row in charts.funnel(s)}
        histogram = charts.fit_histogram(s)
    assert stages["Added"]["count"] == JOBS
    offers = sum(r["status"] == "Offer" for r in rows)
    interview = sum(r["status"] in ("Interview", "Offer") for r in rows)
    assert stages["Offer"]["count"] == offers
    assert stages["Interview"]["count"] == interview
    assert stages["Offer"]["conversion"] == f"{round(100 * offers / interview)}%"
    assert [b["bucket"] for b in histogram][:2] == ["0–9", "10–19"] and histogram[-1]["bucket"] == "90–100"
    assert sum(b["jobs"] for b in histogram) == sum(r["fit_score"] is not None for r in rows)
    hundred = sum(r["fit_score"] is not None and r["fit_score"] >= 90 for r in rows)
    assert histogram[-1]["jobs"] == hundred


def test_bulk_requests_are_ordinary_tasks_with_their_dedupe(engine: Engine):
    rows = seed(engine)
    bus = EventBus()
    manager = TaskManager(engine, bus)
    chosen = [rows[0]["id"], rows[1]["id"], rows[2]["id"]]
    first = bulk.request_many(manager, "evaluate", chosen)
    assert (first.queued, first.already) == (3, 0)
    assert first.summary("Evaluation") == "Evaluation: 3 queued."
    again = bulk.request_many(manager, "evaluate", [*chosen, rows[3]["id"]])
    assert (again.queued, again.already) == (1, 3)
    assert again.summary("Evaluation") == "Evaluation: 1 queued, 3 already queued."
    cvs = bulk.request_many(manager, "cv", chosen[:2])
    assert cvs.queued == 2
    with Session(engine) as s:
        kinds = sorted(t.kind for t in s.exec(select(Task)).scalars() if t.status == "queued")  # type: ignore[call-overload]
    assert kinds == ["evaluate-job"] * 4 + ["generate-cv"] * 2


def test_bulk_moves_go_through_set_status(engine: Engine):
    rows = seed(engine)
    bus = EventBus()
    manager = TaskManager(engine, bus)
    announced: list[object] = []
    bus.publish = announced.append  # type: ignore[method-assign]
    chosen = [rows[0]["id"], rows[1]["id"], 10**9]  # the last one does not exist
    outcome = bulk.move_many(manager, JobStatus.APPLIED, chosen)
    assert (outcome.moved, outcome.missing) == (2, 1)
    assert outcome.summary("Applied", moving=True) == "Applied: 2 moved, 1 deleted meanwhile."
    with Session(engine) as s:
        assert {s.get(Job, i).status for i in chosen[:2]} == {"Applied"}  # type: ignore[union-attr]
    assert [e.job_id for e in announced if isinstance(e, JobChanged)] == chosen[:2]


def test_applications_per_week_counts_first_applications_in_each_of_the_last_eight_weeks(engine: Engine):
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # a Thursday; this week began on Monday, Nov 23
    applied = [
        now,  # this week
        now - timedelta(days=3, hours=14),  # Monday Nov 23, 01:00: still this week
        now - timedelta(days=3, hours=16),  # Sunday Nov 22, 23:00: the week before
        now - timedelta(weeks=7),  # the oldest week shown
        now - timedelta(weeks=9),  # too old to show
    ]
    with Session(engine) as s:
        s.add_all(Job(title=f"Applied {i}", status=JobStatus.APPLIED, applied_at=at) for i, at in enumerate(applied))
        s.add(Job(title="Never applied", status=JobStatus.EVALUATED))
        s.commit()
        weeks = charts.applications_per_week(s, now=now)
    assert [w["week"] for w in weeks] == [
        "Oct 5", "Oct 12", "Oct 19", "Oct 26", "Nov 2", "Nov 9", "Nov 16", "Nov 23",
    ]  # fmt: skip
    assert [w["applications"] for w in weeks] == [1, 0, 0, 0, 0, 0, 1, 2]
