"""The pipeline page's view for this tab: the filtered page the tab's URL asks for, written by the tab's follow
loop (`Board.follow`), which reads it again when a job changes (`jobapp.state.follow`), and by a search,
filter, sort or view change, which shows its page in its own answer (`PipelineActions._go`)."""

from __future__ import annotations

from typing import Any

import reflex as rx


class PipelineView(rx.State):
    # The query the page shows, as the controls need it: view, q, status, fit_min, fit_max, company, busy, sort.
    query: dict[str, str] = {"view": "list", "status": "all", "sort": "newest", "busy": ""}
    # The query's URL: the filter form is keyed by it, so its fields show the URL's values after a navigation.
    query_url: str = "/"
    # List view: this page's rows (see jobapp.pipeline.query.row), the matching total, the page and pages.
    rows: list[dict[str, Any]] = []
    total: int = 0
    page: int = 0
    pages: int = 1
    # Links to the previous and next list pages ("" when there is none).
    previous_url: str = ""
    next_url: str = ""
    # Board view: one column per status, [{"status", "count", "jobs", "more", "more_url"}].
    columns: list[dict[str, Any]] = []
    # Jobs per status under every filter but the status filter.
    counts: dict[str, int] = {}
    # The pipeline holds no job at all (not just none matching): the page says how to add one.
    empty: bool = False
    # The profile has no resume yet: the first-run banner points to Settings.
    needs_resume: bool = False
    # The tab's last bulk request, live (jobapp.pipeline.bulk.batch_view): {"what", "total", "done", "failed",
    # "running", "queued", "percent", "finished", "text"}; empty when there is none.
    batch: dict[str, Any] = {}
    # True once the view holds the page.
    loaded: bool = False


class PipelineCharts(rx.State):
    """The pipeline's pictures, apart from the page's rows: a search or a page turn leaves this state alone,
    so the browser does not draw the charts again. Written only by the tab's follow loop."""

    # The funnel: [{"stage", "count", "conversion", "label"}]; the fit histogram: [{"bucket", "jobs"}].
    funnel: list[dict[str, Any]] = []
    histogram: list[dict[str, Any]] = []
    # Applications per week, the last 8 weeks: [{"week": "Nov 23", "applications": n}].
    applications: list[dict[str, Any]] = []
