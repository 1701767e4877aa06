"""The Reflex app: pages register themselves on import; the REST routes sit in front; the task engine
runs for the app's lifespan."""

import reflex as rx

from jobapp.api import api
from jobapp.lifespan import engine_lifespan
from jobapp.pages import activity, discover, job, pipeline, settings  # noqa: F401 - registers the routes

app = rx.App(api_transformer=api)
app.register_lifespan_task(engine_lifespan)
