"""LLM providers behind one interface; `get_provider` picks the configured one.

Providers: the offline drafter (default: no key, no network), any OpenAI-compatible server and
Anthropic. Remote providers raise the task engine's TransientError / PermanentError, so the engine
retries what is worth retrying.
"""

from __future__ import annotations

from jobapp.llm.base import Completion, Provider, Request, Usage
from jobapp.llm.config import ProviderConfig, build_provider
from jobapp.llm.offline import OfflineProvider


def get_provider(config: ProviderConfig | None = None) -> Provider:
    """The provider `config` describes; without one, the one the JOBAPP_LLM_* variables choose."""
    return build_provider(config if config is not None else ProviderConfig.from_env())


__all__ = [
    "Completion",
    "OfflineProvider",
    "Provider",
    "ProviderConfig",
    "Request",
    "Usage",
    "build_provider",
    "get_provider",
]
