import reflex as rx

config = rx.Config(
    app_name="jobapp",
    telemetry_enabled=False,
    # The app manages its own database (jobapp/db.py, alembic/), so Reflex's db_url stays unset.
    plugins=[
        rx.plugins.SitemapPlugin(),
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium")),
    ],
)
