import os

import reflex as rx

config = rx.Config(
    app_name="jobapp",
    telemetry_enabled=False,
    # A local tool: no badge linking out to the internet on every page.
    show_built_with_reflex=False,
    # Safe by default: this machine only. Another address (JOBAPP_HOST=0.0.0.0) requires the login
    # (jobapp/auth); `reflex run --backend-host` overrides this and the guard follows the real address.
    backend_host=os.environ.get("JOBAPP_HOST", "127.0.0.1"),
    # The app manages its own database (jobapp/db.py, alembic/), so Reflex's db_url stays unset.
    plugins=[
        rx.plugins.SitemapPlugin(),
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium")),
    ],
)
