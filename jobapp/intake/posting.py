"""What intake reads out of a posting, whatever the source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

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
    # The same salary as numbers, when the posting gives a yearly (or unitless) amount: an hourly rate in a
    # yearly column would mislead. The text in `salary` keeps every unit.
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str = ""
    work_mode: str | None = None  # "remote", "hybrid", "on-site"; None: the posting does not say
    closes_on: date | None = None  # applications close (JSON-LD validThrough)

    def tracking(self) -> dict[str, Any]:
        """What the posting says about the job's tracked fields (see jobapp.tracking.posting_tracking)."""
        from jobapp.tracking import posting_tracking  # the models stay out of intake's import graph

        return posting_tracking(
            salary_min=self.salary_min,
            salary_max=self.salary_max,
            salary_currency=self.salary_currency,
            remote=self.remote,
            work_mode=self.work_mode,
            closes_on=self.closes_on,
        )


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


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        return None


def salary_numbers(
    minimum: object = None, maximum: object = None, currency: object = None, unit: object = None, value: object = None
) -> dict[str, Any]:
    """`Posting`'s salary_min / salary_max / salary_currency from a source's parts; {} unless yearly or unitless."""
    per = _UNITS.get(str(unit).strip().lower()) if unit not in (None, "") else "per year"
    if per != "per year":
        return {}
    low, high = _number(minimum), _number(maximum)
    if low is None and high is None:
        low = high = _number(value)
    if low is None and high is None:
        return {}
    code = str(currency or "").strip().upper()
    return {"salary_min": low, "salary_max": high, "salary_currency": code if len(code) == 3 else ""}


def closing_date(value: object) -> date | None:
    """A date from an ISO date or date-time ("2026-12-31T23:59:59Z"); None for anything else."""
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    text = str(value or "").strip()[:10]
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


WORK_MODES = {
    "remote": "remote",
    "telecommute": "remote",
    "hybrid": "hybrid",
    "on-site": "on-site",
    "onsite": "on-site",
    "on_site": "on-site",
    "in-office": "on-site",
}


def work_mode(value: object) -> str | None:
    """An ATS's workplace type ("Remote", "OnSite", "hybrid") as a work mode; None when it says nothing known."""
    return WORK_MODES.get(str(value or "").strip().lower().replace(" ", "-"))
