"""Company job boards: recognising what a person pastes, finding the board a careers page embeds, and
reading every posting a board lists through the ATS's public list API.

    ref = board_from_input("https://jobs.lever.co/acme")          # BoardRef("lever", "acme")
    ref = board_from_input("acme.com/careers")                     # None: a careers page, read at scan time
    ref = find_board_in_page(html)                                 # the board the page embeds or links
    listings = await read_board(ref, FetchPolicy.from_env())

A posting's identity (`Listing.key`) is its ATS identity, "greenhouse:acme:4012345", the same form the
intake's posting keys take; it is computed here and nowhere else in discovery.
"""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from jobapp.intake import (
    FetchPolicy,
    InvalidURL,
    PageNotAvailable,
    PasteInstead,
    Posting,
    canonical_url,
    fetch,
    validate_url,
)
from jobapp.intake._ats import ASHBY_HOSTS, GREENHOUSE_HOSTS, LEVER_API_HOSTS, LEVER_HOSTS, AtsJob, parse
from jobapp.intake.fetching import JSON_ACCEPT
from jobapp.intake.policy import ATS_API_BASE

SYSTEMS = {"greenhouse": "Greenhouse", "lever": "Lever", "lever-eu": "Lever (EU)", "ashby": "Ashby"}
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_PREFIXED = re.compile(r"^(greenhouse|lever|lever-eu|ashby)\s*:\s*(\S+)$", re.I)
# Absolute or scheme-relative links anywhere in a page (attributes, scripts, JSON).
_LINK = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.(?:greenhouse\.io|lever\.co|ashbyhq\.com)[^\s"'<>\\)]*""")
# Greenhouse paths under boards.greenhouse.io that are not a board token.
_GREENHOUSE_RESERVED = frozenset({"embed", "v1", "api"})


class BoardInputError(ValueError):
    """What a person typed names no board; the message says what to type instead."""


@dataclass(frozen=True)
class BoardRef:
    """A public ATS job board."""

    api: str  # greenhouse, lever, lever-eu, ashby (a key of FetchPolicy.ats_api_base)
    slug: str  # Greenhouse board token, Lever site, Ashby organisation

    @property
    def key(self) -> str:
        return f"{self.api}:{self.slug.lower()}"

    @property
    def system(self) -> str:
        return "lever" if self.api == "lever-eu" else self.api

    @property
    def company(self) -> str:
        """A name from the slug ("acme-corp" → "Acme Corp") until the person says better."""
        words = re.split(r"[-_.\s]+", self.slug.strip())
        return " ".join(w[:1].upper() + w[1:] for w in words if w)

    def list_url(self, policy: FetchPolicy) -> str:
        base = (policy.ats_api_base.get(self.api) or ATS_API_BASE[self.api]).rstrip("/")
        slug = quote(self.slug, safe="")
        return {
            "greenhouse": f"{base}/v1/boards/{slug}/jobs?content=true",
            "lever": f"{base}/v0/postings/{slug}?mode=json",
            "ashby": f"{base}/posting-api/job-board/{slug}?includeCompensation=true",
        }[self.system]


@dataclass(frozen=True)
class Listing:
    """One posting as a board lists it: enough to filter it, and its raw data to read it in full."""

    key: str  # the posting's ATS identity, "greenhouse:acme:4012345"
    title: str
    location: str
    department: str
    remote: bool
    url: str  # canonical
    data: dict[str, Any]
    ats: AtsJob

    def posting(self) -> Posting:
        """The full posting (description as Markdown, salary); the CPU-heavy part, for matches only."""
        return parse(self.ats, self.data, self.url)


def _slug(value: str) -> str | None:
    value = unquote(value).strip()
    return value if _SLUG.match(value) else None


