"""/ — the pipeline: add a posting, see every job with its status and its background work apart."""

from __future__ import annotations

import reflex as rx

from jobapp.components.badges import fit_badge, job_status_badge, new_badge
from jobapp.models import JobStatus
from jobapp.pages._page import page
from jobapp.state.board import Board
from jobapp.state.pipeline import PipelineState


def add_by_url() -> rx.Component:
    return rx.hstack(
        rx.input(
            placeholder="Paste a posting's URL (Greenhouse, Lever, Ashby or any careers page)",
            value=PipelineState.posting_url,
            on_change=PipelineState.set_posting_url,
            width="100%",
            id="new-url",
        ),
        rx.button("Add from URL", on_click=PipelineState.add_from_url, id="add-url"),
        width="100%",
    )


def add_job_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Add a job", size="4"),
            add_by_url(),
            rx.text("…or paste the posting:", size="2", color_scheme="gray"),
            rx.hstack(
                rx.input(
                    placeholder="Title", value=PipelineState.title, on_change=PipelineState.set_title, id="new-title"
                ),
                rx.input(
                    placeholder="Company",
                    value=PipelineState.company,
                    on_change=PipelineState.set_company,
                    id="new-company",
                ),
                rx.input(placeholder="Location", value=PipelineState.location, on_change=PipelineState.set_location),
                rx.input(placeholder="URL (optional)", value=PipelineState.url, on_change=PipelineState.set_url),
                width="100%",
            ),
            rx.text_area(
                placeholder="Paste the job description",
                value=PipelineState.description,
                on_change=PipelineState.set_description,
                rows="6",
                width="100%",
                id="new-description",
            ),
            rx.cond(PipelineState.form_error != "", rx.callout(PipelineState.form_error, color_scheme="red")),
            rx.button("Add and evaluate", on_click=PipelineState.add_job, id="add-job"),
            width="100%",
        ),
        width="100%",
    )


def job_row(job: rx.Var) -> rx.Component:
    key = job["id"].to_string()
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.link(job["title"].to(str), href="/jobs/" + key, class_name="job-link"),
                new_badge(job["is_new"].to(bool)),
                align="center",
            )
        ),
        rx.table.cell(job["company"].to(str)),
        rx.table.cell(job_status_badge(job["status"].to(str))),
        rx.table.cell(fit_badge(job["fit_score"])),
        rx.table.cell(
            rx.cond(
                Board.job_activity.contains(key),
                rx.hstack(rx.spinner(size="1"), rx.text(Board.job_activity[key], size="2"), align="center"),
                rx.text("—", color_scheme="gray"),
            ),
            class_name="job-activity",
        ),
        id="job-row-" + key,
    )


def jobs_table() -> rx.Component:
    return rx.cond(
        Board.jobs.length() > 0,
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Job"),
                    rx.table.column_header_cell("Company"),
                    rx.table.column_header_cell("Status"),
                    rx.table.column_header_cell("Fit"),
                    rx.table.column_header_cell("Background work"),
                )
            ),
            rx.table.body(rx.foreach(Board.jobs, job_row)),
            width="100%",
        ),
        rx.text("No jobs yet: paste a posting above.", color_scheme="gray"),
    )


@page("/", "Pipeline")
def pipeline() -> rx.Component:
    return rx.vstack(
        add_job_form(),
        rx.heading("Pipeline", size="5"),
        rx.text(", ".join(s.value for s in JobStatus), size="1", color_scheme="gray"),
        jobs_table(),
        spacing="5",
        padding_y="1.5em",
    )
