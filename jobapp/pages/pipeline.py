"""/ — the pipeline: add a posting; see the jobs as a list or as a board with a column per status, each job's
pipeline status apart from its background work; search, filter, sort and page them (all kept in the URL);
act on one job by its menu or on many at once; and the funnel and fit pictures."""

from __future__ import annotations

import reflex as rx

from jobapp.components import charts, plain
from jobapp.components.badges import JOB_COLORS, fit_badge, job_status_badge, new_badge
from jobapp.pages._page import page
from jobapp.pipeline.query import SORTS, STATUSES
from jobapp.state.board import Board
from jobapp.state.pipeline import PipelineState
from jobapp.state.pipeline_actions import PipelineActions
from jobapp.state.pipeline_view import PipelineCharts, PipelineView

# -- adding a job ---------------------------------------------------------------------------------


def add_by_url() -> rx.Component:
    return rx.hstack(
        rx.input(
            placeholder="Paste a posting's URL (Greenhouse, Lever, Ashby or any careers page)",
            value=PipelineState.posting_url,
            on_change=PipelineState.set_posting_url,
            width="100%",
            id="new-url",
        ),
        rx.button("Add from URL", on_click=PipelineState.add_from_url, id="add-url"),
        width="100%",
    )


def add_job_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Add a job", size="4"),
            add_by_url(),
            rx.text("…or paste the posting:", size="2", color_scheme="gray"),
            rx.hstack(
                rx.input(
                    placeholder="Title", value=PipelineState.title, on_change=PipelineState.set_title, id="new-title"
                ),
                rx.input(
                    placeholder="Company",
                    value=PipelineState.company,
                    on_change=PipelineState.set_company,
                    id="new-company",
                ),
                rx.input(placeholder="Location", value=PipelineState.location, on_change=PipelineState.set_location),
                rx.input(placeholder="URL (optional)", value=PipelineState.url, on_change=PipelineState.set_url),
                width="100%",
            ),
            rx.text_area(
                placeholder="Paste the job description",
                value=PipelineState.description,
                on_change=PipelineState.set_description,
                rows="6",
                width="100%",
                id="new-description",
            ),
            rx.cond(PipelineState.form_error != "", rx.callout(PipelineState.form_error, color_scheme="red")),
            rx.button("Add and evaluate", on_click=PipelineState.add_job, id="add-job"),
            width="100%",
        ),
        width="100%",
    )


def resume_banner() -> rx.Component:
    """First run: no resume yet, so every evaluation would be poor."""
    return rx.cond(
        PipelineView.needs_resume,
        rx.callout(
            rx.hstack(
                rx.text("Add your resume first: evaluations made without it are poor."),
                rx.link("Open Settings", href="/settings", id="resume-banner-link"),
                spacing="2",
            ),
            icon="info",
            color_scheme="amber",
            width="100%",
            id="resume-banner",
        ),
    )


# -- search, filters, sort, view --------------------------------------------------------------------


def filter_form() -> rx.Component:
    """Words, company and fit range: applied by Enter or "Apply". Uncontrolled fields keyed by the URL, so a
    navigation (back, a link) shows that URL's values."""
    query = PipelineView.query
    return rx.form(
        rx.hstack(
            rx.input(
                name="q",
                default_value=query["q"],
                placeholder="Search title, company, posting…",
                id="search",
                width="18em",
            ),
            rx.input(name="company", default_value=query["company"], placeholder="Company", id="filter-company"),
            rx.input(
                name="fit_min",
                default_value=query["fit_min"],
                placeholder="Fit ≥",
                type="number",
                min=0,
                max=100,
                id="fit-min",
                width="6em",
            ),
            rx.input(
                name="fit_max",
                default_value=query["fit_max"],
                placeholder="Fit ≤",
                type="number",
                min=0,
                max=100,
                id="fit-max",
                width="6em",
            ),
            rx.button("Apply", type="submit", variant="soft", id="apply-filters"),
            align="center",
            wrap="wrap",
        ),
        on_submit=PipelineActions.search,
        key=PipelineView.query_url,
        id="filter-form",
        # The query the form shows (tests and the benchmark wait for it before typing).
        data_url=PipelineView.query_url,
    )


