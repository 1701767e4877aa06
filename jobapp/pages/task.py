"""/tasks/<id> — one task's history: its stages with their times, each failed attempt with its error, the
worker that ran it, the provider and model, and cancel or retry (never retry for a deleted job's task)."""

from __future__ import annotations

import reflex as rx

from jobapp.components.badges import task_status_badge
from jobapp.pages._page import page
from jobapp.pages._tasks import usage_text
from jobapp.state.task_actions import TaskActions
from jobapp.state.task_view import TaskView

task = TaskView.task
TONES = {"error": "red", "done": "green", "wait": "amber"}


def fact(label: str, value: rx.Component | rx.Var, fact_id: str) -> rx.Component:
    return rx.hstack(rx.text(label, size="2", color_scheme="gray", width="9em"), rx.box(value, id=fact_id))


def job_link() -> rx.Component:
    """The job's page; its title greyed out when the job was deleted, nothing when the task has no job."""
    return rx.cond(
        task["job_id"].to(int) > 0,
        rx.link(task["job_title"].to(str), href="/jobs/" + task["job_id"].to_string(), size="2"),
        rx.text(rx.cond(task["job_deleted"].to(bool), "(deleted job)", "—"), size="2", color_scheme="gray"),
    )


def actions() -> rx.Component:
    status = task["status"].to(str)
    task_id = task["id"].to(int)
    return rx.cond(
        (status == "queued") | (status == "running"),
        rx.button("Cancel", size="1", color_scheme="red", variant="soft", on_click=TaskActions.cancel(task_id)),
        rx.cond(
            ((status == "failed") | (status == "cancelled")) & ~task["job_deleted"].to(bool),
            rx.button("Retry", size="1", variant="soft", on_click=TaskActions.retry(task_id), id="task-retry"),
            rx.fragment(),
        ),
    )


def summary() -> rx.Component:
    status = task["status"].to(str)
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(task["label"].to(str) + " · task #" + task["id"].to_string(), size="5", id="task-title"),
                task_status_badge(status),
                rx.spacer(),
                actions(),
                align="center",
                width="100%",
            ),
            rx.cond(
                status == "running",
                rx.progress(value=task["progress"].to(int), max=100, width="100%"),
            ),
            fact("Now", rx.text(task["progress_label"].to(str), size="2"), "task-label"),
            fact("Job", job_link(), "task-job"),
            fact("Attempts", rx.text(task["attempts"].to(str), size="2"), "task-attempts"),
            fact("Crashes", rx.text(task["crashes"].to_string(), size="2"), "task-crashes"),
            fact("Worker", rx.code(task["worker"].to(str)), "task-worker"),
            fact("Model", rx.text(task["who"].to(str), size="2"), "task-model"),
            usage_text(task["cost"].to(str), task["who"].to(str)),
            rx.cond(
                task["error"].to(str) != "",
                rx.callout(task["error"].to(str), color_scheme="red", size="1", id="task-error"),
            ),
            width="100%",
        ),
        width="100%",
    )


def history_row(row: rx.Var) -> rx.Component:
    tone = row["tone"].to(str)
    return rx.table.row(
        rx.table.cell(rx.text(row["at"].to(str), size="1", color_scheme="gray", white_space="nowrap")),
        rx.table.cell(
            rx.vstack(
                rx.text(
                    row["what"].to(str), size="2", weight="medium", color_scheme=rx.match(tone, *TONES.items(), "gray")
                ),
                rx.cond(
                    row["error"].to(str) != "", rx.text(row["error"].to(str), size="2", class_name="history-error")
                ),
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(row["detail"].to(str), size="1", color_scheme="gray")),
        class_name="history-row",
    )


def history() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("History", size="4"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(*(rx.table.column_header_cell(h) for h in ("When (UTC)", "What", "Detail")))
                ),
                rx.table.body(rx.foreach(TaskView.history, history_row)),
                width="100%",
                id="task-history",
            ),
            width="100%",
        ),
        width="100%",
    )


@page("/tasks/[task_id]", "Task")
def task_page() -> rx.Component:
    return rx.box(
        rx.cond(
            TaskView.missing,
            rx.callout(
                "This task does not exist (finished tasks are removed after a while).",
                color_scheme="amber",
                id="task-missing",
            ),
            rx.cond(
                TaskView.loaded,
                rx.vstack(
                    rx.link("← All background work", href="/activity", size="2"),
                    rx.cond(TaskActions.notice != "", rx.callout(TaskActions.notice, id="task-notice")),
                    summary(),
                    history(),
                    width="100%",
                ),
                rx.spinner(),
            ),
        ),
        padding_y="1.5em",
        width="100%",
    )
