"""Fixtures for the browser tests (the harness itself is in harness.py, shared with bench/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import CHROMIUM, CHROMIUM_ARGS, Backend, export_frontend, free_port, serve_static


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str | int]]:
    """The frontend exported by scripts/export-frontend, pointing at a backend port chosen here, and served
    on a free port by a plain static server with the README's fallback rule."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    backend_port = free_port()
    build = tmp_path_factory.mktemp("site")
    export_frontend(backend_port, build)
    server = serve_static(build)
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "backend_port": backend_port, "dir": str(build)}
    server.shutdown()


@pytest.fixture
def backend_env() -> dict[str, str]:
    """Settings for the backend under test; tests may override by parametrizing this fixture."""
    return {"JOBAPP_OFFLINE_PACE": "0.04", "JOBAPP_LEASE_SECONDS": "3", "JOBAPP_POLL_SECONDS": "0.5"}


@pytest.fixture
def backend(site, tmp_path: Path, backend_env: dict[str, str]) -> Iterator[Backend]:
    from jobapp.db import migrate

    data_dir = tmp_path / "data"
    server = Backend(int(site["backend_port"]), data_dir, tmp_path, backend_env)
    migrate(server.db_url)
    try:
        yield server
    finally:
        server.stop()
    errors = server.error_lines()
    assert not errors, "the backend logged errors:\n" + "\n".join(errors[:20])


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()
