"""/interview — interview prep: every job in Interview with its company brief and talking points, each
linking to its job page, and a button to queue the research when a job has no brief yet."""

from __future__ import annotations

import reflex as rx

from jobapp.pages._page import page
from jobapp.state.interview import InterviewActions, InterviewView


def research_button(job: rx.Var, label: str) -> rx.Component:
    busy = job["researching"].to(bool)
    return rx.button(
        rx.cond(busy, "Research queued", label),
        size="1",
        variant="soft",
        disabled=busy,
        on_click=InterviewActions.research(job["id"].to(int)),
        class_name="queue-research",
    )


def brief(job: rx.Var) -> rx.Component:
    points = job["talking_points"].to(list[str])
    return rx.vstack(
        rx.text("Talking points", size="2", weight="bold"),
        rx.cond(
            points.length() > 0,
            rx.unordered_list(rx.foreach(points, lambda p: rx.list_item(rx.text(p, size="2"))), class_name="points"),
            rx.text("The brief has no talking points.", size="2", color_scheme="gray"),
        ),
        rx.accordion.root(
            rx.accordion.item(
                header="Company brief (v" + job["version"].to_string() + ", " + job["written"].to(str) + ")",
                content=rx.markdown(job["brief"].to(str), use_raw=False),
                value="brief",
            ),
            collapsible=True,
            type="single",
            variant="ghost",
            width="100%",
        ),
        width="100%",
        class_name="brief",
    )


def interview_card(job: rx.Var) -> rx.Component:
    has_brief = job["brief"].to(str) != ""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(
                    job["title"].to(str), href="/jobs/" + job["id"].to_string(), weight="bold", class_name="job-link"
                ),
                rx.text(job["company"].to(str), size="2", color_scheme="gray"),
                rx.spacer(),
                rx.cond(has_brief, research_button(job, "Research again"), research_button(job, "Research company")),
                align="center",
                width="100%",
            ),
            rx.cond(
                has_brief,
                brief(job),
                rx.text("No company brief yet.", size="2", color_scheme="gray", class_name="no-brief"),
            ),
            width="100%",
        ),
        width="100%",
        class_name="interview-job",
        id="interview-" + job["id"].to_string(),
    )


@page("/interview", "Interview prep")
def interview() -> rx.Component:
    return rx.vstack(
        rx.heading("Interview prep", size="5"),
        rx.cond(InterviewActions.notice != "", rx.callout(InterviewActions.notice, id="interview-notice")),
        rx.cond(
            InterviewView.loaded,
            rx.cond(
                InterviewView.jobs.length() > 0,
                rx.vstack(rx.foreach(InterviewView.jobs, interview_card), width="100%", id="interview-jobs"),
                rx.text(
                    "No job is in Interview. Move a job to Interview on its page and its company research starts.",
                    color_scheme="gray",
                    id="no-interviews",
                ),
            ),
            rx.spinner(),
        ),
        spacing="5",
        padding_y="1.5em",
        width="100%",
    )
