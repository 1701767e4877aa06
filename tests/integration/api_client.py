"""Shared set-up of the REST API and admin tests: the app's process-wide objects pointed at a test database,
and HTTP clients that talk to the ASGI app as a given client address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from jobapp.db import get_engine
from jobapp.rest.events import get_streams
from jobapp.runtime import get_hub, get_manager

LOOPBACK = ("127.0.0.1", 50000)
ELSEWHERE = ("203.0.113.7", 50000)  # TEST-NET-3: never this machine
CACHED = (get_engine, get_manager, get_hub, get_streams)


@contextmanager
def app_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the app's engine, task manager and event folds at `db_url` for one test."""
    monkeypatch.setenv("REFLEX_DB_URL", db_url)
    monkeypatch.delenv("JOBAPP_API_TOKEN", raising=False)
    for cached in CACHED:
        cached.cache_clear()
    try:
        yield
    finally:
        get_engine().dispose()
        for cached in CACHED:
            cached.cache_clear()


def client(app, address: tuple[str, int] = LOOPBACK, **kwargs) -> httpx.AsyncClient:
    """An HTTP client of `app` whose requests come from `address`."""
    transport = httpx.ASGITransport(app=app, client=address)
    return httpx.AsyncClient(transport=transport, base_url="http://jobapp.test", **kwargs)
