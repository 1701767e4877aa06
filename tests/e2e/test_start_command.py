"""The README's commands: `scripts/start` brings the app up on a fresh data directory, on 127.0.0.1 only and
without a login by default; it refuses an exposed address without credentials; with the login on, the
one-port app (page and websocket from the same server) sits behind the login form; `--workers N` runs N
backend workers on PostgreSQL + Redis (and refuses without Redis); `scripts/export-frontend` refuses what it
cannot build."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from harness import ROOT, STOP_LIMIT, free_port, healthy_workers
from playwright.sync_api import expect
from test_browser_live import POSTING

pytestmark = pytest.mark.e2e

USER, PASSWORD = "ada", "correct horse battery staple"


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table, size in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                # The kernel prints each 32-bit word in host (little-endian) order.
                ordered = b"".join(raw[i : i + 4][::-1] for i in range(0, size, 4))
                found.add(str(ipaddress.ip_address(ordered)))
    return found


def connects(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((host, port)) == 0


@contextmanager
def started(tmp_path: Path, **env: str) -> Iterator[tuple[int, Path]]:
    """`scripts/start` on a free port and a fresh data directory, up until its page answers."""
    port = free_port()
    log = tmp_path / "start.log"
    full_env = {**os.environ, "JOBAPP_PORT": str(port), "JOBAPP_DATA_DIR": str(tmp_path / "data"), **env}
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts/start")],
        cwd=ROOT,
        env=full_env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        assert proc.poll() is None, log.read_text()[-3000:]
        yield port, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    output = log.read_text()
    assert "ERROR" not in output, output[-3000:]


def test_start_script_migrates_and_serves_the_app_on_loopback_only(tmp_path):
    with started(tmp_path) as (port, log):
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200, log.read_text()[-3000:]
        assert (tmp_path / "data" / "jobapp.db").exists()
        assert httpx.get(f"http://127.0.0.1:{port}/_auth/session", timeout=5).json() == {"login": False, "user": None}
        # On the one port: the REST API, its docs and the admin beside the pages.
        assert httpx.get(f"http://127.0.0.1:{port}/api/kinds", timeout=5).json()[0]["name"]
        assert httpx.get(f"http://127.0.0.1:{port}/api/docs", timeout=5).status_code == 200
        assert "The admin is off" in httpx.get(f"http://127.0.0.1:{port}/admin/login", timeout=5).text
        health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=10)
        assert health.status_code == 200, health.text
        assert (health.json()["database"], health.json()["redis"]) == ("ok", "not configured")
        # Bound to 127.0.0.1 itself, not every interface: another loopback address finds nothing there.
        assert listening_addresses(port) == {"127.0.0.1"}
        assert not connects("127.0.0.2", port)
        output = log.read_text()
        assert f"jobapp listens on http://127.0.0.1:{port} (this machine only; no login)" in output
        assert f"App running at: http://127.0.0.1:{port}/" in output


def test_an_exposed_address_without_credentials_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBAPP_")}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/start")],
        cwd=ROOT,
        env={**env, "JOBAPP_HOST": "0.0.0.0", "JOBAPP_PORT": str(free_port()), "JOBAPP_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    for variable in ("JOBAPP_USERNAME", "JOBAPP_PASSWORD_HASH", "JOBAPP_SECRET_KEY"):
        assert variable in result.stderr
    assert "0.0.0.0" in result.stderr
    assert not (tmp_path / "jobapp.db").exists()  # refused before touching anything


def test_the_one_port_app_sits_behind_the_login(tmp_path, context):
    login_env = {
        "JOBAPP_REQUIRE_LOGIN": "1",
        "JOBAPP_USERNAME": USER,
        "JOBAPP_PASSWORD": PASSWORD,
        "JOBAPP_SECRET_KEY": "start-test-secret-key-0123456789abcdef",
    }
    with started(tmp_path, **login_env) as (port, log):
        app = f"http://127.0.0.1:{port}"
        assert f"jobapp listens on {app} (this machine only; login required for '{USER}')" in log.read_text()
        for route in ("/", "/activity", "/settings", "/jobs/1", "/assets/"):
            refused = httpx.get(f"{app}{route}", headers={"accept": "text/html"}, timeout=5)
            assert refused.status_code == 303, route
        assert PASSWORD not in log.read_text()

        page = context.new_page()
        page.goto(f"{app}/activity")
        expect(page.locator("#login-form")).to_be_visible()
        page.locator("#username").fill(USER)
        page.locator("#password").fill(PASSWORD)
        page.locator("#login-submit").click()
        expect(page).to_have_url(re.compile(rf"{re.escape(app)}/activity/?$"))  # the static mount adds a slash
        expect(page.locator("#account-user")).to_have_text(USER)

        page.goto(app)
        page.locator("#new-title").fill("Staff Engineer")
        page.locator("#new-company").fill("Globex")
        page.locator("#new-description").fill(POSTING)
        page.locator("#add-job").click()
        expect(page.locator("tr", has_text="Staff Engineer")).to_be_visible()

        page.locator("#logout").click()
        expect(page.locator("#login-form")).to_be_visible()
        assert page.url.startswith(f"{app}/_auth/login")
        page.goto(app)
        expect(page.locator("#login-form")).to_be_visible()


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
