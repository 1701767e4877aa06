"""The job page's own state: the options of the next draft, and the page's buttons.

The buttons are background events: they queue work (or change the job) off the event loop and take the
state's lock only to show the answer, never across the database call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reflex as rx

from jobapp import jobs
from jobapp.intake import validate_url
from jobapp.runtime import get_manager
from jobapp.state.job_view import job_id_from_path
from jobapp.tasks import Enqueued, JobGone
from jobapp.work import request_cover_letter, request_cv, request_evaluation, request_research


class JobPageState(rx.State):
    # Cover-letter settings; they are part of the task's dedupe fingerprint.
    tone: str = "warm"
    length: str = "medium"
    # CV settings, likewise.
    emphasis: str = "balanced"
    cv_length: str = "one page"
    # The company's website for research (optional; fetched only if Settings allow it).
    site_url: str = ""
    # The answer to this tab's last click ("Queued", "Already queued").
    notice: str = ""
    # The task that notice announced (0: none): the page hides the notice once that task has ended.
    notice_task: int = 0

    @rx.event
    def set_tone(self, value: str):
        self.tone = value

    @rx.event
    def set_length(self, value: str):
        self.length = value

    @rx.event
    def set_emphasis(self, value: str):
        self.emphasis = value

    @rx.event
    def set_cv_length(self, value: str):
        self.cv_length = value

    @rx.event
    def set_site_url(self, value: str):
        self.site_url = value

    async def _request(self, what: str, request: Callable[..., Enqueued], **options: Any) -> None:
        job_id = job_id_from_path(self.router.url.path)
        task_id = 0
        try:
            enqueued = await asyncio.to_thread(request, get_manager(), job_id, **options)
        except JobGone:
            notice = "This job was deleted."
        else:
            verb = "Queued" if enqueued.created else "Already queued"
            notice, task_id = f"{verb}: {what} (task #{enqueued.task_id}).", enqueued.task_id
        async with self:
            self.notice, self.notice_task = notice, task_id

    @rx.event(background=True)
    async def evaluate(self):
        await self._request("evaluation", request_evaluation)

    @rx.event(background=True)
    async def write_cover_letter(self):
        tone, length = self.tone, self.length
        await self._request(f"{tone} {length} cover letter", request_cover_letter, tone=tone, length=length)

    @rx.event(background=True)
    async def write_cv(self):
        emphasis, length = self.emphasis, self.cv_length
        await self._request(f"{emphasis} CV", request_cv, emphasis=emphasis, length=length)

    @rx.event(background=True)
    async def research(self):
        site = self.site_url.strip()
        if site:
            try:
                site = validate_url(site)
            except ValueError as error:
                async with self:
                    self.notice, self.notice_task = str(error), 0
                return
        await self._request("company research", request_research, site_url=site)

    @rx.event(background=True)
    async def set_status(self, status: str):
        await asyncio.to_thread(jobs.set_status, get_manager(), job_id_from_path(self.router.url.path), status)

    @rx.event(background=True)
    async def opened(self):
        """Opening a discovered job's page takes its "New" mark off."""
        await asyncio.to_thread(jobs.mark_opened, get_manager(), job_id_from_path(self.router.url.path))

    @rx.event(background=True)
    async def delete(self):
        await asyncio.to_thread(jobs.delete_job, get_manager(), job_id_from_path(self.router.url.path))
        return [rx.toast.info("Job deleted; its background work was cancelled."), rx.redirect("/")]
