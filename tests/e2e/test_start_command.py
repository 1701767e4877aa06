"""The README's commands: `scripts/start` brings the app up on a fresh data directory, `--workers N`
runs N backend workers on PostgreSQL + Redis (and refuses without Redis), and `scripts/export-frontend`
refuses what it cannot build."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from harness import ROOT, STOP_LIMIT, free_port, healthy_workers

pytestmark = pytest.mark.e2e


def start_app(tmp_path: Path, *args: str, **env: str) -> tuple[subprocess.Popen, int, Path]:
    """`scripts/start ARGS` in its own process group; returns once the page answers."""
    port = free_port()
    log = tmp_path / "start.log"
    full_env = {**os.environ, "JOBAPP_PORT": str(port), "JOBAPP_DATA_DIR": str(tmp_path / "data"), **env}
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts/start"), *args],
        cwd=ROOT,
        env=full_env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline, page = time.monotonic() + 600, None
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            if page.status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    if page is None or page.status_code != 200:
        stop_app(proc)
        pytest.fail(f"the app did not answer:\n{log.read_text()[-3000:]}")
    return proc, port, log


def group_processes(proc: subprocess.Popen) -> list[int]:
    proc.poll()
    found = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def stop_app(proc: subprocess.Popen) -> bool:
    """SIGTERM to every process (what systemd does); whether all of them were gone within the limit."""
    os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_LIMIT
    while group_processes(proc):
        if time.monotonic() >= deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            return False
        time.sleep(0.05)
    return True


def test_start_script_migrates_and_serves_the_app(tmp_path):
    proc, port, log = start_app(tmp_path)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/ping", timeout=5).status_code == 200
        assert (tmp_path / "data" / "jobapp.db").exists()
        health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=10)
        assert health.status_code == 200, health.text
        assert (health.json()["database"], health.json()["redis"]) == ("ok", "not configured")
    finally:
        assert stop_app(proc), log.read_text()[-3000:]
    output = log.read_text()
    assert "ERROR" not in output, output[-3000:]


def test_start_script_runs_the_workers_asked_for_on_postgresql_and_redis(tmp_path, pg_url, redis_url):
    proc, port, log = start_app(tmp_path, "--workers", "3", REFLEX_DB_URL=pg_url, REFLEX_REDIS_URL=redis_url)
    try:
        assert len(group_processes(proc)) == 1 + 3  # the supervisor and its three workers
        reports = healthy_workers(port, 3)  # each of the three answers /api/health for itself
        assert {report["worker"]["pid"] for report in reports.values()} == set(group_processes(proc)[1:])
        for worker_id, report in reports.items():
            assert report == {
                "status": "ok",
                "database": "ok",
                "redis": "ok",
                "runner": "fetching",
                "worker": {"id": worker_id, "pid": report["worker"]["pid"], "running": 0},
                "queue": {"queued": 0, "running": 0},
            }
            assert str(report["worker"]["pid"]) in worker_id
        assert not (tmp_path / "data" / "jobapp.db").exists()  # the data lives in PostgreSQL
    finally:
        assert stop_app(proc), log.read_text()[-3000:]
    output = log.read_text()
    assert "ERROR" not in output, output[-3000:]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "3"], "--workers 3 needs Redis"),
        (["--workers=2"], "--workers 2 needs Redis"),
        (["--workers", "0"], "--workers needs a whole number of at least 1, not '0'"),
        (["--workers", "many"], "--workers needs a whole number of at least 1, not 'many'"),
        (["--workers"], "--workers needs a number"),
    ],
)
def test_start_script_refuses_workers_it_cannot_run(args, message):
    env = {key: value for key, value in os.environ.items() if key != "REFLEX_REDIS_URL"}
    result = subprocess.run(["bash", str(ROOT / "scripts/start"), *args], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr
    if "Redis" in message:
        assert "REFLEX_REDIS_URL" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["http://127.0.0.1:8000"], "usage: scripts/export-frontend BACKEND_URL OUT_DIR"),
        (["127.0.0.1:8000", "OUT"], "BACKEND_URL must start with http:// or https://"),
        (["https://api.example.com", "FULL"], "is not empty"),
    ],
)
def test_export_script_refuses_what_it_cannot_build(tmp_path, args, message):
    full = tmp_path / "full"
    full.mkdir()
    (full / "index.html").write_text("a site already")
    args = [{"OUT": str(tmp_path / "out"), "FULL": str(full)}.get(arg, arg) for arg in args]
    result = subprocess.run(["bash", str(ROOT / "scripts/export-frontend"), *args], capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()
