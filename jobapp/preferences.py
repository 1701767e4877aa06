"""Settings a person changes in the app, stored in the `setting` table, over environment defaults.

The API key is kept in the local database (this is a local-first tool) and never sent back to the
browser: the Settings page shows only its masked form, and an empty key field keeps the stored key.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlmodel import Session

from jobapp.llm.config import ProviderConfig
from jobapp.models import Setting, utcnow

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


def fingerprint(config: ProviderConfig) -> dict[str, str]:
    """What about the provider changes a draft: it goes into task dedupe keys."""
    return {"provider": config.kind, "model": config.model_name}
