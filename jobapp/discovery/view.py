"""What the Discover page shows: pure functions from board rows, the scan task and its live progress to
JSON-ready values (no Reflex), plus the one read that fetches the rows.

The panel of the running scan comes from the scan's newest `ProgressTick.detail` when this process heard
one; until then (a worker that just started, a page opened between two ticks) from the board rows, which
each scan updates as every board finishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from jobapp.discovery import store
from jobapp.discovery.boards import SYSTEMS
from jobapp.discovery.matching import split_list
from jobapp.models import Board, Schedule, Task
from jobapp.tasks import ProgressTick, TaskSummary
from jobapp.tasks.summary import SUMMARY_COLUMNS

KIND = "discover-jobs"
T = Task.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Discovery:
    """The rows behind the page, as read from the database."""

    boards: list[Board]
    prefs: store.Preferences
    schedule: Schedule | None
    latest_scan: TaskSummary | None


def read(s: Session) -> Discovery:
    row = s.connection().execute(select(*SUMMARY_COLUMNS).where(T.kind == KIND).order_by(T.id.desc()).limit(1)).first()
    return Discovery(
        store.boards(s), store.preferences(s), store.schedule(s), TaskSummary.from_row(row) if row else None
    )


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _filters(terms: str, locations: str) -> str:
    parts = [", ".join(split_list(terms)) or "any title", ", ".join(split_list(locations)) or "anywhere"]
    return " · ".join(parts)


def board_rows(data: Discovery) -> list[dict[str, Any]]:
    rows = []
    for board in data.boards:
        own = bool(board.terms or board.locations)
        where = f"{SYSTEMS.get(board.api, board.api)} · {board.slug}" if board.api else "careers page (read at scan)"
        rows.append(
            {
                "id": board.id,
                "company": board.company,
                "source": board.source,
                "where": where,
                "terms": board.terms,
                "locations": board.locations,
                "filters": _filters(board.terms, board.locations) if own else "defaults",
                "last_scan": when(board.last_scan_at) or "never",
                "last_result": (
                    f"{board.last_seen} seen · {board.last_matching} matching · {board.last_new} new"
                    if board.last_scan_at
                    else "not scanned yet"
                ),
                "last_error": board.last_error,
            }
        )
    return rows


def schedule_text(data: Discovery) -> str:
    schedule = data.schedule
    if schedule is None or schedule.every_seconds <= 0:
        return "No schedule: boards are scanned when you click Discover."
    hours = schedule.every_seconds // 3600
    every = "every hour" if hours == 1 else f"every {hours} hours"
    return f"Scanned {every}; next scan at {when(schedule.next_run_at) or 'the next check'}."


def scan_row(scan: TaskSummary | None, tick: ProgressTick | None) -> dict[str, Any]:
    """The running or last scan: status, progress and what it is doing or how it ended."""
    if scan is None:
        return {}
    running = scan.status == "running"
    return {
        "id": scan.id,
        "status": scan.status,
        "progress": tick.progress if running and tick else scan.progress,
        "label": tick.label if running and tick else scan.progress_label,
        "error": scan.error or "",
        "when": when(scan.finished_at or scan.started_at or scan.created_at),
    }


def panel(data: Discovery, scan: TaskSummary | None, tick: ProgressTick | None) -> list[dict[str, Any]]:
    """One row per company in the scan: waiting, scanning, done or failed, with its counts and error."""
    if scan is None:
        return []
    names = {b.id: b.company for b in data.boards}
    detail = tick.detail if tick is not None and scan.status == "running" else None
    if detail and isinstance(detail.get("boards"), list):
        return [
            _panel_row(board_id, names.get(board_id, "(unfollowed)"), state, seen, matching, new, error)
            for board_id, state, seen, matching, new, error in detail["boards"]
        ]
    rows = []
    for board in data.boards:
        if board.last_task_id == scan.id:
            state = "failed" if board.last_error else "done"
            row = _panel_row(
                board.id, board.company, state, board.last_seen, board.last_matching, board.last_new, board.last_error
            )
        elif scan.active:
            row = _panel_row(board.id, board.company, "waiting")
        else:
            continue  # followed after this scan
        rows.append(row)
    return rows


def _panel_row(
    board_id: int, company: str, state: str, seen: int = 0, matching: int = 0, new: int = 0, error: str = ""
) -> dict[str, Any]:
    return {
        "board_id": board_id,
        "company": company,
        "state": state,
        "seen": seen,
        "matching": matching,
        "new": new,
        "error": error,
    }


def panel_summary(scan: TaskSummary | None, rows: list[dict[str, Any]]) -> str:
    """'Scanning 20 boards: 12 done, 1 failed · 3 new' / 'Last scan: 20 boards, 3 new, 1 failed'."""
    if scan is None:
        return "No scan yet."
    finished = sum(1 for r in rows if r["state"] in ("done", "failed"))
    failed = sum(1 for r in rows if r["state"] == "failed")
    new = sum(r["new"] for r in rows)
    boards = f"{len(rows)} board{'s' if len(rows) != 1 else ''}"
    if scan.status == "queued":
        return f"Scan queued ({boards})."
    if scan.status == "running":
        return f"Scanning {boards}: {finished} done, {failed} failed · {new} new so far"
    if scan.status == "failed":
        return f"Last scan failed: {scan.error or 'no board could be read'}"
    if scan.status == "cancelled":
        return f"Last scan was cancelled after {finished} of {boards} · {new} new"
    return f"Last scan ({when(scan.finished_at)}): {boards}, {new} new, {failed} failed"
