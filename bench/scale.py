"""Scale: the pipeline (list and board) and the activity view with 10,000 jobs and 100,000 task rows, and a
search/filter in an open pipeline tab.

Set-up: a fresh SQLite database seeded with SQL (executemany through SQLAlchemy Core, rows built from the
models so every default is filled): 10,000 jobs over all pipeline statuses, 10 tasks per job — 200 of
them queued with a run-after a day away (backing off, so visible in the activity view but never run),
the rest finished in the last three days (90 % completed, 6 % failed, 4 % cancelled). Retention is
raised for this run (JOBAPP_KEEP_FINISHED_MAX, ..._DAYS): with the defaults the pruner's first tick
would cut the table to 5,000 finished rows.

Each load opens a new browser context (no HTTP cache, a new tab state) on the exported frontend and
measures, from navigation start, when the content is visible: for "/" the list's first page (50 rows), for
"/?view=board" every column's first cards, for "/activity" the listed queued tasks (the first
`ACTIVE_SHOWN`) and the recently-finished list. Runs alternate between the pages; median and p95 per page.
The search/filter figure is taken in one open list tab: from pressing Enter in the search field (the
filter form, with a status or fit filter) to the matching page shown (its total in the page line).
Every wait has a bound: a page that never shows its content fails the run instead of hanging it.

    PYTHONPATH=. .venv/bin/python bench/scale.py [--jobs 10000] [--tasks-per-job 10] [--runs 15]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench._app import BenchBackend, CpuMeter, chromium, export_site, py_spy, static_site
from bench._common import emit, latency_ms, log, scratch_dir, setup_logging, target
from bench._profile import summarize
from tests.e2e.harness import free_port

ACTIVE = 200
KINDS = ("evaluate-job", "generate-cover-letter")
CHUNK = 5000

# When the page's websocket opened and each message reached the page's main thread (before Reflex handles it).
WS_TIMES = """
(() => {
  const Native = window.WebSocket;
  window.__ws = { opened: null, frames: [] };
  class Timed extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => { window.__ws.opened = performance.now(); });
      this.addEventListener("message", (e) => {
        window.__ws.frames.push([performance.now(), typeof e.data === "string" ? e.data.length : e.data.size || 0]);
      });
    }
  }
  window.WebSocket = Timed;
})();
"""

# Resolves to the time (ms since navigation start) the condition first held, checked every frame; or to -1
# after `limit` ms.
VISIBLE_AT = """
([selectors, counts, limit]) => new Promise((resolve) => {
  const check = () => {
    if (selectors.every((s, i) => document.querySelectorAll(s).length >= counts[i])) resolve(performance.now());
    else if (performance.now() > limit) resolve(-1);
    else requestAnimationFrame(check);
  };
  check();
})
"""
# How long one load or one search may take before the run fails (a bound, not a target).
WAIT_LIMIT_MS = 60_000
# Search words seeded into the postings (each job gets one), and the searches measured (params of the URL).
SKILLS = ("Rust", "Terraform", "Kafka", "React", "Elixir", "Scala", "Swift", "Haskell")
SEARCHES = (
    {"q": "terraform", "status": "Applied"},
    {"q": "company 12"},
    {"q": "kafka", "fit_min": "60"},
    {"q": "engineer 99", "status": "Evaluated"},
)


def seed(db_url: str, *, jobs: int, tasks_per_job: int) -> dict[str, int]:
    from sqlalchemy import func, insert, select

    from jobapp.db import make_engine
    from jobapp.models import Job, JobStatus, Profile, Task, TaskStatus, utcnow

    rng = random.Random(7)
    engine = make_engine(db_url)
    now = utcnow()
    statuses = list(JobStatus)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(Profile.__table__), [Profile(name="Bench", resume="# Bench\nPython.").model_dump()])
        # One model instance fills every default; each row is that template with its own values.
        # Postings of a realistic length (~3 KB): the search reads them all.
        body = "Python, PostgreSQL and Kubernetes; you will design APIs and own their operation. " * 36
        job_template = Job(location="Remote", description=body).model_dump(exclude={"id"})
        job_rows = []
        for i in range(jobs):
            created = now - timedelta(days=120) + timedelta(seconds=i * 1000)
            job_rows.append(
                job_template
                | {
                    "title": f"Engineer {i}",
                    "description": f"{body}\nNice to have: {SKILLS[i % len(SKILLS)]}.",
                    "company": f"Company {i % 700}",
                    "status": rng.choice(statuses),
                    "fit_score": rng.randint(10, 95),
                    "created_at": created,
                    "updated_at": created,
                }
            )
        for chunk in range(0, len(job_rows), CHUNK):
            conn.execute(insert(Job.__table__), job_rows[chunk : chunk + CHUNK])
        job_ids = list(conn.execute(select(Job.id).order_by(Job.id)).scalars())
        task_template = Task(kind=KINDS[0]).model_dump(exclude={"id"})
        task_rows: list[dict[str, Any]] = []
        active_jobs = set(rng.sample(job_ids, ACTIVE))
        for job_id in job_ids:
            for n in range(tasks_per_job):
                kind = KINDS[n % 2]
                roll = rng.random()
                finished = now - timedelta(seconds=rng.randint(60, 3 * 86400))
                status = (
                    TaskStatus.COMPLETED if roll < 0.90 else TaskStatus.FAILED if roll < 0.96 else TaskStatus.CANCELLED
                )
                row: dict[str, Any] = {
                    "kind": kind,
                    "status": status,
                    "job_id": job_id,
                    "dedupe_key": f"{kind}:{job_id}:bench{n}",
                    "attempt": 1,
                    "progress": 100 if status == TaskStatus.COMPLETED else 40,
                    "progress_label": {"completed": "Done", "failed": "Failed", "cancelled": "Cancelled"}[status],
                    "created_at": finished - timedelta(seconds=30),
                    "started_at": finished - timedelta(seconds=25),
                    "finished_at": finished,
                    "updated_at": finished,
                    "run_after": finished - timedelta(seconds=30),
                    "result": {"fit_score": 50} if status == TaskStatus.COMPLETED else None,
                    "error": "Timed out after 60 s (attempt 3 of 3)" if status == TaskStatus.FAILED else None,
                }
                if n == tasks_per_job - 1 and job_id in active_jobs:
                    row |= {
                        "status": TaskStatus.QUEUED,
                        "dedupe_key": f"{kind}:{job_id}:active",
                        "progress": 0,
                        "progress_label": "Retrying after attempt 1 of 3",
                        "finished_at": None,
                        "result": None,
                        "error": "Connection reset",
                        "run_after": now + timedelta(days=1),
                    }
                task_rows.append(task_template | row)
            if len(task_rows) >= CHUNK:
                conn.execute(insert(Task.__table__), task_rows)
                task_rows = []
        if task_rows:
            conn.execute(insert(Task.__table__), task_rows)
        counts = {
            "jobs": conn.execute(select(func.count()).select_from(Job)).scalar_one(),
            "tasks": conn.execute(select(func.count()).select_from(Task)).scalar_one(),
            "active_tasks": conn.execute(
                select(func.count()).select_from(Task).where(Task.status == TaskStatus.QUEUED)
            ).scalar_one(),
        }
    engine.dispose()
    log.info("seeded %s in %.1f s", counts, time.perf_counter() - started)
    return counts


def load_once(browser, url: str, selectors: list[str], counts: list[int]) -> dict[str, float]:
    """One cold load: when the content was visible, and the milestones on the way (all from navigation)."""
    context = browser.new_context()
    context.set_default_timeout(WAIT_LIMIT_MS)
    context.add_init_script(WS_TIMES)
    page = context.new_page()
    page.goto(url, wait_until="commit")
    visible_ms = page.evaluate(VISIBLE_AT, [selectors, counts, WAIT_LIMIT_MS])
    if visible_ms < 0:
        shown = [len(page.query_selector_all(s)) for s in selectors]
        context.close()
        raise RuntimeError(f"{url}: {shown} of {counts} ({selectors}) after {WAIT_LIMIT_MS / 1000:g} s")
    out = page.evaluate(
        """(s) => ({
            rows: document.querySelectorAll(s).length,
            dcl: performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd,
            ws: window.__ws,
        })""",
        selectors[0],
    )
    context.close()
    # The board's state arrives as the largest message received before the content showed.
    frames = [f for f in out["ws"]["frames"] if f[0] <= visible_ms]
    biggest = max(frames, key=lambda f: f[1]) if frames else [float("nan"), 0]
    return {
        "visible_s": visible_ms / 1000,
        "dom_content_loaded_s": out["dcl"] / 1000,
        "websocket_open_s": (out["ws"]["opened"] or float("nan")) / 1000,
        "state_message_s": biggest[0] / 1000,
        "rows": out["rows"],
        "ws_kib": sum(f[1] for f in out["ws"]["frames"]) / 1024,
        "state_message_kib": biggest[1] / 1024,
    }


def expected_pages(db_url: str) -> dict[str, Any]:
    """What each measured page must show, read with the app's own queries: the list's first page, the board's
    cards, and each search's total."""
    from sqlmodel import Session

    from jobapp.db import make_engine
    from jobapp.pipeline.query import PipelineQuery, read_board, read_list

    engine = make_engine(db_url)
    with Session(engine) as s:
        rows = len(read_list(s, PipelineQuery()).rows)
        cards = sum(len(c["jobs"]) for c in read_board(s, PipelineQuery(view="board")).columns)
        totals = [read_list(s, PipelineQuery.from_params(params)).total for params in SEARCHES]
        unsearched = [{k: v for k, v in params.items() if k != "q"} for params in SEARCHES]
        before = [read_list(s, PipelineQuery.from_params(params)).total for params in unsearched]
    engine.dispose()
    return {"rows": rows, "cards": cards, "search_totals": totals, "totals_before_search": before}


