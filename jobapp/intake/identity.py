"""A posting's identity: what makes two links one job.

- `Posting.key` / `Job.posting_key`: who the posting is. Its ATS identity (Greenhouse board token +
  job id, Lever site + posting id, Ashby organisation + job id; `AtsJob.key`), derived from any URL
  shape each ATS uses or from what the fetched page points at (jobapp.intake._pointers); else the
  employer's own reference from the page's JSON-LD `identifier` (`reference_key`).
- `content_hash`: the posting's text with markup, case, punctuation and spacing taken out, so the
  same description served by two pages (a careers page and a job board) compares equal.

The database holds one job per posting key (a unique index) and looks content hashes up by index;
`jobapp.intake.lookup` finds the job a posting already is.
"""

from __future__ import annotations

import hashlib
import re

from jobapp.intake import _ats

# Fewer characters than this (after normalising) is too little text to say two pages are one
# posting: "Apply below." is on many pages. Page-text intake needs as much to call a page a posting.
MIN_HASHED_TEXT = 200
_LINK_TARGET = re.compile(r"\]\([^)]*\)")  # Markdown link and image targets: pages differ in how they link
_WORD = re.compile(r"[^\W_]+")  # letters and digits; "_" is Markdown emphasis


def key_for_url(url: str) -> str | None:
    """The posting key a link names by its shape alone (an ATS posting URL), or None."""
    job = _ats.recognise(url)
    return job.key if job is not None else None


def reference_key(organisation: str, reference: str) -> str | None:
    """The key of a posting known by its employer's own reference (JSON-LD `identifier`), or None
    when either part is missing. Hashed: names and references can be long, the column is not."""
    organisation, reference = " ".join(organisation.casefold().split()), reference.strip()
    if not organisation or not reference:
        return None
    return "ref:" + hashlib.sha256(f"{organisation}\n{reference}".encode()).hexdigest()[:40]


def content_hash(markdown: str) -> str | None:
    """The hash of a description's words (sha256, hex), or None when there are too few to tell."""
    words = " ".join(_WORD.findall(_LINK_TARGET.sub("]", markdown).casefold()))
    if len(words) < MIN_HASHED_TEXT:
        return None
    return hashlib.sha256(words.encode()).hexdigest()
