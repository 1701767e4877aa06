"""Skills outside the vocabulary: product and technology names a posting asks for that we do not know.

YAKE (an unsupervised keyword extractor) proposes the posting's key phrases; a hard filter then keeps
only those shaped like a product name: every word capitalised wherever it appears and at least once
in the middle of a sentence ("Hasura", "Temporal Cloud"), or written with inner capitals, digits or
symbols ("tRPC", "Neo4j"). Filler, role words, places, the company's own name and short acronyms
("EU", "KPI") are dropped. Better to miss an unknown tool than to tell someone they lack "Offer".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jobapp.skills._vocabulary import Vocabulary, key

MAX_TERMS = 5

# Capitalised words that postings use and that are not skills.
NOT_SKILLS = frozenset(
    """
    about above access across ai all also an and annual apply are as at august autonomy be benefits best
    bonus bring build but by can candidate candidates career careers ceo cfo co coo company compensation
    competitive cto culture customer customers data day days december degree develop developer developers
    design dev diverse diversity do each engineer engineering engineers enterprise equal equity
    excellent experience expert february fintech for friday from full fundamentals global great grow
    growth guide have health help hiring home hybrid ideal impact in inclusion insurance it january join
    july june junior lead leader leadership learn learning level life march may mid mission monday
    months must new nice note november october of offer office on onboarding open opportunity or our own
    paid parental partner partners people perks platform please plus position preferred principal product
    products professional qualifications remote requirements responsibilities role saas salary saturday
    senior september series services skills software solutions someone staff stack startup strong
    sunday support team teams tech technical technology the thursday to tools tuesday us vacation values
    we wednesday what who why with work world year years you your yours team's answer answers b2b b2c
    kpi kpis okr okrs pto roi sla api apis ui ux faq etc inc ltd gmbh llc corp plc ag sa bv mba phd bsc
    msc bs ms ba usd eur gbp
    """.split()
)
# Places: postings name them in the middle of sentences, capitalised, like products.
PLACES = frozenset(
    """
    eu europe european emea apac latam americas america north south east west us usa uk united states
    kingdom germany france spain italy netherlands portugal poland ireland sweden norway denmark finland
    switzerland austria belgium canada mexico brazil argentina india china japan singapore australia
    israel berlin munich hamburg london paris amsterdam madrid barcelona lisbon dublin stockholm zurich
    vienna warsaw prague new york san francisco seattle austin boston chicago los angeles toronto
    vancouver bangalore tokyo sydney remote anywhere cet cest utc est pst gmt
    """.split()
)
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*(?:[-*•]\s+)?)$")


@lru_cache(maxsize=1)
def _extractor() -> Any:
    # Imported here: YAKE pulls in numpy and networkx, which the rest of the app does not need.
    import yake

    return yake.KeywordExtractor(lan="en", n=2, top=40, dedup_lim=0.8)


def _name_shaped(word: str) -> bool:
    return bool(re.search(r"[a-z][A-Z]|\d|[+#]|\.\w", word)) or (word[:1].isupper() and not word.isupper())


def _always_capitalised_mid_sentence(term: str, text: str) -> bool:
    """Every occurrence keeps its capitals, and one is not at the start of a sentence or line."""
    mid_sentence = False
    for match in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE):
        if match.group() != term:
            return False
        if not SENTENCE_START.search(text[max(0, match.start() - 4) : match.start()]):
            mid_sentence = True
    return mid_sentence


def unknown_terms(text: str, vocabulary: Vocabulary, *, exclude: set[str]) -> list[str]:
    """Product-like names `text` asks for that the vocabulary does not know, most salient first.

    `exclude` holds the words that are never skills here (the company's name, the place, the title).
    """
    if not text.strip():
        return []
    excluded = {key(word) for word in exclude}
    found: list[str] = []
    for phrase, _score in _extractor().extract_keywords(text):
        words = phrase.split()
        lowered = [w.lower().strip(".,:;()") for w in words]
        if any(w in NOT_SKILLS or w in PLACES or key(w) in excluded for w in lowered):
            continue
        if any(len(w) < 2 or w.isdigit() or re.fullmatch(r"[A-Z]{2,4}s?", w) for w in words):
            continue  # short acronyms are too ambiguous: EU, KPI, SLA
        if not all(_name_shaped(w) for w in words) or next(vocabulary.find(phrase), None) is not None:
            continue
        if not _always_capitalised_mid_sentence(phrase, text):
            continue
        if any(key(phrase) in key(other) or key(other) in key(phrase) for other in found):
            continue
        found.append(phrase)
        if len(found) == MAX_TERMS:
            break
    return found