def query_bar() -> rx.Component:
    query = PipelineView.query
    return rx.vstack(
        rx.hstack(
            rx.segmented_control.root(
                rx.segmented_control.item("List", value="list"),
                rx.segmented_control.item("Board", value="board"),
                value=query["view"],
                on_change=PipelineActions.set_view,
                id="view-switch",
            ),
            plain.select(
                rx.el.option("Every status", value="all"),
                *(rx.el.option(s, value=s) for s in STATUSES),
                value=query["status"],
                on_change=PipelineActions.set_status_filter,
                label="Status",
                size="2",
                id="filter-status",
            ),
            plain.select(
                *(rx.el.option(label, value=key) for key, label in SORTS.items()),
                value=query["sort"],
                on_change=PipelineActions.set_sort,
                label="Sort",
                size="2",
                id="sort",
            ),
            rx.checkbox(
                "Work running",
                checked=query["busy"] == "1",
                on_change=PipelineActions.set_busy,
                id="filter-busy",
            ),
            rx.button("Clear filters", variant="ghost", on_click=PipelineActions.clear_filters, id="clear-filters"),
            align="center",
            wrap="wrap",
            spacing="4",
        ),
        filter_form(),
        width="100%",
    )


# -- acting on jobs -------------------------------------------------------------------------------


def move_menu(job_id: rx.Var[int]) -> rx.Component:
    """A job's menu: move it to another status."""
    return plain.menu(
        "move-" + job_id.to_string(),
        *((status, PipelineActions.move(job_id, status)) for status in STATUSES),
        label="Move job",
        class_name="job-menu",
        item_class="move-to",
    )


def select_box(job_id: rx.Var[int], selected: rx.Var[bool]) -> rx.Component:
    return plain.checkbox(
        checked=selected,
        on_change=lambda checked: PipelineActions.toggle(job_id, checked),
        class_name="job-select",
        aria_label="Select",
    )


def job_props(job: rx.Var) -> dict[str, rx.Var]:
    """A pipeline row's plain values, for the row and card memos: a memo re-renders only when one of them
    changes, so a push of one job's progress (Board.job_activity) or a tick in the selection re-renders that
    job's row alone, not the page's fifty (or the board's hundred and forty)."""
    job_id = job["id"].to(int)
    key = job["id"].to_string()
    return {
        "job_id": job_id,
        "title": job["title"].to(str),
        "company": job["company"].to(str),
        "status": job["status"].to(str),
        "fit_score": job["fit_score"].to(int),
        "is_new": job["is_new"].to(bool),
        "activity": rx.cond(Board.job_activity.contains(key), Board.job_activity[key].to(str), ""),
        "selected": PipelineActions.selected.contains(job_id),
        "key": job_id,
    }


def bulk_bar() -> rx.Component:
    """Shown once jobs are ticked: queue work for all of them, or move them, in one step."""
    return rx.cond(
        PipelineActions.selected.length() > 0,
        rx.hstack(
            rx.text(PipelineActions.selected.length().to_string() + " selected", weight="medium", id="selected-count"),
            rx.button("Evaluate", on_click=PipelineActions.request_selected("evaluate"), id="bulk-evaluate"),
            rx.button("Tailor CV", on_click=PipelineActions.request_selected("cv"), id="bulk-cv"),
            rx.menu.root(
                rx.menu.trigger(rx.button("Move to…", variant="soft", id="bulk-move")),
                rx.menu.content(
                    *(
                        rx.menu.item(status, on_select=PipelineActions.move_selected(status), class_name="bulk-move-to")
                        for status in STATUSES
                    )
                ),
            ),
            rx.button("Clear", variant="ghost", on_click=PipelineActions.clear_selection, id="bulk-clear"),
            align="center",
            padding="0.5em",
            border="1px solid var(--accent-a6)",
            border_radius="var(--radius-3)",
            id="bulk-bar",
        ),
    )


