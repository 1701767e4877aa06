"""Estimated cost of a call in USD, from list prices per million tokens.

The table holds a handful of current OpenAI and Anthropic models at their published list prices; it
is an estimate (no batch or cache discounts) and goes stale as vendors change prices. Prices set in
the provider config win over the table, so a person can correct it or price a model it lacks. A model
with no known price costs 0 and is marked "unknown price" rather than pretending to be free.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobapp.llm.base import Usage
from jobapp.llm.config import ProviderConfig


@dataclass(frozen=True)
class Price:
    input_per_million: float  # USD
    output_per_million: float


# Keys are model-name prefixes: "gpt-4o-mini-2024-07-18" is priced as "gpt-4o-mini" (longest match wins).
PRICES: dict[str, Price] = {
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "o4-mini": Price(1.10, 4.40),
    "claude-opus-4-1": Price(15.00, 75.00),
    "claude-opus-4-5": Price(5.00, 25.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-3-5-haiku": Price(0.80, 4.00),
}


def known_price(model: str) -> Price | None:
    """The table's price for `model`, matching dated and vendor-prefixed names ("openai/gpt-4o")."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    matches = [prefix for prefix in PRICES if name == prefix or name.startswith(f"{prefix}-")]
    return PRICES[max(matches, key=len)] if matches else None


def price_for(model: str, config: ProviderConfig | None = None) -> Price | None:
    """Config prices first (when both are set), then the table; None when nobody knows."""
    if config and config.input_price_per_million is not None and config.output_price_per_million is not None:
        return Price(config.input_price_per_million, config.output_price_per_million)
    return known_price(model)


def priced(
    model: str,
    input_tokens: int,
    output_tokens: int,
    config: ProviderConfig | None = None,
    *,
    estimated: bool = False,
) -> Usage:
    """A `Usage` with its estimated cost filled in."""
    price = price_for(model, config)
    cost = 0.0
    if price is not None:
        cost = (input_tokens * price.input_per_million + output_tokens * price.output_per_million) / 1_000_000
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=round(cost, 8),
        estimated=estimated,
        price_known=price is not None,
    )


def cost_label(usage: Usage) -> str:
    """How to show the cost: "$0.0042", "≈ $0.0042" for estimated tokens, or "unknown price"."""
    if not usage.price_known:
        return "unknown price"
    return f"{'≈ ' if usage.estimated else ''}${usage.cost_usd:.4f}"


def estimate_tokens(text: str) -> int:
    """About four characters per token: the usual rule of thumb for English text."""
    return (len(text) + 3) // 4
