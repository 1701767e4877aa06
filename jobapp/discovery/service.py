"""What the Discover page asks for: follow, change and unfollow boards, save the defaults and schedule.

Each change is committed, then announced on the bus (`BoardsChanged`) so every open Discover tab, on every
worker, reads the boards again.
"""

from __future__ import annotations

from jobapp.db import reader, session
from jobapp.discovery import store
from jobapp.live.events import BoardsChanged
from jobapp.models import Board
from jobapp.tasks import TaskManager


def follow(manager: TaskManager, text: str, *, terms: str = "", locations: str = "") -> str:
    """Follow a board; its company name. Raises `BoardInputError` (a ValueError) with what to fix."""
    with session() as s:
        board = store.add_board(s, text, terms=terms, locations=locations)
    manager.bus.publish(BoardsChanged())
    return board.company


def change(manager: TaskManager, board_id: int, *, company: str, terms: str, locations: str) -> bool:
    with session() as s:
        changed = store.update_board(s, board_id, company=company, terms=terms, locations=locations) is not None
    manager.bus.publish(BoardsChanged())
    return changed


def unfollow(manager: TaskManager, board_id: int) -> bool:
    with session() as s:
        removed = store.remove_board(s, board_id)
    manager.bus.publish(BoardsChanged())
    return removed


def board(board_id: int) -> dict[str, str] | None:
    """A board's editable fields, for the edit form."""
    with reader() as s:
        row = s.get(Board, board_id)
        if row is None:
            return None
        return {"company": row.company, "source": row.source, "terms": row.terms, "locations": row.locations}


def defaults() -> store.Preferences:
    with reader() as s:
        return store.preferences(s)


def save_defaults(manager: TaskManager, prefs: store.Preferences) -> None:
    with session() as s:
        store.save_preferences(s, prefs)
    manager.bus.publish(BoardsChanged())
