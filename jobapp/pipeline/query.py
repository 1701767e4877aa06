"""The pipeline's filtered page: what one tab asks for (a `PipelineQuery`, kept in the page's URL) and the
database reads that answer it — the list page, the board's columns, the counts per status.

Only the page a tab shows is read (50 rows, or the first rows of each board column), never the whole
pipeline, so a tab stays fast with 10,000 jobs. Search is a case-insensitive LIKE over title, company and
posting text: every word must appear in one of them. Plain SQL (no Reflex), tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from jobapp.models import ACTIVE_STATUSES, Job, JobStatus, Task

STATUSES = tuple(s.value for s in JobStatus)
SORTS = {"newest": "Newest", "fit": "Best fit", "company": "Company"}
VIEWS = ("list", "board")
PAGE_SIZE = 50
# Cards a board column shows before "Show more", and what each "Show more" adds.
COLUMN_SIZE = 20
COLUMN_MAX = 500
SEARCH_WORDS = 8


@dataclass(frozen=True)
class PipelineQuery:
    """What a tab asks of the pipeline: view, search, filters, sort, page. Round-trips through the URL."""

    view: str = "list"
    q: str = ""  # words, each found in the title, company or posting text
    statuses: tuple[str, ...] = ()  # empty: every status
    fit_min: int | None = None
    fit_max: int | None = None
    company: str = ""  # part of the company's name
    busy: bool = False  # only jobs with work queued or running
    sort: str = "newest"
    page: int = 0  # list view, from 0
    # Board view: how many cards each column shows, when more than COLUMN_SIZE.
    more: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: dict[str, str]) -> PipelineQuery:
        """The query a URL's parameters describe; anything unreadable falls back to its default."""
        statuses = tuple(s for s in params.get("status", "").split(",") if s in STATUSES)
        more: dict[str, int] = {}
        for part in params.get("more", "").split(","):
            status, _, count = part.partition(":")
            if status in STATUSES and (n := _int(count)) is not None:
                more[status] = max(COLUMN_SIZE, min(COLUMN_MAX, n))
        return cls(
            view=params.get("view", "list") if params.get("view") in VIEWS else "list",
            q=" ".join(params.get("q", "").split())[:200],
            statuses=statuses,
            fit_min=_score(params.get("fit_min")),
            fit_max=_score(params.get("fit_max")),
            company=params.get("company", "").strip()[:300],
            busy=params.get("busy", "") in ("1", "true", "yes"),
            sort=params.get("sort", "newest") if params.get("sort") in SORTS else "newest",
            page=max(0, _int(params.get("page")) or 0),
            more=more,
        )

    def to_params(self) -> dict[str, str]:
        """The URL parameters of this query; defaults are left out, so a plain "/" is the default query."""
        params = {
            "view": self.view if self.view != "list" else "",
            "q": self.q,
            "status": ",".join(self.statuses),
            "fit_min": "" if self.fit_min is None else str(self.fit_min),
            "fit_max": "" if self.fit_max is None else str(self.fit_max),
            "company": self.company,
            "busy": "1" if self.busy else "",
            "sort": self.sort if self.sort != "newest" else "",
            "page": str(self.page) if self.page else "",
            "more": ",".join(f"{s}:{n}" for s, n in sorted(self.more.items())),
        }
        return {k: v for k, v in params.items() if v}

    def url(self, path: str = "/") -> str:
        params = self.to_params()
        return f"{path}?{urlencode(params)}" if params else path

    def with_filters(self, **changes: Any) -> PipelineQuery:
        """This query with other filters: back to the first page (the old page number means nothing now)."""
        return replace(self, page=0, **changes)

    def column_limit(self, status: str) -> int:
        return self.more.get(status, COLUMN_SIZE)


@dataclass
class PipelinePage:
    """One tab's answer: the rows (list view) or the columns (board view), and the counts."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0  # jobs matching the query, over every page
    columns: list[dict[str, Any]] = field(default_factory=list)  # [{"status", "count", "jobs", "more"}]
    # Jobs matching every filter but the status filter, per status (the board's column heads, the tabs).
    counts: dict[str, int] = field(default_factory=dict)
    pages: int = 1


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def _score(text: str | None) -> int | None:
    n = _int(text)
    return None if n is None else max(0, min(100, n))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column: Any, text: str, dialect: str) -> ColumnElement[bool]:
    """Case-insensitive substring. SQLite's LIKE already ignores ASCII case (and ILIKE would wrap both sides
    in lower(), which costs a pass over every description); PostgreSQL needs ILIKE."""
    if dialect == "postgresql":
        return column.ilike(_like(text), escape="\\")
    return column.like(_like(text), escape="\\")


# The job's columns a row needs (not the description nor the evaluation: they are large).
ROW_COLUMNS = (
    Job.id,
    Job.title,
    Job.url,
    Job.company,
    Job.location,
    Job.status,
    Job.fit_score,
    Job.created_at,
    Job.is_new,
)


def conditions(query: PipelineQuery, dialect: str, *, with_status: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a query (its status filter left out when `with_status` is False)."""
    where: list[ColumnElement[bool]] = []
    for word in query.q.split()[:SEARCH_WORDS]:
        where.append(
            or_(
                _contains(Job.title, word, dialect),
                _contains(Job.company, word, dialect),
                _contains(Job.description, word, dialect),
            )
        )
    if with_status and query.statuses:
        where.append(Job.status.in_(query.statuses))  # type: ignore[attr-defined]
    if query.fit_min is not None:
        where.append(Job.fit_score >= query.fit_min)  # type: ignore[operator]
    if query.fit_max is not None:
        where.append(Job.fit_score <= query.fit_max)  # type: ignore[operator]
    if query.company:
        where.append(_contains(Job.company, query.company, dialect))
    if query.busy:
        active = select(Task.job_id).where(Task.status.in_(ACTIVE_STATUSES), Task.job_id.is_not(None))  # type: ignore[attr-defined,union-attr]
        where.append(Job.id.in_(active))  # type: ignore[union-attr]
    return where


