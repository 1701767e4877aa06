"""`POST /api/tasks` latency on the real backend while 200 tasks run, with `GET /ping` of the same server as the floor.

The backend is the app as deployed (`reflex run --env prod --backend-only`, through `bench._backend` for the
bench-only `bench-progress` kind) on SQLite, `JOBAPP_CONCURRENCY` = the load, so 200 tasks run and write
their progress every second while the API is asked for work. One client on a keep-alive connection sends,
interleaved, `GET /ping` (Reflex's own route: the server's floor), `POST /api/tasks` for a job with nothing
queued (a new cover letter: validate, read the settings, insert; answers 202) and the same request again (the
UI's dedupe: answers 200 with the queued task). The queued letters never run (every slot is taken), so the
load stays the 200 tasks. Timed with `time.perf_counter` around each request, the whole HTTP round trip.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx

from bench._app import BenchBackend, CpuMeter, wait_until
from bench._backend import PROGRESS_KIND
from bench._common import emit, latency_ms, log, scratch_dir, setup_logging, target
from tests.e2e.harness import free_port


def seed(db_url: str, *, tasks: int, jobs: int) -> list[int]:
    """The running load (queued before the app starts) and the jobs the API is asked to write letters for."""
    from sqlmodel import Session

    from jobapp.db import make_engine
    from jobapp.models import Job, Profile
    from jobapp.tasks import NewTask, TaskManager

    engine = make_engine(db_url)
    with Session(engine) as s:
        s.add(Profile(name="Bench", resume="# Bench\nPython, SQL, distributed systems."))
        load = [Job(title=f"Load job {i}", company="Bench", description="Python engineer.") for i in range(tasks)]
        asked = [Job(title=f"API job {i}", company="Bench", description="Python engineer.") for i in range(jobs)]
        s.add_all(load + asked)
        s.commit()
        load_ids, asked_ids = [j.id for j in load], [j.id for j in asked]
    manager = TaskManager(engine)
    for job_id in load_ids:
        manager.enqueue(NewTask(PROGRESS_KIND, job_id=job_id, payload={"interval": 1.0}))
    engine.dispose()
    return asked_ids  # type: ignore[return-value]


def running(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        query = "SELECT count(*) FROM task WHERE status = 'running' AND kind = ?"
        return conn.execute(query, (PROGRESS_KIND,)).fetchone()[0]


def measure(base: str, job_ids: list[int], warmup: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"ping": [], "post_created": [], "post_already_queued": []}
    with httpx.Client(base_url=base, timeout=30) as client:
        for i, job_id in enumerate(job_ids):
            body = {"kind": "generate-cover-letter", "job_id": job_id, "options": {"tone": "warm"}}
            for name, send, expected in (
                ("ping", lambda: client.get("/ping"), 200),
                ("post_created", lambda b=body: client.post("/api/tasks", json=b), 202),
                ("post_already_queued", lambda b=body: client.post("/api/tasks", json=b), 200),
            ):
                started = time.perf_counter()
                response = send()
                elapsed = time.perf_counter() - started
                if response.status_code != expected:
                    raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")
                if i >= warmup:
                    samples[name].append(elapsed)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200, help="running tasks writing progress every second")
    parser.add_argument("--n", type=int, default=600, help="requests of each kind")
    parser.add_argument("--warmup", type=int, default=20, help="first rounds left out of the figures")
    args = parser.parse_args()
    setup_logging()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    from jobapp.db import migrate

    figures: dict[str, Any] = {"running_tasks": args.tasks, "requests_each": args.n - args.warmup}
    extra: dict[str, Any] = {}
    with scratch_dir("api") as tmp:
        data_dir = tmp / "data"
        db_url = f"sqlite:///{data_dir / 'jobapp.db'}"
        migrate(db_url)
        job_ids = seed(db_url, tasks=args.tasks, jobs=args.n)
        port = free_port()
        backend = BenchBackend(port, data_dir, tmp, {"JOBAPP_CONCURRENCY": str(args.tasks)})
        backend.start()
        try:
            wait_until(lambda: running(data_dir / "jobapp.db") == args.tasks, timeout=90, what="the running load")
            log.info("%d tasks running; measuring", args.tasks)
            meter = CpuMeter(backend.proc.pid)  # type: ignore[union-attr]
            meter.start()
            samples = measure(f"http://127.0.0.1:{port}", job_ids, args.warmup)
            figures["cpu"] = meter.stop()
            figures["still_running"] = running(data_dir / "jobapp.db")
        finally:
            backend.stop()
        errors = backend.error_lines()
        extra["backend_error_count"] = len(errors)
        extra["backend_error_lines"] = errors[:10]
    for name, values in samples.items():
        figures[name] = latency_ms(values)
        log.info("%s: %s", name, figures[name])
    created, floor = figures["post_created"], figures["ping"]
    figures["post_created_over_ping_p50"] = round(created["p50_ms"] / floor["p50_ms"], 1) if floor["p50_ms"] else None
    emit(
        "api_latency",
        figures,
        [
            target("POST /api/tasks p99 while 200 tasks run (ms)", created["p99_ms"], "<=", 50.0, " ms"),
            target("POST /api/tasks (already queued) p99 (ms)", figures["post_already_queued"]["p99_ms"], "<=", 50.0),
        ],
        **extra,
    )


if __name__ == "__main__":
    main()
