"""/settings — the profile every evaluation and letter is built from."""

from __future__ import annotations

import reflex as rx

from jobapp.components.layout import frame
from jobapp.state.board import Board
from jobapp.state.settings import SettingsState


@rx.page(route="/settings", title="Settings · jobapp", on_load=[Board.watch, SettingsState.load])
def settings() -> rx.Component:
    return frame(
        Board.indicator,
        rx.heading("Profile", size="5"),
        rx.input(
            placeholder="Your name", value=SettingsState.name, on_change=SettingsState.set_name, id="profile-name"
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
            rx.button("Save", on_click=SettingsState.save, id="save-profile"),
            rx.text(SettingsState.saved_message, id="profile-saved"),
            align="center",
        ),
    )
