"""The page frame: navigation with the live background-work indicator, then the page."""

from __future__ import annotations

import reflex as rx

from jobapp.components.account import account_menu

NAV = (
    ("Pipeline", "/"),
    ("Discover", "/discover"),
    ("Interview", "/interview"),
    ("Activity", "/activity"),
    ("Settings", "/settings"),
)


def indicator_pill(text: rx.Var[str]) -> rx.Component:
    """'Building 3 items: evaluating #14 (+2 more)' with a spinner; hidden when idle."""
    return rx.cond(
        text != "",
        rx.link(
            rx.hstack(rx.spinner(size="1"), rx.text(text, size="2", id="indicator"), align="center"),
            href="/activity",
            underline="none",
        ),
        rx.text("Idle", size="2", color_scheme="gray", id="indicator-idle"),
    )


def navbar(indicator: rx.Var[str]) -> rx.Component:
    return rx.hstack(
        rx.link(
            rx.hstack(rx.image(src="/logo.svg", alt="", width="28px", height="28px"), rx.heading("jobapp", size="5")),
            href="/",
            underline="none",
            color="inherit",
            id="logo",
        ),
        rx.hstack(*(rx.link(label, href=href) for label, href in NAV), spacing="4"),
        rx.spacer(),
        indicator_pill(indicator),
        account_menu(),
        align="center",
        padding_y="1em",
        border_bottom="1px solid var(--gray-a5)",
        width="100%",
        spacing="6",
    )


def footer(worker: rx.Var[str]) -> rx.Component:
    """Which backend worker serves this tab (several may run behind one address)."""
    return rx.text("Served by worker ", rx.code(worker, id="worker-id"), size="1", color_scheme="gray")


def frame(indicator: rx.Var[str], body: rx.Component, worker: rx.Var[str]) -> rx.Component:
    return rx.container(navbar(indicator), body, footer(worker), size="4")
