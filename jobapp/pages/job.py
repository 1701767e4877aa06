"""/jobs/<id> — one job: posting, evaluation, cover letters streaming live, and its background work."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobapp.components.badges import fit_badge, job_status_badge
from jobapp.components.links import backend_link
from jobapp.models import JobStatus
from jobapp.pages._page import page
from jobapp.pages._tasks import task_list
from jobapp.pages._tracking import tracking_card
from jobapp.state.job_page import JobPageState
from jobapp.state.job_view import JobView
from jobapp.state.task_actions import TaskActions
from jobapp.work import TaskKind, cover_letter, cv, evaluate, research

job = JobView.job


def work_button(label: str, kind: TaskKind, on_click, button_id: str) -> rx.Component:
    """A button for a task kind; disabled and saying so while that kind is queued or running."""
    busy = JobView.active_kinds.contains(kind.name)
    busy_label = f"{kind.label[:1].upper()}{kind.label[1:]} already queued"
    return rx.button(rx.cond(busy, busy_label, label), disabled=busy, on_click=on_click, id=button_id)


def header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(job["title"].to(str), size="6", id="job-title"),
            job_status_badge(job["status"].to(str)),
            fit_badge(job["fit_score"]),
            align="center",
        ),
        rx.text(job["company"].to(str) + " · " + job["location"].to(str), color_scheme="gray"),
        rx.hstack(
            rx.select(
                [s.value for s in JobStatus],
                value=job["status"].to(str),
                on_change=JobPageState.set_status,
                size="1",
            ),
            rx.button(
                "Delete job",
                size="1",
                color_scheme="red",
                variant="soft",
                on_click=JobPageState.delete,
                id="delete-job",
            ),
            align="center",
        ),
    )


def rubric_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["label"].to(str)),
        rx.table.cell(row["weight"].to(str)),
        rx.table.cell(rx.badge(row["score"].to(str) + "/5")),
        rx.table.cell(row["evidence"].to(str)),
        rx.table.cell(row["gaps"].to(str), color="var(--amber-11)"),
    )


def matched_skill(item: rx.Var) -> rx.Component:
    return rx.text(
        rx.text.strong(item["skill"].to(str)),
        rx.cond(item["line"].to(str) != "", " — “" + item["line"].to(str) + "”", ""),
        size="2",
        class_name="matched-skill",
    )


def skill_check() -> rx.Component:
    """The deterministic skill check: what is missing (required first), and what the resume shows, with its line."""
    evidence = job["matched_evidence"].to(list[dict[str, str]])
    return rx.vstack(
        rx.cond(
            job["required_missing"].to(str) != "",
            rx.text(
                "Required, not in your resume: " + job["required_missing"].to(str),
                size="2",
                color_scheme="amber",
                id="required-missing",
            ),
        ),
        rx.cond(
            job["preferred_missing"].to(str) != "",
            rx.text(
                "Nice to have, not in your resume: " + job["preferred_missing"].to(str),
                size="2",
                color_scheme="gray",
                id="preferred-missing",
            ),
        ),
        rx.cond(
            job["asks"].to(str) != "", rx.text("The posting asks for: " + job["asks"].to(str), size="2", id="asks")
        ),
        rx.cond(
            evidence.length() > 0,
            rx.vstack(
                rx.text("Your resume shows:", size="2"),
                rx.foreach(evidence, matched_skill),
                spacing="1",
                id="matched-evidence",
            ),
        ),
        spacing="1",
        width="100%",
    )


def evaluation() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Fit", size="4"),
                rx.cond(
                    job["recommendation"].to(str) != "",
                    rx.badge("Recommendation: " + job["recommendation"].to(str), size="2", id="recommendation"),
                ),
                rx.spacer(),
                work_button("Evaluate", evaluate.KIND, JobPageState.evaluate, "evaluate"),
                width="100%",
            ),
            rx.cond(
                job["summary"].to(str) != "",
                rx.vstack(
                    rx.text(job["summary"].to(str), id="evaluation-summary"),
                    rx.cond(
                        job["rubric"].to(list).length() > 0,
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    *(
                                        rx.table.column_header_cell(h)
                                        for h in ("Dimension", "Weight", "Score", "Evidence", "Gaps")
                                    )
                                )
                            ),
                            rx.table.body(rx.foreach(job["rubric"].to(list[dict[str, str]]), rubric_row)),
                            id="rubric",
                        ),
                    ),
                    skill_check(),
                    rx.text("Written by " + job["evaluated_by"].to(str), size="1", color_scheme="gray"),
                ),
                rx.text("Not evaluated yet.", color_scheme="gray"),
            ),
            width="100%",
        ),
        width="100%",
    )


def streaming_text() -> rx.Component:
    """Text of running generation tasks as it is produced (only tabs on this job receive it)."""
    return rx.foreach(
        JobView.streams,
        lambda item: rx.box(
            rx.text("Writing… (task #" + item[0].to(str) + ")", size="1", color_scheme="blue"),
            rx.text(item[1].to(str), white_space="pre-wrap", class_name="stream-text"),
            padding="0.75em",
            border="1px dashed var(--blue-a7)",
            border_radius="6px",
            width="100%",
            id="stream-" + item[0].to(str),
        ),
    )


def download_links(doc: rx.Var) -> rx.Component:
    path = "/api/documents/" + doc["id"].to_string()
    return rx.hstack(
        *(
            backend_link(label, path + suffix, size="1", class_name=f"download-{suffix[1:]}")
            for label, suffix in (("Markdown", ".md"), ("PDF", ".pdf"), ("DOCX", ".docx"))
        ),
        spacing="3",
    )


def document_card(doc: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge("v" + doc["version"].to_string()),
                rx.text(doc["options"].to(str), size="1", color_scheme="gray"),
                rx.spacer(),
                download_links(doc),
                rx.text("Written by " + doc["provider"].to(str), size="1", color_scheme="gray"),
                width="100%",
                align="center",
            ),
            rx.foreach(
                doc["warnings"].to(list[str]),
                lambda warning: rx.callout(warning, color_scheme="amber", size="1", class_name="document-warning"),
            ),
            rx.markdown(doc["content"].to(str), use_raw=False),
        ),
        width="100%",
        class_name="document",
    )


def document_section(
    title: str, kind: TaskKind, controls: list[rx.Component], button: rx.Component, section_id: str
) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading(title, size="4"), rx.spacer(), *controls, button, width="100%", align="center"),
            rx.foreach(JobView.documents[kind.document_kind].to(list[dict[str, Any]]), document_card),
            width="100%",
        ),
        width="100%",
        id=section_id,
    )


def cvs() -> rx.Component:
    return document_section(
        "Tailored CVs",
        cv.KIND,
        [
            rx.select(list(cv.EMPHASES), value=JobPageState.emphasis, on_change=JobPageState.set_emphasis, size="1"),
            rx.select(list(cv.LENGTHS), value=JobPageState.cv_length, on_change=JobPageState.set_cv_length, size="1"),
        ],
        work_button("Tailor CV", cv.KIND, JobPageState.write_cv, "generate-cv"),
        "cvs",
    )


def cover_letters() -> rx.Component:
    return document_section(
        "Cover letters",
        cover_letter.KIND,
        [
            rx.select(list(cover_letter.TONES), value=JobPageState.tone, on_change=JobPageState.set_tone, size="1"),
            rx.select(
                list(cover_letter.LENGTHS), value=JobPageState.length, on_change=JobPageState.set_length, size="1"
            ),
        ],
        work_button(
            "Generate cover letter", cover_letter.KIND, JobPageState.write_cover_letter, "generate-cover-letter"
        ),
        "cover-letters",
    )


def research_briefs() -> rx.Component:
    return document_section(
        "Interview prep",
        research.KIND,
        [
            rx.input(
                placeholder="Company website (optional)",
                value=JobPageState.site_url,
                on_change=JobPageState.set_site_url,
                size="1",
                id="site-url",
            )
        ],
        work_button("Research company", research.KIND, JobPageState.research, "research"),
        "research-briefs",
    )


def background_work() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Background work", size="4"),
            # A notice about a task goes away once that task has ended (its row says how).
            rx.cond(
                (JobPageState.notice != "") & ~JobView.finished_ids.contains(JobPageState.notice_task),
                rx.text(JobPageState.notice, size="2", id="job-notice"),
            ),
            rx.cond(
                (TaskActions.notice != "") & ~JobView.finished_ids.contains(TaskActions.notice_task),
                rx.text(TaskActions.notice, size="2", id="task-notice"),
            ),
            rx.box(
                task_list(JobView.tasks, empty="No background work yet."),
                id="job-tasks",
                width="100%",
            ),
            width="100%",
        ),
        width="100%",
    )


def posting() -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading("Posting", size="4"), rx.markdown(job["description"].to(str), use_raw=False)),
        width="100%",
    )


@page("/jobs/[job_id]", "Job", on_load=[JobPageState.opened])
def job_page() -> rx.Component:
    return rx.box(
        rx.cond(
            JobView.missing,
            rx.callout("This job does not exist (it may have been deleted).", color_scheme="amber", id="job-missing"),
            rx.cond(
                JobView.loaded,
                rx.vstack(
                    header(),
                    tracking_card(),
                    evaluation(),
                    streaming_text(),
                    cvs(),
                    cover_letters(),
                    research_briefs(),
                    background_work(),
                    posting(),
                    width="100%",
                ),
                rx.spinner(),
            ),
        ),
        padding_y="1.5em",
        width="100%",
    )
