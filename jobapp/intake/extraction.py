"""Reading a posting from a link, in order of trust:

1. the public API of Greenhouse, Lever or Ashby when the link is one of their postings, or when the
   page it leads to points at one (an embedded board, a canonical link; see `_pointers`);
2. schema.org JobPosting JSON-LD in the page;
3. the page's main text.

A bot check or a sign-in page in place of the posting ends with PasteInstead, whose message asks the
person to paste the description.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from jobapp.intake import _ats, _jsonld, _pagetext, _pointers
from jobapp.intake._markdown import text_to_markdown
from jobapp.intake._walls import PASTE, blocked_reason
from jobapp.intake.errors import IntakeError, PasteInstead
from jobapp.intake.fetching import Fetched, fetch
from jobapp.intake.policy import FetchPolicy
from jobapp.intake.posting import Posting
from jobapp.intake.urls import normalize_url, validate_url

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
    page_url = normalize_url(fetched.url)
    # lxml and lexbor parse a few MB in tens of milliseconds: off the event loop all the same.
    pointed = _ats.recognise(page_url)
    if pointed is None and "html" in fetched.content_type:
        pointed = await asyncio.to_thread(_pointers.ats_job, fetched.text, page_url)
    data, api_error = None, None
    if pointed is not None:
        try:
            data = await _ats.load(pointed, policy)
        except IntakeError as error:  # the page itself may still carry the posting (a board that is down)
            api_error = error
    if on_stage:
        await on_stage(READING)
    if pointed is not None and data is not None:
        return _ats.parse(pointed, data, page_url)
    try:
        posting = await asyncio.to_thread(read_page, fetched)
    except IntakeError:
        if api_error is not None:
            raise api_error from None  # the API's reason says more than "no posting on this page"
        raise
    return replace(posting, key=pointed.key) if pointed is not None else posting


def read_page(fetched: Fetched) -> Posting:
    """The posting in a fetched page: JSON-LD first, then the main text."""
    url = normalize_url(fetched.url)
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
