"""The board: what every tab shows about background work and the pipeline, shared by all tabs."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobapp.runtime import get_manager
from jobapp.tasks import ViewRefresh

# The shared token every tab links its Board to (no underscores: Reflex reserves them).
BOARD_TOKEN = "board"


class Board(rx.SharedState):
    """Written only by the live publisher (jobapp.live); tabs link to it and render it."""

    # Queued and running tasks, running first (task summaries plus "job_title"); the first 50.
    active: list[dict[str, Any]] = []
    # How many tasks are queued or running in all.
    active_total: int = 0
    # The most recently finished tasks, newest first.
    recent: list[dict[str, Any]] = []
    # Pipeline rows, newest job first.
    jobs: list[dict[str, Any]] = []
    # Job id (as text) → what is being built for it, e.g. "evaluate 40% · cover letter queued".
    job_activity: dict[str, str] = {}
    # The navigation indicator: "Building 3 items: evaluating #14 (+2 more)"; empty when idle.
    indicator: str = ""
    # False until the publisher has filled the board (again, after Reflex expired an idle state).
    filled: bool = False

    @rx.event
    async def watch(self):
        """Link this tab to the board so every change is pushed to it."""
        board = await self._link_to(BOARD_TOKEN)
        if not board.filled:
            get_manager().bus.publish(ViewRefresh())
