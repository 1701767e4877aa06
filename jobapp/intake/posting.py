"""What intake reads out of a posting, whatever the source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["greenhouse", "lever", "ashby", "json-ld", "page-text"]

_UNITS = {
    "year": "per year",
    "annual": "per year",
    "yearly": "per year",
    "month": "per month",
    "monthly": "per month",
    "week": "per week",
    "weekly": "per week",
    "day": "per day",
    "daily": "per day",
    "hour": "per hour",
    "hourly": "per hour",
    "per-year-salary": "per year",
    "per-month-salary": "per month",
    "per-hour-wage": "per hour",
}


@dataclass(frozen=True)
class Posting:
    title: str
    company: str
    location: str
    description_markdown: str
    salary: str  # "USD 120,000–150,000 per year", or "" when the posting does not say
    remote: bool | None  # None: the posting does not say
    source: Source
    url: str  # normalised (jobapp.intake.urls.normalize_url)
    # Who the posting is, whatever link reached it: its ATS identity ("greenhouse:acme:123") or the
    # employer's own reference from JSON-LD; None when the page does not say (see jobapp.intake.identity).
    key: str | None = None


def _amount(value: object) -> str:
    try:
        number = float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return str(value).strip()
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"


def format_salary(
    minimum: object = None, maximum: object = None, currency: object = None, unit: object = None, value: object = None
) -> str:
    """'USD 120,000–150,000 per year' from whatever parts a source gives; '' when there is no amount."""
    low, high = (_amount(v) if v not in (None, "") else "" for v in (minimum, maximum))
    single = _amount(value) if value not in (None, "") else ""
    amount = f"{low}–{high}" if low and high and low != high else low or high or single
    if not amount:
        return ""
    parts = [str(currency).strip().upper()] if currency else []
    parts.append(amount)
    if unit and (per := _UNITS.get(str(unit).strip().lower())):
        parts.append(per)
    return " ".join(parts)