def notice() -> rx.Component:
    return rx.cond(
        PipelineActions.notice != "",
        rx.callout(PipelineActions.notice, icon="check", size="1", id="pipeline-notice"),
    )


def batch_progress() -> rx.Component:
    """The tab's last bulk request, live: how many of its tasks are done, failed, running and queued, and a
    bar for the whole batch (running tasks count by their progress). Hidden once dismissed."""
    batch = PipelineView.batch
    return rx.cond(
        batch.length() > 0,  # type: ignore[attr-defined]
        rx.hstack(
            rx.cond(batch["finished"].to(bool), rx.icon("circle-check", size=18), rx.spinner(size="2")),
            rx.vstack(
                rx.hstack(
                    rx.text(batch["text"].to(str), size="2", id="batch-text"),
                    rx.cond(
                        batch["failed"].to(int) > 0,
                        rx.link("See what failed", href="/activity?status=failed", size="2", id="batch-failures"),
                    ),
                    align="center",
                    spacing="3",
                ),
                # Amber once a task of the batch has failed: the bar's end is not all good news.
                rx.progress(
                    value=batch["percent"].to(int),
                    max=100,
                    width="100%",
                    color_scheme=rx.cond(batch["failed"].to(int) > 0, "amber", "blue"),
                    id="batch-bar",
                ),
                spacing="1",
                width="100%",
            ),
            rx.button("Dismiss", size="1", variant="ghost", on_click=PipelineActions.dismiss_batch, id="batch-dismiss"),
            align="center",
            width="100%",
            padding="0.5em",
            border="1px solid var(--gray-a6)",
            border_radius="var(--radius-3)",
            id="batch-progress",
            custom_attrs={"data-percent": batch["percent"].to_string(), "data-finished": batch["finished"].to_string()},
        ),
    )


# -- the list ---------------------------------------------------------------------------------------


def work_cell(activity: rx.Var[str]) -> rx.Component:
    """The job's background work, apart from its status: "evaluation 40% · CV queued"."""
    return rx.cond(
        activity != "",
        plain.flex(rx.spinner(size="1"), plain.text(activity)),
        plain.text("—", color="gray"),
    )


@rx.memo
def job_row(
    job_id: rx.Var[int],
    title: rx.Var[str],
    company: rx.Var[str],
    status: rx.Var[str],
    fit_score: rx.Var[int],
    is_new: rx.Var[bool],
    activity: rx.Var[str],
    selected: rx.Var[bool],
    rest: rx.RestProp,  # React's `key`, set by the list
) -> rx.Component:
    key = job_id.to_string()
    # Plain cells with Radix's table classes (see jobapp.components.plain): the page renders fifty rows.
    return rx.el.tr(
        rest,
        rx.el.td(select_box(job_id, selected), class_name="rt-TableCell"),
        rx.el.td(
            plain.flex(plain.link(title, to="/jobs/" + key, class_name="job-link"), new_badge(is_new)),
            class_name="rt-TableCell",
        ),
        rx.el.td(company, class_name="rt-TableCell"),
        rx.el.td(job_status_badge(status), class_name="rt-TableCell job-status"),
        rx.el.td(fit_badge(fit_score), class_name="rt-TableCell"),
        rx.el.td(work_cell(activity), class_name="rt-TableCell job-activity"),
        rx.el.td(move_menu(job_id), class_name="rt-TableCell"),
        id="job-row-" + key,
        class_name="rt-TableRow",
        custom_attrs={"data-status": status},
    )