def ordering(sort: str) -> list[Any]:
    if sort == "fit":
        # Jobs never evaluated (no score) last.
        return [Job.fit_score.is_(None), Job.fit_score.desc(), Job.id.desc()]  # type: ignore[union-attr]
    if sort == "company":
        return [func.lower(Job.company), Job.id.desc()]  # type: ignore[union-attr]
    # Newest first: the (status, created_at) index gives a board column its first cards without a sort
    # (SQLite's index ends with the rowid, so the id tie-break comes in order too).
    return [Job.created_at.desc(), Job.id.desc()]  # type: ignore[attr-defined,union-attr]


def row(values: Any) -> dict[str, Any]:
    """A pipeline row (the shape of `jobapp.live.rows.job_row`, read without the large columns)."""
    job_id, title, url, company, location, status, fit, created_at, is_new = values
    return {
        "id": job_id,
        "title": title or url or "(untitled)",
        "company": company,
        "location": location,
        "status": status,
        "fit_score": fit if fit is not None else -1,
        "created_at": created_at.isoformat() if created_at else "",
        "is_new": bool(is_new),
    }


def status_counts(session: Session, query: PipelineQuery) -> dict[str, int]:
    """Jobs matching every filter but the status filter, per status (every status present, 0 included)."""
    dialect = session.get_bind().dialect.name
    stmt = select(Job.status, func.count()).where(*conditions(query, dialect, with_status=False)).group_by(Job.status)
    found = dict(session.execute(stmt).all())
    return {status: int(found.get(status, 0)) for status in STATUSES}


def read_list(session: Session, query: PipelineQuery) -> PipelinePage:
    """The list view's page: PAGE_SIZE rows in the query's order, the total, the counts per status."""
    dialect = session.get_bind().dialect.name
    counts = status_counts(session, query)
    shown = query.statuses or STATUSES
    total = sum(counts[s] for s in shown)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(query.page, pages - 1)
    stmt = (
        select(*ROW_COLUMNS)
        .where(*conditions(query, dialect))
        .order_by(*ordering(query.sort))
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = [row(r) for r in session.execute(stmt).all()]
    return PipelinePage(rows=rows, total=total, counts=counts, pages=pages)


def read_board(session: Session, query: PipelineQuery) -> PipelinePage:
    """The board: one column per status (those of the status filter, else all), each with its first cards."""
    counts = status_counts(session, query)
    shown = query.statuses or STATUSES
    read = _columns_by_window if query.q else _columns_one_by_one
    cards = read(session, query, [s for s in shown if counts[s]])
    columns = [
        {"status": s, "count": counts[s], "jobs": cards.get(s, []), "more": counts[s] > len(cards.get(s, []))}
        for s in shown
    ]
    return PipelinePage(columns=columns, total=sum(counts[s] for s in shown), counts=counts)


def _columns_one_by_one(session: Session, query: PipelineQuery, statuses: list[str]) -> dict[str, list[dict]]:
    """A LIMIT query per column: each reads its first cards straight from the (status, created_at) index."""
    dialect = session.get_bind().dialect.name
    where = conditions(query, dialect, with_status=False)
    cards = {}
    for status in statuses:
        stmt = (
            select(*ROW_COLUMNS)
            .where(Job.status == status, *where)
            .order_by(*ordering(query.sort))
            .limit(query.column_limit(status))
        )
        cards[status] = [row(r) for r in session.execute(stmt).all()]
    return cards


def _columns_by_window(session: Session, query: PipelineQuery, statuses: list[str]) -> dict[str, list[dict]]:
    """One query for all columns, for a search: each job is numbered within its status in the query's order
    (a window function) and the first of each are kept, so the posting texts are scanned once, not per column."""
    if not statuses:
        return {}
    dialect = session.get_bind().dialect.name
    rank = func.row_number().over(partition_by=Job.status, order_by=ordering(query.sort)).label("rank")
    inner = select(*ROW_COLUMNS, rank).where(Job.status.in_(statuses), *conditions(query, dialect)).subquery()  # type: ignore[attr-defined]
    largest = max(query.column_limit(s) for s in statuses)
    stmt = select(*(inner.c[c.key] for c in ROW_COLUMNS)).where(inner.c.rank <= largest).order_by(inner.c.rank)
    cards: dict[str, list[dict]] = {s: [] for s in statuses}
    for values in session.execute(stmt).all():
        card = row(values)
        column = cards[card["status"]]
        if len(column) < query.column_limit(card["status"]):
            column.append(card)
    return cards


def read_page(session: Session, query: PipelineQuery) -> PipelinePage:
    return read_board(session, query) if query.view == "board" else read_list(session, query)
