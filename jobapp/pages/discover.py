"""/discover — follow company job boards, scan them (now or on a schedule) and watch each company's progress."""

from __future__ import annotations

import reflex as rx

from jobapp.components.badges import scan_state_badge
from jobapp.pages._page import page
from jobapp.state.discover import SCHEDULE_CHOICES, DiscoverState
from jobapp.state.discover_view import DiscoverView


def panel_row(row: rx.Var) -> rx.Component:
    state = row["state"].to(str)
    return rx.table.row(
        rx.table.cell(row["company"].to(str)),
        rx.table.cell(scan_state_badge(state)),
        rx.table.cell(row["seen"].to_string(), class_name="panel-seen"),
        rx.table.cell(row["matching"].to_string(), class_name="panel-matching"),
        rx.table.cell(row["new"].to_string(), class_name="panel-new"),
        rx.table.cell(rx.text(row["error"].to(str), size="1", color_scheme="red")),
        id="panel-" + row["board_id"].to_string(),
        class_name="panel-row",
        custom_attrs={"data-state": state},
    )


def scan_card() -> rx.Component:
    scan = DiscoverView.scan
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Scan", size="4"),
                rx.spacer(),
                rx.text(DiscoverView.schedule, size="2", color_scheme="gray", id="schedule-text"),
                rx.button("Discover now", on_click=DiscoverState.discover, id="discover-now"),
                width="100%",
                align="center",
            ),
            rx.cond(
                scan["status"].to(str) == "running",
                rx.hstack(
                    rx.progress(value=scan["progress"].to(int), max=100, width="12em"),
                    rx.text(scan["label"].to(str), size="2", id="scan-label"),
                    align="center",
                ),
            ),
            # A native <details>: collapsible without a round trip, open until the person folds it.
            rx.el.details(
                rx.el.summary(rx.text(DiscoverView.panel_summary, as_="span", id="panel-summary")),
                rx.cond(
                    DiscoverView.panel.length() > 0,
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *(
                                    rx.table.column_header_cell(name)
                                    for name in ("Company", "State", "Seen", "Matching", "New", "Error")
                                )
                            )
                        ),
                        rx.table.body(rx.foreach(DiscoverView.panel, panel_row)),
                        width="100%",
                    ),
                ),
                open=True,
                id="scan-panel",
                style={"width": "100%"},
            ),
            width="100%",
        ),
        width="100%",
    )


def board_form() -> rx.Component:
    editing = DiscoverState.editing_id > 0
    return rx.vstack(
        rx.hstack(
            rx.cond(
                editing,
                rx.input(
                    placeholder="Company name",
                    value=DiscoverState.editing_company,
                    on_change=DiscoverState.set_editing_company,
                    id="board-company",
                ),
                rx.input(
                    placeholder="Board link (boards.greenhouse.io/acme, jobs.lever.co/acme, jobs.ashbyhq.com/acme), "
                    "greenhouse:acme, or a careers page",
                    value=DiscoverState.board_input,
                    on_change=DiscoverState.set_board_input,
                    width="100%",
                    id="board-input",
                ),
            ),
            width="100%",
        ),
        rx.hstack(
            rx.input(
                placeholder="Its own search terms (blank: the defaults)",
                value=DiscoverState.board_terms,
                on_change=DiscoverState.set_board_terms,
                width="50%",
                id="board-terms",
            ),
            rx.input(
                placeholder="Its own locations (blank: the defaults)",
                value=DiscoverState.board_locations,
                on_change=DiscoverState.set_board_locations,
                width="50%",
                id="board-locations",
            ),
            width="100%",
        ),
        rx.hstack(
            rx.button(rx.cond(editing, "Save changes", "Follow"), on_click=DiscoverState.submit_board, id="follow"),
            rx.cond(editing, rx.button("Cancel", variant="soft", on_click=DiscoverState.cancel_edit)),
            rx.text(DiscoverState.form_error, color_scheme="red", size="2", id="board-error"),
            align="center",
        ),
        width="100%",
    )


