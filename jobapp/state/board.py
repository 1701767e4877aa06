"""The board: this tab's live view of the background work and the pipeline.

Every page's `on_load` starts `Board.follow`, a background event that follows the live hub for as long as
the tab stays on that page and connected to this worker (see `jobapp.state.follow`). It is the only writer
of this state and of the page views (job, pipeline, discover; a pipeline search also shows its own answer,
see `PipelineActions._go`), and takes the state's lock only to assign what changed.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobapp.state.follow import follow_tab


class Board(rx.State):
    # Queued and running tasks, running first (task rows with "job_title"); the first 50.
    active: list[dict[str, Any]] = []
    # How many tasks are queued or running in all.
    active_total: int = 0
    # The most recently finished tasks, newest first.
    recent: list[dict[str, Any]] = []
    # The activity page's running tasks, task id (as text) → [percent, label]: their live progress, apart
    # from the rows, so a progress update sends this small map and not the lists.
    ticks: dict[str, list[Any]] = {}
    # Job id (as text) → what is being built for it, e.g. "evaluation 40% · cover letter queued".
    job_activity: dict[str, str] = {}
    # The navigation indicator: "Building 3 items: evaluating #14 (+2 more)"; empty when idle.
    indicator: str = ""
    # The backend worker holding this tab's socket (shown small in the footer: with several workers,
    # what an operator or a test needs to tell them apart).
    worker: str = ""

    @rx.event(background=True, supersedes=True)
    async def follow(self):
        """Keep this tab's view live until it leaves the page or disconnects (a newer call supersedes)."""
        await follow_tab(self, Board)
