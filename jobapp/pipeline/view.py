"""What the pipeline page shows for one query, as JSON-ready fields (`jobapp.state.pipeline_view.PipelineView`):
the page or the board, the links to move through them and the first-run banner; and the pictures."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from jobapp.models import Job, Profile
from jobapp.pipeline import charts
from jobapp.pipeline.query import COLUMN_MAX, COLUMN_SIZE, PipelineQuery, read_page


def needs_resume(session: Session) -> bool:
    """No profile, or one without a resume: evaluations would have nothing to compare with."""
    stmt = select(Profile.resume).order_by(Profile.id).limit(1)  # type: ignore[arg-type]
    resume = session.execute(stmt).scalar_one_or_none()
    return not (resume or "").strip()


def read_view(session: Session, query: PipelineQuery) -> dict[str, Any]:
    """Every field of the pipeline view for `query`."""
    found = read_page(session, query)
    params = query.to_params()
    columns = [
        column
        | {
            "more_url": replace(
                query, more={**query.more, column["status"]: min(COLUMN_MAX, len(column["jobs"]) + COLUMN_SIZE)}
            ).url()
            if column["more"]
            else ""
        }
        for column in found.columns
    ]
    page = min(query.page, found.pages - 1)
    return {
        "query": {
            "view": query.view,
            "q": query.q,
            "status": ",".join(query.statuses) or "all",
            "fit_min": params.get("fit_min", ""),
            "fit_max": params.get("fit_max", ""),
            "company": query.company,
            "busy": "1" if query.busy else "",
            "sort": query.sort,
        },
        "query_url": query.url(),
        "rows": found.rows,
        "total": found.total,
        "page": page,
        "pages": found.pages,
        "previous_url": replace(query, page=page - 1).url() if page > 0 else "",
        "next_url": replace(query, page=page + 1).url() if page + 1 < found.pages else "",
        "columns": columns,
        "counts": found.counts,
        "empty": not found.total and not session.execute(select(exists().where(Job.id.is_not(None)))).scalar(),  # type: ignore[union-attr]
        "needs_resume": needs_resume(session),
        "loaded": True,
    }


def read_charts(session: Session) -> dict[str, Any]:
    """The pictures (jobapp.state.pipeline_view.PipelineCharts): the whole pipeline's, whatever the query."""
    return {
        "funnel": charts.funnel(session),
        "histogram": charts.fit_histogram(session),
        "applications": charts.applications_per_week(session),
    }
