"""The public job APIs of Greenhouse, Lever and Ashby: recognising their board URLs and reading one
posting through the API instead of scraping the page.

Lever and Ashby do not name the company in their APIs; the board's slug stands in ("acme-corp" →
"Acme Corp") and a person can correct it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from jobapp.intake._markdown import html_to_markdown, text_to_markdown
from jobapp.intake.errors import PageNotAvailable, PasteInstead
from jobapp.intake.fetching import JSON_ACCEPT, fetch
from jobapp.intake.policy import ATS_API_BASE, FetchPolicy
from jobapp.intake.posting import Posting, format_salary, salary_numbers, work_mode

GREENHOUSE_HOSTS = frozenset({"boards.greenhouse.io", "job-boards.greenhouse.io"})
LEVER_HOSTS = {"jobs.lever.co": "lever", "jobs.eu.lever.co": "lever-eu"}
LEVER_API_HOSTS = {"api.lever.co": "lever", "api.eu.lever.co": "lever-eu"}
ASHBY_HOSTS = frozenset({"jobs.ashbyhq.com"})
NAMES = {"greenhouse": "Greenhouse", "lever": "Lever", "lever-eu": "Lever", "ashby": "Ashby"}
_DIGITS = re.compile(r"^\d+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class AtsJob:
    """A posting on an applicant-tracking system's public board."""

    api: str  # key of FetchPolicy.ats_api_base: greenhouse, lever, lever-eu, ashby
    board: str  # Greenhouse board token, Lever site, Ashby organisation
    job_id: str

    @property
    def system(self) -> str:
        return "lever" if self.api == "lever-eu" else self.api

    @property
    def key(self) -> str:
        """The posting's identity, the same whichever URL shape or region named it (Job.posting_key).

        Board slugs are compared without case: the boards answer under any case of them.
        """
        return f"{self.system}:{self.board.lower()}:{self.job_id.lower()}"


