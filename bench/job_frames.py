"""What a job page receives while a document streams: websocket bytes per second, and which fields its frames
carry — in headless Chromium against the real app.

Set-up: a fresh SQLite database with a profile (a long resume) and one job holding `--versions` earlier CV
versions (each as long as the resume), the exported frontend and `reflex run --env prod --backend-only`
with the offline drafter streaming at a pace that makes the CV take about `--seconds` seconds.

Measured: one tab on the job page records every websocket frame from the moment "Tailor CV" is clicked until
the new version appears: bytes, bytes per second while streaming, and per frame which of the job view's
fields it updates. Pushing only what changed means the earlier versions (documents) are sent once, when the
new version lands, not with every progress tick; the peer figure is what resending them each second would
cost (their size, once a second, over the same time).

    PYTHONPATH=. .venv/bin/python bench/job_frames.py [--versions 10] [--seconds 15]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from bench._app import BenchBackend, chromium, export_site, static_site
from bench._common import emit, log, scratch_dir, setup_logging, target
from tests.e2e.harness import free_port

FIELDS = ("documents", "tasks", "streams", "job", "active_kinds", "indicator")


def seed(db_url: str, versions: int) -> tuple[int, int]:
    """A profile, a job with `versions` earlier CVs; returns (job id, bytes of those documents)."""
    from sqlmodel import Session

    from jobapp.db import make_engine, migrate
    from jobapp.models import Document, Job, Profile

    migrate(db_url)
    resume = "# Ada Example\n\n" + "\n".join(
        f"- Built Python service {i} on PostgreSQL and Kubernetes at Lumen, owning CI/CD and mentoring engineers"
        for i in range(60)
    )
    engine = make_engine(db_url)
    with Session(engine) as s:
        s.add(Profile(name="Ada Example", resume=resume))
        job = Job(title="Senior Backend Engineer", company="Acme", description="Python, PostgreSQL, Kubernetes.")
        s.add(job)
        s.commit()
        s.refresh(job)
        for version in range(1, versions + 1):
            s.add(Document(job_id=job.id, kind="cv", version=version, content=resume, provider="offline drafter"))  # type: ignore[arg-type]
        s.commit()
        job_id = job.id
    engine.dispose()
    return job_id, versions * len(resume.encode())  # type: ignore[return-value]


def fields_of(payload: str) -> set[str]:
    """The job view's fields a socket.io frame updates (names as Reflex sends them: `field_rx_state_`)."""
    found = set()
    if payload.startswith("42"):
        for name in FIELDS:
            if f'"{name}_rx_state_"' in payload:
                found.add(name)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    setup_logging()
    with scratch_dir("job-frames") as directory:
        backend_port = free_port()
        db_url = f"sqlite:///{directory / 'data' / 'jobapp.db'}"
        (directory / "data").mkdir()
        job_id, earlier_bytes = seed(db_url, args.versions)
        # The offline CV is about as many words as the resume: pace them over the wanted time.
        pace = args.seconds / 900
        env = {"JOBAPP_OFFLINE_PACE": f"{pace:.4f}", "JOBAPP_LEASE_SECONDS": "10"}
        backend = BenchBackend(backend_port, directory / "data", directory, env)
        site_dir = export_site(backend_port, directory / "site")
        backend.start()
        try:
            with static_site(site_dir) as site, chromium() as browser:
                page = browser.new_context().new_page()
                frames: list[tuple[float, int, set[str]]] = []
                page.on(
                    "websocket",
                    lambda ws: ws.on(
                        "framereceived",
                        lambda payload: frames.append(
                            (time.monotonic(), len(payload), fields_of(payload if isinstance(payload, str) else ""))
                        ),
                    ),
                )
                page.goto(f"{site}/jobs/{job_id}")
                page.wait_for_selector("#generate-cv")
                page.wait_for_timeout(1500)
                frames.clear()
                started = time.monotonic()
                page.click("#generate-cv")
                page.wait_for_selector(".stream-text", timeout=60_000)
                streaming_from = time.monotonic()
                page.wait_for_function(
                    f"document.querySelectorAll('#cvs .document').length >= {args.versions + 1}", timeout=300_000
                )
                landed = time.monotonic()
        finally:
            backend.stop()
    during = [f for f in frames if streaming_from <= f[0] < landed - 0.05]
    stream_seconds = max(0.001, landed - streaming_from)
    with_documents = [f for f in frames if "documents" in f[2]]
    figures: dict[str, Any] = {
        "earlier_versions": args.versions,
        "earlier_versions_bytes": earlier_bytes,
        "streaming_seconds": round(stream_seconds, 2),
        "frames_while_streaming": len(during),
        "bytes_per_s_while_streaming": round(sum(f[1] for f in during) / stream_seconds),
        "frames_carrying_documents_while_streaming": sum(1 for f in during if "documents" in f[2]),
        "frames_carrying_documents_in_all": len(with_documents),
        "fields_per_frame_while_streaming": _field_counts(during),
        "total_bytes_click_to_new_version": sum(f[1] for f in frames if f[0] >= started),
        # The peer: the same stream, resending every version once a second (the design before this one).
        "peer_full_resend_bytes_per_s": round(earlier_bytes + sum(f[1] for f in during) / stream_seconds),
    }
    log.info("job page frames: %s", json.dumps(figures))
    emit(
        "job_frames",
        figures,
        [
            target(
                "frames carrying the document list while a CV streams",
                figures["frames_carrying_documents_while_streaming"],
                "<=",
                0,
            )
        ],
        method="Playwright framereceived on the job page's websocket from the click to the new version.",
    )


def _field_counts(frames: list[tuple[float, int, set[str]]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, _, fields in frames:
        for name in fields:
            counts[name] = counts.get(name, 0) + 1
    return counts


if __name__ == "__main__":
    main()
