import reflex as rx

config = rx.Config(
    app_name="jobapp",
    telemetry_enabled=False,
    # A local tool: no badge linking out to the internet on every page.
    show_built_with_reflex=False,
    # The app manages its own database (jobapp/db.py, alembic/), so Reflex's db_url stays unset.
    plugins=[
        rx.plugins.SitemapPlugin(),
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium")),
    ],
)
