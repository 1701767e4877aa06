"""Task rows with live progress, and the cancel / retry buttons that fit their state."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from jobapp.components.badges import task_status_badge


def usage_text(task: rx.Var) -> rx.Component:
    """Tokens, estimated cost (or "cost unknown") and who did the work, once a task has used a model."""
    cost = task["cost"].to(str)
    return rx.cond(
        cost != "",
        rx.text(cost + " · " + task["who"].to(str), size="1", color_scheme="gray", class_name="task-usage"),
        rx.fragment(),
    )


def task_row(
    task: rx.Var, on_cancel: Callable, on_retry: Callable, *, show_job: bool = False, id_prefix: str = ""
) -> rx.Component:
    """One task; `id_prefix` keeps element ids unique when one page lists a task twice."""
    status = task["status"].to(str)
    task_id = task["id"].to(int)
    active = (status == "queued") | (status == "running")
    job_deleted = task["job_deleted"].to(bool)
    return rx.hstack(
        rx.link(  # the task's history page
            "#" + task_id.to_string(),
            href="/tasks/" + task_id.to_string(),
            size="2",
            color_scheme="gray",
            width="3.5em",
            class_name="task-link",
        ),
        rx.text(task["kind"].to(str), size="2", weight="medium", width="12em"),
        *(
            [
                rx.box(
                    rx.cond(
                        task["job_id"].to(int) > 0,
                        rx.link(task["job_title"].to(str), href="/jobs/" + task["job_id"].to_string(), size="2"),
                        rx.text(task["job_title"].to(str), size="2", color_scheme="gray", class_name="task-job"),
                    ),
                    width="14em",
                )
            ]
            if show_job
            else []
        ),
        task_status_badge(status),
        rx.cond(
            status == "running",
            rx.progress(value=task["progress"].to(int), max=100, width="8em"),
            rx.fragment(),
        ),
        rx.text(task["progress_label"].to(str), size="2", class_name="task-label"),
        rx.cond(status == "failed", rx.text(task["error"].to(str), size="1", color_scheme="red"), rx.fragment()),
        rx.spacer(),
        usage_text(task),
        rx.cond(
            active,
            rx.button("Cancel", size="1", variant="soft", color_scheme="red", on_click=on_cancel(task_id)),
            rx.cond(
                ((status == "failed") | (status == "cancelled")) & ~job_deleted,
                rx.button("Retry", size="1", variant="soft", on_click=on_retry(task_id)),
                rx.fragment(),
            ),
        ),
        align="center",
        width="100%",
        spacing="3",
        id=id_prefix + "task-" + task_id.to_string(),
        class_name="task-row",
        custom_attrs={"data-status": status, "data-progress": task["progress"].to_string()},
    )


def task_list(
    tasks: rx.Var, on_cancel: Callable, on_retry: Callable, *, empty: str, show_job: bool = False, id_prefix: str = ""
):
    return rx.cond(
        tasks.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            rx.foreach(tasks, lambda t: task_row(t, on_cancel, on_retry, show_job=show_job, id_prefix=id_prefix)),
            width="100%",
        ),
        rx.text(empty, size="2", color_scheme="gray"),
    )
