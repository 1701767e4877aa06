"""Radix Themes' look without its React components, for what a page renders by the hundred: pipeline rows,
board cards, task rows.

A Radix Themes component (Text, Badge, Flex, Card, Link, Checkbox) is a React component over its element: it
reads every layout, margin and color prop to build its class names, and a style prop goes through emotion
at each render. A board card made of them rendered about fifteen such components; 140 cards took most of
the time between the page's data arriving and the cards shown (bench/scale.py, see bench/README.md).
These helpers write the same elements with Radix Themes' own class names and `data-accent-color`, so they
look the same and cost one element each. The class names are those of Radix Themes 3, which Reflex 0.10
pins; tests/e2e/test_browser_board.py checks that they still style the elements.

Sizes and widths the Radix components would set through props are classes in assets/jobapp.css.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink

Color = str | rx.Var[str] | None


def _classes(*names: str | None) -> str:
    return " ".join(name for name in names if name)


def _accent(color: Color) -> dict[str, Any]:
    return {"custom_attrs": {"data-accent-color": color}} if color is not None else {}


def flex(
    *children: Any,
    direction: str = "row",
    align: str = "center",
    gap: str = "3",
    wrap: bool = False,
    class_name: str = "",
    **props: Any,
) -> rx.Component:
    """`rx.hstack` / `rx.vstack`: a flex box with Radix's spacing scale."""
    names = _classes(
        "rt-Flex", f"rt-r-fd-{direction}", f"rt-r-ai-{align}", f"rt-r-gap-{gap}", wrap and "rt-r-fw-wrap", class_name
    )
    return rx.el.div(*children, class_name=names, **props)


def text(
    *children: Any,
    size: str = "2",
    color: Color = None,
    weight: str | None = None,
    class_name: str = "",
    **props: Any,
) -> rx.Component:
    """`rx.text`, as a span (it sits in rows and cells, not between paragraphs)."""
    names = _classes("rt-Text", f"rt-r-size-{size}", weight and f"rt-r-weight-{weight}", class_name)
    return rx.el.span(*children, class_name=names, **_accent(color), **props)


def badge(*children: Any, color: Color, variant: str = "soft", class_name: str = "", **props: Any) -> rx.Component:
    """`rx.badge` of size 1."""
    names = _classes("rt-reset rt-Badge rt-r-size-1", f"rt-variant-{variant}", class_name)
    return rx.el.span(*children, class_name=names, **_accent(color), **props)


def link(
    *children: Any,
    to: str | rx.Var[str],
    size: str = "2",
    weight: str | None = None,
    color: Color = None,
    class_name: str = "",
    **props: Any,
) -> rx.Component:
    """`rx.link` to a page of the app: React Router's link (no page load), styled as Radix's."""
    names = _classes(
        "rt-Text rt-reset rt-Link rt-underline-auto",
        f"rt-r-size-{size}",
        weight and f"rt-r-weight-{weight}",
        class_name,
    )
    # Radix colors text only where `data-accent-color` is set; "" is the app's accent, as Radix's Link writes.
    accent = _accent("" if color is None else color)
    return ReactRouterLink.create(*children, to=to, class_name=names, **accent, **props)


def card(*children: Any, class_name: str = "", **props: Any) -> rx.Component:
    """`rx.card` of size 1."""
    names = _classes("rt-reset rt-BaseCard rt-Card rt-r-size-1 rt-variant-surface", class_name)
    return rx.el.div(*children, class_name=names, **props)


def button(
    *children: Any, color: Color = None, variant: str = "soft", class_name: str = "", **props: Any
) -> rx.Component:
    """`rx.button` of size 1."""
    names = _classes("rt-reset rt-BaseButton rt-r-size-1", f"rt-variant-{variant}", "rt-Button", class_name)
    return rx.el.button(*children, type="button", class_name=names, **_accent(color), **props)


def checkbox(checked: rx.Var[bool], on_change: Any, class_name: str = "", **props: Any) -> rx.Component:
    """The browser's own checkbox in the theme's accent color (Radix's is a button with a state machine)."""
    return rx.el.input(
        type="checkbox",
        checked=checked,
        on_change=on_change,
        class_name=_classes("plain-checkbox", class_name),
        **props,
    )


def select(
    *options: rx.Component, value: Any, on_change: Any, label: str, size: str = "1", class_name: str = "", **props: Any
) -> rx.Component:
    """`rx.select`, as the browser's own select of `rx.el.option`s: Radix's Select renders every item even
    while it is closed (to fill a hidden native select), which made the filters the costliest part of a
    page's first render. Sizes 1 and 2 match Radix's triggers (assets/jobapp.css)."""
    return rx.el.select(
        *options,
        value=value,
        on_change=on_change,
        aria_label=label,
        class_name=_classes("plain-select", f"plain-select-{size}", class_name),
        **props,
    )


def menu(
    menu_id: str | rx.Var[str], *actions: tuple[str, Any], label: str, class_name: str = "", item_class: str = ""
) -> rx.Component:
    """`rx.menu` of a "…" button and one item per (text, event), as the browser's own popover.

    Radix's DropdownMenu is a tree of React components per menu even while closed; a board of 140 cards
    each with its menu spent ~130 ms rendering them (bench/README.md). This is a button and a hidden
    `popover` element: the browser opens it in the top layer (above the board's scrolling columns), closes
    it on Escape or a click elsewhere, and places it under its button (CSS anchor positioning, in
    assets/jobapp.css). Choosing an item runs its event and closes the menu. `menu_id` must be unique on
    the page (the popover's id).
    """
    return rx.fragment(
        rx.el.button(
            rx.icon("ellipsis", size=14),
            type="button",
            aria_label=label,
            class_name=_classes("rt-reset rt-BaseButton rt-r-size-1 rt-variant-ghost rt-IconButton", class_name),
            custom_attrs={"popoverTarget": menu_id},
        ),
        rx.el.div(
            *(
                rx.el.button(
                    text,
                    type="button",
                    on_click=event,
                    class_name=_classes("rt-reset rt-BaseMenuItem rt-DropdownMenuItem", item_class),
                    custom_attrs={"popoverTarget": menu_id, "popoverTargetAction": "hide"},
                )
                for text, event in actions
            ),
            id=menu_id,
            class_name="rt-BaseMenuContent rt-r-size-2 rt-variant-solid plain-menu",
            custom_attrs={"popover": "auto"},
        ),
    )
