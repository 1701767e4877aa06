"""The page decorator every route uses: its route and title, the live follow loop first among its
`on_load` events, and the frame with the navigation's live indicator."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from jobapp.components.layout import frame
from jobapp.state.board import Board


def page(route: str, title: str, on_load: Sequence[Any] = ()) -> Callable[[Callable[[], rx.Component]], Any]:
    def decorate(body: Callable[[], rx.Component]) -> Any:
        def framed() -> rx.Component:
            return frame(Board.indicator, body(), Board.worker)

        framed.__name__ = body.__name__
        return rx.page(route=route, title=f"{title} · jobapp", on_load=[Board.follow, *on_load])(framed)

    return decorate
