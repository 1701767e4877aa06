"""The live picture (one process's fold of every task event) and what pages derive from it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from jobapp.live.events import JobChanged
from jobapp.live.picture import RECENT_LIMIT, Picture
from jobapp.live.views import activity_label, indicator, job_activity
from jobapp.state.follow import Page
from jobapp.state.job_view import job_id_from_path
from jobapp.tasks import ProgressTick, TaskChanged, TaskSummary, TextStreamed

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def task(
    task_id: int, kind: str = "evaluate-job", status: str = "queued", job_id: int | None = 1, **more
) -> TaskSummary:
    values = {
        "id": task_id,
        "kind": kind,
        "status": status,
        "job_id": job_id,
        "priority": 0,
        "attempt": 0,
        "max_attempts": 8,
        "crashes": 0,
        "progress": 0,
        "progress_label": "Queued",
        "error": None,
        "cancel_requested": False,
        "provider": None,
        "model": None,
        "usage": None,
        "job_deleted": False,
        "created_at": T0,
        "updated_at": T0,
        "started_at": None,
        "finished_at": T0 + timedelta(seconds=task_id) if status in ("completed", "failed", "cancelled") else None,
        "run_after": T0,
        "version": 1,
    }
    return TaskSummary(**(values | more))


def test_indicator_names_the_running_item_and_counts_the_rest():
    active = [task(1, "generate-cover-letter", "queued", 3), task(2, "evaluate-job", "running", 14)]
    active.append(task(3, "evaluate-job", "queued", 15))
    assert indicator(active) == "Building 3 items: evaluating #14 (+2 more)"


def test_indicator_for_one_item_and_for_none():
    assert indicator([task(5, "evaluate-job", "queued", 2)]) == "Building 1 item: evaluating #2"
    assert indicator([]) == ""


def test_labels_use_the_kind_registry_and_unwritten_progress():
    picture = Picture()
    picture.apply(TaskChanged(task(1, "evaluate-job", "running", 1, progress=10)))
    picture.apply(TaskChanged(task(2, "generate-cover-letter", "queued", 1)))
    picture.apply(ProgressTick(1, 1, 40, "Scoring"))
    assert activity_label(picture, picture.active[1]) == "evaluation 40%"
    assert activity_label(picture, picture.active[2]) == "cover letter queued"
    assert job_activity(picture) == {"1": "evaluation 40% · cover letter queued"}


def test_an_older_version_never_overwrites_a_newer_one():
    picture = Picture()
    done = task(1, status="completed", version=3)
    picture.apply(TaskChanged(done))
    # The "running" summary of version 2 arrives late (another process's message was slower).
    assert picture.apply(TaskChanged(task(1, status="running", version=2))) is None
    assert 1 not in picture.active
    assert list(picture.recent) == [done]
    assert picture.apply(TaskChanged(done)) is None  # a replay changes nothing


def test_finishing_moves_a_task_to_recent_and_drops_its_ticks_and_text():
    picture = Picture()
    picture.apply(TaskChanged(task(1, status="running", version=2)))
    picture.apply(ProgressTick(1, 1, 50, "Writing"))
    picture.apply(TextStreamed(1, 1, 0, "Dear team"))
    change = picture.apply(TaskChanged(task(1, status="completed", version=3)))
    assert change is not None and change.job_row  # a completed task may have written its job
    assert picture.active == {} and picture.ticks == {} and picture.texts == {}
    assert [t.id for t in picture.recent] == [1]


def test_ticks_for_tasks_not_running_are_ignored():
    picture = Picture()
    picture.apply(TaskChanged(task(1, status="queued")))
    assert picture.apply(ProgressTick(1, 1, 50, "late tick")) is None
    assert picture.apply(ProgressTick(99, 1, 50, "unknown task")) is None


def test_streamed_text_is_stitched_by_offset_and_a_gap_is_marked():
    picture = Picture()
    picture.apply(TaskChanged(task(1, status="running")))
    picture.apply(TextStreamed(1, 1, 0, "Dear "))
    picture.apply(TextStreamed(1, 1, 5, "team,"))
    picture.apply(TextStreamed(1, 1, 5, "team,"))  # a repeat is idempotent
    assert picture.texts[1].text == "Dear team," and not picture.texts[1].joined_late
    picture.apply(TaskChanged(task(2, status="running")))
    picture.apply(TextStreamed(2, 1, 40, "…the middle"))  # this process started listening late
    assert picture.texts[2].text == "…the middle" and picture.texts[2].joined_late


def test_recent_keeps_the_newest_finished_tasks_newest_first():
    picture = Picture()
    for task_id in range(1, RECENT_LIMIT + 6):
        picture.apply(TaskChanged(task(task_id, status="completed")))
    picture.apply(TaskChanged(task(2, status="failed", version=5)))  # an old one, retried and failed again later
    ids = [t.id for t in picture.recent]
    assert len(ids) == RECENT_LIMIT
    assert ids[0] == RECENT_LIMIT + 5
    assert ids == sorted(ids, key=lambda i: picture_finished(picture, i), reverse=True)


def picture_finished(picture: Picture, task_id: int) -> datetime:
    return next(t.finished_at for t in picture.recent if t.id == task_id)  # type: ignore[return-value]


def test_job_changes_are_passed_on():
    change = Picture().apply(JobChanged(7, deleted=True))
    assert change is not None and (change.job_id, change.job_row, change.deleted) == (7, True, True)


def test_active_sorted_puts_running_first():
    picture = Picture()
    for summary in (task(1), task(2, status="running"), replace(task(3), priority=-1)):
        picture.apply(TaskChanged(summary))
    assert [t.id for t in picture.active_sorted()] == [2, 3, 1]


def test_pages_and_job_ids_from_paths():
    assert job_id_from_path("/jobs/14") == 14
    assert job_id_from_path("/jobs/14/") == 14
    assert job_id_from_path("/jobs/abc") == 0
    assert Page.of("/") == Page("pipeline")
    assert Page.of("/activity/") == Page("activity")
    assert Page.of("/jobs/3") == Page("job", 3)
    assert Page.of("/settings") == Page("other")


def test_the_pipeline_page_carries_its_query_from_the_url():
    page = Page.of("/", {"q": "rust", "status": "Applied", "view": "board"})
    query = page.pipeline_query
    assert (query.q, query.statuses, query.view) == ("rust", ("Applied",), "board")


def test_the_pipeline_is_read_again_per_job_change_never_for_progress_alone():
    from types import SimpleNamespace

    from jobapp.live.hub import Pending
    from jobapp.state.follow import TabView

    hub = SimpleNamespace(picture=Picture())
    view = TabView(Page.of("/"), hub, object)  # type: ignore[arg-type]
    assert view._pipeline_stale(None)  # the first look
    assert not view._pipeline_stale(Pending(board=True))  # a task moved or ticked: the rows are the same
    assert view._pipeline_stale(Pending(job_rows={1}))
    assert view._pipeline_stale(Pending(deleted={1}))
    assert view._pipeline_stale(Pending(everything=True))

    # With the "work running" filter, a job gaining or losing its last active task changes the page.
    busy = TabView(Page.of("/", {"busy": "1"}), hub, object)  # type: ignore[arg-type]
    assert busy._pipeline_stale(None)
    hub.picture.apply(TaskChanged(task(1, job_id=7)))
    assert busy._pipeline_stale(Pending(board=True))
    hub.picture.apply(ProgressTick(1, 7, 40, "Reading"))
    hub.picture.apply(TaskChanged(replace(task(1, job_id=7, status="running"), version=2)))
    assert not busy._pipeline_stale(Pending(board=True))  # still the same job busy


def test_batch_view_counts_each_task_once_and_running_ones_by_their_progress():
    from jobapp.pipeline.bulk import batch_view

    tasks = {
        1: task(1, status="completed"),
        2: task(2, status="failed"),
        3: task(3, status="running", progress=10),
        4: task(4, status="queued"),
        5: None,  # gone with its job
    }
    # The running task's unwritten progress (50 %) counts, not the 10 % last written.
    view = batch_view("Evaluation", tasks, {3: ProgressTick(task_id=3, job_id=1, progress=50, label="Scoring")})
    assert view["text"] == "Evaluation of 5 jobs: 1 done, 2 failed, 1 running, 1 queued."
    assert (view["done"], view["failed"], view["running"], view["queued"]) == (1, 2, 1, 1)
    assert view["percent"] == round(100 * 3.5 / 5)
    assert view["finished"] is False

    ended = batch_view("Tailored CV", {7: task(7, status="completed")}, {})
    assert ended["text"] == "Tailored CV of 1 job finished: 1 done."
    assert (ended["percent"], ended["finished"]) == (100, True)
