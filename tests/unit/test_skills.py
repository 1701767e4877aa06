"""jobapp.skills: the vocabulary and its matcher, the posting reader, unknown tools, and the fit."""

from __future__ import annotations

from datetime import date

import pytest

from jobapp.skills import Level, VocabularyError, analyze, parse_vocabulary, read_posting, spoken_list, vocabulary
from jobapp.skills._phrases import unknown_terms
from jobapp.skills._posting import resume_years


def found(text: str) -> list[tuple[str, str]]:
    return [(m.skill, m.text) for m in vocabulary().find(text)]


# -- the vocabulary file ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[[skill]]\nname = "A"\ncategory = "x"\naliases = ["B"]\n[[skill]]\nname = "B"\ncategory = "x"\n',
            "B: the name 'B' already belongs to A",
        ),
        (
            '[[skill]]\nname = "A"\ncategory = "x"\nimplies = ["Nope"]\n',
            "A: implies 'Nope', which is not in the vocabulary",
        ),
        ('[[skill]]\nname = "A"\ncategory = "x"\nalias = ["B"]\n', "A: unknown keys alias"),
        ('[[skill]]\nname = "A"\n', "A: category must be a non-empty string"),
        ('[[skill]]\nname = "A"\ncategory = "x"\naliases = "B"\n', "A: aliases must be a list of non-empty strings"),
        ("[[skill]\n", "is not valid TOML"),
        ("title = 'no skills'\n", "has no [[skill]] tables"),
    ],
)  # fmt: skip
def test_a_bad_vocabulary_is_refused_with_the_skill_and_the_reason(toml, message):
    with pytest.raises(VocabularyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_vocabulary(toml)


def test_the_shipped_vocabulary_loads_and_implies_transitively():
    vocab = vocabulary()
    assert len(vocab.skills) > 250
    shown = vocab.closure({"Next.js"})
    assert shown["React"] == shown["JavaScript"] == "Next.js"
    assert vocab.name_of("postgres") == "PostgreSQL" and vocab.name_of("K8s") == "Kubernetes"


# -- the matcher ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JavaScript only", [("JavaScript", "JavaScript")]),
        ("Java and Spring", [("Java", "Java"), ("Spring Boot", "Spring")]),
        ("C, C++ and C#", [("C", "C"), ("C++", "C++"), ("C#", "C#")]),
        ("a Series C startup hiring C-level staff", []),
        ("ASP.NET and .NET Core", [("ASP.NET", "ASP.NET"), (".NET", ".NET Core")]),
        ("Go services; go to market; Go-to-market", [("Go", "Go")]),
        ("REST APIs and the rest of the team", [("REST APIs", "REST APIs")]),
        ("R&D with R", [("R", "R")]),
        ("CI-CD, CICD and ci/cd", [("CI/CD", "CI-CD"), ("CI/CD", "CICD"), ("CI/CD", "ci/cd")]),
        (
            "React Native, React.js, ReactJS",
            [("React Native", "React Native"), ("React", "React.js"), ("React", "ReactJS")],
        ),
        ("microservice and data pipeline", [("Microservices", "microservice"), ("ETL", "data pipeline")]),
        ("Node pools of nodes", []),
    ],
)  # fmt: skip
def test_names_are_found_whole_in_any_spelling_and_not_inside_other_words(text, expected):
    assert found(text) == expected


# -- reading a posting ------------------------------------------------------------------------------


def read(text: str, title: str = ""):
    return read_posting(text, vocabulary(), title=title)


def asks(text: str, title: str = "") -> dict[str, str]:
    return {" | ".join(a.options): a.level.value for a in read(text, title).asks}


def test_a_line_that_starts_with_a_heading_word_is_not_a_heading():
    assert asks("Nice to have:\n- Go\nExperience with Kubernetes") == {"Go": "preferred", "Kubernetes": "preferred"}
    assert asks("Nice to have:\n- Go\n\nRequirements\n- Kubernetes") == {"Go": "preferred", "Kubernetes": "required"}


