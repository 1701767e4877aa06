"""The Reflex app: pages register themselves on import; the REST routes sit in front; the task engine
runs for the app's lifespan."""

import reflex as rx

from jobapp.api import api
from jobapp.pages import activity, job, pipeline, settings  # noqa: F401 - registers the routes
from jobapp.runtime import engine_lifespan
from jobapp.shutdown import install_stop_handling

app = rx.App(api_transformer=api)
app.register_lifespan_task(engine_lifespan)
# Imported by the server's supervisor process before it forks the workers (see jobapp/shutdown.py).
install_stop_handling()
