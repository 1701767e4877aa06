"""The page decorator every route uses: its route and title, the live follow loop first among its
`on_load` events, and the frame with the navigation's live indicator."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from jobapp.components.layout import frame
from jobapp.state.board import Board


def page(route: str, title: str, on_load: Sequence[Any] = ()) -> Callable[[Callable[[], rx.Component]], Any]:
    def decorate(body: Callable[[], rx.Component]) -> Any:
        # Wrapped so the page keeps its own module: Reflex writes a page's compiled components to a file
        # named after the page function's module, and a route loads only its own file. Without it every
        # page's components (the charts, the Markdown renderer) went to this module's file, which every
        # route loaded.
        @functools.wraps(body)
        def framed() -> rx.Component:
            return frame(Board.indicator, body(), Board.worker)

        return rx.page(route=route, title=f"{title} · jobapp", on_load=[Board.follow, *on_load])(framed)

    return decorate
