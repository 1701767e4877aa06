"""Alembic environment: runs migrations on the app's own engine (same pragmas as the app)."""

from sqlmodel import SQLModel

import jobapp.models  # noqa: F401 - registers the tables on SQLModel.metadata
from alembic import context
from jobapp.db import make_engine
from jobapp.settings import load_settings

config = context.config
url = config.attributes.get("db_url") or load_settings().db_url
engine = make_engine(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
