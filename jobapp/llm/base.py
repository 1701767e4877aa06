"""The one small interface every LLM provider implements (complete + stream, with usage)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Request:
    """One generation. Remote models read `system`/`prompt`; the offline drafter reads `inputs`."""

    purpose: str  # the task kind it is written for ("generate-cover-letter", …): picks the offline drafter
    system: str
    prompt: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    max_tokens: int = 1200


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    estimated: bool = False  # the server reported no token counts; they were estimated from the text
    price_known: bool = True  # False: the model's price is unknown, so cost_usd is 0 and says nothing

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

    async def complete(self, request: Request) -> Completion:
        """The whole answer at once."""
        ...

    async def stream(self, request: Request, on_text: Callable[[str], None]) -> Completion:
        """Call `on_text` with each new piece of text as it is produced; return the whole answer."""
        ...