def pager() -> rx.Component:
    return rx.hstack(
        rx.cond(
            PipelineView.previous_url != "",
            rx.link(rx.button("← Previous", variant="soft", size="1"), href=PipelineView.previous_url, id="prev-page"),
        ),
        rx.text(
            "Page ",
            (PipelineView.page + 1).to_string(),
            " of ",
            PipelineView.pages.to_string(),
            " · ",
            PipelineView.total.to_string(),
            " jobs",
            size="2",
            color_scheme="gray",
            id="page-info",
        ),
        rx.cond(
            PipelineView.next_url != "",
            rx.link(rx.button("Next →", variant="soft", size="1"), href=PipelineView.next_url, id="next-page"),
        ),
        align="center",
    )


def page_ticked() -> rx.Var[bool]:
    """Every row of the page is selected: the header box follows the selection (a bulk action clears it)."""
    shown = PipelineView.rows.to(list[dict]).pluck("id")
    unticked = shown.filter(lambda job_id: ~PipelineActions.selected.contains(job_id))
    return (shown.length() > 0) & (unticked.length() == 0)


def jobs_list() -> rx.Component:
    return rx.vstack(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(
                        rx.checkbox(checked=page_ticked(), on_change=PipelineActions.toggle_page, id="select-page"),
                        width="2em",
                    ),
                    rx.table.column_header_cell("Job"),
                    rx.table.column_header_cell("Company"),
                    rx.table.column_header_cell("Status"),
                    rx.table.column_header_cell("Fit"),
                    rx.table.column_header_cell("Background work"),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(rx.foreach(PipelineView.rows, lambda job: job_row(**job_props(job)))),
            width="100%",
            id="job-list",
        ),
        pager(),
        width="100%",
    )


# -- the board ----------------------------------------------------------------------------------------


@rx.memo
def job_card(
    job_id: rx.Var[int],
    title: rx.Var[str],
    company: rx.Var[str],
    status: rx.Var[str],
    fit_score: rx.Var[int],
    is_new: rx.Var[bool],
    activity: rx.Var[str],
    selected: rx.Var[bool],
    rest: rx.RestProp,  # React's `key`, set by the column
) -> rx.Component:
    key = job_id.to_string()
    # Plain elements with Radix's classes (see jobapp.components.plain): the board renders 140 cards.
    return plain.card(
        rest,
        plain.flex(
            plain.flex(
                select_box(job_id, selected),
                plain.link(title, to="/jobs/" + key, weight="medium", class_name="job-link grow"),
                move_menu(job_id),
                align="start",
                class_name="full-width",
            ),
            plain.flex(
                plain.text(company, size="1", color="gray"),
                fit_badge(fit_score),
                new_badge(is_new),
                wrap=True,
            ),
            # Status apart from the work: "Evaluated · evaluation 40%".
            plain.text(status, rx.cond(activity != "", " · " + activity, ""), size="1", class_name="card-state"),
            direction="column",
            align="start",
            gap="1",
        ),
        id="job-card-" + key,
        class_name="job-card full-width",
    )


def board_column(column: rx.Var) -> rx.Component:
    status = column["status"].to(str)
    return rx.vstack(
        rx.hstack(
            rx.badge(status, color_scheme=rx.match(status, *JOB_COLORS.items(), "gray"), variant="soft"),
            rx.text(column["count"].to_string(), size="1", color_scheme="gray", class_name="column-count"),
            align="center",
        ),
        rx.foreach(column["jobs"].to(list[dict]), lambda job: job_card(**job_props(job))),
        rx.cond(
            column["more"].to(bool),
            rx.link("Show more", href=column["more_url"].to(str), size="1", class_name="show-more"),
        ),
        min_width="14em",
        width="14em",
        flex_shrink="0",
        padding="0.5em",
        background_color="var(--gray-a2)",
        border_radius="var(--radius-3)",
        class_name="board-column",
        data_status=status,
    )


def jobs_board() -> rx.Component:
    return rx.hstack(
        rx.foreach(PipelineView.columns, board_column),
        align="start",
        overflow_x="auto",
        width="100%",
        padding_bottom="0.5em",
        id="job-board",
    )


# -- pictures -------------------------------------------------------------------------------------------


