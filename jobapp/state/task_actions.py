"""Cancel and retry, shared by the job page and the activity view (background events: the engine call
runs off the event loop, and the lock is taken only to show the answer)."""

from __future__ import annotations

import asyncio

import reflex as rx

from jobapp.live.activity import ActivityQuery
from jobapp.runtime import get_manager
from jobapp.tasks import AlreadyEnqueued, JobGone


class TaskActions(rx.State):
    # The last message about a cancel or retry this tab asked for.
    notice: str = ""
    # The task that notice is about while it runs (0: none): pages hide the notice once that task ends.
    notice_task: int = 0

    @rx.event(background=True)
    async def cancel(self, task_id: int):
        outcome = await asyncio.to_thread(get_manager().cancel, int(task_id))
        notice = {
            "cancelled": f"Task #{task_id} cancelled.",
            "running": f"Stopping task #{task_id}…",
        }.get(outcome or "", f"Task #{task_id} had already finished.")
        async with self:
            self.notice, self.notice_task = notice, 0

    @rx.event(background=True)
    async def retry(self, task_id: int):
        retried = None
        try:
            retried = await asyncio.to_thread(get_manager().retry, int(task_id))
        except AlreadyEnqueued as busy:
            notice = f"Already queued as task #{busy.task_id}."
        except JobGone:
            notice = f"Task #{task_id} belonged to a deleted job; it cannot run again."
        else:
            notice = f"Task #{task_id} queued again." if retried else f"Task #{task_id} cannot be retried."
        async with self:
            self.notice, self.notice_task = notice, int(task_id) if retried is not None else 0

    @rx.event(background=True)
    async def retry_failed(self):
        """Retry every failed task matching the activity page's filter (read from the tab's URL)."""
        where = ActivityQuery.parse(self.router.url.query_parameters).task_filter()
        report = await asyncio.to_thread(get_manager().retry_failed, where)
        if not report.retried and not report.already_queued:
            notice = "No failed task matches this filter."
        else:
            n = len(report.retried)
            notice = f"Queued {n} failed task{'' if n == 1 else 's'} again."
            if skipped := len(report.already_queued):
                notice += f" {skipped} skipped: the same work is already queued."
        async with self:
            self.notice, self.notice_task = notice, 0
