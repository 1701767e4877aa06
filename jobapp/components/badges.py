"""Status badges: job pipeline status and task state look different on purpose. They are plain elements
with Radix's badge classes (`plain.badge`): every pipeline row and task row shows one or two."""

from __future__ import annotations

import reflex as rx

from jobapp.components import plain

JOB_COLORS = {
    "Pending": "gray",
    "Evaluated": "blue",
    "Applied": "indigo",
    "Interview": "amber",
    "Offer": "green",
    "Rejected": "red",
    "Discarded": "gray",
}
SCAN_COLORS = {"waiting": "gray", "scanning": "blue", "done": "green", "failed": "red"}
TASK_COLORS = {"queued": "gray", "running": "blue", "completed": "green", "failed": "red", "cancelled": "orange"}


def job_status_badge(status: rx.Var) -> rx.Component:
    return plain.badge(status, color=rx.match(status, *JOB_COLORS.items(), "gray"))


def task_status_badge(status: rx.Var) -> rx.Component:
    return plain.badge(status, color=rx.match(status, *TASK_COLORS.items(), "gray"), variant="outline")


def fit_badge(score: rx.Var) -> rx.Component:
    """The keyword-coverage score, or nothing before the first evaluation (score -1)."""
    return rx.cond(
        score.to(int) >= 0,
        plain.badge(score.to_string() + "% fit", color=rx.cond(score.to(int) >= 60, "green", "amber")),
        rx.fragment(),
    )


def scan_state_badge(state: rx.Var) -> rx.Component:
    """A company's state in a board scan: waiting, scanning, done, failed."""
    return plain.badge(state, color=rx.match(state, *SCAN_COLORS.items(), "gray"))


def new_badge(is_new: rx.Var) -> rx.Component:
    """The "New" mark of a job a board scan found, until the person opens it."""
    badge = plain.badge("New", color="green", variant="solid", class_name="new-badge")
    return rx.cond(is_new, badge, rx.fragment())
