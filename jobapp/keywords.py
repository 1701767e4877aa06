"""Deterministic keyword coverage: which of a posting's salient terms the resume mentions.

Always computed for evaluate-job, with or without an LLM, so every job gets a score that is cheap,
explainable and identical on every run.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

# Words that carry no signal about fit in a job posting.
STOPWORDS = frozenset(
    """a about above across after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each etc every
    few for from further had has have having he her here hers him his how i if in into is it its
    just me more most my no nor not now of off on once only or other our ours out over own per
    same she should so some such than that the their theirs them then there these they this those
    through to too under until up upon us very via was we were what when where which while who whom
    why will with within without would you your yours yourself able across ability role roles job
    jobs position company team teams work working works experience experienced years year strong
    excellent great good new best help helping looking join us our we're you'll you're including
    include includes etc e.g i.e plus bonus nice must required requirements requirement preferred
    responsibilities responsibility qualifications skills skill knowledge understanding familiarity
    candidate candidates opportunity opportunities environment day days using use used build building
    make making ensure across within across world like well highly high level levels based across
    apply applicants benefits salary equal employer please may might one two three first time full
    part remote hybrid office location related relevant other others things way ways get run
    want wants love need needs needed
    """.split()
)

TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9+#./-]*[A-Za-z0-9+#]|[A-Za-z]")


def _looks_technical(token: str) -> bool:
    return any(c in token for c in "+#./") or any(c.isdigit() for c in token) or token[1:] != token[1:].lower()


def keywords(text: str, limit: int = 25) -> list[str]:
    """The posting's most salient terms, lower-cased, most important first."""
    counts: Counter[str] = Counter()
    bonus: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    for index, match in enumerate(TOKEN.finditer(text)):
        raw = match.group().strip("./-")
        term = raw.lower()
        if len(term) < 2 or term in STOPWORDS or term.isdigit():
            continue
        counts[term] += 1
        first_seen.setdefault(term, index)
        # Capitalised mid-sentence words and symbol-bearing tokens (C++, Node.js, k8s) are usually
        # the technologies and domains a posting is about.
        if _looks_technical(raw) or (raw[0].isupper() and index and text[match.start() - 2 : match.start()] != ". "):
            bonus[term] = 2
    for term in [t for t in counts if t.endswith("s") and t[:-1] in counts]:
        counts[term[:-1]] += counts.pop(term)  # "engineers" counts toward "engineer"
        bonus[term[:-1]] = max(bonus[term[:-1]], bonus.pop(term, 0))
    ranked = sorted(counts, key=lambda t: (-(counts[t] + bonus[t]), first_seen[t]))
    return ranked[:limit]


@lru_cache(maxsize=4096)
def _pattern(keyword: str) -> re.Pattern[str]:
    # Singular and plural count as the same term ("engineer" / "engineers").
    stem = keyword[:-1] if keyword.endswith("s") and len(keyword) > 3 else keyword
    return re.compile(rf"(?<![\w+#]){re.escape(stem)}(?:s|es)?(?![\w+#])", re.IGNORECASE)


def mentions(text: str, keyword: str) -> bool:
    """Whole-term, case-insensitive match (so "java" does not match "javascript")."""
    return _pattern(keyword).search(text) is not None


@dataclass(frozen=True)
class Coverage:
    score: int  # 0–100: share of the posting's keywords found in the resume
    matched: list[str]
    missing: list[str]


def coverage(posting: str, resume: str, *, company: str = "", limit: int = 25) -> Coverage:
    """Score the resume against the posting; the company's own name is not a skill."""
    own_name = {t.lower() for t in TOKEN.findall(company)}
    wanted = [k for k in keywords(posting, limit + len(own_name)) if k not in own_name][:limit]
    matched = [k for k in wanted if mentions(resume, k)]
    missing = [k for k in wanted if k not in matched]
    score = round(100 * len(matched) / len(wanted)) if wanted else 0
    return Coverage(score, matched, missing)
