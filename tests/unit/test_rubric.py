"""The LLM rubric's schema: what a valid answer is, and what an invalid one is told."""

from __future__ import annotations

import json

import pytest

from jobapp.work.rubric import DIMENSIONS, RubricError, parse, repair_request, request


def answer(**overrides) -> dict:
    data = {
        "dimensions": {key: {"score": 4, "evidence": f"{key} evidence", "gaps": ""} for key in DIMENSIONS},
        "recommendation": "apply",
        "summary": "Strong fit.",
    }
    data.update(overrides)
    return data


def test_weights_sum_to_one():
    assert sum(weight for _, weight in DIMENSIONS.values()) == pytest.approx(1.0)


def test_valid_answer_in_code_fences_with_prose_around_it():
    text = "Here you go:\n```json\n" + json.dumps(answer()) + "\n```"
    rubric = parse(text)
    assert rubric.recommendation == "apply"
    assert rubric.weighted() == pytest.approx(4.0)
    assert rubric.percent() == 75
    assert [row["key"] for row in rubric.rows()] == list(DIMENSIONS)


def test_weighted_score_follows_the_weights():
    dims = answer()["dimensions"]
    dims["skills"]["score"] = 5
    dims["red_flags"]["score"] = 1
    rubric = parse(json.dumps(answer(dimensions=dims)))
    assert rubric.weighted() == pytest.approx(5 * 0.4 + 4 * 0.2 + 4 * 0.15 + 4 * 0.15 + 1 * 0.1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("I think they fit well.", "no JSON object"),
        ('{"dimensions": {', "no JSON object"),
        ('{"dimensions": {"skills": }', "does not parse"),
        (json.dumps(answer(recommendation="maybe")), "recommendation"),
        (json.dumps(answer(dimensions={"skills": {"score": 4, "evidence": "x"}})), "dimensions missing: seniority"),
    ],
)
def test_invalid_answers_say_what_is_wrong(text, message):
    with pytest.raises(RubricError, match=message):
        parse(text)


def test_score_out_of_range_is_rejected():
    dims = answer()["dimensions"]
    dims["seniority"]["score"] = 7
    with pytest.raises(RubricError, match=r"dimensions\.seniority\.score"):
        parse(json.dumps(answer(dimensions=dims)))


def test_repair_request_carries_the_error_and_the_bad_answer():
    original = request(posting="Backend role", resume="Python dev", matched=["python"], missing=["go"])
    repair = repair_request(original, "{oops", "the JSON does not parse")
    assert "the JSON does not parse" in repair.prompt
    assert "{oops" in repair.prompt
    assert repair.system == original.system
