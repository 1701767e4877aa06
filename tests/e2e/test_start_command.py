"""The README's start command brings the app up on a fresh data directory."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest
from harness import ROOT, free_port

pytestmark = pytest.mark.e2e


def test_start_script_migrates_and_serves_the_app(tmp_path):
    port = free_port()
    log = tmp_path / "start.log"
    env = {**os.environ, "JOBAPP_PORT": str(port), "JOBAPP_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts/start")],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline, page = time.monotonic() + 600, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                if page.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        output = log.read_text()
        assert page is not None and page.status_code == 200, output[-3000:]
        assert httpx.get(f"http://127.0.0.1:{port}/ping", timeout=5).status_code == 200
        # On the one port: the REST API, its docs and the admin beside the pages.
        assert httpx.get(f"http://127.0.0.1:{port}/api/kinds", timeout=5).json()[0]["name"]
        assert httpx.get(f"http://127.0.0.1:{port}/api/docs", timeout=5).status_code == 200
        assert "The admin is off" in httpx.get(f"http://127.0.0.1:{port}/admin/login", timeout=5).text
        assert (tmp_path / "data" / "jobapp.db").exists()
        assert "ERROR" not in output, output[-3000:]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
