"""Reading a posting from a link, in order of trust:

1. the public API of Greenhouse, Lever or Ashby when the link is one of their boards;
2. schema.org JobPosting JSON-LD in the page;
3. the page's main text.

A bot check or a sign-in page in place of the posting ends with PasteInstead, whose message asks the
person to paste the description.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from jobapp.intake import _ats, _jsonld, _pagetext
from jobapp.intake._markdown import text_to_markdown
from jobapp.intake._walls import PASTE, blocked_reason
from jobapp.intake.errors import PasteInstead
from jobapp.intake.fetching import Fetched, fetch
from jobapp.intake.policy import FetchPolicy
from jobapp.intake.posting import Posting
from jobapp.intake.urls import canonical_url, validate_url

Stage = Callable[[str], Awaitable[None]]
READING = "Reading the posting"


async def extract_posting(url: str, policy: FetchPolicy | None = None, *, on_stage: Stage | None = None) -> Posting:
    """Fetch `url` safely and read the posting out of it.

    `on_stage("Reading the posting")` is awaited once the network part is done. Raises the errors of
    `jobapp.intake.errors`: InvalidURL for a bad link, PasteInstead when the page cannot be read,
    TransientError subclasses for problems worth another try.
    """
    url = validate_url(url)
    policy = policy or FetchPolicy.from_env()
    if (ats_job := _ats.recognise(url)) is not None:
        data = await _ats.load(ats_job, policy)
        if on_stage:
            await on_stage(READING)
        return _ats.parse(ats_job, data, url)
    fetched = await fetch(url, policy)
    if on_stage:
        await on_stage(READING)
    # lxml and lexbor parse a few MB in tens of milliseconds: off the event loop all the same.
    return await asyncio.to_thread(read_page, fetched)


def read_page(fetched: Fetched) -> Posting:
    """The posting in a fetched page: JSON-LD first, then the main text."""
    url = canonical_url(fetched.url)
    text = fetched.text
    if fetched.content_type == "text/plain":
        if len(text.strip()) < _pagetext.MIN_TEXT:
            raise PasteInstead(f"That link has almost no text, so there is no posting to read. {PASTE}")
        first = text.strip().splitlines()[0].strip()[:300]
        return Posting(first, "", "", text_to_markdown(text), "", None, "page-text", url)
    if fetched.content_type.endswith("json"):
        raise PasteInstead(f"That link returns data rather than a posting page. {PASTE}")
    if (item := _jsonld.job_posting(text, url)) is not None:
        posting = _jsonld.read(item, url)
        if not posting.description_markdown and (page := _pagetext.read(text, url)) is not None:
            posting = replace(posting, description_markdown=page.description_markdown)
        if posting.description_markdown:
            return posting
    if reason := blocked_reason(text, headers=fetched.headers):
        raise PasteInstead(reason)
    posting = _pagetext.read(text, url)
    if posting is None:
        raise PasteInstead(f"Could not find a job posting on that page. {PASTE}")
    return posting
