"""The Reflex app: pages register themselves on import; the REST API sits in front, the admin at /admin;
the login guard wraps the whole backend; the task engine runs for the app's lifespan."""

import reflex as rx
from reflex.config import get_config
from starlette.types import ASGIApp

from jobapp.admin import MODELS, VIEWS, build_admin
from jobapp.api import api, api_lifespan
from jobapp.auth import guard, load_auth_config
from jobapp.lifespan import engine_lifespan
from jobapp.pages import activity, discover, interview, job, pipeline, settings, task  # noqa: F401 - registers the routes
from jobapp.shutdown import install_stop_handling


def protect(backend: ASGIApp) -> ASGIApp:
    """Guard pages, websocket, uploads, API and admin alike; decided from the address the server really binds
    (`--backend-host`, else JOBAPP_HOST). Raises, so the worker does not start, when a login is needed
    but not configured."""
    return guard(backend, load_auth_config(get_config().backend_host))


# Applied in order: the API mounts Reflex inside it, then the guard wraps both.
app = rx.App(
    api_transformer=[api, protect],
    # The app's icon (assets/): the .ico for every browser, the SVG where it is understood.
    head_components=[
        rx.el.link(rel="icon", href="/favicon.ico", sizes="any"),
        rx.el.link(rel="icon", href="/logo.svg", type="image/svg+xml"),
    ],
    # The few classes the plain list elements need (jobapp/components/plain.py).
    stylesheets=["/jobapp.css"],
    admin_dash=rx.AdminDash(models=MODELS, view_overrides=VIEWS, admin=build_admin()),
)
app.register_lifespan_task(engine_lifespan)
app.register_lifespan_task(api_lifespan)
# Imported by the server's supervisor process before it forks the workers (see jobapp/shutdown.py).
install_stop_handling()