def recognise_board(url: str) -> BoardRef | None:
    """The board a link points at (a board page, a posting on it, an embed, or the API itself), or None."""
    parts = urlsplit(url if "//" in url else f"https://{url}")
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    slug: str | None = None
    if host in GREENHOUSE_HOSTS:
        if segments[:1] == ["embed"] and (token := query.get("for")):
            slug = _slug(token[0])
            return BoardRef("greenhouse", slug) if slug else None
        if segments and segments[0] not in _GREENHOUSE_RESERVED:
            slug = _slug(segments[0])
        return BoardRef("greenhouse", slug) if slug else None
    if host == "boards-api.greenhouse.io":
        if len(segments) >= 3 and segments[:2] == ["v1", "boards"]:
            slug = _slug(segments[2])
        return BoardRef("greenhouse", slug) if slug else None
    if host in LEVER_HOSTS:
        slug = _slug(segments[0]) if segments else None
        return BoardRef(LEVER_HOSTS[host], slug) if slug else None
    if host in LEVER_API_HOSTS:
        if len(segments) >= 3 and segments[:2] == ["v0", "postings"]:
            slug = _slug(segments[2])
        return BoardRef(LEVER_API_HOSTS[host], slug) if slug else None
    if host in ASHBY_HOSTS:
        slug = _slug(segments[0]) if segments else None
        return BoardRef("ashby", slug) if slug else None
    if host == "api.ashbyhq.com":
        if len(segments) >= 3 and segments[:2] == ["posting-api", "job-board"]:
            slug = _slug(segments[2])
        return BoardRef("ashby", slug) if slug else None
    return None


def board_from_input(text: str) -> BoardRef | None:
    """What a person typed: "greenhouse:acme" or a board link → the board; a careers page link → None
    (read at the first scan). Raises `BoardInputError` for anything else."""
    value = (text or "").strip()
    if not value:
        raise BoardInputError("Paste a company's job board link (Greenhouse, Lever, Ashby) or its careers page.")
    if match := _PREFIXED.match(value):
        slug = _slug(match.group(2))
        if slug is None:
            raise BoardInputError(f"{match.group(2)!r} is not a board name (letters, digits, '-', '_' or '.').")
        return BoardRef(match.group(1).lower(), slug)
    try:
        url = validate_url(value)
    except InvalidURL as error:
        raise BoardInputError(str(error)) from None
    if "." not in (urlsplit(url).hostname or ""):
        raise BoardInputError(
            f"{value!r} is neither a link nor a board: paste the careers page, or write greenhouse:{value}, "
            f"lever:{value} or ashby:{value}."
        )
    return recognise_board(url)


def page_key(url: str) -> str:
    """The key of a followed careers page not yet resolved to its board."""
    return f"page:{canonical_url(url)}"


def find_board_in_page(page: str) -> BoardRef | None:
    """The Greenhouse, Lever or Ashby board a careers page embeds (script, iframe) or links to."""
    for match in _LINK.finditer(html.unescape(page)):
        link = match.group(0)
        if (ref := recognise_board(link if link.startswith("http") else f"https:{link}")) is not None:
            return ref
    return None


async def resolve_page(url: str, policy: FetchPolicy) -> BoardRef:
    """Read a careers page (safely) and find its board; PasteInstead when it shows none."""
    fetched = await fetch(url, policy)
    ref = find_board_in_page(fetched.text) or recognise_board(fetched.url)
    if ref is None:
        raise PasteInstead(
            "this careers page neither embeds nor links a Greenhouse, Lever or Ashby board; "
            "follow the board's own link instead"
        )
    return ref


# -- reading a board ------------------------------------------------------------------------------


class BoardShapeError(PasteInstead):
    """The board answered JSON of a shape the app does not understand (permanent: a retry reads the same)."""