def recognise(url: str) -> AtsJob | None:
    """The ATS posting `url` points at, from the public board URL shapes; None for any other page."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = [unquote(s) for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    if host in GREENHOUSE_HOSTS:
        # /{token}/jobs/{id}, /embed/job_app?for={token}&token={id}, /{token}?gh_jid={id}
        if len(segments) >= 3 and segments[1] == "jobs" and _DIGITS.match(segments[2]):
            return AtsJob("greenhouse", segments[0], segments[2])
        if segments[:1] == ["embed"] and (token := query.get("for")) and (job := query.get("token")):
            return AtsJob("greenhouse", token[0], job[0]) if _DIGITS.match(job[0]) else None
        if len(segments) == 1 and (job := query.get("gh_jid")) and _DIGITS.match(job[0]):
            return AtsJob("greenhouse", segments[0], job[0])
        return None
    if host == "boards-api.greenhouse.io":  # the API URL itself: /v1/boards/{token}/jobs/{id}
        if len(segments) >= 5 and segments[:2] == ["v1", "boards"] and segments[3] == "jobs":
            return AtsJob("greenhouse", segments[2], segments[4]) if _DIGITS.match(segments[4]) else None
        return None
    if host in LEVER_API_HOSTS:  # /v0/postings/{site}/{id}
        if len(segments) >= 4 and segments[:2] == ["v0", "postings"] and _UUID.match(segments[3]):
            return AtsJob(LEVER_API_HOSTS[host], segments[2], segments[3].lower())
        return None
    if host in LEVER_HOSTS:
        # /{site}/{id}, /{site}/{id}/apply
        if len(segments) >= 2 and _UUID.match(segments[1]):
            return AtsJob(LEVER_HOSTS[host], segments[0], segments[1].lower())
        return None
    # Ashby: /{org}/{id}, /{org}/{id}/application
    if host in ASHBY_HOSTS and len(segments) >= 2 and _UUID.match(segments[1]):
        return AtsJob("ashby", segments[0], segments[1].lower())
    return None


def embedded(script_url: str, page_url: str) -> AtsJob | None:
    """The posting an embedded job board shows on a company's own page: the board comes from the
    embed script's URL, the job from the page's address (how Greenhouse's and Ashby's embeds pick it)."""
    parts = urlsplit(script_url)
    host = (parts.hostname or "").lower()
    segments = [unquote(s) for s in parts.path.split("/") if s]
    selected = parse_qs(urlsplit(page_url).query)
    # boards.greenhouse.io/embed/job_board/js?for={token} with ?gh_jid={id} on the page
    if host in GREENHOUSE_HOSTS and segments[:2] == ["embed", "job_board"]:
        board, job = parse_qs(parts.query).get("for"), selected.get("gh_jid")
        if board and job and _DIGITS.match(job[0]):
            return AtsJob("greenhouse", board[0], job[0])
    # jobs.ashbyhq.com/{org}/embed with ?ashby_jid={id} on the page
    if host in ASHBY_HOSTS and len(segments) == 2 and segments[1] == "embed":
        job = selected.get("ashby_jid")
        if job and _UUID.match(job[0]):
            return AtsJob("ashby", segments[0], job[0].lower())
    return None


async def load(job: AtsJob, policy: FetchPolicy) -> dict[str, Any]:
    """The posting's data from the ATS's public API (the network part)."""
    base = (policy.ats_api_base.get(job.api) or ATS_API_BASE[job.api]).rstrip("/")
    loaders = {"greenhouse": _load_greenhouse, "lever": _load_lever, "ashby": _load_ashby}
    return await loaders[job.system](job, base, policy)


def parse(job: AtsJob, data: dict[str, Any], url: str) -> Posting:
    """A Posting from what `load` returned; `url` is the canonical URL of the posting."""
    parsers = {"greenhouse": _greenhouse, "lever": _lever, "ashby": _ashby}
    return parsers[job.system](job, data, url)


async def _get_json(url: str, job: AtsJob, policy: FetchPolicy) -> Any:
    try:
        return (await fetch(url, policy, accept=JSON_ACCEPT)).json()
    except PageNotAvailable as error:
        if error.status in (404, 410):
            raise PageNotAvailable(
                f"{NAMES[job.api]} no longer lists this posting on the {job.board!r} board: it may have been closed.",
                status=error.status,
            ) from None
        raise


def _expect_dict(data: Any, job: AtsJob) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PasteInstead(f"{NAMES[job.api]} answered in a shape the app does not understand; paste the description.")
    return data


def _slug_name(slug: str) -> str:
    words = re.split(r"[-_\s]+", slug.strip())
    return " ".join(w[:1].upper() + w[1:] for w in words if w)


def _remote_from_text(*texts: str) -> bool | None:
    return True if any("remote" in (t or "").lower() for t in texts) else None


# -- Greenhouse ---------------------------------------------------------------------------------


async def _load_greenhouse(job: AtsJob, base: str, policy: FetchPolicy) -> dict[str, Any]:
    board = quote(job.board, safe="")
    data = _expect_dict(
        await _get_json(f"{base}/v1/boards/{board}/jobs/{job.job_id}?pay_transparency=true", job, policy), job
    )
    if not str(data.get("company_name") or "").strip():  # older boards: the name is on the board itself
        try:
            board_info = _expect_dict(await _get_json(f"{base}/v1/boards/{board}", job, policy), job)
            data = {**data, "company_name": board_info.get("name") or ""}
        except PageNotAvailable:
            pass
    return data


def _greenhouse(job: AtsJob, data: dict[str, Any], url: str) -> Posting:
    company = str(data.get("company_name") or "").strip()
    location = str((data.get("location") or {}).get("name") or "").strip()
    salary = ""
    numbers: dict[str, Any] = {}
    for pay in data.get("pay_input_ranges") or []:
        if isinstance(pay, dict):
            cents = [pay.get("min_cents"), pay.get("max_cents")]
            low, high = (c / 100 if isinstance(c, int | float) else None for c in cents)
            salary = format_salary(low, high, pay.get("currency_type"))
            if salary:
                # Greenhouse's pay ranges are yearly unless the board says otherwise in its text.
                numbers = salary_numbers(low, high, pay.get("currency_type"))
                break
    return Posting(
        title=str(data.get("title") or "").strip(),
        company=company.strip() or _slug_name(job.board),
        location=location,
        # Greenhouse sends the description entity-encoded ("&lt;p&gt;…"): decode once, then convert.
        description_markdown=html_to_markdown(html.unescape(str(data.get("content") or ""))),
        salary=salary,
        remote=_remote_from_text(location),
        source="greenhouse",
        url=url,
        key=job.key,
        work_mode="remote" if _remote_from_text(location) else None,
        **numbers,
    )


# -- Lever --------------------------------------------------------------------------------------


async def _load_lever(job: AtsJob, base: str, policy: FetchPolicy) -> dict[str, Any]:
    site = quote(job.board, safe="")
    return _expect_dict(await _get_json(f"{base}/v0/postings/{site}/{job.job_id}", job, policy), job)


def _lever(job: AtsJob, data: dict[str, Any], url: str) -> Posting:
    categories = data.get("categories") or {}
    location = str(categories.get("location") or "").strip()
    if not location and isinstance(categories.get("allLocations"), list):
        location = " / ".join(str(x) for x in categories["allLocations"])
    parts = [str(data.get("description") or "")]
    for section in data.get("lists") or []:
        if isinstance(section, dict):
            parts.append(f"<h3>{section.get('text') or ''}</h3><ul>{section.get('content') or ''}</ul>")
    parts.append(str(data.get("additional") or ""))
    description = html_to_markdown("".join(parts))
    if not description and data.get("descriptionPlain"):
        description = text_to_markdown(str(data["descriptionPlain"]))
    workplace = str(data.get("workplaceType") or "").lower()
    remote = {"remote": True, "on-site": False, "onsite": False, "hybrid": False}.get(workplace)
    pay = data.get("salaryRange") or {}
    salary = format_salary(pay.get("min"), pay.get("max"), pay.get("currency"), pay.get("interval"))
    return Posting(
        title=str(data.get("text") or "").strip(),
        company=_slug_name(job.board),
        location=location,
        description_markdown=description,
        salary=salary or str(data.get("salaryDescriptionPlain") or "").strip(),
        remote=remote if remote is not None else _remote_from_text(location),
        source="lever",
        url=url,
        key=job.key,
        work_mode=work_mode(workplace) or ("remote" if _remote_from_text(location) else None),
        **salary_numbers(pay.get("min"), pay.get("max"), pay.get("currency"), pay.get("interval")),
    )


# -- Ashby --------------------------------------------------------------------------------------


async def _load_ashby(job: AtsJob, base: str, policy: FetchPolicy) -> dict[str, Any]:
    org = quote(job.board, safe="")
    data = _expect_dict(
        await _get_json(f"{base}/posting-api/job-board/{org}?includeCompensation=true", job, policy), job
    )
    found = next(
        (j for j in data.get("jobs") or [] if isinstance(j, dict) and str(j.get("id", "")).lower() == job.job_id),
        None,
    )
    if found is None:
        raise PageNotAvailable(
            f"Ashby no longer lists this posting on the {job.board!r} board: it may have been closed."
        )
    return found


def _ashby(job: AtsJob, found: dict[str, Any], url: str) -> Posting:
    location = str(found.get("location") or "").strip()
    workplace = str(found.get("workplaceType") or "").lower()
    remote = {"remote": True, "onsite": False, "hybrid": False}.get(workplace)
    if remote is None and isinstance(found.get("isRemote"), bool):
        remote = found["isRemote"]
    description = html_to_markdown(str(found.get("descriptionHtml") or ""))
    if not description and found.get("descriptionPlain"):
        description = text_to_markdown(str(found["descriptionPlain"]))
    return Posting(
        title=str(found.get("title") or "").strip(),
        company=_slug_name(job.board),
        location=location,
        description_markdown=description,
        salary=_ashby_salary(found.get("compensation") or {}),
        remote=remote,
        source="ashby",
        url=url,
        key=job.key,
        work_mode=work_mode(workplace) or ("remote" if remote else None),
        **_ashby_numbers(found.get("compensation") or {}),
    )


def _ashby_salary(compensation: dict[str, Any]) -> str:
    for part in compensation.get("summaryComponents") or []:
        if isinstance(part, dict) and str(part.get("compensationType", "")).lower() == "salary":
            interval = str(part.get("interval") or "").split(" ")[-1]  # "1 YEAR" → "YEAR"
            salary = format_salary(part.get("minValue"), part.get("maxValue"), part.get("currencyCode"), interval)
            if salary:
                return salary
    summary = compensation.get("scrapeableCompensationSalarySummary") or compensation.get("compensationTierSummary")
    return str(summary or "").strip()


def _ashby_numbers(compensation: dict[str, Any]) -> dict[str, Any]:
    for part in compensation.get("summaryComponents") or []:
        if isinstance(part, dict) and str(part.get("compensationType", "")).lower() == "salary":
            interval = str(part.get("interval") or "").split(" ")[-1]
            low, high, currency = part.get("minValue"), part.get("maxValue"), part.get("currencyCode")
            if numbers := salary_numbers(low, high, currency, interval):
                return numbers
    return {}
