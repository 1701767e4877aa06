"""Canonical URLs (one stored form per posting) and checking a link a person typed."""

from __future__ import annotations

import pytest

from jobapp.intake import InvalidURL, canonical_url, validate_url
from jobapp.intake._ats import AtsJob, recognise

LEVER_ID = "5ac21346-8e0c-4494-8e7a-3eb92ff77902"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        # scheme and host lower-cased, default port dropped, empty path becomes "/"
        ("HTTPS://Jobs.Example.COM:443", "https://jobs.example.com/"),
        ("http://jobs.example.com:80/a", "http://jobs.example.com/a"),
        ("https://jobs.example.com:8443/a", "https://jobs.example.com:8443/a"),
        # the path keeps its case
        ("https://example.com/Careers/Job-1", "https://example.com/Careers/Job-1"),
        # fragment dropped…
        ("https://example.com/job/1#apply", "https://example.com/job/1"),
        # …except a single-page board's route, which names the posting
        ("https://example.com/careers#/jobs/42", "https://example.com/careers#/jobs/42"),
        ("https://example.com/careers#!/jobs/42", "https://example.com/careers#!/jobs/42"),
        # tracking parameters dropped, the rest sorted
        (
            "https://example.com/job?utm_source=li&utm_medium=social&b=2&gclid=x&a=1&fbclid=y",
            "https://example.com/job?a=1&b=2",
        ),
        ("https://example.com/job?mc_cid=1&mc_eid=2&ref=hn&source=newsletter&id=7", "https://example.com/job?id=7"),
        (
            "https://boards.greenhouse.io/acme/jobs/1?gh_src=abc&gh_jid=1",
            "https://boards.greenhouse.io/acme/jobs/1?gh_jid=1",
        ),
        (f"https://jobs.lever.co/acme/{LEVER_ID}?lever-source=LinkedIn", f"https://jobs.lever.co/acme/{LEVER_ID}"),
        ("https://example.com/job?UTM_Campaign=x&Q=1", "https://example.com/job?Q=1"),
        # credentials never stored
        ("https://user:secret@example.com/job", "https://example.com/job"),
        # trailing dot of the host, IDN hosts in their ASCII form
        ("https://example.com./job", "https://example.com/job"),
        ("https://Bücher.example/job", "https://xn--bcher-kva.example/job"),
        # IPv6 literal keeps its brackets
        ("http://[::1]:8080/x?utm_id=1", "http://[::1]:8080/x"),
        # blank values kept, repeated keys kept in order of value
        ("https://example.com/s?q=&tag=b&tag=a", "https://example.com/s?q=&tag=a&tag=b"),
    ],
)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("HTTPS://Example.com:443/a?utm_source=x&z=1&y=2#top")
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("jobs.lever.co/acme/123", "https://jobs.lever.co/acme/123"),
        ("  https://example.com/job?utm_source=x  ", "https://example.com/job"),
        ("//example.com/job", "https://example.com/job"),
        ("http://example.com/job", "http://example.com/job"),
        ("localhost:8000/job", "https://localhost:8000/job"),  # a host with a port, not a scheme
    ],
)
def test_validate_url_accepts_and_normalises(typed: str, expected: str) -> None:
    assert validate_url(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the posting's web address"),
        ("   ", "Enter the posting's web address"),
        ("https://example.com/a job", "cannot contain spaces"),
        ("ftp://example.com/job.txt", "Only http and https"),
        ("javascript:alert(1)", "Only http and https"),
        ("mailto:jobs@example.com", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("https://", "no site name"),
        ("http:///path-only", "no site name"),
        ("https://user:pw@example.com/job", "user name or password"),
        ("https://example.com:99999/job", "port"),
        ("https://exa<mple.com/job", "not a valid site name"),
        ("https://example.com/" + "a" * 2000, "over 2000 characters"),
    ],
)
def test_validate_url_rejects_with_a_clear_message(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        validate_url(typed)
    # The intake error class, so the task engine fails it at once (no retry).
    assert isinstance(caught.value, InvalidURL)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://boards.greenhouse.io/acme/jobs/4012345", AtsJob("greenhouse", "acme", "4012345")),
        ("https://job-boards.greenhouse.io/acme/jobs/4012345?gh_jid=4012345", AtsJob("greenhouse", "acme", "4012345")),
        ("https://boards.greenhouse.io/embed/job_app?for=acme&token=4012345", AtsJob("greenhouse", "acme", "4012345")),
        ("https://boards.greenhouse.io/acme?gh_jid=4012345", AtsJob("greenhouse", "acme", "4012345")),
        ("https://boards-api.greenhouse.io/v1/boards/acme/jobs/4012345", AtsJob("greenhouse", "acme", "4012345")),
        (f"https://jobs.lever.co/acme-corp/{LEVER_ID}", AtsJob("lever", "acme-corp", LEVER_ID)),
        (f"https://jobs.lever.co/acme-corp/{LEVER_ID}/apply", AtsJob("lever", "acme-corp", LEVER_ID)),
        (f"https://jobs.eu.lever.co/acme-corp/{LEVER_ID}", AtsJob("lever-eu", "acme-corp", LEVER_ID)),
        (f"https://api.lever.co/v0/postings/acme-corp/{LEVER_ID}", AtsJob("lever", "acme-corp", LEVER_ID)),
        (f"https://jobs.ashbyhq.com/nimbus/{LEVER_ID}", AtsJob("ashby", "nimbus", LEVER_ID)),
        (f"https://jobs.ashbyhq.com/nimbus/{LEVER_ID}/application", AtsJob("ashby", "nimbus", LEVER_ID)),
        # board pages, not postings, and other sites
        ("https://boards.greenhouse.io/acme", None),
        ("https://jobs.lever.co/acme-corp", None),
        ("https://jobs.ashbyhq.com/nimbus", None),
        ("https://boards.greenhouse.io/acme/jobs/not-a-number", None),
        ("https://example.com/acme/jobs/4012345", None),
    ],
)
def test_ats_board_urls_are_recognised(url: str, expected: AtsJob | None) -> None:
    assert recognise(url) == expected
