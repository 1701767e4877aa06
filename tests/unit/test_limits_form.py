"""The Settings page's limits form: what a person types becomes checked `Limits`, or a sentence saying why not."""

from __future__ import annotations

import pytest

from jobapp.preferences import limits_from_form
from jobapp.tasks.limits import Limits

FORM = {
    "concurrency": "2",
    "max_attempts": "5",
    "max_crashes": "3",
    "keep_finished_days": "7",
    "keep_failed_days": "30.5",
    "keep_finished_max": "100",
}


def test_a_filled_form_becomes_limits_and_a_blank_kind_cap_means_none():
    limits = limits_from_form(FORM, {"evaluate-job": " 1 ", "tailor-cv": ""}, Limits())
    assert limits == Limits(
        concurrency=2,
        kind_limits={"evaluate-job": 1},
        max_attempts=5,
        max_crashes=3,
        keep_finished_days=7.0,
        keep_failed_days=30.5,
        keep_finished_max=100,
    )
    assert limits.cap_of("tailor-cv") == 2


@pytest.mark.parametrize(
    ("change", "kind_caps", "message"),
    [
        ({"concurrency": "two"}, {}, "Tasks at once (whole deployment): two is not a whole number"),
        ({"concurrency": ""}, {}, "Tasks at once (whole deployment): blank is not a whole number"),
        ({"keep_failed_days": "nan"}, {}, "Keep failed tasks (days): nan is not a number"),
        ({"keep_finished_days": "inf"}, {}, "Keep finished tasks (days): inf is not a number"),
        ({"concurrency": "0"}, {}, "at least one task must be allowed to run at once"),
        ({"max_attempts": "0"}, {}, "max attempts must be at least 1"),
        ({"keep_failed_days": "0"}, {}, "tasks must be kept for some time"),
        ({}, {"evaluate-job": "1.5"}, "the cap of evaluate-job: 1.5 is not a whole number"),
        ({}, {"evaluate-job": "-1"}, "the cap of evaluate-job cannot be negative"),
    ],
)
def test_bad_input_is_refused_with_a_sentence_naming_the_field(change, kind_caps, message):
    with pytest.raises(ValueError) as error:
        limits_from_form(FORM | change, kind_caps, Limits())
    assert str(error.value) == message
