"""The Reflex app: pages register themselves on import; the REST API sits in front, the admin at /admin; the
task engine runs for the app's lifespan."""

import reflex as rx

from jobapp.admin import MODELS, VIEWS, build_admin
from jobapp.api import api, api_lifespan
from jobapp.lifespan import engine_lifespan
from jobapp.pages import activity, job, pipeline, settings  # noqa: F401 - registers the routes

app = rx.App(
    api_transformer=api,
    admin_dash=rx.AdminDash(models=MODELS, view_overrides=VIEWS, admin=build_admin()),
)
app.register_lifespan_task(engine_lifespan)
app.register_lifespan_task(api_lifespan)
