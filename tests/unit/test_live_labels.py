"""What the navigation indicator and pipeline rows say about background work."""

from __future__ import annotations

from jobapp.live import activity_label, indicator
from jobapp.state.job_channel import job_id_from_path


def task(task_id: int, kind: str, status: str, job_id: int | None = None, progress: int = 0) -> dict:
    return {"id": task_id, "kind": kind, "status": status, "job_id": job_id, "progress": progress}


def test_indicator_names_the_running_item_and_counts_the_rest():
    active = [task(1, "generate-cover-letter", "queued", 3), task(2, "evaluate-job", "running", 14)]
    active.append(task(3, "evaluate-job", "queued", 15))
    assert indicator(active) == "Building 3 items: evaluating #14 (+2 more)"


def test_indicator_for_one_item_and_for_none():
    assert indicator([task(5, "evaluate-job", "queued", 2)]) == "Building 1 item: evaluating #2"
    assert indicator([]) == ""


def test_activity_label_shows_progress_only_while_running():
    assert activity_label(task(1, "evaluate-job", "running", 1, progress=40)) == "evaluate 40%"
    assert activity_label(task(2, "generate-cover-letter", "queued", 1)) == "cover letter queued"


def test_job_id_from_path():
    assert job_id_from_path("/jobs/14") == 14
    assert job_id_from_path("/jobs/14/") == 14
    assert job_id_from_path("/jobs/abc") == 0
