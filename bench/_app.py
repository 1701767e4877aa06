"""The real app for browser benchmarks: exported frontend, static server, backend subprocess, Chromium.

The pieces come from the end-to-end harness (tests/e2e/harness.py): free ports, the Reflex environment,
the static host with the README's fallback rule, the restartable `Backend` process and Chromium's launch
arguments. The only difference is how the backend starts: through `bench._backend`, which registers
bench-only task kinds.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench._common import log
from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Backend,
    StaticHost,
    export_frontend,
    free_port,
)


def export_site(backend_port: int, dest: Path) -> Path:
    """The harness's frontend export (backend URL baked in), timed for the log."""
    started = time.perf_counter()
    export_frontend(backend_port, dest)
    log.info("frontend exported in %.1f s", time.perf_counter() - started)
    return dest


@contextlib.contextmanager
def http_server(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on a free loopback port; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def static_site(directory: Path):
    """Serve an exported build the way the e2e harness does (the README's fallback rule for /jobs/<id>)."""
    return http_server(functools.partial(StaticHost, directory=str(directory)))


class BenchBackend(Backend):
    """The e2e harness's backend process, launched through `bench._backend` (bench task kinds registered)."""

    launcher = "bench._backend"


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str, every: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")


# -- CPU accounting --------------------------------------------------------------------------------


def _process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return tree


def _cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class CpuMeter:
    """CPU used between `start()` and `stop()` by the backend's process tree, by the rest of ours (this
    script, Playwright's driver and Chromium) and by the whole machine (other people's work included)."""

    def __init__(self, backend_pid: int) -> None:
        self.backend_pid = backend_pid

    def start(self) -> None:
        self._backend = _process_tree(self.backend_pid)
        self._ours = [p for p in _process_tree(os.getpid()) if p not in self._backend]
        self._cpu = (_cpu_seconds(self._backend), _cpu_seconds(self._ours))
        self._machine = _machine_ticks()
        self._t0 = time.monotonic()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self._t0
        busy0, total0 = self._machine
        busy1, total1 = _machine_ticks()
        return {
            "backend_cpu_cores": round((_cpu_seconds(self._backend) - self._cpu[0]) / wall, 2),
            "browser_and_driver_cpu_cores": round((_cpu_seconds(self._ours) - self._cpu[1]) / wall, 2),
            "machine_busy_pct": round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
        }


@contextlib.contextmanager
def chrome_profile(page: Any, out: Path) -> Iterator[dict[str, Any]]:
    """Sample the page's JavaScript with Chrome's CPU profiler while the block runs.

    Writes `out` (a .cpuprofile that Chrome DevTools opens) and fills the yielded dict with a summary.
    """
    from bench._profile import summarize_cpuprofile

    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 500})
    cdp.send("Profiler.start")
    summary: dict[str, Any] = {}
    try:
        yield summary
    finally:
        profile = cdp.send("Profiler.stop")["profile"]
        out.write_text(json.dumps(profile))
        summary.update(summarize_cpuprofile(profile) | {"cpuprofile": str(out)})
        cdp.detach()


@contextlib.contextmanager
def py_spy(pid: int, out: Path, *, rate: int = 100) -> Iterator[None]:
    """Sample a process tree with py-spy (folded stacks) while the block runs."""
    proc = subprocess.Popen(
        [
            *(str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses", "-r", str(rate)),
            *("-f", "raw", "-o", str(out), "--pid", str(pid)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        proc.send_signal(2)  # SIGINT: py-spy writes its file and exits
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
