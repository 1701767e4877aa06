"""The deterministic fit score: salient terms of a posting, and which the resume covers."""

from __future__ import annotations

import pytest

from jobapp.keywords import coverage, keywords, mentions

POSTING = """Senior Backend Engineer at Acme. We want an engineer with Python, PostgreSQL and Kubernetes.
You will build APIs with FastAPI, run CI/CD pipelines and mentor engineers. Nice to have: Go, C++ and AWS."""
RESUME = """- Built Python services on PostgreSQL and Redis
- Ran Kubernetes clusters on AWS
- Mentored junior engineers"""


def test_keywords_rank_technologies_and_drop_filler():
    terms = keywords(POSTING)
    for expected in ("python", "postgresql", "kubernetes", "fastapi", "ci/cd", "c++", "aws"):
        assert expected in terms
    for filler in ("we", "with", "will", "nice", "have"):
        assert filler not in terms
    assert terms.count("engineer") == 1 and "engineers" not in terms  # plural folded into singular


@pytest.mark.parametrize(
    ("text", "keyword", "found"),
    [
        ("Java and Spring", "java", True),
        ("JavaScript only", "java", False),
        ("mentored engineers", "engineer", True),
        ("C++17 and C#", "c#", True),
        ("postgres", "postgresql", False),
    ],
)
def test_mentions_matches_whole_terms(text, keyword, found):
    assert mentions(text, keyword) is found


def test_coverage_scores_matched_share_and_ignores_the_company_name():
    result = coverage(POSTING, RESUME, company="Acme")
    assert "acme" not in result.matched + result.missing
    assert {"python", "postgresql", "kubernetes", "aws"} <= set(result.matched)
    assert {"fastapi", "c++"} <= set(result.missing)
    assert result.score == round(100 * len(result.matched) / (len(result.matched) + len(result.missing)))


def test_coverage_of_an_empty_posting_is_zero():
    assert coverage("", RESUME).score == 0
