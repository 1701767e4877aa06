"""The fit of a resume to a posting: which asks the resume meets, with the line that shows it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobapp.skills._phrases import unknown_terms
from jobapp.skills._posting import Ask, Level, YearsAsked, read_posting, resume_years, sections, spoken_list
from jobapp.skills._vocabulary import Vocabulary, pattern, vocabulary

# A required ask weighs three times a preferred one in the score.
WEIGHTS = {Level.REQUIRED: 3, Level.PREFERRED: 1}
BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")
MAX_LINE = 200


@dataclass(frozen=True)
class Met:
    """An ask and how the resume meets it (`skill` is None when it does not)."""

    ask: Ask
    skill: str | None = None  # the option the resume has ("Looker" for "Tableau or Looker")
    line: str = ""  # the resume line that shows it


@dataclass(frozen=True)
class Fit:
    """How a resume covers what a posting asks for."""

    score: int  # 0–100, required asks weighing most
    asks: list[Met]
    years: list[YearsAsked]
    seniority: str  # the posting's level, "" when it does not say
    resume_years: int | None  # years the resume's date ranges cover

    def _of(self, level: Level, met: bool) -> list[Met]:
        return [m for m in self.asks if m.ask.level == level and (m.skill is not None) is met]

    @property
    def matched(self) -> list[str]:
        """Skills the posting asks for that the resume has, required ones first, each once."""
        found = self._of(Level.REQUIRED, True) + self._of(Level.PREFERRED, True)
        return list(dict.fromkeys(m.skill for m in found if m.skill))

    @property
    def required_missing(self) -> list[str]:
        return [m.ask.label for m in self._of(Level.REQUIRED, False)]

    @property
    def preferred_missing(self) -> list[str]:
        return [m.ask.label for m in self._of(Level.PREFERRED, False)]

    @property
    def evidence(self) -> list[dict[str, str]]:
        """Each matched skill with the resume line that shows it."""
        seen: dict[str, str] = {}
        for met in self._of(Level.REQUIRED, True) + self._of(Level.PREFERRED, True):
            if met.skill and met.skill not in seen:
                seen[met.skill] = met.line
        return [{"skill": skill, "line": line} for skill, line in seen.items()]

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready form stored on the job (see jobapp.work.evaluate)."""
        return {
            "keyword_score": self.score,
            "matched": self.matched,
            "missing": self.required_missing + self.preferred_missing,
            "required_missing": self.required_missing,
            "preferred_missing": self.preferred_missing,
            "matched_evidence": self.evidence,
            "years": [{"skill": y.skill, "years": y.years} for y in self.years],
            "seniority": self.seniority,
            "resume_years": self.resume_years,
            "asks": self.asks_label(),
        }

    def asks_label(self) -> str:
        """What the posting asks for besides skills: "senior · 5+ years of Python"."""
        return " · ".join(filter(None, [self.seniority, *(y.label for y in self.years)]))


def _resume_lines(resume: str) -> list[str]:
    """Resume lines, bullets first: achievements are better evidence than headings."""
    lines = [line for line in resume.splitlines() if line.strip()]
    bullets = [line for line in lines if BULLET.match(line)]
    rest = [line for line in lines if not BULLET.match(line)]
    return [_clean(line) for line in bullets + rest]


def _clean(line: str) -> str:
    text = re.sub(r"^[\s\-*•·#>]+", "", line).strip()
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1].rstrip() + "…"


def resume_skills(resume: str, vocab: Vocabulary | None = None) -> dict[str, str]:
    """Every vocabulary skill the resume shows, named or implied, with the line that shows it."""
    vocab = vocab or vocabulary()
    named: dict[str, str] = {}
    for line in _resume_lines(resume):
        for mention in vocab.find(line):
            named.setdefault(mention.skill, line)
    return {skill: named[source] for skill, source in vocab.closure(set(named)).items()}


def _term_line(term: str, lines: list[str]) -> str | None:
    regex = re.compile(pattern(term), re.IGNORECASE)
    return next((line for line in lines if regex.search(line)), None)


def _meet(ask: Ask, has: dict[str, str], lines: list[str], vocab: Vocabulary) -> Met:
    for option in ask.options:
        if ask.known and option in has:
            return Met(ask, option, has[option])
        if not ask.known and (line := _term_line(option, lines)) is not None:
            return Met(ask, option, line)
    if ask.similar:
        for option in ask.options:
            for peer in sorted(vocab.peers(option)):
                if peer in has:
                    return Met(ask, peer, has[peer])
    return Met(ask)


def analyze(posting: str, resume: str, *, title: str = "", company: str = "", location: str = "") -> Fit:
    """Read the posting, match the resume against what it asks for, and score the fit."""
    vocab = vocabulary()
    exclude = set(re.findall(r"[\w.+#-]+", f"{company} {location} {title}"))
    # Unknown tools are looked for where the posting asks for things, not in the blurb or the perks.
    asking = "\n".join(line for line, level in sections(posting)[0] if level not in (Level.CONTEXT, Level.EXCLUDED))
    terms = unknown_terms(asking, vocab, exclude=exclude)
    read = read_posting(posting, vocab, title=title, company=company, extra_terms=tuple(terms))
    has = resume_skills(resume, vocab)
    lines = _resume_lines(resume)
    met = [_meet(ask, has, lines, vocab) for ask in read.asks]
    total = sum(WEIGHTS[m.ask.level] for m in met)
    got = sum(WEIGHTS[m.ask.level] for m in met if m.skill is not None)
    return Fit(
        score=round(100 * got / total) if total else 0,
        asks=met,
        years=read.years,
        seniority=read.seniority,
        resume_years=resume_years(resume),
    )


__all__ = ["Fit", "Met", "analyze", "resume_skills", "spoken_list"]
