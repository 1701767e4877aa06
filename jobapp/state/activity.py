"""The activity page's filtered task list, for this tab: written by the tab's follow loop (`Board.follow`),
which reads the filter from the page's URL. The events here only navigate to the URL of another filter
or page (see `jobapp.live.activity`); they write nothing."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobapp.live.activity import ActivityQuery


class ActivityView(rx.State):
    # One page of the tasks matching the filter, newest first (task rows, live progress for running ones).
    tasks: list[dict[str, Any]] = []
    # How many tasks match the filter, on every page.
    total: int = 0
    # The page shown (1-based) and how many there are.
    page: int = 1
    pages: int = 1
    # True once the list was read for this filter.
    loaded: bool = False

    @rx.event
    def go_to_page(self, page: int):
        return rx.redirect(_query(self).with_(page=max(1, int(page))).href())


class ActivityFilter(rx.State):
    """The filter's controls, apart from the list: a push that changes a listed task's progress leaves this
    state alone, so the browser does not re-render the selects (the job select holds up to 500 choices)."""

    # The filter in force ("all" when unset): a kind's name, a task status, a job id or "none".
    kind: str = "all"
    status: str = "all"
    job: str = "all"
    # True when any filter is set.
    filtered: bool = False
    # [value, label] for the job filter: every job, "no job", and a deleted job the URL names.
    job_choices: list[list[str]] = []

    @rx.event
    def filter_kind(self, value: str):
        return rx.redirect(_query(self).with_(kind=value).href())

    @rx.event
    def filter_status(self, value: str):
        return rx.redirect(_query(self).with_(status=value).href())

    @rx.event
    def filter_job(self, value: str):
        return rx.redirect(_query(self).with_(job=value).href())

    @rx.event
    def clear_filters(self):
        return rx.redirect(ActivityQuery().href())


def _query(state: rx.State) -> ActivityQuery:
    """The filter of the URL the tab is on now (events carry the browser's current location)."""
    return ActivityQuery.parse(state.router.url.query_parameters)
