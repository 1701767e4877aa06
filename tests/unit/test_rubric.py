"""The LLM rubric's schema: what a valid answer is, and what an invalid one is told."""

from __future__ import annotations

import json

import pytest

from jobapp.skills import analyze
from jobapp.work.rubric import DIMENSIONS, Rubric, RubricError, parse, repair_request, request


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


def test_repair_request_carries_the_error_the_bad_answer_and_the_schema():
    fit = analyze("Requirements: Python and Go", "- Python dev", title="Backend role")
    original = request(posting="Backend role", resume="Python dev", fit=fit)
    repair = repair_request(original, "{oops", "the JSON does not parse")
    assert "the JSON does not parse" in repair.prompt
    assert "{oops" in repair.prompt
    assert repair.system == original.system
    assert repair.answer_schema is original.answer_schema is Rubric


def test_the_prompt_gives_the_skill_check_as_evidence():
    posting = "Senior Data Engineer\nMust have: 5+ years of Python, Airflow, Tableau or Looker.\nNice to have: dbt."
    resume = "- Built Airflow DAGs in Python at Lumen (2017–2023)"
    fit = analyze(posting, resume, title="Senior Data Engineer")
    prompt = request(posting=posting, resume=resume, fit=fit).prompt
    assert 'Found in the resume: Python ("Built Airflow DAGs in Python at Lumen (2017–2023)")' in prompt
    assert "Required, not found: Tableau or Looker" in prompt
    assert "Nice to have, not found: dbt" in prompt
    assert "The posting asks for: senior · 5+ years of Python" in prompt
    assert "about 6 years of work" in prompt


def test_the_schema_names_every_dimension_and_field():
    schema = Rubric.model_json_schema()
    dimensions = schema["$defs"]["Dimensions"]
    assert sorted(dimensions["required"]) == sorted(DIMENSIONS)
    assert sorted(schema["$defs"]["DimensionScore"]["required"]) == ["evidence", "gaps", "score"]
    # Lengths are checked by `parse`, not the schema: strict structured output refuses minLength/maxLength.
    assert "maxLength" not in json.dumps(schema)


def test_an_answer_without_gaps_is_accepted_and_empty_evidence_is_not():
    dims = answer()["dimensions"]
    del dims["skills"]["gaps"]
    assert parse(json.dumps(answer(dimensions=dims))).score("skills").gaps == ""
    dims["skills"]["evidence"] = "  "
    with pytest.raises(RubricError, match=r"dimensions\.skills\.evidence: Value error, evidence must not be empty"):
        parse(json.dumps(answer(dimensions=dims)))
