"""The one small interface every LLM provider implements (complete + stream, with usage)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel


@dataclass(frozen=True)
class Request:
    """One generation. Remote models read `system`/`prompt`; the offline drafter reads `inputs`."""

    purpose: str  # the task kind it is written for ("generate-cover-letter", …): picks the offline drafter
    system: str
    prompt: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    max_tokens: int = 1200
    # The answer is one JSON object of this model. Providers with structured output ask the server to
    # enforce its schema (OpenAI `response_format`, Anthropic a forced tool); the caller still validates.
    answer_schema: type[BaseModel] | None = None

    @property
    def schema_name(self) -> str:
        """A name for the schema that every API accepts ([a-zA-Z0-9_-], at most 64 characters)."""
        return re.sub(r"[^a-zA-Z0-9_-]", "_", self.purpose)[:64] or "answer"


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    estimated: bool = False  # the server reported no token counts; they were estimated from the text
    price_known: bool = True  # False: the model's price is unknown, so cost_usd is 0 and says nothing

    def __add__(self, other: Usage) -> Usage:
        """Usage of two calls together: estimated if either was, priced only if both were."""
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 8),
            estimated=self.estimated or other.estimated,
            price_known=self.price_known and other.price_known,
        )

    def as_dict(self) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
        }
        # Only said when true, so the common case keeps the three-key shape the task rows store.
        if self.estimated:
            usage["estimated"] = True
        if not self.price_known:
            usage["price"] = "unknown price"
        return usage


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Usage
    provider: str  # shown beside every result: who wrote this
    model: str


class Provider(Protocol):
    name: str
    # True for language models: they can answer a free-form request with JSON (`Request.answer_schema`).
    # The offline drafter cannot; it writes from templates for the purposes it knows.
    answers_json: bool

    async def complete(self, request: Request) -> Completion:
        """The whole answer at once."""
        ...

    async def stream(self, request: Request, on_text: Callable[[str], None]) -> Completion:
        """Call `on_text` with each new piece of text as it is produced; return the whole answer."""
        ...
