"""/activity — everything queued and running and what finished last (the live picture), then every task
filtered by kind, status and job, a page at a time, with cancel, retry and "Retry all failed". The filter
lives in the URL, so a reload and the back button keep it."""

from __future__ import annotations

import reflex as rx

from jobapp.components import plain
from jobapp.live.activity import kind_choices, status_choices
from jobapp.pages._page import page
from jobapp.pages._tasks import task_list
from jobapp.state.activity import ActivityFilter, ActivityView
from jobapp.state.board import Board
from jobapp.state.task_actions import TaskActions


def choice(pair) -> rx.Component:
    """A select item from a [value, label] pair."""
    return rx.select.item(pair[1], value=pair[0])


def choice_select(value: rx.Var, items: list[rx.Component], on_change, select_id: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=select_id),
        rx.select.content(*items),
        value=value,
        on_change=on_change,
        size="1",
    )


def job_select() -> rx.Component:
    """The job filter, up to 500 jobs (see plain.select)."""
    return plain.select(
        rx.foreach(ActivityFilter.job_choices, lambda pair: rx.el.option(pair[1], value=pair[0])),
        value=ActivityFilter.job,
        on_change=ActivityFilter.filter_job,
        label="Job",
        id="filter-job",
    )


def filters() -> rx.Component:
    return rx.hstack(
        choice_select(
            ActivityFilter.kind, [choice(c) for c in kind_choices()], ActivityFilter.filter_kind, "filter-kind"
        ),
        choice_select(
            ActivityFilter.status, [choice(c) for c in status_choices()], ActivityFilter.filter_status, "filter-status"
        ),
        job_select(),
        rx.cond(
            ActivityFilter.filtered,
            rx.button("Clear filters", size="1", variant="ghost", on_click=ActivityFilter.clear_filters, id="clear"),
        ),
        rx.spacer(),
        rx.button(
            "Retry all failed",
            size="1",
            variant="soft",
            on_click=TaskActions.retry_failed,
            disabled=(ActivityFilter.status != "all") & (ActivityFilter.status != "failed"),
            id="retry-all-failed",
        ),
        align="center",
        width="100%",
        spacing="3",
        wrap="wrap",
    )


def pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            "Newer",
            size="1",
            variant="soft",
            disabled=ActivityView.page <= 1,
            on_click=ActivityView.go_to_page(ActivityView.page - 1),
            id="page-newer",
        ),
        rx.text(
            "Page " + ActivityView.page.to_string() + " of " + ActivityView.pages.to_string(),
            size="2",
            id="page-of",
        ),
        rx.button(
            "Older",
            size="1",
            variant="soft",
            disabled=ActivityView.page >= ActivityView.pages,
            on_click=ActivityView.go_to_page(ActivityView.page + 1),
            id="page-older",
        ),
        align="center",
        spacing="3",
    )


@page("/activity", "Activity")
def activity() -> rx.Component:
    return rx.vstack(
        rx.heading("Background work", size="5"),
        rx.cond(TaskActions.notice != "", rx.callout(TaskActions.notice, id="task-notice")),
        rx.heading("Queued and running (" + Board.active_total.to_string() + ")", size="3"),
        rx.cond(
            Board.active_total > Board.active.length(),
            rx.text(
                "Showing the first " + Board.active.length().to_string() + ", running first.",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.box(
            task_list(Board.active, ticks=Board.ticks, empty="Nothing queued.", show_job=True),
            id="active-tasks",
            width="100%",
        ),
        rx.heading("Recently finished", size="3"),
        rx.box(
            task_list(Board.recent, empty="Nothing yet.", show_job=True),
            id="recent-tasks",
            width="100%",
        ),
        rx.heading("All tasks (" + ActivityView.total.to_string() + ")", size="3", id="task-list-heading"),
        filters(),
        rx.cond(
            ActivityView.loaded,
            rx.box(
                task_list(
                    ActivityView.tasks,
                    ticks=Board.ticks,
                    empty="No task matches this filter.",
                    show_job=True,
                    id_prefix="all-",
                ),
                id="task-list",
                width="100%",
            ),
            rx.spinner(),
        ),
        rx.cond(ActivityView.pages > 1, pager()),
        spacing="5",
        padding_y="1.5em",
    )
