"""Runtime configuration, read once from the environment.

Every knob has a safe local default so `scripts/start` works with no configuration at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _kind_limits(raw: str) -> dict[str, int]:
    """Parse `evaluate-job=2,generate-cover-letter=1` into a mapping."""
    limits: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        kind, _, value = part.partition("=")
        limits[kind.strip()] = int(value)
    return limits


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str
    # Where Reflex keeps state shared by several backend workers; None with a single worker.
    redis_url: str | None = None
    # Task engine knobs (DESIGN section 3). Caps, budgets and retention are defaults: Settings can change
    # them while the app runs (jobapp.tasks.limits).
    concurrency: int = 4  # tasks running at once across every worker
    kind_limits: dict[str, int] = field(default_factory=dict)
    max_attempts: int = 8  # tries of a task that keeps failing with transient errors
    max_crashes: int = 3  # times a task may lose its worker (killed, machine died) before it fails
    worker_concurrency: int = 0  # tasks one worker process runs at once; 0: the global cap
    lease_seconds: float = 30.0
    poll_seconds: float = 1.0
    keep_finished_days: float = 7.0
    keep_failed_days: float = 30.0
    keep_finished_max: int = 5000
    # Seconds the offline drafter waits between streamed chunks, so text visibly streams.
    offline_pace: float = 0.02
    # How often each worker checks whether a scheduled task (the board scan) is due.
    scheduler_seconds: float = 30.0


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("JOBAPP_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    db_url = os.environ.get("REFLEX_DB_URL") or f"sqlite:///{data_dir / 'jobapp.db'}"
    return Settings(
        data_dir=data_dir,
        db_url=db_url,
        redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
        concurrency=_int("JOBAPP_CONCURRENCY", 4),
        kind_limits=_kind_limits(os.environ.get("JOBAPP_KIND_LIMITS", "evaluate-job=2,generate-cover-letter=2")),
        max_attempts=_int("JOBAPP_MAX_ATTEMPTS", 8),
        max_crashes=_int("JOBAPP_MAX_CRASHES", 3),
        worker_concurrency=_int("JOBAPP_WORKER_CONCURRENCY", 0),
        lease_seconds=_float("JOBAPP_LEASE_SECONDS", 30.0),
        poll_seconds=_float("JOBAPP_POLL_SECONDS", 1.0),
        keep_finished_days=_float("JOBAPP_KEEP_FINISHED_DAYS", 7.0),
        keep_failed_days=_float("JOBAPP_KEEP_FAILED_DAYS", 30.0),
        keep_finished_max=_int("JOBAPP_KEEP_FINISHED_MAX", 5000),
        offline_pace=_float("JOBAPP_OFFLINE_PACE", 0.02),
        scheduler_seconds=_float("JOBAPP_SCHEDULER_SECONDS", 30.0),
    )
