"""The job page's Tracking card: notes (Markdown, previewed), star, salary, work mode, closing date, next step,
applied date, contacts and the status history.

The saved values come from `JobView` (every tab on the job gets them live); each form is keyed on a digest of
its saved values, so a save anywhere redraws that form with them. Markdown is drawn without the raw-HTML plugin,
as documents and postings are: HTML typed into the notes shows as text and never runs.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobapp.models import WorkMode
from jobapp.state.job_tracking import JobTrackingState
from jobapp.state.job_view import JobView

tracked = JobView.tracking


def field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"), control, spacing="1")


def error_text(message: rx.Var, element_id: str) -> rx.Component:
    return rx.cond(message != "", rx.text(message, size="2", color_scheme="red", id=element_id, role="alert"))


def star_button() -> rx.Component:
    starred = tracked["starred"].to(bool)
    return rx.button(
        rx.cond(starred, "★ Starred", "☆ Star"),
        variant=rx.cond(starred, "solid", "outline"),
        color_scheme="amber",
        size="1",
        on_click=JobTrackingState.toggle_star,
        id="star-toggle",
        aria_pressed=rx.cond(starred, "true", "false"),
    )


def summary() -> rx.Component:
    """The saved values in a line each (what other tabs see change)."""
    return rx.vstack(
        rx.cond(
            tracked["next_step"].to(str) != "",
            rx.text(
                rx.text.strong("Next step: "),
                tracked["next_step"].to(str),
                rx.cond(tracked["next_step_on"].to(str) != "", " · due " + tracked["next_step_on"].to(str), ""),
                size="2",
                id="next-step-summary",
            ),
        ),
        rx.cond(
            tracked["salary"].to(str) != "",
            rx.text("Salary: " + tracked["salary"].to(str), size="2", id="salary-summary"),
        ),
        rx.cond(
            tracked["closes_on"].to(str) != "",
            rx.text("Applications close " + tracked["closes_on"].to(str), size="2", id="closes-summary"),
        ),
        rx.cond(
            tracked["applied_at"].to(str) != "",
            rx.text("Applied " + tracked["applied_at"].to(str), size="2", id="applied-at"),
            rx.text("Not applied yet.", size="2", color_scheme="gray", id="applied-at"),
        ),
        spacing="1",
    )


def notes_form() -> rx.Component:
    preview = rx.cond(JobTrackingState.notes_editing, JobTrackingState.notes_draft, tracked["notes"].to(str))
    return rx.vstack(
        rx.form(
            rx.vstack(
                rx.text_area(
                    name="notes",
                    default_value=tracked["notes"].to(str),
                    on_change=JobTrackingState.set_notes_draft.debounce(250),
                    placeholder="Notes (Markdown): why this job, who you talked to, what to ask…",
                    rows="6",
                    width="100%",
                    id="notes-input",
                ),
                rx.hstack(
                    rx.button("Save notes", type="submit", size="1", id="save-notes"),
                    error_text(JobTrackingState.notes_error, "notes-error"),
                    align="center",
                ),
                width="100%",
            ),
            on_submit=JobTrackingState.save_notes,
            reset_on_submit=False,
            key=tracked["notes_key"].to(str),
            width="100%",
        ),
        rx.cond(
            preview != "",
            rx.box(
                rx.markdown(preview, use_raw=False),
                padding="0.5em 0.75em",
                border="1px solid var(--gray-a6)",
                border_radius="6px",
                width="100%",
                id="notes-preview",
            ),
        ),
        width="100%",
    )


def details_form() -> rx.Component:
    def text_input(name: str, label: str, **props: Any) -> rx.Component:
        element_id = name.replace("_", "-")
        return field(label, rx.input(name=name, default_value=tracked[name].to(str), id=element_id, **props))

    return rx.form(
        rx.vstack(
            rx.flex(
                text_input("salary_min", "Salary from (yearly)", type="number", min=0, placeholder="90000"),
                text_input("salary_max", "to", type="number", min=0, placeholder="110000"),
                text_input("salary_currency", "Currency", max_length=3, placeholder="USD", width="5em"),
                field(
                    "Work mode",
                    rx.select(
                        [m.value for m in WorkMode],
                        name="work_mode",
                        default_value=tracked["work_mode"].to(str),
                        id="work-mode",
                    ),
                ),
                text_input("closes_on", "Applications close", type="date"),
                spacing="3",
                wrap="wrap",
                align="end",
            ),
            rx.flex(
                text_input("next_step", "Next step", placeholder="Call the recruiter", width="22em"),
                text_input("next_step_on", "Due", type="date"),
                rx.button("Save", type="submit", size="2", id="save-details"),
                spacing="3",
                wrap="wrap",
                align="end",
            ),
            error_text(JobTrackingState.details_error, "details-error"),
            width="100%",
        ),
        on_submit=JobTrackingState.save_details,
        reset_on_submit=False,
        key=tracked["details_key"].to(str),
        width="100%",
    )


def contact_row(contact: rx.Var) -> rx.Component:
    email = contact["email"].to(str)
    link = contact["link"].to(str)
    return rx.hstack(
        rx.text(rx.text.strong(contact["name"].to(str)), size="2", class_name="contact-name"),
        rx.cond(contact["role"].to(str) != "", rx.text(contact["role"].to(str), size="2", color_scheme="gray")),
        rx.cond(email != "", rx.link(email, href="mailto:" + email, size="2")),
        rx.cond(link != "", rx.link(link, href=link, is_external=True, size="2")),
        rx.button(
            "Remove",
            size="1",
            variant="ghost",
            color_scheme="red",
            on_click=JobTrackingState.remove_contact(contact["id"].to(int)),
            class_name="remove-contact",
        ),
        align="center",
        class_name="contact",
    )


def contacts() -> rx.Component:
    def contact_input(name: str, placeholder: str) -> rx.Component:
        return rx.input(name=name, placeholder=placeholder, size="1", id=f"contact-{name}")

    return rx.vstack(
        rx.heading("Contacts", size="3"),
        rx.cond(
            JobView.contacts.length() > 0,
            rx.vstack(rx.foreach(JobView.contacts, contact_row), spacing="1", id="contacts"),
            rx.text("No contacts yet.", size="2", color_scheme="gray", id="contacts"),
        ),
        rx.form(
            rx.flex(
                contact_input("name", "Name"),
                contact_input("role", "Role (recruiter, hiring manager…)"),
                contact_input("email", "Email"),
                contact_input("link", "Link (LinkedIn, …)"),
                rx.button("Add contact", type="submit", size="1", id="add-contact"),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            on_submit=JobTrackingState.add_contact,
            reset_on_submit=False,
            width="100%",
        ),
        error_text(JobTrackingState.contact_error, "contact-error"),
        width="100%",
    )


def history_row(change: rx.Var) -> rx.Component:
    return rx.text(
        change["from_status"].to(str) + " → " + change["to_status"].to(str) + " · " + change["when"].to(str),
        size="2",
        class_name="status-change",
    )


def history() -> rx.Component:
    return rx.vstack(
        rx.heading("Status history", size="3"),
        rx.cond(
            JobView.history.length() > 0,
            rx.vstack(rx.foreach(JobView.history, history_row), spacing="1", id="status-history"),
            rx.text("No status changes yet.", size="2", color_scheme="gray", id="status-history"),
        ),
        width="100%",
    )


def tracking_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Tracking", size="4"),
                star_button(),
                rx.spacer(),
                rx.cond(
                    JobTrackingState.notice != "",
                    rx.text(JobTrackingState.notice, size="1", color_scheme="gray", id="tracking-notice"),
                ),
                width="100%",
                align="center",
            ),
            summary(),
            notes_form(),
            details_form(),
            contacts(),
            history(),
            width="100%",
        ),
        width="100%",
        id="tracking",
    )
