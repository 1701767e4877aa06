"""The offline provider: no key, no network, deterministic.

It is not a language model and says so: it drafts from the profile and the posting with fixed
templates, choosing the resume lines that share the most keywords with the posting. The drafts are
useful starting points and are labelled "offline drafter" wherever they are shown.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from typing import Any

from jobapp.llm.base import Completion, Request, Usage
from jobapp.work.keywords import keywords, mentions

NAME = "offline drafter"


def _evidence(resume: str, wanted: list[str], limit: int) -> list[str]:
    """Resume lines that mention the most wanted keywords, best first."""
    lines = [re.sub(r"^[\s\-*•#]+", "", line).strip() for line in resume.splitlines()]
    scored = []
    for index, line in enumerate(lines):
        if len(line) < 12:
            continue
        hits = [k for k in wanted if mentions(line, k)]
        if hits:
            scored.append((-len(hits), index, line.rstrip(".")))
    return [line for _, _, line in sorted(scored)[:limit]]


def _cover_letter(inputs: Mapping[str, Any]) -> str:
    title = inputs.get("title") or "this role"
    company = inputs.get("company") or "your team"
    name = inputs.get("name") or "A hopeful candidate"
    resume = inputs.get("resume", "")
    wanted = keywords(f"{inputs.get('title', '')}\n{inputs.get('description', '')}", limit=20)
    matched = [k for k in wanted if mentions(resume, k)]
    tone = inputs.get("tone", "warm")
    length = inputs.get("length", "medium")
    evidence = _evidence(resume, matched, limit={"short": 1, "medium": 3, "long": 5}.get(length, 3))

    opening = {
        "formal": f"I am writing to apply for the {title} position at {company}.",
        "warm": f"I was glad to see the {title} opening at {company}, and I would love to be considered.",
        "direct": f"I want the {title} job at {company}, and here is why I can do it well.",
    }.get(tone, f"I am applying for the {title} position at {company}.")
    paragraphs = [f"Dear {company} hiring team,", opening]
    if matched:
        paragraphs.append(
            f"The posting asks for {', '.join(matched[:5])}; that is the work I have been doing."
            + (" In particular:" if evidence else "")
        )
    if evidence:
        paragraphs.append("\n".join(f"- {line}." for line in evidence))
    missing = [k for k in wanted if k not in matched][:3]
    if missing and length != "short":
        paragraphs.append(
            f"I have less direct experience with {', '.join(missing)}, and I would pick it up quickly on the job."
        )
    paragraphs.append(f"I would welcome the chance to talk about how I can help {company}. Thank you for your time.")
    paragraphs.append(f"Kind regards,\n{name}")
    return "\n\n".join(paragraphs)


def _evaluation_summary(inputs: Mapping[str, Any]) -> str:
    score = inputs.get("score", 0)
    matched = inputs.get("matched", [])
    missing = inputs.get("missing", [])
    verdict = "a strong match" if score >= 70 else "a partial match" if score >= 40 else "a weak match"
    parts = [f"Keyword coverage is {score}%: {verdict} for your resume."]
    if matched:
        parts.append(f"Covered: {', '.join(matched[:8])}.")
    if missing:
        parts.append(f"Not found in your resume: {', '.join(missing[:8])}.")
    parts.append("Connect an LLM provider in Settings for a rubric-based evaluation.")
    return " ".join(parts)


DRAFTERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "cover-letter": _cover_letter,
    "evaluation-summary": _evaluation_summary,
}


class OfflineProvider:
    name = NAME

    def __init__(self, pace: float = 0.0) -> None:
        # Seconds between streamed words: the text arrives the way a model's would.
        self.pace = pace

    def _draft(self, request: Request) -> str:
        drafter = DRAFTERS.get(request.purpose)
        if drafter is None:
            raise ValueError(f"the offline drafter cannot write {request.purpose!r}")
        return drafter(request.inputs)

    def _usage(self, request: Request, text: str) -> Usage:
        # Word counts stand in for tokens so usage columns mean the same thing for every provider.
        return Usage(input_tokens=len(request.prompt.split()), output_tokens=len(text.split()))

    async def complete(self, request: Request) -> Completion:
        text = self._draft(request)
        return Completion(text, self._usage(request, text), NAME, "templates")

    async def stream(self, request: Request, on_text: Callable[[str], None]) -> Completion:
        text = self._draft(request)
        for piece in re.findall(r"\S+\s*", text):
            on_text(piece)
            await asyncio.sleep(self.pace)
        return Completion(text, self._usage(request, text), NAME, "templates")
