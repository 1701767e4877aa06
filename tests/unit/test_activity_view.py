"""The activity page's URL filter, a task's history rows and the interview view's talking points:
pure functions, checked without a browser."""

from __future__ import annotations

import pytest

from jobapp.live.activity import ANY, ActivityQuery, history, job_choices, pages
from jobapp.live.interview import talking_points
from jobapp.state.follow import Page
from jobapp.tasks import TaskFilter


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ActivityQuery()),
        ({"kind": "evaluate-job", "status": "failed"}, ActivityQuery(kind="evaluate-job", status="failed")),
        ({"job": "12", "page": "3"}, ActivityQuery(job="12", page=3)),
        ({"job": "none"}, ActivityQuery(job="none")),
        # A hand-edited link: whatever is unknown counts as no filter.
        ({"kind": "mine-bitcoin", "status": "done", "job": "-1", "page": "x"}, ActivityQuery()),
    ],
)
def test_the_filter_is_read_from_the_url(params, expected):
    assert ActivityQuery.parse(params) == expected


def test_the_filter_round_trips_through_its_url_and_a_change_starts_at_page_one():
    query = ActivityQuery(kind="generate-cv", status="failed", job="4", page=2)
    assert query.href() == "/activity?kind=generate-cv&status=failed&job=4&page=2"
    page = Page.of("/activity", {"kind": "generate-cv", "status": "failed", "job": "4", "page": "2"})
    assert page.activity_query == query
    assert query.with_(status=ANY).href() == "/activity?kind=generate-cv&job=4"
    assert ActivityQuery().href() == "/activity"
    assert Page.of("/tasks/7/") == Page("task", task_id=7)
    assert Page.of("/interview") == Page("interview")
    assert query.task_filter() == TaskFilter(kind="generate-cv", status="failed", job_id=4)
    assert ActivityQuery(job="none").task_filter() == TaskFilter(job_id=0)


def test_job_choices_keep_a_deleted_job_the_url_names():
    values = [value for value, _ in job_choices([(3, "Backend")], ActivityQuery(job="9"))]
    assert values == ["all", "none", "3", "9"]
    assert pages(0) == 1 and pages(25) == 1 and pages(26) == 2


def test_history_lists_stages_errors_and_the_ending_in_time_order():
    task = {
        "status": "failed",
        "attempt": 2,
        "worker_id": "w-b",
        "created_at": "2026-01-01T10:00:00+00:00",
        "started_at": "2026-01-01T10:00:10+00:00",
        "finished_at": "2026-01-01T10:00:12+00:00",
        "updated_at": "2026-01-01T10:00:12+00:00",
        "run_after": "2026-01-01T10:00:08+00:00",
        "progress_label": "Failed after 2 attempts",
        "stages": [
            {"at": "2026-01-01T10:00:01+00:00", "label": "Reading the posting", "attempt": 1},
            {"at": "2026-01-01T10:00:11+00:00", "label": "Reading the posting", "attempt": 2},
        ],
        "errors": [
            {"attempt": 1, "at": "2026-01-01T10:00:02+00:00", "error": "503 from the model", "transient": True},
            {"attempt": 2, "at": "2026-01-01T10:00:12+00:00", "error": "503 again", "transient": True, "worker": "w-b"},
        ],
    }
    rows = history(task)
    assert [r["what"] for r in rows] == [
        "Queued",
        "Reading the posting",
        "Attempt 1 failed",
        "Started attempt 2 on worker w-b",
        "Reading the posting",
        "Attempt 2 failed",
        "Failed",
    ]
    assert rows[2]["error"] == "503 from the model" and rows[2]["tone"] == "error"
    assert rows[5]["detail"] == "transient, retried · worker w-b"
    assert rows[0]["at"] == "2026-01-01 10:00:00 UTC"


def test_talking_points_are_the_bullets_of_their_section():
    brief = (
        "## Overview\n\n- not this\n\n## Talking points\n\n- Payments at Lumen\n* Led CI/CD\n\n"
        "## Questions to ask\n\n- No"
    )
    assert talking_points(brief) == ["Payments at Lumen", "Led CI/CD"]
    assert talking_points("## Talking points\n\nConnect your project to the role.") == [
        "Connect your project to the role."
    ]
    assert talking_points("## Overview\n\nNothing else.") == []