def search_once(page, params: dict[str, str], total: int, before: int) -> float:
    """In an open list tab: set the filter (by URL, as the filter controls do), type the words and press
    Enter; seconds until the page line shows the matching total. Starts from a page without that total."""
    from urllib.parse import urlencode

    status = {k: v for k, v in params.items() if k != "q"}
    path = "/" + ("?" + urlencode(status) if status else "")
    page.goto(page.url.split("?")[0].rstrip("/") + path)
    # The filtered page has arrived (the form shows its query, the page line its total): typing before the
    # page is live would be lost.
    page.wait_for_function(
        """([url, before]) => document.querySelector('#filter-form')?.dataset.url === url
            && (document.querySelector('#page-info')?.textContent || "").includes(" " + before + " jobs")""",
        arg=[path, before],
        timeout=WAIT_LIMIT_MS,
    )
    page.locator("#search").fill(params["q"])
    page.evaluate("() => { window.__t0 = performance.now(); }")
    page.locator("#search").press("Enter")
    page.wait_for_function(
        """([q, total]) => location.search.includes("q=" + encodeURIComponent(q).replace(/%20/g, "+")) && (total
            ? (document.querySelector('#page-info')?.textContent || "").includes(" " + total + " jobs")
            : document.querySelector('#no-match') !== null)""",
        arg=[params["q"], total],
        timeout=WAIT_LIMIT_MS,
    )
    return page.evaluate("() => (performance.now() - window.__t0) / 1000")


