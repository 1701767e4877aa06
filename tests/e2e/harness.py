"""The end-to-end harness: run the real app (exported frontend + restartable backend) for browser tests
and benchmarks.

The frontend is exported once (`reflex export --frontend-only`, backend URL baked in) and served by a
static server; the backend runs as `reflex run --env prod --backend-only` in its own process group,
so a test can stop it (SIGTERM, or SIGKILL like a crash) and start it again on the same port while
the browser stays on the page. Any ERROR line in a backend's log fails the test.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
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


class _SpaHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the exported build; unknown paths get the SPA fallback (dynamic routes like /jobs/3)."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if not path.exists() and not path.with_suffix(".html").exists():
            self.path = "/__spa-fallback.html"
        elif not path.exists():
            self.path = self.path.split("?")[0] + ".html"
        return super().send_head()

    def log_message(self, *args) -> None:
        pass


class Backend:
    """One backend process at a time on the site's backend port, restartable mid-test."""

    # The module run as `python -m <launcher> run …`: the app's launcher (Reflex's CLI with Granian respawning
    # dead workers, as scripts/start runs it), or a wrapper of it (bench/_backend.py).
    launcher = "jobapp.serve"

    def __init__(self, port: int, data_dir: Path, log_dir: Path, env: dict[str, str]) -> None:
        self.port = port
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.logs: list[Path] = []
        # ERROR lines a test causes on purpose (e.g. Granian reporting a worker the test killed).
        self.expected_errors: list[re.Pattern[str]] = []

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'jobapp.db'}"

    def start(self) -> None:
        log = self.log_dir / f"backend-{len(self.logs)}.log"
        self.logs.append(log)
        env = reflex_env(JOBAPP_DATA_DIR=str(self.data_dir), **self.env)
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
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # The port must be free before a restart binds it again.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.1)

    def error_lines(self) -> list[str]:
        return [
            line
            for log in self.logs
            for line in log.read_text().splitlines()
            if ERROR_LINE.search(line) and not any(expected.search(line) for expected in self.expected_errors)
        ]


def export_frontend(backend_port: int, into: Path) -> None:
    """Build the frontend once, pointing at `backend_port`, and copy it to `into`."""
    result = subprocess.run(
        [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip", "--env", "prod"],
        cwd=ROOT,
        env=reflex_env(REFLEX_API_URL=f"http://127.0.0.1:{backend_port}"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:] + result.stderr[-3000:])
    shutil.copytree(ROOT / ".web/build/client", into, dirs_exist_ok=True)


def serve_static(directory: Path) -> http.server.ThreadingHTTPServer:
    """Serve an exported build on a free loopback port (in a daemon thread)."""
    handler = functools.partial(_SpaHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