def test_a_not_required_section_drops_its_skills_everywhere():
    posting = read("We use Python and Scala.\n\nNot required:\n- Scala")
    assert posting.excluded == {"Scala"}
    assert [a.options for a in posting.asks] == [("Python",)]


def test_inline_labels_and_cues_set_the_level():
    assert asks("Bonus: Go. Must have: Rust. Benefits: Spotify and AWS credits") == {
        "Go": "preferred",
        "Rust": "required",
    }
    assert asks("Python, and preferably Django") == {"Python": "required", "Django": "preferred"}
    assert asks("Python plus SQL") == {"Python": "required", "SQL": "required"}  # "plus" as "and" is no cue


def test_years_and_seniority():
    posting = read("3-5 years of Java. Over ten years of experience. Founded 20 years ago.", title="Mid-level Engineer")
    assert {(y.skill, y.years) for y in posting.years} == {("Java", 3), ("", 10)}
    assert posting.seniority == "mid"
    assert read("Python (5+ years)").years[0].skill == "Python"
    assert read("We're hiring an experienced senior engineer").seniority == "senior"
    assert read("8+ years of Go").seniority == "senior"  # from the years when nothing else says
    assert read("Go").seniority == ""


def test_resume_years_count_overlaps_once():
    resume = "Lumen 2015 – 2019\nAcme 2018-2020\nNow 2022–present\n(founded 1999)"
    assert resume_years(resume, today=date(2025, 6, 1)) == 8
    assert resume_years("No dates here") is None


# -- tools outside the vocabulary -------------------------------------------------------------------


def test_unknown_tools_are_product_names_and_filler_is_not():
    text = (
        "We are hiring in the EU! Bring strong fundamentals, answer questions from partners.\n"
        "Experience with Hasura and the Acme platform.\nYou will use Hasura every day. Note: KPI reviews with the CEO."
    )
    assert unknown_terms(text, vocabulary(), exclude={"Acme"}) == ["Hasura"]


def test_a_capitalised_word_that_is_also_written_in_lower_case_is_not_a_product():
    text = "Experience with Terraform and Delivery.\nYou care about delivery."
    assert unknown_terms(text, vocabulary(), exclude=set()) == []


# -- the fit ----------------------------------------------------------------------------------------


def test_the_fit_keeps_required_and_preferred_apart_with_evidence():
    posting = "Requirements:\n- 4+ years of Python and Postgres\n- Kafka\n\nNice to have:\n- Go or Rust"
    resume = "# Ada\nBackend engineer, 2019–2024\n- Built payment APIs in Python on PostgreSQL\n- Python tooling"
    fit = analyze(posting, resume, title="Senior Backend Engineer")
    assert fit.matched == ["Python", "PostgreSQL"]
    assert fit.required_missing == ["Kafka"] and fit.preferred_missing == ["Go or Rust"]
    assert fit.evidence[0] == {"skill": "Python", "line": "Built payment APIs in Python on PostgreSQL"}
    # Required asks weigh three times a preferred one: 2 of 3 required met, the preferred one not.
    assert fit.score == round(100 * 6 / 10)
    stored = fit.as_dict()
    assert stored["missing"] == ["Kafka", "Go or Rust"]
    assert stored["years"] == [{"skill": "Python", "years": 4}]
    assert stored["asks"] == "senior · 4+ years of Python"
    assert stored["resume_years"] == 5


def test_an_empty_posting_scores_zero():
    fit = analyze("", "- Python")
    assert (fit.score, fit.required_missing, fit.matched) == (0, [], [])


def test_spoken_lists():
    assert [spoken_list(items) for items in ([], ["A"], ["A", "B"], ["A", "B", "C"])] == [
        "",
        "A",
        "A and B",
        "A, B and C",
    ]
    assert spoken_list(["A", "B"], "or") == "A or B"


def test_levels_are_the_stored_words():
    assert {level.value for level in (Level.REQUIRED, Level.PREFERRED)} == {"required", "preferred"}
