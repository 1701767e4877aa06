"""Shared fixtures: a migrated database per test, on SQLite and (when reachable) PostgreSQL.

PostgreSQL and Redis tests run whenever the servers answer. Under CI=true an unreachable server is a
failure, not a skip; elsewhere the tests skip and say why.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest
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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A freshly migrated database URL; PostgreSQL tests get a schema of their own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobapp.db'}"
        migrate(url)
        yield url
        return
    yield from _postgres_schema()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A freshly migrated SQLite database, for tests of SQLite's own behaviour (its query plans)."""
    url = f"sqlite:///{tmp_path / 'jobapp.db'}"
    migrate(url)
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A freshly migrated PostgreSQL schema, for tests only PostgreSQL can run (several writer processes)."""
    yield from _postgres_schema()


def _postgres_schema() -> Iterator[str]:
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


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()
