"""The tracked fields without a database: form text cleaned into column values (and refused with a reason), a
posting's salary / work mode / closing date read from JSON-LD and the ATS APIs, and intake's write keeping
what the person typed."""

from __future__ import annotations

from datetime import date

import pytest

from jobapp.intake import _ats, _jsonld
from jobapp.models import Job, JobStatus
from jobapp.tracking import JobInputError, apply_tracking, clean_tracking, fill_from_posting, salary_text, tracking_view


class TestClean:
    def test_form_text_becomes_column_values(self):
        clean = clean_tracking(
            {
                "salary_min": "90,000",
                "salary_max": "",
                "salary_currency": "eur",
                "work_mode": "On-Site",
                "closes_on": "2026-12-31",
                "next_step_on": "",
                "starred": "on",
                "next_step": "  Call   Dana ",
                "notes": "a\r\nb",
            }
        )
        assert clean == {
            "salary_min": 90000,
            "salary_max": None,
            "salary_currency": "EUR",
            "work_mode": "on-site",
            "closes_on": date(2026, 12, 31),
            "next_step_on": None,
            "starred": True,
            "next_step": "Call Dana",
            "notes": "a\nb",
        }

    @pytest.mark.parametrize(
        ("changes", "words"),
        [
            ({"salary_min": "lots"}, "whole number"),
            ({"salary_max": "-1"}, "between 0"),
            ({"salary_currency": "EURO"}, "3-letter code"),
            ({"work_mode": "sometimes"}, "Work mode is one of"),
            ({"closes_on": "31.12.2026"}, "closing date is a date like"),
            ({"next_step_on": "soon"}, "next step's date"),
            ({"next_step": "x" * 501}, "limited to 500"),
            ({"applied_at": "2026-01-01"}, "cannot be tracked"),
        ],
    )
    def test_refused_with_a_reason(self, changes, words):
        with pytest.raises(JobInputError, match=words):
            clean_tracking(changes)

    def test_minimum_above_the_stored_maximum_is_refused_and_nothing_changes(self):
        job = Job(salary_max=100_000)
        with pytest.raises(JobInputError, match="above the maximum"):
            apply_tracking(job, clean_tracking({"salary_min": "120000", "notes": "x"}))
        assert (job.salary_min, job.notes, job.user_edited) == (None, "", [])

    def test_only_changed_fields_are_marked_typed(self):
        job = Job(notes="same", work_mode="remote")
        changed = apply_tracking(job, clean_tracking({"notes": "same", "work_mode": "hybrid", "next_step": "Call"}))
        assert changed == ["work_mode", "next_step"] and job.user_edited == ["work_mode", "next_step"]


class TestPostings:
    def test_json_ld_salary_mode_and_closing_date(self):
        item = {
            "@type": "JobPosting",
            "title": "Engineer",
            "jobLocationType": ["TELECOMMUTE"],
            "validThrough": "2027-01-15T23:59:59Z",
            "baseSalary": {"currency": "usd", "value": {"minValue": "120,000", "maxValue": 150000, "unitText": "YEAR"}},
        }
        posting = _jsonld.read(item, "https://example.com/job")
        assert posting.tracking() == {
            "salary_min": 120000,
            "salary_max": 150000,
            "salary_currency": "USD",
            "work_mode": "remote",
            "closes_on": date(2027, 1, 15),
        }

    def test_an_hourly_rate_is_not_a_yearly_salary(self):
        item = {"@type": "JobPosting", "baseSalary": {"currency": "USD", "value": {"value": 55, "unitText": "HOUR"}}}
        posting = _jsonld.read(item, "https://example.com/job")
        assert "per hour" in posting.salary and posting.tracking() == {}

    def test_lever_and_ashby(self):
        lever = _ats.parse(
            _ats.AtsJob("lever", "acme", "x"),
            {
                "text": "Engineer",
                "workplaceType": "hybrid",
                "salaryRange": {"min": 90000, "max": 110000, "currency": "GBP", "interval": "per-year-salary"},
            },
            "https://jobs.lever.co/acme/x",
        )
        assert lever.tracking() == {
            "salary_min": 90000,
            "salary_max": 110000,
            "salary_currency": "GBP",
            "work_mode": "hybrid",
        }
        ashby = _ats.parse(
            _ats.AtsJob("ashby", "acme", "y"),
            {
                "title": "Engineer",
                "workplaceType": "OnSite",
                "compensation": {
                    "summaryComponents": [
                        {"compensationType": "Salary", "interval": "1 YEAR", "minValue": 100, "currencyCode": "EUR"}
                    ]
                },
            },
            "https://jobs.ashbyhq.com/acme/y",
        )
        assert ashby.tracking() == {
            "salary_min": 100,
            "salary_max": None,
            "salary_currency": "EUR",
            "work_mode": "on-site",
        }

    def test_greenhouse_pay_ranges(self):
        data = {
            "title": "Engineer",
            "location": {"name": "Remote - US"},
            "pay_input_ranges": [{"min_cents": 12_000_000, "max_cents": 15_000_000, "currency_type": "USD"}],
        }
        posting = _ats.parse(_ats.AtsJob("greenhouse", "acme", "1"), data, "https://boards.greenhouse.io/acme/jobs/1")
        assert posting.tracking() == {
            "salary_min": 120000,
            "salary_max": 150000,
            "salary_currency": "USD",
            "work_mode": "remote",
        }


class TestFill:
    def test_typed_fields_are_kept_and_the_salary_is_kept_whole(self):
        job = Job(salary_max=99_000, salary_currency="EUR", user_edited=["salary_max"], work_mode="unknown")
        found = {"salary_min": 1, "salary_max": 2, "salary_currency": "USD", "work_mode": "remote"}
        fill_from_posting(job, found)
        assert (job.salary_min, job.salary_max, job.salary_currency, job.work_mode) == (None, 99_000, "EUR", "remote")

    def test_view_text(self):
        job = Job(salary_min=90_000, salary_currency="USD", status=JobStatus.PENDING, starred=True)
        assert salary_text(job) == "USD from 90,000"
        view = tracking_view(job)
        assert (view["salary_min"], view["salary_max"], view["starred"], view["applied_at"]) == ("90000", "", True, "")
        assert view["notes_key"] != view["details_key"]
