"""The Discover page's own state: the follow-a-board form, the search defaults and schedule, and the buttons.

Buttons are background events: the database work runs off the event loop, and the lock is taken only to
read the form and show the answer. The lists themselves are the follow loop's (`DiscoverView`).
"""

from __future__ import annotations

import asyncio

import reflex as rx

from jobapp.discovery import service
from jobapp.discovery.store import EVERY_HOURS, Preferences
from jobapp.runtime import get_manager
from jobapp.work import request_discovery

# The schedule choices as the select shows them: "off", "1", "3", …
SCHEDULE_CHOICES = ["off", *(str(h) for h in EVERY_HOURS if h)]


class DiscoverState(rx.State):
    # The follow / edit form: a board link, "greenhouse:acme" or a careers page; its own terms and locations.
    board_input: str = ""
    board_terms: str = ""
    board_locations: str = ""
    # The board being edited (0: the form follows a new one) and its company name.
    editing_id: int = 0
    editing_company: str = ""
    # Why the form was refused.
    form_error: str = ""
    # The defaults every board uses unless it has its own.
    default_terms: str = ""
    default_locations: str = ""
    # Queue an evaluation of every new posting when a scan completes.
    evaluate_new: bool = False
    # "off" or the hours between scheduled scans.
    every_hours: str = "off"
    # The answer to this tab's last click ("Scan queued", "Saved").
    notice: str = ""
    # The scan that notice announced (0: none): the page hides the notice once that scan has ended.
    notice_task: int = 0

    @rx.event
    def set_board_input(self, value: str):
        self.board_input, self.form_error = value, ""

    @rx.event
    def set_board_terms(self, value: str):
        self.board_terms = value

    @rx.event
    def set_board_locations(self, value: str):
        self.board_locations = value

    @rx.event
    def set_editing_company(self, value: str):
        self.editing_company = value

    @rx.event
    def set_default_terms(self, value: str):
        self.default_terms = value

    @rx.event
    def set_default_locations(self, value: str):
        self.default_locations = value

    @rx.event
    def set_evaluate_new(self, value: bool):
        self.evaluate_new = value

    @rx.event
    def set_every_hours(self, value: str):
        self.every_hours = value

    @rx.event
    async def load(self):
        prefs = await asyncio.to_thread(service.defaults)
        self.default_terms, self.default_locations = prefs.terms, prefs.locations
        self.evaluate_new = prefs.evaluate
        self.every_hours = str(prefs.every_hours) if prefs.every_hours else "off"
        self.notice = self.form_error = ""
        self.notice_task = 0
        self._clear_form()

    def _clear_form(self) -> None:
        self.board_input = self.board_terms = self.board_locations = self.editing_company = ""
        self.editing_id = 0

    @rx.event(background=True)
    async def submit_board(self):
        """Follow the board in the form, or save the edited one."""
        async with self:
            editing, text = self.editing_id, self.board_input
            terms, locations, company = self.board_terms, self.board_locations, self.editing_company
        manager = get_manager()
        try:
            if editing:
                await asyncio.to_thread(
                    service.change, manager, editing, company=company, terms=terms, locations=locations
                )
                notice = "Saved."
            else:
                name = await asyncio.to_thread(service.follow, manager, text, terms=terms, locations=locations)
                notice = f"Following {name}."
        except ValueError as error:
            async with self:
                self.form_error = str(error)
            return
        async with self:
            # The follow ran in a thread: if the person has typed the next board meanwhile, keep it.
            if (self.editing_id, self.board_input) == (editing, text):
                self._clear_form()
            self.form_error, self.notice, self.notice_task = "", notice, 0

    @rx.event(background=True)
    async def edit_board(self, board_id: int):
        fields = await asyncio.to_thread(service.board, int(board_id))
        async with self:
            if fields is None:
                self.notice, self.notice_task = "That board is no longer followed.", 0
                return
            self.editing_id, self.editing_company = int(board_id), fields["company"]
            self.board_input, self.board_terms, self.board_locations = (
                fields["source"],
                fields["terms"],
                fields["locations"],
            )
            self.form_error = ""

    @rx.event
    def cancel_edit(self):
        self._clear_form()
        self.form_error = ""

    @rx.event(background=True)
    async def unfollow(self, board_id: int):
        removed = await asyncio.to_thread(service.unfollow, get_manager(), int(board_id))
        async with self:
            self.notice = "Unfollowed; the jobs it found stay in your pipeline." if removed else "Already unfollowed."
            self.notice_task = 0
            if self.editing_id == int(board_id):
                self._clear_form()

    @rx.event(background=True)
    async def save_defaults(self):
        async with self:
            prefs = Preferences(
                terms=self.default_terms,
                locations=self.default_locations,
                evaluate=self.evaluate_new,
                every_hours=0 if self.every_hours == "off" else int(self.every_hours),
            )
        try:
            await asyncio.to_thread(service.save_defaults, get_manager(), prefs)
        except ValueError as error:
            notice = str(error)
        else:
            notice = "Saved. The next scan uses these settings."
        async with self:
            self.notice, self.notice_task = notice, 0

    @rx.event(background=True)
    async def discover(self):
        """Queue a scan of every followed board; returns before any board is read."""
        enqueued = await asyncio.to_thread(request_discovery, get_manager())
        verb = "Scan queued" if enqueued.created else "A scan is already queued or running"
        async with self:
            self.notice, self.notice_task = f"{verb} (task #{enqueued.task_id}).", enqueued.task_id
