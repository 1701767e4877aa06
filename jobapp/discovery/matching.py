"""Which listed postings a person wants: search terms against the title and department, locations against
the posting's location.

Terms are comma-separated phrases, matched case-insensitively at the start of words ("engineer" matches
"Engineering Manager", "data" does not match "metadata"); a posting matches when any term does. A term
starting with "-" excludes ("-intern"). Locations are comma-separated too: a posting matches when its
location contains one of them, when "remote" is listed and the posting is remote, or when it names no
location at all (better shown than missed). Empty terms or locations match everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobapp.discovery.boards import Listing

MAX_TERMS = 50


def split_list(text: str) -> list[str]:
    """'python, Backend ,, data' → ['python', 'Backend', 'data'] (order kept, duplicates dropped)."""
    seen: dict[str, str] = {}
    for part in (text or "").replace("\n", ",").split(","):
        if (value := " ".join(part.split())) and value.casefold() not in seen:
            seen[value.casefold()] = value
    return list(seen.values())[:MAX_TERMS]


def _phrase(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in term.split()), re.IGNORECASE)


@dataclass(frozen=True)
class Filter:
    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    locations: tuple[str, ...] = ()  # case-folded

    @classmethod
    def of(cls, terms: str, locations: str) -> Filter:
        words = split_list(terms)
        return cls(
            include=tuple(_phrase(t) for t in words if not t.startswith("-")),
            exclude=tuple(_phrase(t[1:].strip()) for t in words if t.startswith("-") and t[1:].strip()),
            locations=tuple(loc.casefold() for loc in split_list(locations)),
        )

    def matches(self, listing: Listing) -> bool:
        subject = f"{listing.title}\n{listing.department}"
        if any(p.search(subject) for p in self.exclude):
            return False
        if self.include and not any(p.search(subject) for p in self.include):
            return False
        return self._location_matches(listing)

    def _location_matches(self, listing: Listing) -> bool:
        if not self.locations or not listing.location.strip():
            return True
        where = listing.location.casefold()
        if listing.remote and "remote" in self.locations:
            return True
        return any(loc in where for loc in self.locations)
