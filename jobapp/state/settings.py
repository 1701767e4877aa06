"""The settings page's state: the profile, the model provider, research, and the engine's limits."""

from __future__ import annotations

import asyncio

import reflex as rx
from sqlmodel import col, select

from jobapp.db import reader, session
from jobapp.documents import import_resume
from jobapp.llm.config import KINDS
from jobapp.models import Profile, utcnow
from jobapp.preferences import (
    LIMIT_FIELDS,
    engine_limits,
    limits_from_form,
    llm_config,
    research_may_fetch_sites,
    save_engine_limits,
    save_llm_config,
    save_research,
)
from jobapp.tasks.limits import Limits
from jobapp.work.registry import KINDS as TASK_KINDS

PROVIDER_KINDS = list(KINDS)


def _limits_form(limits: Limits) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The limits as the form shows them: every number as text, one row per task kind (blank: no own cap)."""
    numbers = {name: f"{getattr(limits, name):g}" for name in LIMIT_FIELDS}
    caps = [
        {"kind": name, "label": kind.label, "cap": str(limits.kind_limits.get(name, ""))}
        for name, kind in TASK_KINDS.items()
    ]
    return numbers, caps


def _save_limits(form: dict[str, str], kind_caps: dict[str, str]) -> Limits:
    with session() as s:
        limits = limits_from_form(form, kind_caps, engine_limits(s))
        save_engine_limits(s, limits)
        return limits


def _load() -> tuple[Profile, dict[str, str], bool, Limits]:
    with reader() as s:
        profile = s.exec(select(Profile).order_by(col(Profile.id))).first() or Profile()
        config = llm_config(s)
        fetch_sites = research_may_fetch_sites(s)
        limits = engine_limits(s)
    shown = {
        "kind": config.kind,
        "model": config.model,
        "base_url": config.base_url or "",
        "timeout": f"{config.timeout_seconds:g}",
        "key": config.masked_key(),
    }
    return profile, shown, fetch_sites, limits


def _save_profile(name: str, resume: str) -> None:
    with session() as s:
        profile = s.exec(select(Profile).order_by(col(Profile.id))).first() or Profile()
        profile.name, profile.resume, profile.updated_at = name.strip(), resume.strip(), utcnow()
        s.add(profile)
        s.commit()


def _save_provider(form: dict[str, str], api_key: str) -> str:
    with session() as s:
        return save_llm_config(s, form, api_key=api_key).masked_key()


def _save_research(fetch: bool) -> None:
    with session() as s:
        save_research(s, fetch_company_site=fetch)


class SettingsState(rx.State):
    # The person's name, used to sign letters.
    name: str = ""
    # The master resume in Markdown.
    resume: str = ""
    # "Saved", or why an imported resume could not be read.
    profile_message: str = ""
    # The model provider form. The key field is write-only: it starts empty and is never filled in.
    provider_kind: str = "offline"
    provider_model: str = ""
    provider_base_url: str = ""
    provider_timeout: str = "120"
    provider_key: str = ""
    # The stored key as it may be shown ("sk-…abcd").
    provider_key_masked: str = ""
    provider_message: str = ""
    # Whether company research may read the company's website.
    research_fetch_sites: bool = True
    # The engine's limits as typed (field name -> text), and each task kind's own cap ("" for none).
    # Saved, they reach every worker at its next claim: no restart.
    limits: dict[str, str] = {}
    kind_caps: list[dict[str, str]] = []
    limits_message: str = ""

    @rx.event
    def set_limit(self, name: str, value: str):
        self.limits = {**self.limits, name: value}
        self.limits_message = ""

    @rx.event
    def set_kind_cap(self, kind: str, value: str):
        self.kind_caps = [row | {"cap": value} if row["kind"] == kind else row for row in self.kind_caps]
        self.limits_message = ""

    @rx.event
    async def save_limits(self):
        caps = {row["kind"]: row["cap"] for row in self.kind_caps}
        try:
            limits = await asyncio.to_thread(_save_limits, dict(self.limits), caps)
        except ValueError as error:
            self.limits_message = f"Not saved: {error}."
            return
        self.limits, self.kind_caps = _limits_form(limits)
        self.limits_message = "Saved. Every worker applies it at its next claim; running tasks are not stopped."

    @rx.event
    def set_name(self, value: str):
        self.name, self.profile_message = value, ""

    @rx.event
    def set_resume(self, value: str):
        self.resume, self.profile_message = value, ""

    @rx.event
    def set_provider_kind(self, value: str):
        self.provider_kind = value

    @rx.event
    def set_provider_model(self, value: str):
        self.provider_model = value

    @rx.event
    def set_provider_base_url(self, value: str):
        self.provider_base_url = value

    @rx.event
    def set_provider_timeout(self, value: str):
        self.provider_timeout = value

    @rx.event
    def set_provider_key(self, value: str):
        self.provider_key = value

    @rx.event
    async def load(self):
        profile, provider, fetch_sites, limits = await asyncio.to_thread(_load)
        self.name, self.resume, self.profile_message = profile.name, profile.resume, ""
        self.provider_kind, self.provider_model = provider["kind"], provider["model"]
        self.provider_base_url, self.provider_timeout = provider["base_url"], provider["timeout"]
        self.provider_key, self.provider_key_masked, self.provider_message = "", provider["key"], ""
        self.research_fetch_sites = fetch_sites
        (self.limits, self.kind_caps), self.limits_message = _limits_form(limits), ""

    @rx.event
    async def save_profile(self):
        await asyncio.to_thread(_save_profile, self.name, self.resume)
        self.profile_message = "Saved."

    @rx.event
    async def import_resume(self, files: list[rx.UploadFile]):
        """Read an uploaded PDF, DOCX or Markdown resume into the editor (saved with Save)."""
        for upload in files[:1]:
            data = await upload.read()
            try:
                self.resume = await asyncio.to_thread(import_resume, upload.name or "resume", data)
            except ValueError as error:
                self.profile_message = str(error)
                return
            self.profile_message = f"Imported {upload.name}: check it, then Save."

    @rx.event
    async def save_provider(self):
        form = {
            "kind": self.provider_kind,
            "model": self.provider_model.strip(),
            "base_url": self.provider_base_url.strip(),
            "timeout_seconds": self.provider_timeout.strip(),
        }
        try:
            masked = await asyncio.to_thread(_save_provider, form, self.provider_key)
        except ValueError as error:
            self.provider_message = str(error)
            return
        self.provider_key, self.provider_key_masked = "", masked
        # Tasks keep the provider they were queued with (it is part of what makes them the same work).
        self.provider_message = "Saved. Tasks you queue from now on use this provider; queued ones keep theirs."

    @rx.event
    async def set_research_fetch_sites(self, value: bool):
        self.research_fetch_sites = value
        await asyncio.to_thread(_save_research, value)
