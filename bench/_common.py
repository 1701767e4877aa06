"""What every benchmark shares: machine info, percentiles, targets and the one JSON object it prints.

Human-readable progress goes to stderr through `log`; stdout carries only the final JSON object.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Taken when a benchmark starts (it imports this module first): shows whether the machine was shared.
_STARTED = (datetime.now(UTC).isoformat(timespec="seconds"), [round(x, 2) for x in os.getloadavg()])
# The same server and override as the engine tests use.
PG_ADMIN_URL = os.environ.get("JOBAPP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
log = logging.getLogger("bench")


def setup_logging() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    # Alembic logs every migration step at INFO.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    """Where and on what the figures were taken; the load averages show whether the machine was shared."""
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in line
            ),
            "",
        )
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "started_at": _STARTED[0],
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_at_start": _STARTED[1],
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        "commit": _git("rev-parse", "--short", "HEAD"),
        "jobapp_dirty": bool(_git("status", "--porcelain", "--", "jobapp")),
    }


def percentile(values: Iterable[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100)."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = (len(data) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def latency_ms(samples_s: list[float]) -> dict[str, Any]:
    """p50/p95/p99 of durations given in seconds, in milliseconds."""
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else None,
        "max_ms": round(max(ms), 3) if ms else None,
    }


def target(name: str, value: float | None, op: str, goal: float, unit: str = "") -> dict[str, Any]:
    """A team target next to the measured value; `met` is informational, nothing fails on it."""
    met = value is not None and (value >= goal if op == ">=" else value <= goal)
    return {"name": name, "value": value, "target": f"{op} {goal}{unit}", "met": met}


def emit(benchmark: str, figures: dict[str, Any], targets: list[dict[str, Any]], **extra: Any) -> None:
    """Print the benchmark's one JSON object to stdout."""
    out = {"benchmark": benchmark, "machine": machine(), "figures": figures, "targets": targets, **extra}
    print(json.dumps(out, indent=2, default=str))
    sys.stdout.flush()


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory on the same filesystem the app's data directory would use."""
    with tempfile.TemporaryDirectory(prefix=f"jobapp-bench-{prefix}-") as path:
        yield Path(path)


@contextlib.contextmanager
def sqlite_db(directory: Path, name: str = "jobapp.db") -> Iterator[str]:
    """A freshly migrated SQLite database URL."""
    from jobapp.db import migrate

    url = f"sqlite:///{directory / name}"
    migrate(url)
    yield url


@contextlib.contextmanager
def postgres_db() -> Iterator[str | None]:
    """A freshly migrated PostgreSQL schema of our own (dropped afterwards); None when unreachable."""
    from sqlalchemy import create_engine, text

    from jobapp.db import migrate

    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        log.warning("PostgreSQL is not reachable at 127.0.0.1:5432: skipping its figures")
        yield None
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
