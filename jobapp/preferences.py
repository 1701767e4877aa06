"""Settings a person changes in the app, stored in the `setting` table, over environment defaults.

The API key is kept in the local database (this is a local-first tool) and never sent back to the
browser: the Settings page shows only its masked form, and an empty key field keeps the stored key.
Queued tasks carry a snapshot of the provider settings without the key (`provider_snapshot`); the key is
looked up when the task runs (`provider_for_task`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from sqlmodel import Session

from jobapp.llm.config import ProviderConfig
from jobapp.models import Setting, utcnow
from jobapp.settings import load_settings
from jobapp.tasks.limits import Limits, read_limits, save_limits

LLM = "llm"
RESEARCH = "research"
EDITABLE_LLM_FIELDS = (
    "kind",
    "model",
    "base_url",
    "timeout_seconds",
    "input_price_per_million",
    "output_price_per_million",
)


def _stored(s: Session, key: str) -> dict[str, Any]:
    row = s.get(Setting, key)
    return dict(row.value) if row else {}


def _store(s: Session, key: str, value: dict[str, Any]) -> None:
    row = s.get(Setting, key) or Setting(key=key)
    row.value, row.updated_at = value, utcnow()
    s.add(row)
    s.commit()


def llm_config(s: Session) -> ProviderConfig:
    """The provider settings in force: what was saved in Settings, else the JOBAPP_LLM_* variables."""
    from_env = ProviderConfig.from_env()
    stored = _stored(s, LLM)
    if not stored:
        return from_env
    merged = {**dataclasses.asdict(from_env), **stored}
    if stored.get("kind") != from_env.kind and "api_key" not in stored:
        merged["api_key"] = None  # the environment's key belongs to another vendor
    return ProviderConfig.from_dict(merged)


def save_llm_config(s: Session, form: dict[str, Any], *, api_key: str = "") -> ProviderConfig:
    """Validate and store the provider settings; an empty `api_key` keeps the stored one."""
    stored = _stored(s, LLM)
    value = {name: form.get(name) for name in EDITABLE_LLM_FIELDS if form.get(name) not in (None, "")}
    if api_key.strip():
        value["api_key"] = api_key.strip()
    elif stored.get("api_key") and stored.get("kind") == value.get("kind"):
        value["api_key"] = stored["api_key"]
    config = ProviderConfig.from_dict(value)  # raises ValueError with a readable message
    _store(s, LLM, value)
    return config


def research_may_fetch_sites(s: Session) -> bool:
    """Whether company research may read a company's website (on by default)."""
    return bool(_stored(s, RESEARCH).get("fetch_company_site", True))


def save_research(s: Session, *, fetch_company_site: bool) -> None:
    _store(s, RESEARCH, {"fetch_company_site": fetch_company_site})


# What a queued task keeps of the provider settings: everything but the key.
SNAPSHOT_FIELDS = (
    "kind",
    "model",
    "base_url",
    "timeout_seconds",
    "connect_timeout_seconds",
    "input_price_per_million",
    "output_price_per_million",
)


def provider_snapshot(config: ProviderConfig) -> dict[str, Any]:
    """The provider settings a task is queued with (saved in its payload and part of its dedupe key)."""
    values = dataclasses.asdict(config)
    return {name: values[name] for name in SNAPSHOT_FIELDS if values[name] not in (None, "")} | {
        "model": config.model_name
    }


def provider_for_task(s: Session, snapshot: dict[str, Any] | None) -> ProviderConfig:
    """The provider a queued task runs on: its snapshot, with the key of the settings that name the same
    server (Settings first, then the environment). A task queued before snapshots existed runs on the
    settings in force."""
    if not snapshot:
        return llm_config(s)
    wanted = ProviderConfig.from_dict(snapshot)
    key = None
    for source in (llm_config(s), ProviderConfig.from_env()):
        if (source.kind, source.base_url) == (wanted.kind, wanted.base_url) and source.api_key:
            key = source.api_key
            break
    return dataclasses.replace(wanted, api_key=key)


def default_limits() -> Limits:
    """The engine's limits from the environment (JOBAPP_CONCURRENCY, …), before anything saved in Settings."""
    settings = load_settings()
    return Limits(
        concurrency=settings.concurrency,
        kind_limits=settings.kind_limits,
        max_attempts=settings.max_attempts,
        max_crashes=settings.max_crashes,
        keep_finished_days=settings.keep_finished_days,
        keep_failed_days=settings.keep_failed_days,
        keep_finished_max=settings.keep_finished_max,
    )


def engine_limits(s: Session) -> Limits:
    """The task engine's caps, attempt budgets and retention: saved in Settings, else the environment's."""
    return read_limits(s.connection(), default_limits())


def save_engine_limits(s: Session, limits: Limits) -> None:
    save_limits(s.connection(), limits)
    s.commit()


# The limits form of the Settings page: each number's field, what people call it, and its type.
LIMIT_FIELDS: dict[str, tuple[str, type]] = {
    "concurrency": ("Tasks at once (whole deployment)", int),
    "max_attempts": ("Tries per task on temporary errors", int),
    "max_crashes": ("Lost workers a task survives", int),
    "keep_finished_days": ("Keep finished tasks (days)", float),
    "keep_failed_days": ("Keep failed tasks (days)", float),
    "keep_finished_max": ("Keep at most this many finished tasks", int),
}


def limits_from_form(form: dict[str, str], kind_caps: dict[str, str], current: Limits) -> Limits:
    """The limits a person typed into Settings, checked; a blank per-kind cap means "no cap of its own".

    Raises ValueError with a sentence that names the field, for the form to show.
    """
    changes: dict[str, Any] = {}
    for name, (label, kind) in LIMIT_FIELDS.items():
        text = form.get(name, "").strip()
        try:
            changes[name] = value = kind(text)
            if not math.isfinite(value):
                raise ValueError(text)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise ValueError(f"{label}: {text or 'blank'} is not {noun}") from None
    caps: dict[str, int] = {}
    for task_kind, text in kind_caps.items():
        if not text.strip():
            continue
        try:
            caps[task_kind] = int(text)
        except ValueError:
            raise ValueError(f"the cap of {task_kind}: {text.strip()} is not a whole number") from None
    changes["kind_limits"] = caps
    return current.with_changes(changes)
