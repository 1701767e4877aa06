"""The pipeline page's own state: the add-a-job forms (background events: the database work runs off the
event loop, and the lock is taken only to clear the form or show what is wrong)."""

from __future__ import annotations

import asyncio

import reflex as rx

from jobapp import jobs
from jobapp.runtime import get_manager
from jobapp.work import request_evaluation


class PipelineState(rx.State):
    # The add-a-job form.
    title: str = ""
    company: str = ""
    location: str = ""
    url: str = ""
    description: str = ""
    # What went wrong with the last submission, shown under the form.
    form_error: str = ""
    # A posting's URL, for the add-by-URL form.
    posting_url: str = ""

    @rx.event
    def set_title(self, value: str):
        self.title = value

    @rx.event
    def set_company(self, value: str):
        self.company = value

    @rx.event
    def set_location(self, value: str):
        self.location = value

    @rx.event
    def set_url(self, value: str):
        self.url = value

    @rx.event
    def set_description(self, value: str):
        self.description = value

    @rx.event
    def set_posting_url(self, value: str):
        self.posting_url = value

    @rx.event(background=True)
    async def add_from_url(self):
        """A placeholder job appears at once; the page is fetched and read in the background."""
        try:
            job_id, created = await asyncio.to_thread(jobs.add_job_from_url, get_manager(), self.posting_url)
        except jobs.JobInputError as error:
            async with self:
                self.form_error = str(error)
            return
        async with self:
            self.posting_url = self.form_error = ""
        if not created:
            return rx.toast.info(f"That posting is already in your pipeline (job #{job_id}).")
        return rx.toast.success(f"Job #{job_id} added; reading the posting.")

    @rx.event(background=True)
    async def add_job(self):
        """Save the pasted posting and queue its evaluation; returns before any work runs."""
        manager = get_manager()
        form = {
            "title": self.title,
            "company": self.company,
            "location": self.location,
            "url": self.url,
            "description": self.description,
        }
        try:
            job_id = await asyncio.to_thread(jobs.add_job, manager, **form)
        except jobs.JobInputError as error:
            async with self:
                self.form_error = str(error)
            return
        await asyncio.to_thread(request_evaluation, manager, job_id)
        async with self:
            self.title = self.company = self.location = self.url = self.description = self.form_error = ""
        return rx.toast.success(f"Job #{job_id} added; evaluation queued.")
