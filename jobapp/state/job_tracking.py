"""The job page's Tracking card: one event per form, each a background event that writes through `jobapp.jobs`
off the event loop. The saved values come back to every tab on the job through its follow loop (`JobView`),
not from here: this state holds only the tab's draft and the answers to its own clicks.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from jobapp import jobs
from jobapp.runtime import get_manager
from jobapp.state.job_view import job_id_from_path

# The fields of the details form (the notes have their own form, the star its own button).
DETAIL_FIELDS = (
    "salary_min",
    "salary_max",
    "salary_currency",
    "work_mode",
    "closes_on",
    "next_step",
    "next_step_on",
)
CONTACT_FIELDS = ("name", "role", "email", "link")


class JobTrackingState(rx.State):
    # The notes as being typed in this tab, for the preview; "" with `notes_editing` False: the saved notes show.
    notes_draft: str = ""
    # True while this tab has typed into the notes since the last save.
    notes_editing: bool = False
    # The answer to this tab's last save of each form: "" when it went through.
    notes_error: str = ""
    details_error: str = ""
    contact_error: str = ""
    # "Saved." and the like, after a save that went through.
    notice: str = ""

    def _job_id(self) -> int:
        return job_id_from_path(self.router.url.path)

    @rx.event
    def set_notes_draft(self, value: str):
        self.notes_draft = value
        self.notes_editing = True

    async def _write(self, write: Any, *args: Any, **kwargs: Any) -> str:
        """Run a `jobapp.jobs` write off the event loop; the message of a refused input, else ""."""
        try:
            found = await asyncio.to_thread(write, get_manager(), self._job_id(), *args, **kwargs)
        except jobs.JobInputError as error:
            return str(error)
        return "" if found not in (None, False) else "This job was deleted."

    @rx.event(background=True)
    async def save_notes(self, form: dict[str, Any]):
        error = await self._write(jobs.update_job, {"notes": str(form.get("notes") or "")})
        async with self:
            self.notes_error = error
            if not error:
                self.notes_editing = False
                self.notes_draft = ""
                self.notice = "Notes saved."

    @rx.event(background=True)
    async def save_details(self, form: dict[str, Any]):
        changes = {name: str(form.get(name) or "") for name in DETAIL_FIELDS if name in form}
        error = await self._write(jobs.update_job, changes)
        async with self:
            self.details_error = error
            self.notice = "" if error else "Saved."

    @rx.event(background=True)
    async def toggle_star(self):
        error = await self._write(jobs.toggle_star)
        async with self:
            self.notice = error

    @rx.event(background=True)
    async def add_contact(self, form: dict[str, Any]):
        fields = {name: str(form.get(name) or "") for name in CONTACT_FIELDS}
        error = await self._write(jobs.add_contact, **fields)
        async with self:
            self.contact_error = error
            self.notice = "" if error else f"Contact added: {fields['name'].strip()}."
        if not error:  # the form keeps what was typed when it is refused, and empties when saved
            return [rx.set_value(f"contact-{name}", "") for name in CONTACT_FIELDS]

    @rx.event(background=True)
    async def remove_contact(self, contact_id: int):
        error = await self._write(jobs.remove_contact, int(contact_id))
        async with self:
            self.contact_error = "" if not error else "That contact was already removed."