def search_runs(browser, site: str, runs: int, totals: list[int], before: list[int]) -> list[float]:
    """`runs` rounds of every search in SEARCHES, in one tab that stays open (as a person filters)."""
    context = browser.new_context()
    context.set_default_timeout(WAIT_LIMIT_MS)
    page = context.new_page()
    page.goto(f"{site}/")
    seconds = []
    try:
        for run in range(runs):
            for params, total, start in zip(SEARCHES, totals, before, strict=True):
                took = search_once(page, params, total, start)
                seconds.append(took)
                log.info("run %d search %s → %d jobs in %.3f s", run + 1, params, total, took)
    finally:
        context.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--tasks-per-job", type=int, default=10)
    parser.add_argument("--runs", type=int, default=15, help="loads per page")
    parser.add_argument("--profile", type=Path, help="write py-spy folded stacks of the backend here")
    args = parser.parse_args()
    setup_logging()
    from jobapp.db import migrate
    from jobapp.live.picture import RECENT_LIMIT
    from jobapp.live.views import ACTIVE_SHOWN

    figures: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    with scratch_dir("scale") as tmp:
        data_dir = tmp / "data"
        db_url = f"sqlite:///{data_dir / 'jobapp.db'}"
        migrate(db_url)
        figures["data"] = seed(db_url, jobs=args.jobs, tasks_per_job=args.tasks_per_job)
        figures["data"]["db_mib"] = round((data_dir / "jobapp.db").stat().st_size / 2**20, 1)
        expected = expected_pages(db_url)
        backend_port = free_port()
        build = export_site(backend_port, tmp / "site")
        env = {
            "JOBAPP_KEEP_FINISHED_MAX": "10000000",
            "JOBAPP_KEEP_FINISHED_DAYS": "3650",
            "JOBAPP_KEEP_FAILED_DAYS": "3650",
        }
        backend = BenchBackend(backend_port, data_dir, tmp, env)
        recent_rows = min(figures["data"]["tasks"] - figures["data"]["active_tasks"], RECENT_LIMIT)
        pages = {
            "pipeline_list": ("/", ["tr[id^='job-row-']"], [expected["rows"]]),
            "pipeline_board": ("/?view=board", [".job-card"], [expected["cards"]]),
            "activity": (
                "/activity",
                ["#active-tasks .task-row", "#recent-tasks .task-row"],
                [min(figures["data"]["active_tasks"], ACTIVE_SHOWN), recent_rows],
            ),
        }
        with static_site(build) as site, chromium() as browser:
            started = time.perf_counter()
            backend.start()
            figures["backend_start_s"] = round(time.perf_counter() - started, 2)
            try:
                meter = CpuMeter(backend.proc.pid)  # type: ignore[union-attr]
                results: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
                load_once(browser, f"{site}/", *pages["pipeline_list"][1:])  # warm-up: the first load of each kind
                meter.start()
                with contextlib.ExitStack() as stack:
                    if args.profile:
                        args.profile.mkdir(parents=True, exist_ok=True)
                        folded = args.profile / "scale_backend.txt"
                        stack.enter_context(py_spy(backend.proc.pid, folded))  # type: ignore[union-attr]
                    for run in range(args.runs):
                        for name, (path, selectors, counts) in pages.items():
                            result = load_once(browser, f"{site}{path}", selectors, counts)
                            results[name].append(result)
                            log.info("run %d %-8s %s", run + 1, name, {k: round(v, 3) for k, v in result.items()})
                    searches = search_runs(
                        browser, site, args.runs, expected["search_totals"], expected["totals_before_search"]
                    )
                figures["cpu_during_loads"] = meter.stop()
                if args.profile:
                    extra["profile"] = summarize(folded.read_text(), top=30) | {"folded_stacks": str(folded)}
            finally:
                backend.stop()
        errors = backend.error_lines()
    for name, runs in results.items():
        figures[name] = latency_ms([r["visible_s"] for r in runs]) | {
            "rows_rendered": runs[-1]["rows"],
            "median_breakdown_s": {
                "dom_content_loaded": round(statistics.median(r["dom_content_loaded_s"] for r in runs), 3),
                "websocket_open": round(statistics.median(r["websocket_open_s"] for r in runs), 3),
                "state_message_received": round(statistics.median(r["state_message_s"] for r in runs), 3),
                "content_visible": round(statistics.median(r["visible_s"] for r in runs), 3),
            },
            "ws_kib_per_load": round(statistics.median(r["ws_kib"] for r in runs), 1),
            "state_message_kib": round(statistics.median(r["state_message_kib"] for r in runs), 1),
        }
    figures["search_filter"] = latency_ms(searches)
    emit(
        "scale",
        figures,
        [
            target("pipeline list load p95 at scale (ms)", figures["pipeline_list"]["p95_ms"], "<=", 1000.0, " ms"),
            target("pipeline board load p95 at scale (ms)", figures["pipeline_board"]["p95_ms"], "<=", 1000.0, " ms"),
            target("search/filter p95 at scale (ms)", figures["search_filter"]["p95_ms"], "<=", 300.0, " ms"),
            target("activity view load p95 at scale (ms)", figures["activity"]["p95_ms"], "<=", 1000.0, " ms"),
        ],
        method=f"{args.runs} loads per page, each in a new browser context, from navigation start to content visible.",
        expected=expected,
        searches=list(SEARCHES),
        backend_error_count=len(errors),
        backend_error_lines=errors[:10],
        **extra,
    )


if __name__ == "__main__":
    main()
