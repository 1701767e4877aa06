"""Database engines, sessions and migrations.

SQLite is the embedded default; the same code runs on PostgreSQL when `REFLEX_DB_URL` points there.
Reflex sets no SQLite pragmas, so they are set here on every new connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from jobapp.settings import PROJECT_ROOT, load_settings


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # conn: a SQLAlchemy Connection
        # Writers that read first (the task verbs) ask for BEGIN IMMEDIATE through `writer()`: it
        # takes the write lock up front, so they wait on busy_timeout instead of failing when their
        # read snapshot goes stale. Plain reads stay deferred and never block on a writer.
        # Straight to the driver: a BEGIN needs none of SQLAlchemy's statement handling.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.connection.dbapi_connection.execute(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """A new engine for `url` with the pragmas and pool settings this app relies on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def writer(engine: Engine) -> Engine:
    """The same engine (and pool) whose SQLite transactions take the write lock at BEGIN."""
    return engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine


@cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine(load_settings().db_url)


@contextmanager
def session() -> Iterator[Session]:
    """A session on the app database for the app's own reads and writes; commits are explicit.

    It takes SQLite's write lock at BEGIN (see `writer`): the app's writes read first (is this
    job still there? which version is next?), and a deferred transaction doing that fails with
    "database is locked" when the runner commits in between.
    """
    with Session(writer(get_engine()), expire_on_commit=False) as s:
        yield s


@contextmanager
def reader() -> Iterator[Session]:
    """A session for reads only: deferred on SQLite, so it never waits for (or holds) the write lock."""
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s


def migrate(url: str | None = None) -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from alembic.config import Config

    from alembic import command

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["db_url"] = url or load_settings().db_url
    command.upgrade(config, "head")


if __name__ == "__main__":
    migrate()
    print(f"database at {load_settings().db_url} is up to date")
