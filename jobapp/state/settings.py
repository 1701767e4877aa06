"""The settings page's state: the profile the drafts are built from."""

from __future__ import annotations

import asyncio

import reflex as rx
from sqlmodel import col, select

from jobapp.db import session
from jobapp.models import Profile, utcnow


def _load() -> Profile:
    with session() as s:
        return s.exec(select(Profile).order_by(col(Profile.id))).first() or Profile()


def _save(name: str, resume: str) -> None:
    with session() as s:
        profile = s.exec(select(Profile).order_by(col(Profile.id))).first() or Profile()
        profile.name, profile.resume, profile.updated_at = name.strip(), resume.strip(), utcnow()
        s.add(profile)
        s.commit()


class SettingsState(rx.State):
    # The person's name, used to sign letters.
    name: str = ""
    # The master resume in Markdown.
    resume: str = ""
    # "Saved" after a successful save.
    saved_message: str = ""

    @rx.event
    def set_name(self, value: str):
        self.name = value
        self.saved_message = ""

    @rx.event
    def set_resume(self, value: str):
        self.resume = value
        self.saved_message = ""

    @rx.event
    async def load(self):
        profile = await asyncio.to_thread(_load)
        self.name, self.resume, self.saved_message = profile.name, profile.resume, ""

    @rx.event
    async def save(self):
        await asyncio.to_thread(_save, self.name, self.resume)
        self.saved_message = "Saved."
