"""Which LLM provider to use and how to reach it: `ProviderConfig`, read from the environment or a dict.

`ProviderConfig` is a plain dataclass so Settings (or a database row) can build one with
`ProviderConfig.from_dict(...)`. The API key never appears in its repr, in error messages or in logs;
`masked_key()` is the only way it is shown ("sk-…abcd").

Environment variables (all optional; with none set the offline drafter is used):

    JOBAPP_LLM_PROVIDER   offline | openai | anthropic (aliases: ollama, vllm, lmstudio, openrouter)
    JOBAPP_LLM_BASE_URL   e.g. http://localhost:11434/v1 for Ollama; empty means the vendor's own API
    JOBAPP_LLM_API_KEY    falls back to OPENAI_API_KEY / ANTHROPIC_API_KEY, but only for that vendor's own API
    JOBAPP_LLM_MODEL      e.g. gpt-4o-mini, claude-sonnet-4-5, llama3.1:8b
    JOBAPP_LLM_TIMEOUT    seconds for a whole call (default 120)
    JOBAPP_LLM_INPUT_PRICE / JOBAPP_LLM_OUTPUT_PRICE   USD per million tokens, for models not in the price table
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from jobapp.llm.base import Provider

Kind = Literal["offline", "openai", "anthropic"]
KINDS: tuple[str, ...] = ("offline", "openai", "anthropic")

# OpenAI-compatible servers people name instead of "openai", with the URL they usually listen on.
ALIASES: dict[str, str | None] = {
    "ollama": "http://localhost:11434/v1",
    "vllm": "http://localhost:8000/v1",
    "lmstudio": "http://localhost:1234/v1",
    "openrouter": "https://openrouter.ai/api/v1",
}

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-5", "offline": "templates"}
FALLBACK_KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
VENDOR_HOSTS = {"openai": "api.openai.com", "anthropic": "api.anthropic.com"}
DEFAULT_TIMEOUT = 120.0
DEFAULT_CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class ProviderConfig:
    """How to reach one LLM provider. Build it from the environment, a dict, or by hand."""

    kind: Kind = "offline"
    model: str = ""  # empty: the kind's default model
    base_url: str | None = None  # None: the vendor's own API
    api_key: str | None = field(default=None, repr=False)
    timeout_seconds: float = DEFAULT_TIMEOUT  # the whole call, from sending the request to the last token
    connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT
    input_price_per_million: float | None = None  # USD; overrides the price table when set
    output_price_per_million: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown LLM provider {self.kind!r} (available: {', '.join(KINDS)})")
        if self.timeout_seconds <= 0:
            raise ValueError("the LLM timeout must be a positive number of seconds")

    @property
    def model_name(self) -> str:
        """The model to ask for: the configured one or the kind's default."""
        return self.model or DEFAULT_MODELS[self.kind]

    def masked_key(self) -> str:
        """The key as it may be shown: its vendor prefix and last four characters ("sk-…abcd")."""
        key = self.api_key or ""
        if not key:
            return "(not set)"
        if len(key) < 12:  # too short to show any of it without giving most of it away
            return "…"
        prefix = "sk-ant-" if key.startswith("sk-ant-") else "sk-" if key.startswith("sk-") else ""
        return f"{prefix}…{key[-4:]}"

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={self.masked_key()!r}" if f.name == "api_key" else f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
        )
        return f"ProviderConfig({shown})"

    __str__ = __repr__

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderConfig:
        """Build from a mapping (a settings row, a form); unknown keys and empty values are ignored."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names and v not in (None, "")}
        kind = str(values.get("kind", "offline")).strip().lower()
        if kind in ALIASES:
            values.setdefault("base_url", ALIASES[kind])
            kind = "openai"
        values["kind"] = kind
        for name in (
            "timeout_seconds",
            "connect_timeout_seconds",
            "input_price_per_million",
            "output_price_per_million",
        ):
            if name in values:
                values[name] = _number(name, values[name])
        return cls(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ProviderConfig:
        """Read the JOBAPP_LLM_* variables (see the module docstring)."""
        env = os.environ if environ is None else environ
        kind = env.get("JOBAPP_LLM_PROVIDER", "").strip().lower() or "offline"
        base_url = env.get("JOBAPP_LLM_BASE_URL", "").strip()
        key = env.get("JOBAPP_LLM_API_KEY", "")
        # The vendor's own variable is only sent to the vendor's own API, never to another server.
        if not key and kind in VENDOR_HOSTS and (not base_url or urlsplit(base_url).hostname == VENDOR_HOSTS[kind]):
            key = env.get(FALLBACK_KEY_VARS[kind], "")
        return cls.from_dict(
            {
                "kind": kind,
                "base_url": base_url,
                "api_key": key.strip(),
                "model": env.get("JOBAPP_LLM_MODEL", "").strip(),
                "timeout_seconds": env.get("JOBAPP_LLM_TIMEOUT", "").strip(),
                "input_price_per_million": env.get("JOBAPP_LLM_INPUT_PRICE", "").strip(),
                "output_price_per_million": env.get("JOBAPP_LLM_OUTPUT_PRICE", "").strip(),
            }
        )


def _number(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def build_provider(config: ProviderConfig) -> Provider:
    """The provider `config` describes. Builds no connection: nothing touches the network until a call."""
    # Imported here so the offline default never loads the vendor SDKs.
    if config.kind == "openai":
        from jobapp.llm.openai_compat import OpenAICompatibleProvider

        return OpenAICompatibleProvider(config)
    if config.kind == "anthropic":
        from jobapp.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider(config)
    from jobapp.llm.offline import OfflineProvider
    from jobapp.settings import load_settings

    return OfflineProvider(pace=load_settings().offline_pace)
