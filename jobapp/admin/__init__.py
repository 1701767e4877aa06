"""The admin pages over the SQLModel tables (starlette-admin, mounted by Reflex's `rx.AdminDash` at /admin).

Behind a login (`jobapp.admin.auth`); what each table allows is in `jobapp.admin.views`.
"""

from __future__ import annotations

import secrets

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette_admin.contrib.sqla import Admin

from jobapp.admin.auth import AdminAuth, Credentials
from jobapp.admin.views import VIEWS
from jobapp.db import get_engine

MODELS = list(VIEWS)
SESSION_HOURS = 8


def build_admin() -> Admin:
    """The admin, its views still to be added (Reflex adds one per model in `MODELS`, from `VIEWS`)."""
    credentials = Credentials.from_env()
    # Without credentials nobody can sign in, so a throwaway key signs the (never valid) cookies.
    secret_key = credentials.secret_key if credentials else secrets.token_hex(32)
    return Admin(
        get_engine(),
        title="jobapp admin",
        base_url="/admin",
        auth_provider=AdminAuth(credentials),
        secret_key=secret_key,
        middlewares=[
            Middleware(
                SessionMiddleware,
                secret_key=secret_key,
                session_cookie="jobapp_admin",
                max_age=SESSION_HOURS * 3600,
                path="/admin",
                same_site="strict",
            )
        ],
    )


__all__ = ["MODELS", "VIEWS", "build_admin"]
