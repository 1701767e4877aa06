"""The Reflex app: pages register themselves on import; the task engine runs for the app's lifespan."""

import reflex as rx

from jobapp.pages import activity, job, pipeline, settings  # noqa: F401 - registers the routes
from jobapp.runtime import engine_lifespan

app = rx.App()
app.register_lifespan_task(engine_lifespan)
