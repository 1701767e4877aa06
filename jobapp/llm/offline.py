"""The offline provider: no key, no network, deterministic.

It is not a language model and says so: it drafts from the profile and the posting with fixed
templates, built on the skill check of jobapp.skills: the resume lines that show the most of the skills
the posting asks for, skills under their proper names, and only the required ones it misses. The
drafts are useful starting points and are labelled "offline drafter" wherever they are shown.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from typing import Any

from jobapp.llm.base import Completion, Request, Usage
from jobapp.skills import Fit, analyze, spoken_list, vocabulary

NAME = "offline drafter"


def _fit(inputs: Mapping[str, Any]) -> Fit:
    return analyze(
        inputs.get("description", ""),
        inputs.get("resume", ""),
        title=inputs.get("title", ""),
        company=inputs.get("company", ""),
        location=inputs.get("location", ""),
    )


def _skills_in(line: str, wanted: list[str]) -> list[str]:
    """The wanted skills a line shows (named or implied: a PostgreSQL line shows SQL)."""
    vocab = vocabulary()
    shown = vocab.closure({m.skill for m in vocab.find(line)})
    return [skill for skill in wanted if skill in shown]


def _evidence(resume: str, wanted: list[str], limit: int) -> list[str]:
    """Resume lines that show the most wanted skills, best first."""
    raw = resume.splitlines()
    # Achievements live in bullets; headings and the subtitle are only evidence when there are none.
    bullets = [line for line in raw if re.match(r"\s*[-*•]\s", line)]
    lines = [re.sub(r"^[\s\-*•#]+", "", line).strip() for line in bullets or raw]
    scored = []
    for index, line in enumerate(lines):
        if len(line) < 12:
            continue
        if hits := _skills_in(line, wanted):
            scored.append((-len(hits), index, line.rstrip(".")))
    return [line for _, _, line in sorted(scored)[:limit]]


def _cover_letter(inputs: Mapping[str, Any]) -> str:
    title = inputs.get("title") or "this role"
    company = inputs.get("company") or "your team"
    name = inputs.get("name") or "A hopeful candidate"
    resume = inputs.get("resume", "")
    fit = _fit(inputs)
    tone = inputs.get("tone", "warm")
    length = inputs.get("length", "medium")
    evidence = _evidence(resume, fit.matched, limit={"short": 1, "medium": 3, "long": 5}.get(length, 3))

    opening = {
        "formal": f"I am writing to apply for the {title} position at {company}.",
        "warm": f"I was glad to see the {title} opening at {company}, and I would love to be considered.",
        "direct": f"I want the {title} job at {company}, and here is why I can do it well.",
    }.get(tone, f"I am applying for the {title} position at {company}.")
    paragraphs = [f"Dear {company} hiring team,", opening]
    if fit.matched:
        paragraphs.append(
            f"You are looking for someone with {spoken_list(fit.matched[:5])}, and that is the work I have been "
            "doing." + (" In particular:" if evidence else "")
        )
    if evidence:
        paragraphs.append("\n".join(f"- {line}." for line in evidence))
    missing = fit.required_missing[:3]
    if missing and length != "short":
        them = "it" if len(missing) == 1 else "them"
        paragraphs.append(
            f"I have not yet worked with {spoken_list(missing)} in a job, and I would make learning {them} "
            "my first priority."
        )
    paragraphs.append(f"I would welcome the chance to talk about how I can help {company}. Thank you for your time.")
    paragraphs.append("Kind regards,")
    paragraphs.append(name)
    return "\n\n".join(paragraphs)


def _evaluation_summary(inputs: Mapping[str, Any]) -> str:
    score = inputs.get("score", 0)
    matched = inputs.get("matched", [])
    required_missing = inputs.get("required_missing", [])
    preferred_missing = inputs.get("preferred_missing", [])
    verdict = "a strong match" if score >= 70 else "a partial match" if score >= 40 else "a weak match"
    parts = [f"Skill coverage is {score}%: {verdict} for your resume."]
    if matched:
        parts.append(f"Your resume shows {spoken_list(matched[:8])}.")
    if required_missing:
        parts.append(f"Required but not in your resume: {spoken_list(required_missing[:8])}.")
    if preferred_missing:
        parts.append(f"Nice to have, not in your resume: {spoken_list(preferred_missing[:8])}.")
    if inputs.get("asks"):
        parts.append(f"The posting asks for {inputs['asks']}.")
    parts.append("Connect an LLM provider in Settings for a rubric-based evaluation.")
    return " ".join(parts)


def _cv(inputs: Mapping[str, Any]) -> str:
    """The resume, tailored by order only: the skills the posting asks for first, then every section
    with its bullets sorted by how many of those skills they show. Nothing is added or reworded, so no
    employer, title, school or date can appear that the resume does not have."""
    resume = inputs.get("resume", "").strip()
    fit = _fit(inputs)
    wanted = fit.matched
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        bullets = [line for line in block if re.match(r"\s*[-*•]\s", line)]
        if bullets and len(bullets) == len(block):
            block.sort(key=lambda line: -len(_skills_in(line, wanted)))  # stable: ties keep resume order
        out.extend(block)
        block.clear()

    lines = resume.splitlines()
    summary_at = 1 if lines and lines[0].startswith("#") else 0
    for index, line in enumerate(lines):
        if index == summary_at and wanted:
            out.append(f"**Key skills:** {', '.join(wanted[:8])}")
            out.append("")
        if re.match(r"\s*[-*•]\s", line):
            block.append(line)
            continue
        flush()
        out.append(line)
    flush()
    return "\n".join(out).strip()


def _research(inputs: Mapping[str, Any]) -> str:
    company = inputs.get("company") or "The company"
    title = inputs.get("title") or "the role"
    posting = inputs.get("description", "")
    site = inputs.get("site_text", "")
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", f"{site} {posting}") if 30 < len(s.strip()) < 300]
    builds = [s for s in sentences if re.search(r"\b(build|product|platform|customers?|mission|we make)\b", s, re.I)]
    resume = inputs.get("resume", "")
    fit = _fit(inputs)
    flags = [
        label
        for pattern, label in (
            (r"fast[- ]paced", '"fast-paced": ask how they protect focus time and on-call load'),
            (r"wear many hats", '"wear many hats": ask what the role does not include'),
            (r"unlimited (pto|vacation)", "unlimited PTO: ask how much people actually take"),
            (r"rock ?star|ninja|hero", "hero language: ask about workload and hiring plans"),
            (r"\bunpaid\b|equity only", "pay: equity-only or unpaid work is mentioned"),
        )
        if re.search(pattern, posting, re.I)
    ]
    if not re.search(r"[$€£]\s?\d|\bsalary\b|\bcompensation\b", posting, re.I):
        flags.append("no salary range in the posting: ask for it early")
    sections = {
        "Overview": f"{company} is hiring for {title}"
        + (f" ({inputs['location']})" if inputs.get("location") else "")
        + ". "
        + (sentences[0] if sentences else ""),
        "What they build": "\n".join(f"- {s}" for s in builds[:4]) or "- The posting does not say; check the site.",
        "Recent news": "- The offline drafter does not search the web: read their newsroom before the interview.",
        "Red flags": "\n".join(f"- {f}" for f in flags) or "- None spotted in the posting.",
        "Talking points": "\n".join(
            f"- {line} ({', '.join(_skills_in(line, fit.matched))})" for line in _evidence(resume, fit.matched, limit=5)
        )
        or "- Connect your strongest project to the role's main duties.",
        "Questions to ask": "\n".join(
            [
                f"- The posting asks for {skill} and your resume does not show it: how much of the job is it?"
                for skill in fit.required_missing[:3]
            ]
            + ["- What does success look like in the first 90 days?", "- How is work planned and prioritised?"]
        ),
    }
    source = "the posting and their website" if site else "the posting"
    return f"_Drafted offline from {source}._\n\n" + "\n\n".join(
        f"## {name}\n\n{body}" for name, body in sections.items()
    )


DRAFTERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    # Keyed by the task kind the request is written for (`Request.purpose`).
    "generate-cover-letter": _cover_letter,
    "generate-cv": _cv,
    "company-research": _research,
    "evaluate-job": _evaluation_summary,
}


class OfflineProvider:
    name = NAME
    answers_json = False  # templates, not a model: it writes its own verdict instead of a rubric

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