def once_loaded(chart: rx.Component) -> rx.Component:
    """The chart once the pictures' data has come (the funnel always has its stages then) and its place is
    near the screen (charts.when_seen): the page's first render, its rows' frame and a search typed just
    after do not wait for recharts to import and lay out charts nobody sees yet."""
    # Seen is judged once the data has come, so the page's rows (in the same or an earlier frame) are in place
    # above: judged on the empty first render, every chart would count as seen.
    return rx.cond(
        PipelineCharts.funnel.length() > 0,  # type: ignore[attr-defined]
        charts.when_seen(chart),
        rx.el.div(class_name="chart-space"),
    )


# Every tick shown, slanted and small: ten buckets or eight weeks fit a third of the page without overlapping.
SLANTED_TICKS = {"interval": 0, "angle": -40, "text_anchor": "end", "height": 48, "font_size": 11}


def bar_chart(data: rx.Var, *, x_key: str, y_key: str, fill: str) -> rx.Component:
    """A bar per bucket (or week), every tick labelled."""
    return once_loaded(
        charts.responsive(
            rx.recharts.bar_chart(
                charts.Bar.create(data_key=y_key, fill=fill, is_animation_active=False),
                charts.XAxis.create(data_key=x_key, **SLANTED_TICKS),
                charts.YAxis.create(allow_decimals=False),
                charts.Tooltip.create(),
                data=data,
                width="100%",
                height=220,
            )
        )
    )


def funnel_chart() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Funnel", size="3"),
            once_loaded(
                charts.responsive(
                    rx.recharts.funnel_chart(
                        # No labels inside the chart: on a narrow card they overlap; the stages are listed below.
                        charts.Funnel.create(
                            data=PipelineCharts.funnel,
                            data_key="count",
                            name_key="stage",
                            is_animation_active=False,
                        ),
                        charts.Tooltip.create(),
                        width="100%",
                        height=220,
                    )
                )
            ),
            rx.hstack(
                rx.foreach(
                    PipelineCharts.funnel,
                    lambda stage: rx.text(stage["label"].to(str), size="1", class_name="funnel-stage"),
                ),
                wrap="wrap",
                spacing="3",
            ),
            width="100%",
        ),
        width="100%",
        id="funnel",
    )


def fit_chart() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Fit scores", size="3"),
            bar_chart(PipelineCharts.histogram, x_key="bucket", y_key="jobs", fill="var(--accent-9)"),
            width="100%",
        ),
        width="100%",
        id="fit-histogram",
    )


def applications_chart() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Applications per week", size="3"),
            bar_chart(PipelineCharts.applications, x_key="week", y_key="applications", fill="var(--grass-9)"),
            rx.text(
                "This week: " + PipelineCharts.applications[-1]["applications"].to(str),
                size="1",
                id="applications-this-week",
            ),
            width="100%",
        ),
        width="100%",
        id="applications-per-week",
    )


def pictures() -> rx.Component:
    return rx.grid(
        funnel_chart(),
        fit_chart(),
        applications_chart(),
        columns=rx.breakpoints(initial="1", md="3"),
        spacing="4",
        width="100%",
    )


# -- the page --------------------------------------------------------------------------------------------


def jobs_section() -> rx.Component:
    return rx.cond(
        PipelineView.empty,
        rx.text("No jobs yet: paste a posting above.", color_scheme="gray"),
        rx.cond(
            (PipelineView.total == 0) & PipelineView.loaded,
            rx.text("No jobs match these filters.", color_scheme="gray", id="no-match"),
            rx.cond(PipelineView.query["view"] == "board", jobs_board(), jobs_list()),
        ),
    )


@page("/", "Pipeline")
def pipeline() -> rx.Component:
    return rx.vstack(
        resume_banner(),
        add_job_form(),
        rx.heading("Pipeline", size="5"),
        query_bar(),
        notice(),
        batch_progress(),
        bulk_bar(),
        jobs_section(),
        pictures(),
        spacing="5",
        padding_y="1.5em",
        width="100%",
    )
