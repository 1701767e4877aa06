"""The pipeline as a person uses it: board and list, a card moved by its menu (another tab sees it), search and
filters kept in the URL across a reload and the back button, bulk actions, the first-run banner, the charts."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlmodel import Session
from test_browser_live import RESUME

from jobapp.db import make_engine
from jobapp.models import Job, Profile, Task

pytestmark = pytest.mark.e2e

# (title, company, status, fit score, posting text)
JOBS = [
    ("Platform Engineer", "Acme", "Pending", None, "Kubernetes and Terraform on AWS."),
    ("Data Engineer", "Globex", "Evaluated", 72, "Spark and Airflow pipelines."),
    ("Backend Engineer", "Initech", "Evaluated", 55, "Python services on Kubernetes."),
    ("Site Reliability Engineer", "Acme", "Applied", 81, "On-call, Kubernetes, Prometheus."),
    ("Frontend Engineer", "Hooli", "Rejected", 30, "React and TypeScript."),
]


def seed(db_url: str, *, resume: bool = True) -> dict[str, int]:
    """The jobs above (and a profile with a resume unless told otherwise); title → id."""
    engine = make_engine(db_url)
    with Session(engine) as s:
        if resume:
            s.add(Profile(name="Ada Example", resume=RESUME))
        for title, company, status, fit, text in JOBS:
            s.add(Job(title=title, company=company, status=status, fit_score=fit, description=text))
        s.commit()
        ids = {job.title: job.id for job in s.exec(select(Job)).scalars()}  # type: ignore[call-overload]
    engine.dispose()
    return ids  # type: ignore[return-value]


def queued_tasks(db_url: str) -> list[tuple[str, int]]:
    engine = make_engine(db_url)
    with Session(engine) as s:
        rows = s.execute(select(Task.kind, Task.job_id).where(Task.status == "queued")).all()
    engine.dispose()
    return sorted((kind, job_id) for kind, job_id in rows)  # type: ignore[misc]


def column(page: Page, status: str):
    return page.locator(f".board-column[data-status='{status}']")


def test_the_board_shows_a_column_per_status_and_a_card_moves_by_its_menu(site, backend, context):
    ids = seed(backend.db_url)
    backend.start()
    mover, watcher = context.new_page(), context.new_page()
    for tab in (mover, watcher):
        tab.goto(f"{site['url']}/?view=board")
        expect(tab.locator(".board-column")).to_have_count(7)
    statuses = [column.get_attribute("data-status") for column in mover.locator(".board-column").all()]
    assert statuses == ["Pending", "Evaluated", "Applied", "Interview", "Offer", "Rejected", "Discarded"]
    expect(column(mover, "Evaluated").locator(".job-card")).to_have_count(2)
    expect(column(mover, "Evaluated").locator(".column-count")).to_have_text("2")
    # Cards are plain elements with Radix Themes' class names (jobapp/components/plain.py): those classes
    # still give them Radix's look (an upgrade that renamed them would leave the cards bare).
    look = mover.locator(f"#job-card-{ids['Data Engineer']}").evaluate(
        """(card) => {
            const style = (selector) => getComputedStyle(card.querySelector(selector));
            return {
                padding: getComputedStyle(card).paddingTop,
                badge: style('.rt-Badge').backgroundColor,
                link: style('.job-link').color,
                text: style('.card-state').color,
            };
        }"""
    )
    assert look["padding"] != "0px"
    assert look["badge"] not in ("rgba(0, 0, 0, 0)", "transparent")
    assert look["link"] != look["text"]

    card = f"#job-card-{ids['Platform Engineer']}"
    expect(column(watcher, "Pending").locator(card)).to_be_visible()
    expect(mover.locator(card).locator(".card-state")).to_have_text("Pending")
    mover.locator(card).locator(".job-menu").click()
    # The menu is the browser's popover: open, and its item closes it.
    menu = mover.locator(".plain-menu:popover-open")
    expect(menu).to_have_count(1)
    # It opens at its button (CSS anchor positioning), right edges aligned, not in the middle of the page.
    button_box = mover.locator(card).locator(".job-menu").bounding_box()
    menu_box = menu.bounding_box()
    assert button_box and menu_box
    assert abs((menu_box["x"] + menu_box["width"]) - (button_box["x"] + button_box["width"])) < 2
    menu.get_by_role("button", name="Interview").click()
    expect(menu).to_have_count(0)
    expect(mover.locator("#pipeline-notice")).to_contain_text("moved to Interview")
    # Both tabs see the card in its new column; moving to Interview queued the company brief, shown apart
    # from the status on the card.
    for tab in (mover, watcher):
        expect(column(tab, "Interview").locator(card)).to_be_visible()
        expect(column(tab, "Pending").locator(".job-card")).to_have_count(0)
        expect(tab.locator(card).locator(".card-state")).to_contain_text("Interview")
    # The list view is one click away and keeps the URL's other parameters.
    mover.locator("#view-switch").get_by_role("radio", name="List").click()
    expect(mover.locator(f"#job-row-{ids['Platform Engineer']}")).to_have_attribute("data-status", "Interview")
    # The view is shown with the navigation's answer, and the URL follows it.
    expect(mover).not_to_have_url(re.compile(r"view=board"))


def test_search_and_filters_live_in_the_url(site, backend, context):
    seed(backend.db_url)
    backend.start()
    page = context.new_page()
    frames: list[tuple[str, str]] = []  # the websocket's messages in order, ("sent" or "received", text)

    def log(way: str):
        return lambda message: frames.append((way, message if isinstance(message, str) else ""))

    page.on("websocket", lambda ws: (ws.on("framesent", log("sent")), ws.on("framereceived", log("received"))))
    page.goto(site["url"])
    expect(page.locator("tr[id^='job-row-']")).to_have_count(5)

    page.locator("#search").fill("kubernetes")
    before = len(frames)
    page.locator("#search").press("Enter")
    expect(page.locator("tr[id^='job-row-']")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"q=kubernetes"))
    # The search's own answer carried the page, before the navigation's events left the browser; the follow
    # loop the navigation restarted found the tab holding it and sent the rows no second time.
    page.wait_for_timeout(1000)
    after = frames[before:]
    events_sent = [i for i, (way, text) in enumerate(after) if way == "sent" and text.startswith("42")]
    with_rows = [i for i, (way, text) in enumerate(after) if way == "received" and '"rows_rx_state_"' in text]
    assert len(with_rows) == 1, after
    assert len(events_sent) >= 2 and events_sent[0] < with_rows[0] < events_sent[1], after

    page.locator("#filter-status").select_option("Evaluated")
    expect(page.locator("tr[id^='job-row-']")).to_have_count(1)
    expect(page.locator("tr", has_text="Backend Engineer")).to_be_visible()
    expect(page).to_have_url(re.compile(r"status=Evaluated"))
    params = parse_qs(urlsplit(page.url).query)
    assert params == {"q": ["kubernetes"], "status": ["Evaluated"]}

    # A reload keeps search, filter and the form's values.
    page.reload()
    expect(page.locator("tr[id^='job-row-']")).to_have_count(1)
    expect(page.locator("#search")).to_have_value("kubernetes")
    expect(page.locator("#filter-status")).to_have_value("Evaluated")

    # Back: the search alone; forward again: search and filter.
    page.go_back()
    expect(page.locator("tr[id^='job-row-']")).to_have_count(3)
    page.go_forward()
    expect(page.locator("tr[id^='job-row-']")).to_have_count(1)

    # A fit range and the company filter; then clearing everything.
    page.locator("#clear-filters").click()
    expect(page.locator("tr[id^='job-row-']")).to_have_count(5)
    page.locator("#fit-min").fill("50")
    page.locator("#filter-company").fill("acme")
    page.locator("#apply-filters").click()
    expect(page.locator("tr[id^='job-row-']")).to_have_count(1)
    expect(page.locator("tr", has_text="Site Reliability Engineer")).to_be_visible()
    page.locator("#search").fill("no such words anywhere")
    page.locator("#search").press("Enter")
    expect(page.locator("#no-match")).to_be_visible()


# Evaluations never start (per-kind cap 0), so the queued tasks can be counted without racing them.
@pytest.mark.parametrize(
    "backend_env", [{"JOBAPP_KIND_LIMITS": "evaluate-job=0,generate-cv=0", "JOBAPP_POLL_SECONDS": "0.5"}]
)
def test_bulk_evaluate_queues_one_task_per_selected_job_with_dedupe(site, backend, context):
    ids = seed(backend.db_url)
    backend.start()
    page = context.new_page()
    page.goto(site["url"])
    chosen = ["Platform Engineer", "Data Engineer", "Backend Engineer"]
    for title in chosen:
        page.locator(f"#job-row-{ids[title]}").locator(".job-select").click()
    expect(page.locator("#selected-count")).to_have_text("3 selected")
    page.locator("#bulk-evaluate").click()
    expect(page.locator("#pipeline-notice")).to_have_text("Evaluation: 3 queued.")
    assert queued_tasks(backend.db_url) == sorted(("evaluate-job", ids[t]) for t in chosen)
    # The batch's progress, live, until dismissed (nothing runs here: all three wait).
    expect(page.locator("#batch-text")).to_have_text("Evaluation of 3 jobs: 3 queued.")
    expect(page.locator("#batch-progress")).to_have_attribute("data-percent", "0")
    # Their rows show the queued work apart from their status.
    expect(page.locator(f"#job-row-{ids['Data Engineer']} .job-activity")).to_contain_text("evaluation queued")
    expect(page.locator(f"#job-row-{ids['Data Engineer']} .job-status")).to_have_text("Evaluated")

    # The same work again, plus one more job: the dedupe answers for the three.
    for title in [*chosen, "Frontend Engineer"]:
        page.locator(f"#job-row-{ids[title]}").locator(".job-select").click()
    page.locator("#bulk-evaluate").click()
    expect(page.locator("#pipeline-notice")).to_have_text("Evaluation: 1 queued, 3 already queued.")
    assert len(queued_tasks(backend.db_url)) == 4
    # The batch is the four jobs' tasks, the already queued ones included.
    expect(page.locator("#batch-text")).to_have_text("Evaluation of 4 jobs: 4 queued.")
    page.locator("#batch-dismiss").click()
    expect(page.locator("#batch-progress")).to_have_count(0)

    # A bulk move goes through the job page's path: every row moves.
    page.locator("#select-page").click()
    expect(page.locator("#select-page")).to_be_checked()
    page.locator("#bulk-move").click()
    page.get_by_role("menuitem", name="Discarded").click()
    expect(page.locator("#pipeline-notice")).to_have_text("Discarded: 5 moved.")
    expect(page.locator("tr[data-status='Discarded']")).to_have_count(5)
    # The move used the selection up, and the header box follows the selection.
    expect(page.locator("#select-page")).not_to_be_checked()


def test_bulk_evaluate_shows_the_batch_progress_until_every_task_ends(site, backend, context):
    ids = seed(backend.db_url)
    backend.start()
    page = context.new_page()
    page.goto(site["url"])
    chosen = ["Platform Engineer", "Data Engineer", "Frontend Engineer"]
    for title in chosen:
        page.locator(f"#job-row-{ids[title]}").locator(".job-select").click()
    page.locator("#bulk-evaluate").click()
    expect(page.locator("#batch-text")).to_have_text("Evaluation of 3 jobs finished: 3 done.")
    expect(page.locator("#batch-progress")).to_have_attribute("data-percent", "100")
    expect(page.locator("#batch-progress")).to_have_attribute("data-finished", "true")
    # The batch belongs to the tab: a reload shows it again, from the tab's state.
    page.reload()
    expect(page.locator("#batch-text")).to_have_text("Evaluation of 3 jobs finished: 3 done.")


def test_first_run_banner_until_a_resume_is_saved_and_the_charts(site, backend, context):
    ids = seed(backend.db_url, resume=False)
    backend.start()
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 400})  # the pictures start out of sight
    page.goto(site["url"])
    expect(page.locator("#resume-banner")).to_contain_text("Add your resume first")
    # The pictures: the funnel (with each stage's conversion) and the fit histogram, drawn by recharts once
    # scrolled to (their data has come: the stages under the funnel show).
    expect(page.locator(".funnel-stage").first).to_have_text("Added · 5")
    expect(page.locator(".recharts-wrapper")).to_have_count(0)
    page.locator("#fit-histogram").scroll_into_view_if_needed()
    expect(page.locator("#funnel .recharts-wrapper")).to_be_visible()
    expect(page.locator("#fit-histogram .recharts-wrapper")).to_be_visible()
    expect(page.locator(".funnel-stage").first).to_have_text("Added · 5")
    expect(page.locator(".funnel-stage").nth(1)).to_have_text("Evaluated · 4 (80% of added)")
    expect(page.locator("#fit-histogram .recharts-xAxis .recharts-cartesian-axis-tick")).to_have_count(10)

    page.locator("#resume-banner-link").click()
    page.locator("#profile-name").fill("Ada Example")
    page.locator("#profile-resume").fill(RESUME)
    page.locator("#save-profile").click()
    expect(page.locator("#profile-saved")).to_have_text("Saved.")
    page.goto(site["url"])
    expect(page.locator("tr[id^='job-row-']")).to_have_count(5)
    expect(page.locator("#resume-banner")).to_have_count(0)

    # Applications per week (8 weeks) follow a move made in another tab, live, as the funnel does.
    page.locator("#applications-per-week").scroll_into_view_if_needed()
    expect(page.locator("#applications-per-week .recharts-xAxis .recharts-cartesian-axis-tick")).to_have_count(8)
    expect(page.locator("#applications-this-week")).to_have_text("This week: 0")
    expect(page.locator(".funnel-stage").nth(2)).to_have_text("Applied · 2 (50% of evaluated)")
    mover = context.new_page()
    mover.goto(f"{site['url']}/?view=board")
    card = f"#job-card-{ids['Data Engineer']}"
    mover.locator(card).locator(".job-menu").click()
    mover.locator(".plain-menu:popover-open").get_by_role("button", name="Applied").click()
    expect(mover.locator("#pipeline-notice")).to_contain_text("moved to Applied")
    expect(page.locator("#applications-this-week")).to_have_text("This week: 1")
    expect(page.locator(".funnel-stage").nth(2)).to_have_text("Applied · 3 (75% of evaluated)")