async def read_board(ref: BoardRef, policy: FetchPolicy) -> list[Listing]:
    """Every posting the board lists (one request). Errors are the safe fetcher's: 404 and bad content
    are permanent, timeouts, connection errors and 5xx transient."""
    try:
        data = (await fetch(ref.list_url(policy), policy, accept=JSON_ACCEPT)).json()
    except PageNotAvailable as error:
        if error.status in (404, 410):
            raise PageNotAvailable(
                f"{SYSTEMS[ref.api]} has no board named {ref.slug!r} ({error.status}): check the link.",
                status=error.status,
            ) from None
        raise
    # Listing many postings is cheap, but a board with hundreds of them is parsed off the event loop.
    return await asyncio.to_thread(listings, ref, data)


def listings(ref: BoardRef, data: Any) -> list[Listing]:
    """The postings in a list API's answer (`data`, parsed JSON)."""
    system = ref.system
    if system == "lever":
        items = data
    elif isinstance(data, dict):
        items = data.get("jobs")
    else:
        items = None
    if not isinstance(items, list):
        raise BoardShapeError(f"{SYSTEMS[ref.api]} answered in a shape the app does not understand")
    reader = {"greenhouse": _greenhouse, "lever": _lever, "ashby": _ashby}[system]
    found = []
    for item in items:
        if isinstance(item, dict) and (listing := reader(ref, item)) is not None:
            found.append(listing)
    return found


def _listing(ref: BoardRef, job_id: Any, url: str, item: dict[str, Any], **fields: Any) -> Listing | None:
    job_id = str(job_id or "").strip()
    if not job_id:
        return None
    ats = AtsJob(ref.api, ref.slug, job_id)
    remote = fields.pop("remote") or "remote" in str(fields.get("location", "")).lower()
    try:
        link = canonical_url(url) if url else ""
    except ValueError:
        link = ""
    key = f"{ref.system}:{ref.slug.lower()}:{job_id.lower()}"
    return Listing(key=key, url=link, data=item, ats=ats, remote=bool(remote), **fields)


def _text(value: Any) -> str:
    return str(value or "").strip()


def _greenhouse(ref: BoardRef, item: dict[str, Any]) -> Listing | None:
    departments = ", ".join(_text(d.get("name")) for d in item.get("departments") or [] if isinstance(d, dict))
    url = _text(item.get("absolute_url")) or f"https://boards.greenhouse.io/{ref.slug}/jobs/{item.get('id')}"
    return _listing(
        ref,
        item.get("id"),
        url,
        item,
        title=_text(item.get("title")),
        location=_text((item.get("location") or {}).get("name")),
        department=departments,
        remote=False,
    )


def _lever(ref: BoardRef, item: dict[str, Any]) -> Listing | None:
    categories = item.get("categories") or {}
    location = _text(categories.get("location"))
    if not location and isinstance(categories.get("allLocations"), list):
        location = " / ".join(_text(x) for x in categories["allLocations"])
    host = "jobs.eu.lever.co" if ref.api == "lever-eu" else "jobs.lever.co"
    url = _text(item.get("hostedUrl")) or f"https://{host}/{ref.slug}/{item.get('id')}"
    return _listing(
        ref,
        item.get("id"),
        url,
        item,
        title=_text(item.get("text")),
        location=location,
        department=", ".join(filter(None, (_text(categories.get("department")), _text(categories.get("team"))))),
        remote=_text(item.get("workplaceType")).lower() == "remote",
    )


def _ashby(ref: BoardRef, item: dict[str, Any]) -> Listing | None:
    if item.get("isListed") is False:
        return None
    url = _text(item.get("jobUrl")) or f"https://jobs.ashbyhq.com/{ref.slug}/{item.get('id')}"
    secondary = [_text(s.get("location")) for s in item.get("secondaryLocations") or [] if isinstance(s, dict)]
    return _listing(
        ref,
        item.get("id"),
        url,
        item,
        title=_text(item.get("title")),
        location=" / ".join(filter(None, [_text(item.get("location")), *secondary])),
        department=", ".join(filter(None, (_text(item.get("department")), _text(item.get("team"))))),
        remote=item.get("isRemote") is True or _text(item.get("workplaceType")).lower() == "remote",
    )
