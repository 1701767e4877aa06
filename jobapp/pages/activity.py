"""/activity — everything queued, running and recently finished, with cancel and retry."""

from __future__ import annotations

import reflex as rx

from jobapp.components.tasks import task_list
from jobapp.pages._page import page
from jobapp.state.board import Board
from jobapp.state.task_actions import TaskActions


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
            task_list(Board.active, TaskActions.cancel, TaskActions.retry, empty="Nothing queued.", show_job=True),
            id="active-tasks",
            width="100%",
        ),
        rx.heading("Recently finished", size="3"),
        rx.box(
            task_list(Board.recent, TaskActions.cancel, TaskActions.retry, empty="Nothing yet.", show_job=True),
            id="recent-tasks",
            width="100%",
        ),
        spacing="5",
        padding_y="1.5em",
    )
