"""Canonical URLs (the form two links are compared by), the normalised form that is fetched and
stored, and checking a link a person typed."""

from __future__ import annotations

import pytest

from jobapp.intake import InvalidURL, canonical_url, normalize_url, validate_url
from jobapp.intake._ats import AtsJob, embedded, recognise
from jobapp.intake.urls import equivalent_urls

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
    once = canonical_url("HTTPS://Example.com:443/a/?utm_source=x&z=1&y=2#top")
    assert canonical_url(once) == once


# Links to one page, however they were typed, copied or tracked.
EQUIVALENT = [
    ("https://example.com/jobs/plain?x=1", "https://example.com/jobs/plain/?x=1"),  # trailing slash
    ("https://example.com/jobs/plain", "https://example.com/jobs/plain//"),
    ("https://example.com/careers", "https://example.com/careers/index.html"),  # a directory's default document
    ("https://example.com/careers/", "https://example.com/careers/index.htm"),
    ("https://example.com", "https://example.com/index.html"),
    ("http://example.com/job", "http://example.com:80/job"),  # default ports
    ("https://example.com/job", "https://example.com:443/job"),
    ("https://example.com/job", "HTTPS://EXAMPLE.com/job"),  # scheme and host case
    ("https://example.com/job", "https://example.com./job"),
    ("https://example.com/job", "https://example.com/job#apply"),  # fragments
    ("https://example.com/job?id=7", "https://example.com/job?utm_source=li&id=7&gclid=x"),  # tracking
    ("https://example.com/job?a=1&b=2", "https://example.com/job?b=2&a=1"),  # parameter order
    ("https://example.com/a%2Fb", "https://example.com/a%2fb"),  # percent-encoding case
    ("https://example.com/~dana/job", "https://example.com/%7Edana/job"),  # needless percent-encoding
    ("https://example.com/jobs/caf%C3%A9", "https://example.com/jobs/café"),  # letters outside ASCII
    ("https://example.com/jobs/7", "https://example.com/jobs/x/../7"),  # dot segments
    ("https://example.com/jobs/7", "https://example.com/./jobs/7"),
    ("https://example.com/job?q=a+b", "https://example.com/job?q=a%20b"),  # spaces in the query
    ("https://user:pw@example.com/job", "https://example.com/job"),  # credentials
    ("https://Bücher.example/job", "https://xn--bcher-kva.example/job"),  # IDN
]

# Links that look alike but may name different postings.
DIFFERENT = [
    ("https://example.com/job?id=7", "https://example.com/job?id=8"),  # a parameter naming the posting
    ("https://example.com/job?id=7", "https://example.com/job"),
    ("https://example.com/Jobs/7", "https://example.com/jobs/7"),  # paths are case-sensitive
    ("http://example.com/job", "https://example.com/job"),  # another scheme may be another site
    ("https://example.com/job", "https://example.com:8443/job"),  # another port is another server
    ("https://example.com/job", "https://www.example.com/job"),  # another host
    ("https://example.com/careers/index.php", "https://example.com/careers"),  # a script, not a default
    ("https://example.com/a%2Fb", "https://example.com/a/b"),  # an encoded slash is not a separator
    ("https://example.com/careers#/jobs/1", "https://example.com/careers#/jobs/2"),  # single-page routes
    ("https://example.com/job?q=a%2Bb", "https://example.com/job?q=a+b"),  # "+" is data, not a space
]


@pytest.mark.parametrize(("one", "other"), EQUIVALENT)
def test_equivalent_links_share_the_canonical_form(one: str, other: str) -> None:
    assert canonical_url(one) == canonical_url(other)


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_different_links_keep_different_canonical_forms(one: str, other: str) -> None:
    assert canonical_url(one) != canonical_url(other)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        # what is fetched and stored keeps the path as given: a server may refuse the other form
        ("HTTPS://Example.com:443/jobs/plain/?utm_source=x&x=1#top", "https://example.com/jobs/plain/?x=1"),
        ("https://example.com/careers/index.html", "https://example.com/careers/index.html"),
        ("https://example.com/%7edana/caf%c3%a9", "https://example.com/~dana/caf%C3%A9"),
        ("https://example.com", "https://example.com/"),
    ],
)
def test_normalize_url_only_changes_what_never_changes_the_page(raw: str, normal: str) -> None:
    assert normalize_url(raw) == normal
    assert canonical_url(normal) == canonical_url(raw)


