"""Task rows with live progress and the cancel / retry buttons that fit their state, for every page that
lists tasks (activity, a job's page).

Each row is a React memo (`rx.memo`) fed plain values, not the row's dict: a push that changes one task's
progress re-renders that row only, while the list around it just compares the others' props. Without it
every push re-rendered every listed row (the activity page lists up to 105), which made the browser the
slowest part of the live path.
"""

from __future__ import annotations

import reflex as rx

from jobapp.components import plain
from jobapp.components.badges import task_status_badge
from jobapp.state.task_actions import TaskActions


def usage_text(cost: rx.Var[str], who: rx.Var[str]) -> rx.Component:
    """Tokens, estimated cost (or "cost unknown") and who did the work, once a task has used a model."""
    return rx.cond(
        cost != "",
        plain.text(cost + " · " + who, size="1", color="gray", class_name="task-usage"),
        rx.fragment(),
    )


@rx.memo
def task_line(
    task_id: rx.Var[int],
    kind: rx.Var[str],
    status: rx.Var[str],
    progress: rx.Var[int],
    progress_label: rx.Var[str],
    error: rx.Var[str],
    job_id: rx.Var[int],
    job_title: rx.Var[str],
    job_deleted: rx.Var[bool],
    cost: rx.Var[str],
    who: rx.Var[str],
    show_job: rx.Var[bool],
    id_prefix: rx.Var[str],
    rest: rx.RestProp,  # React's `key`, set by the list
) -> rx.Component:
    """One task; `id_prefix` keeps element ids unique when one page lists a task twice. Plain elements with
    Radix's classes (see jobapp.components.plain): the activity page lists up to 105 rows."""
    return plain.flex(
        rest,
        plain.link("#" + task_id.to_string(), to="/tasks/" + task_id.to_string(), color="gray", class_name="task-link"),
        plain.text(kind, weight="medium", class_name="task-kind"),
        rx.cond(
            show_job,
            rx.el.div(
                rx.cond(
                    job_id > 0,
                    plain.link(job_title, to="/jobs/" + job_id.to_string()),
                    plain.text(job_title, color="gray", class_name="task-job"),
                ),
                class_name="task-job-cell",
            ),
            rx.fragment(),
        ),
        task_status_badge(status),
        rx.cond(status == "running", rx.progress(value=progress, max=100, width="8em"), rx.fragment()),
        plain.text(progress_label, class_name="task-label"),
        rx.cond(status == "failed", plain.text(error, size="1", color="red"), rx.fragment()),
        rx.el.div(class_name="grow"),
        usage_text(cost, who),
        rx.cond(
            (status == "queued") | (status == "running"),
            plain.button("Cancel", color="red", on_click=TaskActions.cancel(task_id)),
            rx.cond(
                ((status == "failed") | (status == "cancelled")) & ~job_deleted,
                plain.button("Retry", on_click=TaskActions.retry(task_id)),
                rx.fragment(),
            ),
        ),
        id=id_prefix + "task-" + task_id.to_string(),
        class_name="task-row full-width",
        custom_attrs={"data-status": status, "data-progress": progress.to_string()},
    )


def task_list(
    tasks: rx.Var, *, empty: str, show_job: bool = False, id_prefix: str = "", ticks: rx.Var | None = None
) -> rx.Component:
    """Rows from `jobapp.live.rows.task_row` dicts, keyed by task id (a row keeps its element when the list
    reorders, as running tasks move first). `ticks` (task id as text → [percent, label]) overrides a running
    row's progress: the lists stay as they are while only the ticks change."""

    def line(task: rx.Var) -> rx.Component:
        progress, label = task["progress"].to(int), task["progress_label"].to(str)
        if ticks is not None:
            key = task["id"].to_string()
            live = ticks.contains(key)  # type: ignore[attr-defined]
            progress = rx.cond(live, ticks[key][0].to(int), progress)
            label = rx.cond(live, ticks[key][1].to(str), label)
        return task_line(
            task_id=task["id"].to(int),
            kind=task["kind"].to(str),
            status=task["status"].to(str),
            progress=progress,
            progress_label=label,
            error=task["error"].to(str),
            job_id=task["job_id"].to(int),
            job_title=task["job_title"].to(str),
            job_deleted=task["job_deleted"].to(bool),
            cost=task["cost"].to(str),
            who=task["who"].to(str),
            show_job=show_job,
            id_prefix=id_prefix,
            key=task["id"].to(int),
        )

    return rx.cond(
        tasks.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(rx.foreach(tasks, line), width="100%"),
        rx.text(empty, size="2", color_scheme="gray"),
    )
