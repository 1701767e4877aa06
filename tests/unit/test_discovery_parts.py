"""Discovery without the network: what a person may paste, finding a board in a careers page, the search
filters, the list APIs' answers, and the panel the Discover page shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from jobapp.discovery import view
from jobapp.discovery.boards import (
    BoardInputError,
    BoardRef,
    BoardShapeError,
    board_from_input,
    find_board_in_page,
    listings,
)
from jobapp.discovery.matching import Filter, split_list
from jobapp.discovery.store import MAX_BOARDS, Preferences
from jobapp.intake import FetchPolicy
from jobapp.models import Board
from jobapp.tasks import ProgressTick, TaskSummary
from jobapp.tasks.feed import MAX_MESSAGE, decode_events, messages
from jobapp.work.discover import BoardScan, _detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://boards.greenhouse.io/acme", BoardRef("greenhouse", "acme")),
        ("boards.greenhouse.io/acme/jobs/4012345?gh_src=x", BoardRef("greenhouse", "acme")),
        ("https://job-boards.greenhouse.io/acme", BoardRef("greenhouse", "acme")),
        ("https://boards.greenhouse.io/embed/job_board?for=acme", BoardRef("greenhouse", "acme")),
        ("https://boards-api.greenhouse.io/v1/boards/acme/jobs", BoardRef("greenhouse", "acme")),
        ("https://jobs.lever.co/acme-corp", BoardRef("lever", "acme-corp")),
        ("https://jobs.eu.lever.co/acme/5ac21346-8e0c-4494-8e7a-3eb92ff77902", BoardRef("lever-eu", "acme")),
        ("https://api.lever.co/v0/postings/acme?mode=json", BoardRef("lever", "acme")),
        ("https://jobs.ashbyhq.com/nimbus-labs", BoardRef("ashby", "nimbus-labs")),
        ("https://api.ashbyhq.com/posting-api/job-board/nimbus", BoardRef("ashby", "nimbus")),
        ("greenhouse:acme", BoardRef("greenhouse", "acme")),
        ("Lever : Acme", BoardRef("lever", "Acme")),
        ("https://acme.example/careers", None),  # a careers page: read at the first scan
    ],
)
def test_what_a_person_may_paste(text, expected):
    assert board_from_input(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Paste a company's job board link"),
        ("acme", "write greenhouse:acme, lever:acme or ashby:acme"),
        ("greenhouse:ac/me", "is not a board name"),
        ("ftp://acme.example/jobs", "Only http and https"),
    ],
)
def test_what_names_no_board_says_what_to_type(text, says):
    with pytest.raises(BoardInputError, match=says):
        board_from_input(text)


def test_board_keys_ignore_case_and_list_urls_follow_the_policy():
    ref = BoardRef("greenhouse", "Acme")
    assert ref.key == "greenhouse:acme" and ref.company == "Acme"
    assert BoardRef("lever", "acme-corp").company == "Acme Corp"
    policy = FetchPolicy(ats_api_base={"greenhouse": "http://127.0.0.1:9/", "ashby": "http://127.0.0.1:9"})
    assert ref.list_url(policy) == "http://127.0.0.1:9/v1/boards/Acme/jobs?content=true"
    assert BoardRef("ashby", "n").list_url(policy).endswith("/posting-api/job-board/n?includeCompensation=true")
    assert BoardRef("lever-eu", "x").list_url(FetchPolicy()) == "https://api.eu.lever.co/v0/postings/x?mode=json"


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("<script src='https://boards.greenhouse.io/embed/job_board/js?for=acme'></script>", ("greenhouse", "acme")),
        ('<iframe src="//boards.greenhouse.io/embed/job_board?for=acme&amp;b=x"></iframe>', ("greenhouse", "acme")),
        ('<a href="https://jobs.lever.co/acme">Open roles</a>', ("lever", "acme")),
        ('<script>window.board = "https://jobs.ashbyhq.com/nimbus/embed"</script>', ("ashby", "nimbus")),
        ('<a href="https://www.linkedin.com/company/acme">LinkedIn</a>', None),
    ],
)
def test_a_careers_page_s_board_is_found_in_its_markup(page, expected):
    ref = find_board_in_page(f"<html><body>{page}</body></html>")
    assert (ref.api, ref.slug) == expected if expected else ref is None


def listing(title: str, location: str = "", department: str = "", remote: bool = False):
    item = {"id": 1, "title": title, "location": {"name": location}, "departments": [{"name": department}]}
    (found,) = listings(BoardRef("greenhouse", "acme"), {"jobs": [item]})
    return found if not remote else found.__class__(**{**found.__dict__, "remote": True})


@pytest.mark.parametrize(
    ("terms", "locations", "posting", "matches"),
    [
        ("", "", listing("Anything"), True),
        ("engineer", "", listing("Engineering Manager"), True),  # at the start of a word
        ("data", "", listing("Metadata Specialist"), False),  # not inside one
        ("python, backend", "", listing("Backend Developer"), True),
        ("machine learning", "", listing("Machine  Learning Engineer"), True),
        ("engineer, -intern", "", listing("Engineering Intern"), False),
        ("python", "", listing("Software Engineer", department="Python Platform"), True),
        ("", "berlin, remote", listing("X", "Berlin, Germany"), True),
        ("", "berlin", listing("X", "Paris"), False),
        ("", "remote", listing("X", "Anywhere", remote=True), True),
        ("", "remote", listing("X", "Remote - US"), True),
        ("", "berlin", listing("X", ""), True),  # says nowhere: better shown than missed
    ],
)
def test_filters(terms, locations, posting, matches):
    assert Filter.of(terms, locations).matches(posting) is matches


def test_split_list_keeps_order_and_drops_repeats():
    assert split_list("python, Backend ,, data\nPython") == ["python", "Backend", "data"]


def test_list_answers_of_each_system():
    gh = listings(BoardRef("greenhouse", "acme"), {"jobs": [{"id": 7, "title": "A", "location": {"name": "Remote"}}]})
    assert (gh[0].key, gh[0].remote) == ("greenhouse:acme:7", True)
    assert gh[0].url == "https://boards.greenhouse.io/acme/jobs/7"
    item = {"id": "ABC", "text": "B", "workplaceType": "remote", "categories": {}}
    lever = listings(BoardRef("lever", "Acme"), [item])
    assert (lever[0].key, lever[0].url, lever[0].remote) == ("lever:acme:abc", "https://jobs.lever.co/Acme/ABC", True)
    ashby = listings(
        BoardRef("ashby", "n"),
        {"jobs": [{"id": "u1", "title": "C", "isListed": False}, {"id": "u2", "title": "D", "location": "Oslo"}]},
    )
    assert [(a.key, a.location) for a in ashby] == [("ashby:n:u2", "Oslo")]  # unlisted postings are skipped
    with pytest.raises(BoardShapeError, match="Greenhouse answered in a shape"):
        listings(BoardRef("greenhouse", "acme"), ["not", "a", "board"])


NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def summary(task_id: int, status: str, **fields) -> TaskSummary:
    values = dict.fromkeys(TaskSummary.__dataclass_fields__)
    values |= {"id": task_id, "kind": "discover-jobs", "status": status, "job_id": None, "priority": 0}
    values |= {"attempt": 1, "max_attempts": 8, "crashes": 0, "progress": 0, "progress_label": ""}
    values |= {"cancel_requested": False, "job_deleted": False, "created_at": NOW, "updated_at": NOW}
    values |= {"run_after": NOW, "version": 1} | fields
    return TaskSummary(**values)


def data(*boards: Board) -> view.Discovery:
    return view.Discovery(list(boards), Preferences(), None, None)


def test_the_panel_follows_the_live_detail_then_the_board_rows():
    acme = Board(id=1, key="greenhouse:acme", company="Acme", api="greenhouse", slug="acme")
    nimbus = Board(id=2, key="lever:nimbus", company="Nimbus", api="lever", slug="nimbus")
    running = summary(9, "running")
    detail = {"boards": [[1, "done", 4, 2, 1, ""], [2, "scanning", 0, 0, 0, ""]]}
    tick = ProgressTick(9, None, 50, "Reading Nimbus", detail)

    rows = view.panel(data(acme, nimbus), running, tick)
    assert [(r["company"], r["state"], r["new"]) for r in rows] == [("Acme", "done", 1), ("Nimbus", "scanning", 0)]
    assert view.panel_summary(running, rows) == "Scanning 2 boards: 1 done, 0 failed · 1 new so far"
    assert view.scan_row(running, tick)["label"] == "Reading Nimbus"

    # No tick heard (another worker runs it, or this process just started): the rows each board finished.
    acme.last_task_id, acme.last_seen, acme.last_matching, acme.last_new = 9, 4, 2, 1
    rows = view.panel(data(acme, nimbus), running, None)
    assert [(r["company"], r["state"]) for r in rows] == [("Acme", "done"), ("Nimbus", "waiting")]

    nimbus.last_task_id, nimbus.last_error = 9, "Lever has no board named 'nimbus' (404): check the link."
    done = summary(9, "completed", finished_at=NOW)
    rows = view.panel(data(acme, nimbus), done, None)
    assert [(r["company"], r["state"]) for r in rows] == [("Acme", "done"), ("Nimbus", "failed")]
    assert view.panel_summary(done, rows) == "Last scan (2026-11-29 12:00 UTC): 2 boards, 1 new, 1 failed"
    assert view.panel_summary(None, []) == "No scan yet."


def test_board_rows_say_where_and_which_filters():
    page = Board(id=3, key="page:https://acme.example/careers", company="Acme", source="https://acme.example/careers")
    own = Board(id=4, key="lever:n", company="N", api="lever", slug="n", terms="python", locations="")
    rows = view.board_rows(data(page, own))
    assert [(r["where"], r["filters"], r["last_scan"], r["last_result"]) for r in rows] == [
        ("careers page (read at scan)", "defaults", "never", "not scanned yet"),
        ("Lever · n", "python · anywhere", "never", "not scanned yet"),
    ]


def test_the_live_detail_of_the_most_boards_fits_one_feed_message():
    scans = [BoardScan(i, f"Company {i}", "failed", error="PageNotAvailable: " + "x" * 300) for i in range(MAX_BOARDS)]
    tick = ProgressTick(1, None, 50, "Reading Company 99", _detail(scans))
    (message,) = messages("origin", [tick])
    assert len(message.encode()) <= MAX_MESSAGE
    (decoded,) = decode_events(json.loads(message)["events"])
    assert decoded == tick and len(decoded.detail["boards"]) == MAX_BOARDS

    few = _detail(scans[:3])
    assert few["boards"][0][5].startswith("PageNotAvailable: ")  # small enough to carry the errors