def board_row(board: rx.Var) -> rx.Component:
    board_id = board["id"].to(int)
    error = board["last_error"].to(str)
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(board["company"].to(str), weight="medium"),
                rx.text(board["where"].to(str), size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(board["filters"].to(str), size="2")),
        rx.table.cell(rx.text(board["last_scan"].to(str), size="2")),
        rx.table.cell(
            rx.cond(
                error != "",
                rx.text(error, size="1", color_scheme="red", class_name="board-error"),
                rx.text(board["last_result"].to(str), size="2", class_name="board-counts"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button("Edit", size="1", variant="soft", on_click=DiscoverState.edit_board(board_id)),
                rx.button(
                    "Unfollow", size="1", variant="soft", color_scheme="red", on_click=DiscoverState.unfollow(board_id)
                ),
            )
        ),
        id="board-" + board_id.to_string(),
        class_name="board-row",
    )


def boards_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Followed boards (" + DiscoverView.boards.length().to_string() + ")", size="4"),
            board_form(),
            rx.cond(
                DiscoverView.boards.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *(
                                rx.table.column_header_cell(name)
                                for name in ("Company", "Search", "Last scan", "Last result", "")
                            )
                        )
                    ),
                    rx.table.body(rx.foreach(DiscoverView.boards, board_row)),
                    width="100%",
                ),
                rx.text("No boards yet: paste a company's job board link above.", color_scheme="gray"),
            ),
            width="100%",
        ),
        width="100%",
    )


def defaults_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Search and schedule", size="4"),
            rx.text(
                "Terms match a posting's title and department (any of them; '-intern' excludes). Locations match "
                "its location; 'remote' matches remote postings. Blank matches everything.",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.input(
                    placeholder="Search terms, e.g. python, backend, data engineer, -intern",
                    value=DiscoverState.default_terms,
                    on_change=DiscoverState.set_default_terms,
                    width="50%",
                    id="default-terms",
                ),
                rx.input(
                    placeholder="Locations, e.g. Berlin, remote",
                    value=DiscoverState.default_locations,
                    on_change=DiscoverState.set_default_locations,
                    width="50%",
                    id="default-locations",
                ),
                width="100%",
            ),
            rx.hstack(
                rx.checkbox(
                    "Evaluate new postings when a scan completes",
                    checked=DiscoverState.evaluate_new,
                    on_change=DiscoverState.set_evaluate_new,
                    id="evaluate-new",
                ),
                rx.text("Scan by itself every", size="2"),
                rx.select(
                    SCHEDULE_CHOICES,
                    value=DiscoverState.every_hours,
                    on_change=DiscoverState.set_every_hours,
                    id="every-hours",
                ),
                rx.text("hours", size="2"),
                rx.button("Save", on_click=DiscoverState.save_defaults, id="save-defaults"),
                align="center",
                wrap="wrap",
            ),
            width="100%",
        ),
        width="100%",
    )


def scan_ended(task_id: rx.Var[int]) -> rx.Var[bool]:
    """The scan `task_id` names has ended (a notice about it is no longer shown)."""
    status = DiscoverView.scan["status"].to(str)
    ended = (status == "completed") | (status == "failed") | (status == "cancelled")
    return (DiscoverView.scan["id"].to(int) == task_id) & ended


@page("/discover", "Discover", on_load=[DiscoverState.load])
def discover() -> rx.Component:
    return rx.vstack(
        rx.heading("Discover", size="5"),
        rx.cond(
            (DiscoverState.notice != "") & ~scan_ended(DiscoverState.notice_task),
            rx.callout(DiscoverState.notice, id="discover-notice"),
        ),
        scan_card(),
        boards_card(),
        defaults_card(),
        spacing="5",
        padding_y="1.5em",
    )
