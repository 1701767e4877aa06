"""schema.org JobPosting in JSON-LD: found wherever it sits (@graph, lists, mainEntity) and read
whatever shape each field takes (organisation as text or object, salary as number or range…)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from extruct.jsonld import JsonLdExtractor
from extruct.utils import parse_html

from jobapp.intake._markdown import html_to_markdown, text_to_markdown
from jobapp.intake.identity import reference_key
from jobapp.intake.posting import Posting, closing_date, format_salary, salary_numbers

_NESTED = ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement", "item")


def job_posting(html: str, url: str) -> dict[str, Any] | None:
    """The first JobPosting object in the page's JSON-LD, or None."""
    try:
        tree = parse_html(html.encode("utf-8"), encoding="utf-8")
    except Exception:  # lxml refuses some broken documents outright
        return None
    extractor = JsonLdExtractor()
    # One script at a time, so a broken block does not hide a good one next to it.
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            items = extractor.extract_items(script, base_url=url)
        except Exception:  # malformed JSON even for the lenient parser
            continue
        for found in _walk(items, depth=0):
            return found
    return None


def _walk(value: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, depth + 1)
    elif isinstance(value, dict):
        if _is_job_posting(value):
            yield value
        for key in _NESTED:
            if key in value:
                yield from _walk(value[key], depth + 1)


def _is_job_posting(item: dict[str, Any]) -> bool:
    types = item.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == "JobPosting" for t in types)


def read(item: dict[str, Any], url: str) -> Posting:
    """A Posting from a JobPosting object; `url` is the canonical URL of the page."""
    description = item.get("description")
    description = description if isinstance(description, str) else ""
    markdown = html_to_markdown(description) if "<" in description or "&lt;" in description else ""
    remote = True if _telecommute(item.get("jobLocationType")) else None
    location = _locations(item.get("jobLocation"))
    if remote and not location:
        where = _locations(item.get("applicantLocationRequirements"))
        location = f"Remote ({where})" if where else "Remote"
    company = _organisation(item.get("hiringOrganization"))
    return Posting(
        title=_text(item.get("title") or item.get("name")),
        company=company,
        location=location,
        description_markdown=markdown or text_to_markdown(description),
        salary=_salary(item.get("baseSalary"), item.get("salaryCurrency")),
        remote=remote,
        source="json-ld",
        url=url,
        key=_reference(item.get("identifier"), company),
        work_mode="remote" if remote else None,
        closes_on=closing_date(item.get("validThrough")),
        **_salary_numbers(item.get("baseSalary"), item.get("salaryCurrency")),
    )


def links(item: dict[str, Any]) -> list[str]:
    """Every address the posting gives for itself (`url`, `@id`, `sameAs`, an `identifier` that is a
    link), in that order: one of them may be the posting on its ATS."""
    found: list[str] = []
    for field in ("url", "@id", "sameAs", "identifier"):
        values = item.get(field)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict):
                value = value.get("url") or value.get("value") or value.get("@id")
            if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://", "/")):
                found.append(value.strip())
    return found


def _reference(value: Any, company: str) -> str | None:
    """The employer's reference for the posting (schema.org: "the hiring organization's unique
    identifier for the job"), as a posting key; links are left to `links`."""
    for ident in value if isinstance(value, list) else [value]:
        name = ""
        if isinstance(ident, dict):
            name, ident = _text(ident.get("name")), ident.get("value")
        if isinstance(ident, int | str) and not isinstance(ident, bool):
            reference = str(ident).strip()
            if reference and not reference.lower().startswith(("http://", "https://", "/")):
                return reference_key(company or name, reference)
    return None


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = next((v for v in value if v), "")
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or ""
    return " ".join(str(value or "").split())


def _organisation(value: Any) -> str:
    if isinstance(value, list):
        value = next((v for v in value if v), "")
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("legalName"))
    return _text(value)


def _telecommute(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and v.strip().upper() == "TELECOMMUTE" for v in values)


def _locations(value: Any) -> str:
    places = value if isinstance(value, list) else [value]
    names = [name for place in places if (name := _place(place))]
    return " / ".join(dict.fromkeys(names))


def _place(place: Any) -> str:
    if isinstance(place, str):
        return _text(place)
    if not isinstance(place, dict):
        return ""
    address = place.get("address")
    if isinstance(address, list):
        address = next((a for a in address if a), None)
    if isinstance(address, str):
        return _text(address)
    if isinstance(address, dict):
        parts = [_text(address.get(k)) for k in ("addressLocality", "addressRegion", "addressCountry")]
        joined = ", ".join(dict.fromkeys(p for p in parts if p))
        if joined:
            return joined
    # A Country or AdministrativeArea (applicantLocationRequirements), or a Place with only a name.
    return _text(place.get("name"))


def _salary(value: Any, currency: Any = None) -> str:
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, int | float | str):
        return format_salary(value=value, currency=currency)
    if not isinstance(value, dict):
        return ""
    currency = value.get("currency") or currency
    amount = value.get("value")
    unit = value.get("unitText")
    if isinstance(amount, dict):
        unit = amount.get("unitText") or unit
        return format_salary(amount.get("minValue"), amount.get("maxValue"), currency, unit, amount.get("value"))
    return format_salary(value.get("minValue"), value.get("maxValue"), currency, unit, amount)


def _salary_numbers(value: Any, currency: Any = None) -> dict[str, Any]:
    """The same reading as `_salary`, as numbers (`Posting.salary_min`, …)."""
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, int | float | str):
        return salary_numbers(value=value, currency=currency)
    if not isinstance(value, dict):
        return {}
    currency = value.get("currency") or currency
    amount = value.get("value")
    unit = value.get("unitText")
    if isinstance(amount, dict):
        unit = amount.get("unitText") or unit
        return salary_numbers(amount.get("minValue"), amount.get("maxValue"), currency, unit, amount.get("value"))
    return salary_numbers(value.get("minValue"), value.get("maxValue"), currency, unit, amount)
