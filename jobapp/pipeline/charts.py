"""The pipeline's pictures, as chart-ready rows: the funnel (how many jobs reached each stage, and what share
of the previous stage got there), the fit-score distribution (10-point buckets) and applications per week.

Small reads whatever the table's size: counts per status from the status index, and the scores.
A job's furthest stage is read from its status, not from the status history (`job_status_change`, kept
only since migration 0010, so older jobs have none): a rejection came after an application, and a
discarded job that was evaluated reached "Evaluated".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jobapp.models import Job, JobStatus, utcnow

# The funnel's stages, in order; a job counts in every stage up to the furthest it reached.
STAGES = ("Added", "Evaluated", "Applied", "Interview", "Offer")
_FURTHEST = {
    JobStatus.PENDING: 0,
    JobStatus.EVALUATED: 1,
    JobStatus.APPLIED: 2,
    JobStatus.INTERVIEW: 3,
    JobStatus.OFFER: 4,
    JobStatus.REJECTED: 2,
}


def furthest_stage(status: str, evaluated: bool = False) -> int:
    """The index in STAGES of the furthest stage a job with this status reached (for a discarded job,
    whether it was evaluated tells)."""
    if status == JobStatus.DISCARDED:
        return 1 if evaluated else 0
    return _FURTHEST.get(JobStatus(status), 0)


def funnel(session: Session) -> list[dict[str, Any]]:
    """[{"stage", "count", "conversion", "label"}]: conversion is the share of the previous stage ("" first).

    Counts per status come from the status index alone; only discarded jobs are read, to tell the evaluated."""
    per_status = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    evaluated_discards = session.execute(
        select(func.count()).where(Job.status == JobStatus.DISCARDED, Job.fit_score.is_not(None))  # type: ignore[union-attr]
    ).scalar_one()
    discarded = per_status.pop(JobStatus.DISCARDED, 0)
    groups = [(status, count, False) for status, count in per_status.items()]
    groups += [(JobStatus.DISCARDED, evaluated_discards, True)]
    groups += [(JobStatus.DISCARDED, discarded - evaluated_discards, False)]
    reached = [0] * len(STAGES)
    for status, count, evaluated in groups:
        for stage in range(furthest_stage(status, evaluated) + 1):
            reached[stage] += count
    out = []
    for i, stage in enumerate(STAGES):
        previous = reached[i - 1] if i else 0
        conversion = f"{round(100 * reached[i] / previous)}%" if i and previous else ""
        label = f"{stage} · {reached[i]}" + (f" ({conversion} of {STAGES[i - 1].lower()})" if conversion else "")
        out.append({"stage": stage, "count": reached[i], "conversion": conversion, "label": label})
    return out


def fit_histogram(session: Session) -> list[dict[str, Any]]:
    """[{"bucket": "0–9", "jobs": n}, …, {"bucket": "90–100", …}]: evaluated jobs per 10 fit points."""
    rows = session.execute(
        select(Job.fit_score, func.count()).where(Job.fit_score.is_not(None)).group_by(Job.fit_score)  # type: ignore[union-attr]
    ).all()
    buckets = [0] * 10
    for score, count in rows:
        buckets[max(0, min(9, int(score) // 10))] += count
    return [{"bucket": f"{10 * i}–{10 * i + 9}" if i < 9 else "90–100", "jobs": n} for i, n in enumerate(buckets)]


WEEKS_SHOWN = 8


def applications_per_week(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """[{"week": "Nov 23", "applications": n}] for the last WEEKS_SHOWN weeks (Monday to Sunday, UTC), oldest
    first, this week last: the jobs whose first move to Applied (`Job.applied_at`) fell in each week."""
    today = (now or utcnow()).astimezone(UTC).date()
    first_monday = today - timedelta(days=today.weekday(), weeks=WEEKS_SHOWN - 1)
    since = datetime.combine(first_monday, datetime.min.time(), tzinfo=UTC)
    applied = session.execute(select(Job.applied_at).where(Job.applied_at >= since)).scalars()  # type: ignore[operator]
    counts = [0] * WEEKS_SHOWN
    for moment in applied:
        day: date = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
        week = (day - first_monday).days // 7
        if 0 <= week < WEEKS_SHOWN:
            counts[week] += 1
    return [
        {"week": (first_monday + timedelta(weeks=i)).strftime("%b %d").replace(" 0", " "), "applications": n}
        for i, n in enumerate(counts)
    ]
