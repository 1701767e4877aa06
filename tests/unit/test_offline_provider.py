"""The offline drafter: deterministic, grounded in the resume, streamed piece by piece."""

from __future__ import annotations

import pytest

from jobapp.llm import OfflineProvider, Request

INPUTS = {
    "title": "Backend Engineer",
    "company": "Acme",
    "description": "Requirements:\n- Python, Postgres and Kafka\n- k8s\n\nNice to have: Terraform.",
    "resume": "- Built Python services on PostgreSQL at Lumen\n- Ran Kubernetes clusters",
    "name": "Ada Example",
}


def letter(**overrides) -> Request:
    return Request(
        purpose="generate-cover-letter", system="", prompt="posting and resume", inputs={**INPUTS, **overrides}
    )


async def test_stream_delivers_the_same_text_as_complete_and_reports_usage():
    provider = OfflineProvider()
    pieces: list[str] = []
    streamed = await provider.stream(letter(), pieces.append)
    whole = await provider.complete(letter())
    assert len(pieces) > 20
    assert "".join(pieces) == streamed.text == whole.text
    assert streamed.provider == "offline drafter"
    assert streamed.usage.output_tokens == len(streamed.text.split()) > 0


async def test_letter_uses_resume_evidence_and_names_required_gaps_only():
    text = (await OfflineProvider().complete(letter())).text
    assert text.startswith("Dear Acme hiring team,")
    assert "Built Python services on PostgreSQL at Lumen" in text
    # Skills under their proper names, in a sentence a person would write.
    assert "You are looking for someone with Python, PostgreSQL and Kubernetes" in text
    assert "I have not yet worked with Kafka in a job, and I would make learning it my first priority." in text
    assert "Terraform" not in text  # only nice to have: a letter does not apologise for it
    assert text.rstrip().endswith("Ada Example")


async def test_cv_opens_with_the_matched_skills_under_their_names():
    request = Request(
        purpose="generate-cv", system="", prompt="", inputs={**INPUTS, "resume": "# Ada\n" + INPUTS["resume"]}
    )
    text = (await OfflineProvider().complete(request)).text
    assert text.splitlines()[1] == "**Key skills:** Python, PostgreSQL, Kubernetes"
    assert "Focus for" not in text and "backend, engineer" not in text.lower()


async def test_research_brief_asks_about_required_gaps_only():
    request = Request(purpose="company-research", system="", prompt="", inputs=INPUTS)
    text = (await OfflineProvider().complete(request)).text
    assert "The posting asks for Kafka and your resume does not show it" in text
    assert "Terraform" not in text.split("## Questions to ask")[1]
    assert "(Python, PostgreSQL)" in text  # talking points name the skills each line shows


@pytest.mark.parametrize("tone", ["warm", "formal", "direct"])
async def test_tone_changes_the_opening(tone):
    openings = {(await OfflineProvider().complete(letter(tone=t))).text.split("\n\n")[1] for t in ("warm", tone)}
    assert len(openings) == (1 if tone == "warm" else 2)


async def test_unknown_purpose_is_refused():
    with pytest.raises(ValueError, match="cannot write"):
        await OfflineProvider().complete(Request(purpose="poem", system="", prompt=""))
