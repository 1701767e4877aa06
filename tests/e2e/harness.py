"""The end-to-end harness: run the real app (exported frontend + restartable backend) for browser tests
and benchmarks, deployed the way README.md tells a person to ("Frontend and backend apart").

The frontend is exported once by `scripts/export-frontend` (backend URL baked in) and served by a
plain static server with the README's one fallback rule; the backend runs as
`reflex run --env prod --backend-only` in its own process group, so a test can stop it (any signal,
to the group or to its main process, or SIGKILL like a crash) and start it again on the same port
while the browser stays on the page. Any ERROR line in a backend's log fails the test.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
# The fake servers of the integration tests (job boards, model APIs) serve the browser tests too.
sys.path.insert(0, str(ROOT / "tests/integration"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ERROR_LINE = re.compile(r"\bERROR\b|Traceback \(most recent call last\)")
# How long every process of a backend may take to exit after SIGINT/SIGTERM: what a service manager
# waits before it kills (README, "Stopping"). A correctness limit, not a measurement.
STOP_LIMIT = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reflex_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.tools/node_modules/.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env["REFLEX_USE_SYSTEM_BUN"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


class StaticHost(http.server.SimpleHTTPRequestHandler):
    """A plain static file server plus exactly the README's rule: a path that matches no file (or
    directory) is answered with 404.html. `fallback_status` is the status it is answered with: 200 like
    nginx's `try_files`, 404 like hosts that serve 404.html for unknown paths by themselves."""

    fallback_status = 200

    def send_head(self):
        if not os.path.exists(self.translate_path(self.path)):
            self.path = "/404.html"
            if self.fallback_status != 200:
                return self._send_fallback()
        return super().send_head()

    def _send_fallback(self):
        page = open(self.translate_path(self.path), "rb")  # noqa: SIM115 - send_head's caller closes it
        self.send_response(self.fallback_status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(os.fstat(page.fileno()).st_size))
        self.end_headers()
        return page

    def log_message(self, *args) -> None:
        pass


class Backend:
    """One backend process at a time on the site's backend port, restartable mid-test."""

    # The module run as `python -m <launcher> run …`: the app's launcher (Reflex's CLI with Granian respawning
    # dead workers, as scripts/start runs it), or a wrapper of it (bench/_backend.py).
    launcher = "jobapp.serve"

    def __init__(
        self, port: int, data_dir: Path, log_dir: Path, env: dict[str, str], *, db_url: str | None = None
    ) -> None:
        self.port = port
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.env = env
        # SQLite under data_dir unless a database (e.g. a PostgreSQL scratch schema) is given.
        self.db_url = db_url or f"sqlite:///{data_dir / 'jobapp.db'}"
        self.proc: subprocess.Popen | None = None
        self.logs: list[Path] = []
        # ERROR lines a test causes on purpose (e.g. Granian reporting a worker the test killed).
        self.expected_errors: list[re.Pattern[str]] = []

    def start(self, *, wait: bool = True) -> None:
        """Start the backend; with `wait`, return once it answers /ping."""
        log = self.log_dir / f"backend-{len(self.logs)}.log"
        self.logs.append(log)
        env = reflex_env(JOBAPP_DATA_DIR=str(self.data_dir), REFLEX_DB_URL=self.db_url, **self.env)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                self.launcher,
                "run",
                "--env",
                "prod",
                "--backend-only",
                "--backend-port",
                str(self.port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait:
            return
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"backend exited early:\n{log.read_text()[-3000:]}"
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/ping", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"backend did not answer /ping:\n{log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Send `sig` to every process of the backend; return once all are gone and the port is free.

        One that is still running STOP_LIMIT seconds later is killed, and the test fails: a clean stop
        is part of what every test checks (README, "Stopping").
        """
        if self.proc is None or not self.processes():
            return
        os.killpg(self.proc.pid, sig)
        if not self.gone_within(STOP_LIMIT):
            left = self.processes()
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            name = signal.Signals(sig).name
            raise AssertionError(f"still running {STOP_LIMIT:g} s after {name}: {left}\n{self.log_text()[-3000:]}")
        # The port must be free before a restart binds it again.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.1)

    def signal(self, sig: int, *, group: bool) -> None:
        """Send `sig` to every process of the backend (as a terminal's Ctrl-C or systemd do), or to its
        main process only."""
        assert self.proc is not None
        if group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)

    def processes(self) -> list[int]:
        """The backend's processes still alive (its main process and the workers it forked)."""
        assert self.proc is not None
        self.proc.poll()  # reap the main process once it has exited
        found = subprocess.run(["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True)
        return [int(pid) for pid in found.stdout.split()]

    def gone_within(self, seconds: float) -> bool:
        """Whether every process of the backend has exited within `seconds`."""
        deadline = time.monotonic() + seconds
        while self.processes():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def log_text(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')}" for log in self.logs)

    def error_lines(self) -> list[str]:
        return [
            line
            for log in self.logs
            for line in log.read_text().splitlines()
            if ERROR_LINE.search(line) and not any(expected.search(line) for expected in self.expected_errors)
        ]


def healthy_workers(port: int, count: int, timeout: float = 120) -> dict[str, dict]:
    """Ask /api/health on new connections (each may reach any worker) until `count` different workers
    have answered healthy; their reports by worker id."""
    reports: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    while len(reports) < count:
        assert time.monotonic() < deadline, f"{len(reports)} of {count} workers answered healthy: {reports}"
        answer = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=10)
        if answer.status_code == 200:
            report = answer.json()
            reports[report["worker"]["id"]] = report
    return reports


def export_frontend(backend_port: int, into: Path) -> None:
    """Build the frontend with the README's command, pointing at `backend_port`, into `into` (new or empty)."""
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/export-frontend"), f"http://127.0.0.1:{backend_port}", str(into)],
        cwd=ROOT,
        env=reflex_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:] + result.stderr[-3000:])


def serve_static(directory: Path, handler_class: type[StaticHost] = StaticHost) -> http.server.ThreadingHTTPServer:
    """Serve an exported build on a free loopback port (in a daemon thread)."""
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
