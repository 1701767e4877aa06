"""The REST API with the task engine in one ASGI app: the backend without Reflex, served by granian (Reflex's own
server) in the event-stream tests. Configured by the environment like the app (REFLEX_DB_URL, JOBAPP_*)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Mount

from jobapp.api import api, api_lifespan
from jobapp.lifespan import engine_lifespan


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with engine_lifespan(app), api_lifespan(app):
        yield


app = Starlette(lifespan=lifespan, routes=[Mount("", api)])
