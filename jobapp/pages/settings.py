"""/settings — the profile every draft is built from, the model provider, research, and the engine's limits."""

from __future__ import annotations

import reflex as rx

from jobapp.pages._page import page
from jobapp.preferences import LIMIT_FIELDS
from jobapp.state.settings import PROVIDER_KINDS, SettingsState

UPLOAD_ID = "resume-upload"


def profile() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Profile", size="4"),
            rx.input(
                placeholder="Your name", value=SettingsState.name, on_change=SettingsState.set_name, id="profile-name"
            ),
            rx.upload(
                rx.text("Import a resume: drop a PDF, DOCX or Markdown file here, or click", size="2"),
                id=UPLOAD_ID,
                accept={
                    "application/pdf": [".pdf"],
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"],
                    "text/markdown": [".md", ".markdown"],
                    "text/plain": [".txt"],
                },
                max_files=1,
                on_drop=SettingsState.import_resume(rx.upload_files(upload_id=UPLOAD_ID)),
                border="1px dashed var(--gray-a7)",
                padding="1em",
                width="100%",
            ),
            rx.text_area(
                placeholder="Your resume in Markdown",
                value=SettingsState.resume,
                on_change=SettingsState.set_resume,
                rows="16",
                width="100%",
                id="profile-resume",
            ),
            rx.hstack(
                rx.button("Save", on_click=SettingsState.save_profile, id="save-profile"),
                rx.text(SettingsState.profile_message, id="profile-saved"),
                align="center",
            ),
            width="100%",
        ),
        width="100%",
    )


def provider() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Model provider", size="4"),
            rx.text(
                "The offline drafter needs no key and sends nothing anywhere. OpenAI-compatible works with "
                "OpenAI, Ollama, vLLM, LM Studio and OpenRouter through the base URL.",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.select(
                    PROVIDER_KINDS,
                    value=SettingsState.provider_kind,
                    on_change=SettingsState.set_provider_kind,
                    id="provider-kind",
                ),
                rx.input(
                    placeholder="Model (blank: default)",
                    value=SettingsState.provider_model,
                    on_change=SettingsState.set_provider_model,
                    id="provider-model",
                ),
                rx.input(
                    placeholder="Base URL (blank: the vendor's API)",
                    value=SettingsState.provider_base_url,
                    on_change=SettingsState.set_provider_base_url,
                    id="provider-base-url",
                    width="22em",
                ),
                rx.input(
                    placeholder="Timeout (s)",
                    value=SettingsState.provider_timeout,
                    on_change=SettingsState.set_provider_timeout,
                    width="7em",
                ),
                width="100%",
                wrap="wrap",
            ),
            rx.hstack(
                rx.input(
                    type="password",
                    placeholder="API key (blank: keep " + SettingsState.provider_key_masked + ")",
                    value=SettingsState.provider_key,
                    on_change=SettingsState.set_provider_key,
                    id="provider-key",
                    width="28em",
                ),
                rx.button("Save provider", on_click=SettingsState.save_provider, id="save-provider"),
                rx.text(SettingsState.provider_message, size="2", id="provider-message"),
                align="center",
            ),
            width="100%",
        ),
        width="100%",
    )


def research() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Research", size="4"),
            rx.checkbox(
                "Company research may read the company's website (fetched safely; never private addresses)",
                checked=SettingsState.research_fetch_sites,
                on_change=SettingsState.set_research_fetch_sites,
            ),
            width="100%",
        ),
        width="100%",
    )


def limit_input(name: str, label: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2"),
        rx.input(
            value=SettingsState.limits[name],
            on_change=lambda value: SettingsState.set_limit(name, value),
            id=f"limit-{name}",
            width="8em",
        ),
        spacing="1",
    )


def kind_cap_input(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(row["label"], size="2"),
        rx.input(
            value=row["cap"],
            placeholder="no own cap",
            on_change=lambda value: SettingsState.set_kind_cap(row["kind"], value),
            id="cap-" + row["kind"].to(str),
            width="8em",
        ),
        spacing="1",
    )


def background_work() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Background work", size="4"),
            rx.text(
                "Caps count the tasks running on every worker of the deployment. Changes apply at the next "
                "claim, without a restart.",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(*(limit_input(name, label) for name, (label, _) in LIMIT_FIELDS.items()), wrap="wrap"),
            rx.text("At most this many at once, per kind:", size="2", weight="medium"),
            rx.hstack(rx.foreach(SettingsState.kind_caps, kind_cap_input), wrap="wrap"),
            rx.hstack(
                rx.button("Save limits", on_click=SettingsState.save_limits, id="save-limits"),
                rx.text(SettingsState.limits_message, size="2", id="limits-message"),
                align="center",
            ),
            width="100%",
        ),
        width="100%",
    )


@page("/settings", "Settings", on_load=[SettingsState.load])
def settings() -> rx.Component:
    return rx.vstack(profile(), provider(), research(), background_work(), spacing="5", padding_y="1.5em")
