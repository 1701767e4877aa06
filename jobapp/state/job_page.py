"""The job page's own state: which letter to write, and the page's buttons."""

from __future__ import annotations

import asyncio

import reflex as rx

from jobapp import jobs
from jobapp.runtime import get_manager
from jobapp.state.job_channel import job_id_from_path
from jobapp.tasks import JobGone
from jobapp.work import request_cover_letter, request_evaluation


class JobPageState(rx.State):
    # Cover-letter settings; they are part of the task's dedupe fingerprint.
    tone: str = "warm"
    length: str = "medium"
    # The answer to this tab's last click ("Queued", "Already queued").
    notice: str = ""

    def _job_id(self) -> int:
        return job_id_from_path(self.router.url.path)

    @rx.event
    def set_tone(self, value: str):
        self.tone = value

    @rx.event
    def set_length(self, value: str):
        self.length = value

    def _say(self, what: str, enqueued) -> None:
        verb = "Queued" if enqueued.created else "Already queued"
        self.notice = f"{verb}: {what} (task #{enqueued.task_id})."

    @rx.event
    async def evaluate(self):
        try:
            enqueued = await asyncio.to_thread(request_evaluation, get_manager(), self._job_id())
        except JobGone:
            self.notice = "This job was deleted."
            return
        self._say("evaluation", enqueued)

    @rx.event
    async def write_cover_letter(self):
        try:
            enqueued = await asyncio.to_thread(
                request_cover_letter, get_manager(), self._job_id(), tone=self.tone, length=self.length
            )
        except JobGone:
            self.notice = "This job was deleted."
            return
        self._say(f"{self.tone} {self.length} cover letter", enqueued)

    @rx.event
    async def set_status(self, status: str):
        await asyncio.to_thread(jobs.set_status, get_manager(), self._job_id(), status)

    @rx.event
    async def delete(self):
        await asyncio.to_thread(jobs.delete_job, get_manager(), self._job_id())
        return [rx.toast.info("Job deleted; its background work was cancelled."), rx.redirect("/")]
