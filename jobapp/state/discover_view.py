"""The Discover page's live view for this tab, written only by the tab's follow loop (`Board.follow`)."""

from __future__ import annotations

from typing import Any

import reflex as rx


class DiscoverView(rx.State):
    # The followed boards with their last scan (see jobapp.discovery.view.board_rows).
    boards: list[dict[str, Any]] = []
    # The running or last scan task: id, status, progress, label, error, when ({} before the first scan).
    scan: dict[str, Any] = {}
    # One row per company of that scan: company, state (waiting/scanning/done/failed), seen, matching, new, error.
    panel: list[dict[str, Any]] = []
    # One line over the panel: "Scanning 20 boards: 12 done, 1 failed · 3 new so far".
    panel_summary: str = ""
    # "Scanned every 6 hours; next scan at …", or that there is no schedule.
    schedule: str = ""
    # True once the view holds the rows.
    loaded: bool = False
