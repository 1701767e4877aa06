"""Shared fixtures: a migrated database per test, on SQLite and (when reachable) PostgreSQL.

PostgreSQL and Redis tests run whenever the servers answer. Under CI=true an unreachable server is a
failure, not a skip; elsewhere the tests skip and say why.
"""

from __future__ import annotations

import os
import random
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from sqlalchemy import Engine, create_engine, text

from jobapp.db import make_engine, migrate

PG_ADMIN_URL = os.environ.get("JOBAPP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, under CI, fail) when a service the test needs is not listening."""
    if _reachable(host, port):
        return
    reason = f"{name} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: sync Playwright keeps an event loop running in the main thread for the
    rest of the session, and async tests cannot start theirs after it."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


def _pg_schema_url(schema: str) -> str:
    return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"


@contextmanager
def _scratch_pg_schema() -> Iterator[str]:
    """A migrated PostgreSQL schema of the test's own, dropped afterwards; yields its URL."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_schema_url(schema)
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A freshly migrated database URL; PostgreSQL tests get a schema of their own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobapp.db'}"
        migrate(url)
        yield url
        return
    with _scratch_pg_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A freshly migrated SQLite database, for tests of SQLite's own behaviour (its query plans)."""
    url = f"sqlite:///{tmp_path / 'jobapp.db'}"
    migrate(url)
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A freshly migrated PostgreSQL schema of the test's own (for tests that need PostgreSQL itself)."""
    with _scratch_pg_schema() as url:
        yield url


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of the test's own: one found empty (other sessions may use some) and claimed
    with a key; every key in it is deleted afterwards."""
    require_service("Redis", "127.0.0.1", 6379)
    claim = f"jobapp-test-claim-{uuid.uuid4().hex}"
    for db in random.sample(range(1, 16), 15):
        client = redis.Redis(host="127.0.0.1", port=6379, db=db)
        if client.dbsize() == 0:
            client.set(claim, "1")
            if client.dbsize() == 1:  # nobody else claimed it at the same moment
                break
            client.delete(claim)
        client.close()
    else:
        pytest.fail("no empty Redis database (1-15) to run this test in")
    try:
        yield f"redis://127.0.0.1:6379/{db}"
    finally:
        if keys := list(client.scan_iter(count=500)):
            client.delete(*keys)
        client.close()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()
