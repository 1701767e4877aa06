"""LLM providers behind one interface; `get_provider` picks the configured one."""

from __future__ import annotations

import os

from jobapp.llm.base import Completion, Provider, Request, Usage
from jobapp.llm.offline import OfflineProvider
from jobapp.settings import load_settings


def get_provider() -> Provider:
    """The provider chosen by JOBAPP_LLM_PROVIDER (default: the offline drafter)."""
    name = os.environ.get("JOBAPP_LLM_PROVIDER", "offline")
    if name == "offline":
        return OfflineProvider(pace=load_settings().offline_pace)
    raise ValueError(f"unknown LLM provider {name!r} (available: offline)")


__all__ = ["Completion", "OfflineProvider", "Provider", "Request", "Usage", "get_provider"]
