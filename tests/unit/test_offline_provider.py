"""The offline drafter: deterministic, grounded in the resume, streamed piece by piece."""

from __future__ import annotations

import pytest

from jobapp.llm import OfflineProvider, Request

INPUTS = {
    "title": "Backend Engineer",
    "company": "Acme",
    "description": "Python, PostgreSQL and Kubernetes; Terraform is a plus.",
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


async def test_letter_uses_resume_evidence_and_names_gaps():
    text = (await OfflineProvider().complete(letter())).text
    assert text.startswith("Dear Acme hiring team,")
    assert "Built Python services on PostgreSQL at Lumen" in text
    assert "terraform" in text.lower()  # the gap is named, not hidden
    assert text.rstrip().endswith("Ada Example")


@pytest.mark.parametrize("tone", ["warm", "formal", "direct"])
async def test_tone_changes_the_opening(tone):
    openings = {(await OfflineProvider().complete(letter(tone=t))).text.split("\n\n")[1] for t in ("warm", tone)}
    assert len(openings) == (1 if tone == "warm" else 2)


async def test_unknown_purpose_is_refused():
    with pytest.raises(ValueError, match="cannot write"):
        await OfflineProvider().complete(Request(purpose="poem", system="", prompt=""))
