"""The fit table (tests/fixtures/fit_cases.toml), one test per case: what a recruiter would say is required
but missing, and where the case says so, what is nice to have, found, the years and the seniority."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from jobapp.skills import analyze

CASES: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).parents[1] / "fixtures" / "fit_cases.toml").read_text(encoding="utf-8")
)["case"]


def params() -> list[Any]:
    return [
        pytest.param(
            case,
            id=case["name"],
            marks=[pytest.mark.xfail(reason=case["known_gap"], strict=True)] if "known_gap" in case else [],
        )
        for case in CASES
    ]


def test_the_table_is_large_enough_and_its_names_are_unique():
    assert len(CASES) >= 40
    assert len({case["name"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", params())
def test_case(case: dict[str, Any]):
    fit = analyze(
        case["posting"],
        case["resume"],
        title=case.get("title", ""),
        company=case.get("company", ""),
        location=case.get("location", ""),
    )
    assert sorted(fit.required_missing) == sorted(case["required_missing"])
    if "preferred_missing" in case:
        assert sorted(fit.preferred_missing) == sorted(case["preferred_missing"])
    if "matched" in case:
        assert set(case["matched"]) <= set(fit.matched)
    if "years" in case:
        assert {y.skill: y.years for y in fit.years} == case["years"]
    if "seniority" in case:
        assert fit.seniority == case["seniority"]
