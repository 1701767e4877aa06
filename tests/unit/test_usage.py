"""Usage of several model calls added up: tokens and cost summed, "estimated" and "unknown price" kept."""

from __future__ import annotations

from jobapp.llm import Completion, Usage
from jobapp.work.common import total_usage


def completion(usage: Usage) -> Completion:
    return Completion("text", usage, "a provider", "a model")


def test_known_prices_add_up_to_the_three_key_shape():
    usages = [Usage(100, 20, 0.0012), Usage(50, 10, 0.0006)]
    assert total_usage(map(completion, usages)) == {"input_tokens": 150, "output_tokens": 30, "cost_usd": 0.0018}


def test_an_estimate_or_an_unknown_price_in_any_call_is_kept():
    usages = [Usage(100, 20, 0.0012), Usage(50, 10, 0.0, estimated=True, price_known=False)]
    assert total_usage(map(completion, usages)) == {
        "input_tokens": 150,
        "output_tokens": 30,
        "cost_usd": 0.0012,
        "estimated": True,
        "price": "unknown price",
    }


def test_no_calls_cost_nothing():
    assert total_usage([]) == {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}
