"""The job page's own state: which letter to write, and the page's buttons."""

from __future__ import annotations

import asyncio

import reflex as rx

from jobapp import jobs
from jobapp.intake import validate_url
from jobapp.runtime import get_manager
from jobapp.state.job_channel import job_id_from_path
from jobapp.tasks import JobGone
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

    def _job_id(self) -> int:
        return job_id_from_path(self.router.url.path)

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

    def _say(self, what: str, enqueued) -> None:
        verb = "Queued" if enqueued.created else "Already queued"
        self.notice = f"{verb}: {what} (task #{enqueued.task_id})."

    @rx.event
    async def evaluate(self):
        await self._request("evaluation", request_evaluation)

    async def _request(self, what: str, request, *args, **kwargs) -> None:
        try:
            enqueued = await asyncio.to_thread(request, get_manager(), self._job_id(), *args, **kwargs)
        except JobGone:
            self.notice = "This job was deleted."
            return
        self._say(what, enqueued)

    @rx.event
    async def write_cover_letter(self):
        await self._request(
            f"{self.tone} {self.length} cover letter", request_cover_letter, tone=self.tone, length=self.length
        )

    @rx.event
    async def write_cv(self):
        await self._request(f"{self.emphasis} CV", request_cv, emphasis=self.emphasis, length=self.cv_length)

    @rx.event
    async def research(self):
        site = self.site_url.strip()
        if site:
            try:
                site = validate_url(site)
            except ValueError as error:
                self.notice = str(error)
                return
        await self._request("company research", request_research, site_url=site)

    @rx.event
    async def set_status(self, status: str):
        await asyncio.to_thread(jobs.set_status, get_manager(), self._job_id(), status)

    @rx.event
    async def delete(self):
        await asyncio.to_thread(jobs.delete_job, get_manager(), self._job_id())
        return [rx.toast.info("Job deleted; its background work was cancelled."), rx.redirect("/")]
