"""The interview view, for this tab: written by the tab's follow loop (`Board.follow`); its one button
queues company research (a background event: the enqueue runs off the event loop)."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from jobapp.runtime import get_manager
from jobapp.tasks import JobGone
from jobapp.work import request_research


class InterviewView(rx.State):
    # Jobs in Interview with their newest brief and its talking points (see jobapp.live.interview).
    jobs: list[dict[str, Any]] = []
    # True once the list was read.
    loaded: bool = False


class InterviewActions(rx.State):
    # The answer to this tab's last click.
    notice: str = ""

    @rx.event(background=True)
    async def research(self, job_id: int):
        try:
            enqueued = await asyncio.to_thread(request_research, get_manager(), int(job_id))
        except JobGone:
            notice = "This job was deleted."
        else:
            verb = "Queued" if enqueued.created else "Already queued"
            notice = f"{verb}: company research for job #{job_id} (task #{enqueued.task_id})."
        async with self:
            self.notice = notice