@pytest.mark.parametrize(
    "canonical", ["https://example.com/jobs/plain?x=1", "https://example.com/", "https://example.com/a#/jobs/1"]
)
def test_equivalent_urls_are_the_normalised_forms_of_one_canonical_form(canonical: str) -> None:
    forms = equivalent_urls(canonical)
    assert canonical in forms and len(forms) == len(set(forms)) >= 3
    for form in forms:
        assert normalize_url(form) == form
        assert canonical_url(form) == canonical


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


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://boards.greenhouse.io/acme/jobs/123", "https://job-boards.greenhouse.io/acme/jobs/123"),
        ("https://boards.greenhouse.io/acme/jobs/123", "https://boards-api.greenhouse.io/v1/boards/acme/jobs/123"),
        ("https://boards.greenhouse.io/acme/jobs/123", "https://boards.greenhouse.io/embed/job_app?for=acme&token=123"),
        ("https://boards.greenhouse.io/acme/jobs/123", "https://boards.greenhouse.io/Acme?gh_jid=123"),
        (f"https://jobs.lever.co/acme/{LEVER_ID}", f"https://jobs.lever.co/acme/{LEVER_ID}/apply"),
        (f"https://jobs.lever.co/acme/{LEVER_ID}", f"https://jobs.eu.lever.co/ACME/{LEVER_ID.upper()}"),
        (f"https://jobs.lever.co/acme/{LEVER_ID}", f"https://api.lever.co/v0/postings/acme/{LEVER_ID}"),
        (f"https://jobs.ashbyhq.com/nimbus/{LEVER_ID}", f"https://jobs.ashbyhq.com/nimbus/{LEVER_ID}/application"),
    ],
)
def test_one_posting_has_one_key_whatever_its_url_shape(one: str, other: str) -> None:
    first, second = recognise(one), recognise(other)
    assert first is not None and second is not None
    assert first.key == second.key


def test_postings_on_different_boards_have_different_keys() -> None:
    keys = {
        recognise(url).key  # type: ignore[union-attr]
        for url in (
            "https://boards.greenhouse.io/acme/jobs/123",
            "https://boards.greenhouse.io/acme/jobs/124",
            "https://boards.greenhouse.io/globex/jobs/123",
            f"https://jobs.lever.co/acme/{LEVER_ID}",
            f"https://jobs.ashbyhq.com/acme/{LEVER_ID}",
        )
    }
    assert len(keys) == 5


@pytest.mark.parametrize(
    ("script", "page", "expected"),
    [
        (
            "https://boards.greenhouse.io/embed/job_board/js?for=acme",
            "https://acme.example/careers?gh_jid=123",
            AtsJob("greenhouse", "acme", "123"),
        ),
        (
            "https://job-boards.greenhouse.io/embed/job_board/js?for=acme",
            "https://acme.example/careers/backend?gh_jid=123&utm_source=x",
            AtsJob("greenhouse", "acme", "123"),
        ),
        (
            "https://jobs.ashbyhq.com/nimbus/embed?version=2",
            f"https://nimbus.example/careers?ashby_jid={LEVER_ID.upper()}",
            AtsJob("ashby", "nimbus", LEVER_ID),
        ),
        # the board alone (a listing), the job alone, or a script of another site: no posting
        ("https://boards.greenhouse.io/embed/job_board/js?for=acme", "https://acme.example/careers", None),
        ("https://boards.greenhouse.io/embed/job_board/js", "https://acme.example/careers?gh_jid=123", None),
        ("https://cdn.example/app.js?for=acme", "https://acme.example/careers?gh_jid=123", None),
        ("https://jobs.ashbyhq.com/nimbus/embed", "https://nimbus.example/careers?ashby_jid=42", None),
    ],
)
def test_embedded_boards_name_the_posting_the_page_selects(script: str, page: str, expected: AtsJob | None) -> None:
    assert embedded(script, page) == expected
