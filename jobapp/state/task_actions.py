"""Cancel and retry, shared by the job page and the activity view (background events: the engine call
runs off the event loop, and the lock is taken only to show the answer)."""

from __future__ import annotations

import asyncio

import reflex as rx

from jobapp.runtime import get_manager
from jobapp.tasks import AlreadyEnqueued, JobGone


class TaskActions(rx.State):
    # The last message about a cancel or retry this tab asked for.
    notice: str = ""

    @rx.event(background=True)
    async def cancel(self, task_id: int):
        outcome = await asyncio.to_thread(get_manager().cancel, int(task_id))
        notice = {
            "cancelled": f"Task #{task_id} cancelled.",
            "running": f"Stopping task #{task_id}…",
        }.get(outcome or "", f"Task #{task_id} had already finished.")
        async with self:
            self.notice = notice

    @rx.event(background=True)
    async def retry(self, task_id: int):
        try:
            retried = await asyncio.to_thread(get_manager().retry, int(task_id))
        except AlreadyEnqueued as busy:
            notice = f"Already queued as task #{busy.task_id}."
        except JobGone:
            notice = f"Task #{task_id} belonged to a deleted job; it cannot run again."
        else:
            notice = f"Task #{task_id} queued again." if retried else f"Task #{task_id} cannot be retried."
        async with self:
            self.notice = notice
