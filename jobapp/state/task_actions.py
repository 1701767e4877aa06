"""Cancel and retry, shared by the job page and the activity view."""

from __future__ import annotations

import asyncio

import reflex as rx

from jobapp.runtime import get_manager
from jobapp.tasks import AlreadyEnqueued


class TaskActions(rx.State):
    # The last message about a cancel or retry this tab asked for.
    notice: str = ""

    @rx.event
    async def cancel(self, task_id: int):
        outcome = await asyncio.to_thread(get_manager().cancel, int(task_id))
        self.notice = {
            "cancelled": f"Task #{task_id} cancelled.",
            "running": f"Stopping task #{task_id}…",
        }.get(outcome or "", f"Task #{task_id} had already finished.")

    @rx.event
    async def retry(self, task_id: int):
        try:
            retried = await asyncio.to_thread(get_manager().retry, int(task_id))
        except AlreadyEnqueued as busy:
            self.notice = f"Already queued as task #{busy.task_id}."
            return
        self.notice = f"Task #{task_id} queued again." if retried else f"Task #{task_id} cannot be retried."
