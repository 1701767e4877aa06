"""What a person does on the pipeline page besides adding jobs: search, filter, sort and page (each a
navigation to a new URL, so reload and the back button keep them), select jobs, and act on them — one job by
its menu, or many at once.

The URL is the one source of the query: these handlers compute the next URL and navigate to it; the page's
follow loop (`Board.follow`, restarted by the navigation) reads it and keeps the filtered page live. So that
a search does not wait for that round trip (the navigation, then the page's on_load, then the loop's first
read: ~100 ms more in bench/scale.py), the handler shows the new page itself, in the same answer as the
navigation, and the new loop finds the tab's state already holding it. Actions are background events: the
engine calls run off the event loop, and the lock is taken only to show the answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import reflex as rx

from jobapp import jobs
from jobapp.db import reader
from jobapp.pipeline import bulk
from jobapp.pipeline.query import SORTS, STATUSES, VIEWS, PipelineQuery
from jobapp.pipeline.view import read_view
from jobapp.runtime import get_hub, get_manager
from jobapp.state.pipeline_view import PipelineView


def _read_view(query: PipelineQuery) -> dict[str, Any]:
    with reader() as s:
        return read_view(s, query)


class PipelineActions(rx.State):
    # Ids of the jobs ticked for a bulk action (kept across pages and filters until acted on or cleared).
    selected: list[int] = []
    # The answer to this tab's last action: "Evaluation: 3 queued, 1 already queued."
    notice: str = ""
    # This tab's last bulk request ("Evaluation", "Tailored CV"; "" when none or dismissed) and its tasks:
    # the follow loop shows their progress live (PipelineView.batch).
    batch_what: str = ""
    batch_ids: list[int] = []

    def _query(self) -> PipelineQuery:
        return PipelineQuery.from_params(dict(self.router.url.query_parameters))

    async def _go(self, query: PipelineQuery):
        """Show `query`'s page now, and navigate to its URL."""
        fields = await asyncio.to_thread(_read_view, query)
        view = await self.get_state(PipelineView)
        for name, value in fields.items():
            if getattr(view, name) != value:
                setattr(view, name, value)
        return rx.redirect(query.url())

    # -- the query (each a navigation) ---------------------------------------------------------------

    @rx.event
    async def search(self, form: dict[str, Any]):
        """The filter form: words, company, fit range (Enter or "Apply")."""
        query = self._query()
        fresh = PipelineQuery.from_params({k: str(v) for k, v in form.items()})
        return await self._go(
            query.with_filters(q=fresh.q, company=fresh.company, fit_min=fresh.fit_min, fit_max=fresh.fit_max)
        )

    @rx.event
    async def set_view(self, view: str | list[str]):
        if isinstance(view, str) and view in VIEWS:
            return await self._go(replace(self._query(), view=view))

    @rx.event
    async def set_status_filter(self, status: str):
        statuses = (status,) if status in STATUSES else ()
        return await self._go(self._query().with_filters(statuses=statuses))

    @rx.event
    async def set_sort(self, sort: str):
        if sort in SORTS:
            return await self._go(self._query().with_filters(sort=sort))

    @rx.event
    async def set_busy(self, busy: bool):
        return await self._go(self._query().with_filters(busy=bool(busy)))

    @rx.event
    async def clear_filters(self):
        query = self._query()
        return await self._go(PipelineQuery(view=query.view, sort=query.sort))

    # -- selection --------------------------------------------------------------------------------

    @rx.event
    def toggle(self, job_id: int, checked: bool):
        job_id = int(job_id)
        if checked and job_id not in self.selected:
            self.selected = [*self.selected, job_id]
        elif not checked:
            self.selected = [i for i in self.selected if i != job_id]

    @rx.event
    async def toggle_page(self, checked: bool):
        """Tick (or untick) every job the page shows."""
        view = await self.get_state(PipelineView)
        shown = [r["id"] for r in view.rows] + [j["id"] for c in view.columns for j in c["jobs"]]
        if checked:
            self.selected = list(dict.fromkeys([*self.selected, *shown]))
        else:
            self.selected = [i for i in self.selected if i not in set(shown)]

    @rx.event
    def clear_selection(self):
        self.selected = []

    # -- acting on jobs ---------------------------------------------------------------------------

    @rx.event(background=True)
    async def move(self, job_id: int, status: str):
        """One job's menu: move it along the pipeline (the job page's own path)."""
        moved = await asyncio.to_thread(jobs.set_status, get_manager(), int(job_id), status)
        async with self:
            self.notice = f"Job #{job_id} moved to {status}." if moved else f"Job #{job_id} was deleted."

    @rx.event(background=True)
    async def request_selected(self, action: str):
        """ "Evaluate" or "Tailor CV" for every selected job: ordinary tasks, with the usual dedupe."""
        if action not in bulk.ACTIONS:
            return
        chosen = list(self.selected)
        if not chosen:
            async with self:
                self.notice = "Select jobs first."
            return
        outcome = await asyncio.to_thread(bulk.request_many, get_manager(), action, chosen)
        what = bulk.ACTIONS[action][0]
        async with self:
            self.notice = outcome.summary(what)
            self.selected = []
            self.batch_what, self.batch_ids = (what, outcome.task_ids) if outcome.task_ids else ("", [])
        get_hub().batch_changed(self.router.session.client_token)

    @rx.event
    def dismiss_batch(self):
        self.batch_what, self.batch_ids = "", []
        get_hub().batch_changed(self.router.session.client_token)

    @rx.event(background=True)
    async def move_selected(self, status: str):
        if status not in STATUSES:
            return
        chosen = list(self.selected)
        if not chosen:
            async with self:
                self.notice = "Select jobs first."
            return
        outcome = await asyncio.to_thread(bulk.move_many, get_manager(), status, chosen)
        async with self:
            self.notice = outcome.summary(status, moving=True)
            self.selected = []
