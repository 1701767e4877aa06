"""Job intake from a link, against a real HTTP server on 127.0.0.1 (tests/integration/fake_board.py).

The fetcher refuses loopback unless the policy allows it, and the fake board *is* on loopback. So the
tests that need the board allow loopback for the board's port only: a redirect to another loopback
port (a second server, the "canary", standing in for an admin service on this machine) must still
be refused, and the canary proves no request reached it. Addresses typed directly are checked with
the default policy (no loopback at all).

A guard (autouse) fails any test that tries to open a connection to an address that is not
loopback, so a broken check can never send traffic off this machine. Nothing here asserts timings.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from jobapp.db import writer
from jobapp.intake import (
    AddressNotAllowed,
    FetchConnectionError,
    FetchPolicy,
    FetchTimeout,
    InvalidURL,
    PageNotAvailable,
    PasteInstead,
    Posting,
    ResponseTooLarge,
    ServerBusy,
    TooManyRedirects,
    UnsupportedContent,
    canonical_url,
    extract_posting,
    fetch,
    find_job_by_url,
    normalize_url,
    validate_url,
)
from jobapp.models import Job, Profile, Task, utcnow
from jobapp.tasks import JobGone, Limits, PermanentError, Runner, RunnerConfig, TaskManager, TransientError
from jobapp.work import CLICKED, HANDLERS, KINDS, evaluate, hydrate, request_hydration
from tests.integration.fake_board import (
    ASHBY_ID,
    JSON,
    LEVER_ID,
    MB,
    FakeBoard,
    Reply,
    ashby_board,
    greenhouse_job,
    guard_loopback,
    lever_posting,
)

pytestmark = pytest.mark.timeout(60)

PASTE = "paste the description instead"
LONG_TEXT = " ".join(
    ["We are looking for an engineer who enjoys owning services end to end, from design to on-call."] * 6
)


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection attempt's host; anything but loopback fails the test before it leaves."""
    return guard_loopback(monkeypatch)


@pytest.fixture
def board() -> Iterator[FakeBoard]:
    with FakeBoard() as server:
        yield server


@pytest.fixture
def canary() -> Iterator[FakeBoard]:
    """Another service on this machine that must never be reached through a redirect."""
    with FakeBoard() as server:
        server.page("/admin", "<h1>internal admin</h1>")
        yield server


@pytest.fixture
def policy(board: FakeBoard) -> FetchPolicy:
    """Loopback allowed for the board's port only; the ATS APIs point at the board."""
    return FetchPolicy(
        allow_loopback=True,
        loopback_ports=frozenset({board.port}),
        total_timeout=10.0,
        ats_api_base={name: board.url() for name in ("greenhouse", "lever", "lever-eu", "ashby")},
    )


def no_raw_html(markdown: str) -> bool:
    """True when no unescaped `<` could open a tag in the Markdown."""
    return re.search(r"(?<!\\)<[A-Za-z/!?]", markdown) is None


def jsonld_page(data: Any, *, before: str = "", body: str = "<p>Apply below.</p>") -> str:
    # As sites do: "</" escaped so a "</script>" inside the description cannot end the block.
    script = json.dumps(data).replace("</", "<\\/")
    return (
        "<!doctype html><html><head><title>Careers</title>"
        f"{before}<script type='application/ld+json'>{script}</script></head>"
        f"<body>{body}</body></html>"
    )


def article_page(title: str = "Staff Engineer, Payments") -> str:
    return f"""<!doctype html><html><head><title>{title} | Initech careers</title>
    <meta property="og:site_name" content="Initech"></head><body>
    <header><nav><a href="/">Home</a> <a href="/about">About us</a></nav></header>
    <main><h1>{title}</h1><p>{LONG_TEXT}</p><h2>You will</h2><ul><li>Own the ledger service</li>
    <li>Mentor two engineers</li></ul><script>track()</script></main>
    <aside>Related jobs: Barista</aside><footer>© Initech · Privacy · Cookie settings</footer></body></html>"""


# -- ATS APIs ----------------------------------------------------------------------------------


class TestAtsApis:
    @pytest.mark.parametrize(
        "link",
        [
            "https://boards.greenhouse.io/acme/jobs/4012345?gh_src=abc123&utm_source=linkedin",
            "https://job-boards.greenhouse.io/acme/jobs/4012345",
            "https://boards.greenhouse.io/embed/job_app?for=acme&token=4012345",
        ],
    )
    async def test_greenhouse(self, board, policy, link):
        board.json("/v1/boards/acme/jobs/4012345", greenhouse_job())

        posting = await extract_posting(link, policy)

        assert posting.source == "greenhouse"
        assert posting.title == "Senior Backend Engineer"
        assert posting.company == "Acme Robotics"
        assert posting.location == "Remote - US"
        assert posting.remote is True
        assert posting.salary == "USD 120,000–150,000"
        # The entity-encoded description became Markdown; its <script> is gone, not escaped into text.
        md = posting.description_markdown
        assert "## About the role" in md
        assert "**Python**" in md and "- PostgreSQL" in md and "& data pipelines" in md
        assert "alert(1)" not in md and no_raw_html(md)
        assert posting.url == normalize_url(link)
        assert "pay_transparency=true" in board.seen("/v1/boards/acme/jobs/4012345")[0].path

    async def test_greenhouse_company_from_the_board_when_the_job_does_not_name_it(self, board, policy):
        board.json("/v1/boards/acme/jobs/4012345", greenhouse_job(company=None))
        board.json("/v1/boards/acme", {"name": "Acme Robotics Inc.", "content": ""})

        posting = await extract_posting("https://boards.greenhouse.io/acme/jobs/4012345", policy)

        assert posting.company == "Acme Robotics Inc."

    async def test_lever(self, board, policy):
        board.json(f"/v0/postings/acme-corp/{LEVER_ID}", lever_posting())

        posting = await extract_posting(f"https://jobs.lever.co/acme-corp/{LEVER_ID}/apply?lever-source=x", policy)

        assert posting.source == "lever"
        assert (posting.title, posting.company, posting.location) == (
            "Platform Engineer",
            "Acme Corp",
            "Berlin, Germany",
        )
        assert posting.remote is False  # hybrid
        assert posting.salary == "EUR 70,000–90,000 per year"
        md = posting.description_markdown
        assert "**Acme Corp** builds warehouse robots." in md
        assert "### What you will do" in md and "- Run our Kubernetes clusters" in md
        assert "relocation support" in md and no_raw_html(md)
        assert posting.url == f"https://jobs.lever.co/acme-corp/{LEVER_ID}/apply"

    async def test_ashby_picks_the_job_by_id_from_the_board(self, board, policy):
        board.json("/posting-api/job-board/nimbus-labs", ashby_board())

        posting = await extract_posting(f"https://jobs.ashbyhq.com/nimbus-labs/{ASHBY_ID}", policy)

        assert posting.source == "ashby"
        assert (posting.title, posting.company, posting.location) == ("Analytics Engineer", "Nimbus Labs", "Remote")
        assert posting.remote is True
        assert posting.salary == "USD 140,000–170,000 per year"
        assert "- dbt" in posting.description_markdown
        assert "includeCompensation=true" in board.seen("/posting-api/job-board/nimbus-labs")[0].path

    async def test_a_closed_posting_says_so(self, board, policy):
        board.json("/posting-api/job-board/nimbus-labs", {"jobs": []})
        with pytest.raises(PageNotAvailable, match="no longer lists this posting"):
            await extract_posting(f"https://jobs.ashbyhq.com/nimbus-labs/{ASHBY_ID}", policy)
        # Greenhouse answers 404 for a closed job (the board serves 404 for unknown paths).
        with pytest.raises(PageNotAvailable, match="Greenhouse no longer lists this posting") as caught:
            await extract_posting("https://boards.greenhouse.io/acme/jobs/999", policy)
        assert isinstance(caught.value, PermanentError)


# -- JSON-LD -----------------------------------------------------------------------------------

POSTING = {"@context": "https://schema.org", "@type": "JobPosting", "datePosted": "2025-01-02"}
HTML_DESCRIPTION = (
    "<h2>What you'll do</h2><p>Design APIs &amp; write &lt;template&gt; tags.</p>"
    "<ul><li>Go</li><li>gRPC</li></ul><script>steal()</script><img src=x onerror=alert(1)>"
    "<iframe src='https://evil.example'></iframe><p onclick='x()'>Team <a href='javascript:alert(1)'>link</a></p>"
)

JSONLD_CASES = {
    "@graph": (
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "name": "Acme careers"},
                {"@type": "BreadcrumbList", "itemListElement": []},
                {
                    "@type": "JobPosting",
                    "title": "Data Engineer",
                    "hiringOrganization": {"@type": "Organization", "name": "Acme Analytics"},
                    "jobLocation": {
                        "@type": "Place",
                        "address": {
                            "@type": "PostalAddress",
                            "addressLocality": "Austin",
                            "addressRegion": "TX",
                            "addressCountry": {"@type": "Country", "name": "US"},
                        },
                    },
                    "description": "<p>Build pipelines in Python.</p>",
                },
            ],
        },
        {"title": "Data Engineer", "company": "Acme Analytics", "location": "Austin, TX, US", "remote": None},
        ["Build pipelines in Python."],
    ),
    "list of objects": (
        [
            {"@context": "https://schema.org", "@type": "Organization", "name": "Not this"},
            {
                **POSTING,
                "@type": ["JobPosting"],
                "name": "QA Lead",
                "hiringOrganization": [{"@type": "Organization", "name": "Umbrella"}],
                "jobLocation": [
                    {"@type": "Place", "address": {"addressLocality": "Lyon", "addressCountry": "FR"}},
                    {"@type": "Place", "address": {"addressLocality": "Paris", "addressCountry": "FR"}},
                ],
                "description": "Plain text description.\n\nSecond paragraph.",
            },
        ],
        {"title": "QA Lead", "company": "Umbrella", "location": "Lyon, FR / Paris, FR"},
        ["Plain text description.\n\nSecond paragraph."],
    ),
    "organisation as a string": (
        {
            **POSTING,
            "title": "Barista",
            "hiringOrganization": "Globex",
            "jobLocation": {"@type": "Place", "address": "12 Main St, Springfield"},
            "description": "<p>Coffee.</p>",
        },
        {"title": "Barista", "company": "Globex", "location": "12 Main St, Springfield"},
        ["Coffee."],
    ),
    "HTML description": (
        {**POSTING, "title": "API Engineer", "hiringOrganization": "Hooli", "description": HTML_DESCRIPTION},
        {"title": "API Engineer", "company": "Hooli"},
        ["## What you'll do", "Design APIs & write \\<template> tags.", "- Go", "- gRPC", "Team link"],
    ),
    "entity-encoded description": (
        {
            **POSTING,
            "title": "SRE",
            "hiringOrganization": "Hooli",
            "description": "&lt;p&gt;On-call &lt;b&gt;1 week in 6&lt;/b&gt;&lt;/p&gt;",
        },
        {"title": "SRE"},
        ["On-call **1 week in 6**"],
    ),
    "salary range": (
        {
            **POSTING,
            "title": "Designer",
            "hiringOrganization": {"name": "Pied Piper"},
            "description": "<p>Pixels.</p>",
            "baseSalary": {
                "@type": "MonetaryAmount",
                "currency": "USD",
                "value": {"@type": "QuantitativeValue", "minValue": 100000, "maxValue": 130000, "unitText": "YEAR"},
            },
        },
        {"salary": "USD 100,000–130,000 per year"},
        ["Pixels."],
    ),
    "salary as one value": (
        {
            **POSTING,
            "title": "Tutor",
            "description": "<p>Teach.</p>",
            "salaryCurrency": "GBP",
            "baseSalary": {"@type": "MonetaryAmount", "value": {"value": "45.50", "unitText": "HOUR"}},
        },
        {"salary": "GBP 45.50 per hour"},
        ["Teach."],
    ),
    "remote": (
        {
            **POSTING,
            "title": "Support Engineer",
            "hiringOrganization": "Initrode",
            "jobLocationType": "TELECOMMUTE",
            "applicantLocationRequirements": {"@type": "Country", "name": "Canada"},
            "description": "<p>Help customers.</p>",
        },
        {"remote": True, "location": "Remote (Canada)"},
        ["Help customers."],
    ),
}


class TestJsonLd:
    @pytest.mark.parametrize("case", list(JSONLD_CASES))
    async def test_variants(self, board, policy, case):
        data, expected, in_markdown = JSONLD_CASES[case]
        # A broken JSON-LD block before the good one must not hide it.
        board.page("/careers/job-7", jsonld_page(data, before="<script type='application/ld+json'>{oops</script>"))

        posting = await extract_posting(board.url("/careers/job-7?utm_source=newsletter&id=7"), policy)

        assert posting.source == "json-ld"
        for field, value in expected.items():
            assert getattr(posting, field) == value, field
        for text in in_markdown:
            assert text in posting.description_markdown
        md = posting.description_markdown
        assert no_raw_html(md)
        for gone in ("steal()", "onerror", "evil.example", "javascript:", "onclick"):
            assert gone not in md
        assert posting.url == f"http://127.0.0.1:{board.port}/careers/job-7?id=7"


# -- main text, walls, sign-in pages ---------------------------------------------------------------


class TestPageText:
    async def test_plain_article_page(self, board, policy):
        board.page("/jobs/staff-engineer", article_page())

        posting = await extract_posting(board.url("/jobs/staff-engineer"), policy)

        assert posting.source == "page-text"
        assert posting.title == "Staff Engineer, Payments"
        assert posting.company == "Initech"
        md = posting.description_markdown
        assert "owning services end to end" in md and "- Own the ledger service" in md
        for chrome in ("About us", "Cookie settings", "Barista", "track()"):
            assert chrome not in md
        assert no_raw_html(md)

    async def test_plain_text_response(self, board, policy):
        board.respond("/job.txt", Reply(200, "Night shift nurse\n\n" + LONG_TEXT, "text/plain; charset=utf-8"))
        posting = await extract_posting(board.url("/job.txt"), policy)
        assert (posting.source, posting.title) == ("page-text", "Night shift nurse")

    @pytest.mark.parametrize(
        ("status", "headers", "html", "says"),
        [
            (
                403,
                {"cf-mitigated": "challenge", "Server": "cloudflare"},
                "<html><head><title>Just a moment...</title></head><body><div id='challenge-platform'>"
                "Checking your browser before accessing the site.</div></body></html>",
                "Cloudflare",
            ),
            # A challenge behind a 503 is not a server error worth retrying.
            (
                503,
                {},
                "<html><head><title>Just a moment...</title><script>window._cf_chl_opt={}</script></head>"
                "<body>Enable JavaScript and cookies to continue</body></html>",
                "Cloudflare",
            ),
            (
                200,
                {},
                "<html><head><title>Are you a robot?</title></head><body><form><div class='g-recaptcha'></div>"
                "</form></body></html>",
                "captcha",
            ),
            (
                200,
                {},
                "<html><body><noscript>You need to enable JavaScript to run this app.</noscript>"
                "<div id='root'></div><script src='/app.js'></script></body></html>",
                "JavaScript",
            ),
            (
                200,
                {},
                "<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>"
                "You don't have permission to access this server.</body></html>",
                "access-denied",
            ),
        ],
        ids=["cloudflare-403", "cloudflare-503", "captcha", "enable-javascript", "access-denied"],
    )
    async def test_bot_walls_ask_to_paste(self, board, policy, status, headers, html, says):
        board.page("/job/1", html, status=status, headers=headers)

        with pytest.raises(PasteInstead, match=PASTE) as caught:
            await extract_posting(board.url("/job/1"), policy)

        assert says in str(caught.value)
        assert isinstance(caught.value, PermanentError) and not isinstance(caught.value, TransientError)

    async def test_login_page_asks_to_paste(self, board, policy):
        board.page(
            "/job/2",
            "<html><head><title>Sign in | TalentHub</title></head><body><h1>Welcome back</h1>"
            "<form><input type='email' name='email'><input type='password' name='pw'>"
            "<button>Sign in</button></form></body></html>",
        )
        with pytest.raises(PasteInstead, match="sign in") as caught:
            await extract_posting(board.url("/job/2"), policy)
        assert PASTE in str(caught.value)

    async def test_a_page_with_no_posting(self, board, policy):
        board.page("/empty", "<html><body><p>Hello.</p></body></html>")
        with pytest.raises(PasteInstead, match="Could not find a job posting"):
            await extract_posting(board.url("/empty"), policy)


# -- limits --------------------------------------------------------------------------------------


class TestLimits:
    async def test_a_20_mb_page_is_refused_at_5_mb_without_reading_it_all(self, board, policy):
        log = board.stream("/huge", total=20 * MB)  # no Content-Length: only counting can stop it

        with pytest.raises(ResponseTooLarge, match="larger than 5 MB"):
            await fetch(board.url("/huge"), policy)

        assert await asyncio.to_thread(log.done.wait, 20), "the server never noticed the client leaving"
        assert not log.finished
        assert log.sent < 20 * MB

    async def test_a_declared_length_over_the_cap_is_refused_before_reading(self, board, policy):
        log = board.stream("/huge-declared", total=20 * MB, declare_length=True)
        with pytest.raises(ResponseTooLarge):
            await fetch(board.url("/huge-declared"), policy)
        assert await asyncio.to_thread(log.done.wait, 20)
        assert not log.finished

    @pytest.mark.parametrize(
        ("content_type", "says"),
        [
            ("application/pdf", "is a PDF"),
            ("image/png", "is an image"),
            ("application/zip", "a file of type application/zip"),
        ],
    )
    async def test_unsupported_content_is_refused(self, board, policy, content_type, says):
        board.respond("/posting", Reply(200, b"%PDF-1.7 \x00\x01 binary", content_type))
        with pytest.raises(UnsupportedContent, match=says) as caught:
            await extract_posting(board.url("/posting"), policy)
        assert isinstance(caught.value, PermanentError)

    async def test_json_content_is_allowed(self, board, policy):
        board.respond("/api", Reply(200, '{"ok": true}', JSON))
        assert (await fetch(board.url("/api"), policy)).json() == {"ok": True}

    async def test_a_slow_drip_is_cut_off_by_the_total_time_cap(self, board, policy):
        # Each byte arrives well within the per-read timeout; only the total cap can end this.
        log = board.drip("/slow", interval=0.05, limit=400)
        drip_policy = replace(policy, total_timeout=1.0, read_timeout=5.0)

        with pytest.raises(FetchTimeout) as caught:
            await fetch(board.url("/slow"), drip_policy)

        assert isinstance(caught.value, TransientError)
        assert not log.finished

    async def test_500_is_transient_then_the_next_try_succeeds(self, board, policy):
        board.respond("/flaky", Reply(500, "oops"), Reply(429, "slow down"), Reply(200, article_page()))

        with pytest.raises(ServerBusy) as first:
            await extract_posting(board.url("/flaky"), policy)
        with pytest.raises(ServerBusy) as second:
            await extract_posting(board.url("/flaky"), policy)
        posting = await extract_posting(board.url("/flaky"), policy)

        assert (first.value.status, second.value.status) == (500, 429)
        assert isinstance(first.value, TransientError)
        assert posting.title == "Staff Engineer, Payments"

    async def test_a_closed_port_is_a_transient_connection_error(self, policy):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # bound but not listening: connections are refused
            closed = FetchPolicy(allow_loopback=True, loopback_ports=frozenset({port}))
            with pytest.raises(FetchConnectionError) as caught:
                await fetch(f"http://127.0.0.1:{port}/", closed)
        assert isinstance(caught.value, TransientError)


# -- where the fetcher may connect --------------------------------------------------------------------

# Refused whatever the policy: never loopback, and hidden loopback/private addresses included.
ALWAYS_REFUSED = [
    "http://10.0.0.1/jobs/1",
    "http://192.168.1.10/",
    "http://172.16.0.5/",
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://0.0.0.0:{port}/",  # means "this machine" to connect()
    "http://[::]:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[::ffff:10.0.0.1]/",  # IPv4-mapped IPv6
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://224.0.0.1/",
    "http://[fe80::1]/",
]
LOOPBACK = ["http://127.0.0.1:{port}/", "http://[::1]:{port}/", "http://localhost:{port}/", "http://2130706433:{port}/"]


class TestAddresses:
    @pytest.mark.parametrize("template", ALWAYS_REFUSED + LOOPBACK)
    async def test_typed_addresses_are_refused_before_any_connection(self, board, loopback_only, template):
        url = template.format(port=board.port)
        with pytest.raises(AddressNotAllowed, match="Only public web addresses") as caught:
            await extract_posting(url, FetchPolicy())  # the default: no loopback
        assert isinstance(caught.value, PermanentError)
        assert re.search(r"it is an? [a-z-]+ ", str(caught.value)), caught.value
        assert not re.search(r"\ba [aeiou]", str(caught.value)), caught.value  # "an unspecified address"
        assert loopback_only == [], "a connection was attempted"
        assert board.hits() == 0

    @pytest.mark.parametrize("template", ALWAYS_REFUSED)
    async def test_allowing_loopback_allows_nothing_else(self, board, loopback_only, template):
        with pytest.raises(AddressNotAllowed):
            await fetch(template.format(port=board.port), FetchPolicy(allow_loopback=True))
        assert loopback_only == []

    async def test_a_redirect_to_another_loopback_port_is_refused(self, board, canary, policy):
        board.redirect("/go", canary.url("/admin"))
        with pytest.raises(AddressNotAllowed, match="loopback"):
            await fetch(board.url("/go"), policy)
        assert board.hits("/go") == 1  # the first hop was allowed…
        assert canary.hits() == 0  # …the redirect target was never contacted

    async def test_a_redirect_to_loopback_is_refused_when_loopback_is_not_allowed(self, board, canary, policy):
        # Redirect hops are checked on their own: the policy that let us reach the board does not
        # extend to 127.0.0.1 in general, and a hidden form of it is no way around that either.
        board.redirect("/mapped", f"http://[::ffff:127.0.0.1]:{canary.port}/admin")
        board.redirect("/decimal", f"http://2130706433:{canary.port}/admin")
        for path in ("/mapped", "/decimal"):
            with pytest.raises(AddressNotAllowed):
                await fetch(board.url(path), policy)
        assert canary.hits() == 0

    @pytest.mark.parametrize(
        "location",
        [
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://[fd00:ec2::254]/",
            "http://10.0.0.1/",
        ],
    )
    async def test_a_redirect_to_cloud_metadata_or_a_private_network_is_refused(
        self, board, policy, loopback_only, location
    ):
        board.redirect("/meta", location, status=301)
        with pytest.raises(AddressNotAllowed):
            await fetch(board.url("/meta"), policy)
        assert set(loopback_only) == {"127.0.0.1"}  # only the board was ever connected to

    async def test_redirects_are_followed_and_capped(self, board, policy):
        board.redirect("/old", "/new?utm_source=x")  # relative Location
        board.page("/new", article_page())
        fetched = await fetch(board.url("/old"), policy)
        assert fetched.url == board.url("/new?utm_source=x")
        assert fetched.redirects == (board.url("/old"),)

        board.redirect("/loop", "/loop")
        with pytest.raises(TooManyRedirects):
            await fetch(board.url("/loop"), policy)
        assert board.hits("/loop") == 6  # the first request and five redirects

        board.redirect("/ftp", "ftp://files.example.com/job.txt")
        with pytest.raises(InvalidURL, match="redirected"):
            await fetch(board.url("/ftp"), policy)

    async def test_each_hop_is_resolved_once_and_connected_to_as_checked(self, board, policy):
        """DNS rebinding: the second look-up of the same name answers a private address."""
        answers = [["127.0.0.1"], ["10.0.0.1"]]
        lookups: list[tuple[str, int]] = []

        async def resolver(host: str, port: int) -> list[str]:
            lookups.append((host, port))
            return answers[min(len(lookups), len(answers)) - 1]

        board.redirect("/a", "/b")
        board.page("/b", article_page())
        rebinding = replace(policy, resolver=resolver)

        with pytest.raises(AddressNotAllowed, match=r"10\.0\.0\.1"):
            await fetch(f"http://jobs.example.test:{board.port}/a", rebinding)

        # One look-up per hop: the first hop went to the address that was checked, with the name in
        # the Host header; the second hop was refused on its own answer, before connecting.
        assert lookups == [("jobs.example.test", board.port)] * 2
        assert [(s.path, s.headers["host"]) for s in board.requests] == [("/a", f"jobs.example.test:{board.port}")]

    async def test_a_name_with_any_refused_address_is_refused(self, board, policy):
        async def resolver(host: str, port: int) -> list[str]:
            return ["127.0.0.1", "10.1.2.3"]

        with pytest.raises(AddressNotAllowed, match=r"10\.1\.2\.3"):
            await fetch(f"http://jobs.example.test:{board.port}/", replace(policy, resolver=resolver))
        assert board.hits() == 0

    async def test_policy_from_the_environment(self, board, monkeypatch):
        board.page("/job", article_page())
        monkeypatch.delenv("JOBAPP_FETCH_ALLOW_LOOPBACK", raising=False)
        with pytest.raises(AddressNotAllowed):
            await fetch(board.url("/job"))  # no policy given: from the environment

        monkeypatch.setenv("JOBAPP_FETCH_ALLOW_LOOPBACK", "1")
        monkeypatch.setenv("JOBAPP_ATS_API_BASE", json.dumps({"greenhouse": board.url()}))
        policy = FetchPolicy.from_env()
        assert policy.allow_loopback and policy.loopback_ports is None
        assert policy.ats_api_base["greenhouse"] == board.url()
        assert policy.ats_api_base["lever"] == "https://api.lever.co"
        assert (await fetch(board.url("/job"))).status == 200

        monkeypatch.setenv("JOBAPP_FETCH_LOOPBACK_PORTS", str(board.port + 1))
        with pytest.raises(AddressNotAllowed):
            await fetch(board.url("/job"))


# -- HTTPS: connect to the checked IP, present the name ------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (needed to make a test certificate)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=jobs.example.test"),
            *("-addext", "subjectAltName=DNS:jobs.example.test"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_board(certificate: tuple[Path, Path]) -> Iterator[FakeBoard]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with FakeBoard(tls=context) as server:
        server.page("/job", article_page())
        yield server


class TestHttps:
    def policy(self, board: FakeBoard, cert: Path) -> FetchPolicy:
        async def resolver(host: str, port: int) -> list[str]:
            return ["127.0.0.1"]

        return FetchPolicy(
            allow_loopback=True,
            loopback_ports=frozenset({board.port}),
            resolver=resolver,
            verify=ssl.create_default_context(cafile=str(cert)),
        )

    async def test_sni_host_header_and_certificate_use_the_name(self, tls_board, certificate):
        fetched = await fetch(f"https://jobs.example.test:{tls_board.port}/job", self.policy(tls_board, certificate[0]))

        assert fetched.status == 200
        (seen,) = tls_board.requests
        assert seen.sni == "jobs.example.test"
        assert seen.headers["host"] == f"jobs.example.test:{tls_board.port}"

    async def test_the_certificate_is_checked_against_the_name_not_the_ip(self, tls_board, certificate):
        with pytest.raises(FetchConnectionError):
            await fetch(f"https://other.example.test:{tls_board.port}/job", self.policy(tls_board, certificate[0]))
        assert tls_board.requests == []


# -- finding a job by its link --------------------------------------------------------------------


def test_find_job_by_url(engine: Engine) -> None:
    with Session(writer(engine)) as s:
        stored = Job(title="Canonical", url="https://boards.greenhouse.io/acme/jobs/1")
        typed = Job(title="Typed", url="HTTPS://Jobs.Example.com/careers/7?utm_source=x&b=2&a=1#apply")
        other = Job(title="Other", url="https://jobs.example.com/careers/8")
        s.add_all([stored, typed, other, Job(title="No link")])
        s.commit()
        ids = {j.title: j.id for j in (stored, typed, other)}

    with Session(engine) as s:
        found = find_job_by_url(s, validate_url("boards.greenhouse.io/acme/jobs/1?gh_src=abc"))
        assert found is not None and found.id == ids["Canonical"]
        found = find_job_by_url(s, canonical_url("https://jobs.example.com/careers/7?a=1&b=2"))
        assert found is not None and found.id == ids["Typed"]
        assert find_job_by_url(s, canonical_url("https://jobs.example.com/careers/9")) is None


# -- the hydrate-job-url task, end to end ----------------------------------------------------------------


async def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return value


def tasks_of(engine: Engine, job_id: int) -> list[Task]:
    with Session(engine) as s:
        return list(s.exec(select(Task).where(Task.job_id == job_id).order_by(Task.id)).scalars())  # type: ignore[call-overload]


def get_job(engine: Engine, job_id: int) -> Job | None:
    with Session(engine, expire_on_commit=False) as s:
        return s.get(Job, job_id)


def add_job(engine: Engine, **fields: Any) -> int:
    with Session(writer(engine)) as s:
        job = Job(**fields)
        s.add(job)
        s.add(Profile(name="Sam", resume="Python, PostgreSQL, Kubernetes; ten years of backend work."))
        s.commit()
        s.refresh(job)
        assert job.id is not None
        return job.id


class TestHydrateTask:
    @pytest.fixture
    async def runner(self, engine: Engine, board: FakeBoard, monkeypatch: pytest.MonkeyPatch):
        """The real registry in a real runner; evaluate-job is held back (cap 0) so its task stays
        queued where the test can see it."""
        monkeypatch.setenv("JOBAPP_FETCH_ALLOW_LOOPBACK", "1")
        monkeypatch.setenv("JOBAPP_FETCH_LOOPBACK_PORTS", str(board.port))
        monkeypatch.setenv("JOBAPP_ATS_API_BASE", json.dumps({"greenhouse": board.url()}))
        manager = TaskManager(engine, limits=Limits(kind_limits={evaluate.KIND.name: 0}))
        runner = Runner(manager, HANDLERS, RunnerConfig(poll_seconds=0.05))
        await runner.start()
        yield runner
        await runner.stop()

    def test_registered(self):
        assert HANDLERS[hydrate.KIND.name] is hydrate.run
        assert KINDS[hydrate.KIND.name].verb == "reading the posting for"

    async def test_fills_the_job_stores_the_canonical_url_and_chains_evaluation(self, engine, board, runner):
        board.json("/v1/boards/acme/jobs/4012345", greenhouse_job())
        link = "https://boards.greenhouse.io/acme/jobs/4012345?gh_src=abc&utm_source=linkedin"
        # A job holding the link and a company the person already typed their own way.
        job_id = add_job(engine, url=link, company="Acme (referred by Dana)")

        enqueued = request_hydration(runner.manager, job_id)
        again = request_hydration(runner.manager, job_id)
        assert enqueued.created and (again.created, again.task_id) == (False, enqueued.task_id)

        done = await wait_for(
            lambda: (t := runner.manager.task(enqueued.task_id)) and t["status"] in ("completed", "failed") and t,
            "hydrate-job-url to finish",
        )
        assert done["status"] == "completed", done["error"]
        assert done["result"]["source"] == "greenhouse"
        labels = [stage["label"] for stage in done["stages"]]
        assert labels == ["Fetching the page", "Reading the posting", "Saving"]

        job = get_job(engine, job_id)
        assert job is not None
        assert job.title == "Senior Backend Engineer"
        assert job.company == "Acme (referred by Dana)"  # not overwritten
        assert job.location == "Remote - US"
        assert "## About the role" in job.description and "**Salary:** USD 120,000–150,000" in job.description
        assert job.url == "https://boards.greenhouse.io/acme/jobs/4012345"
        assert job.posting_key == "greenhouse:acme:4012345" and job.content_hash is None  # a short text
        with Session(engine) as s:
            assert find_job_by_url(s, validate_url(link)).id == job_id  # type: ignore[union-attr]

        follow_ups = [t for t in tasks_of(engine, job_id) if t.kind == evaluate.KIND.name]
        assert len(follow_ups) == 1
        assert follow_ups[0].status == "queued"
        assert follow_ups[0].priority == CLICKED
        assert follow_ups[0].dedupe_key.startswith(f"{evaluate.KIND.name}:{job_id}:")  # type: ignore[union-attr]

    async def test_a_500_is_retried_and_the_retry_reads_the_page(self, engine, board, runner):
        page = jsonld_page(JSONLD_CASES["@graph"][0])
        board.respond("/careers/7", Reply(500, "oops"), Reply(200, page))
        job_id = add_job(engine, url=board.url("/careers/7?utm_source=x"))
        task_id = request_hydration(runner.manager, job_id).task_id

        retrying = await wait_for(
            lambda: (t := runner.manager.task(task_id)) and t["status"] == "queued" and t["errors"] and t,
            "the first attempt to fail",
        )
        assert retrying["attempt"] == 1 and retrying["errors"][0]["transient"] is True
        assert "500" in retrying["errors"][0]["error"]
        with writer(engine).begin() as conn:  # the backoff comes due now rather than in seconds
            conn.execute(update(Task).where(Task.id == task_id).values(run_after=utcnow()))
        runner.wake()

        done = await wait_for(
            lambda: (t := runner.manager.task(task_id)) and t["status"] == "completed" and t, "the retry to complete"
        )
        assert done["attempt"] == 2
        job = get_job(engine, job_id)
        assert job is not None
        assert (job.title, job.company, job.location) == ("Data Engineer", "Acme Analytics", "Austin, TX, US")
        assert job.url == f"http://127.0.0.1:{board.port}/careers/7"

    async def test_a_bot_wall_fails_at_once_and_leaves_the_job_alone(self, engine, board, runner):
        board.page(
            "/wall", "<html><head><title>Just a moment...</title></head><body>cf_chl_opt</body></html>", status=403
        )
        job_id = add_job(engine, url=board.url("/wall"))
        task_id = request_hydration(runner.manager, job_id).task_id

        failed = await wait_for(
            lambda: (t := runner.manager.task(task_id)) and t["status"] == "failed" and t, "the task to fail"
        )
        assert failed["attempt"] == 1 and failed["errors"][0]["transient"] is False
        assert PASTE in failed["error"]
        job = get_job(engine, job_id)
        assert job is not None and job.description == "" and job.title == ""
        assert [t.kind for t in tasks_of(engine, job_id)] == [hydrate.KIND.name]  # no evaluation chained

    def test_saving_into_a_deleted_job_raises_job_gone(self, engine):
        job_id = add_job(engine, url="https://example.com/job")
        with Session(writer(engine)) as s:
            s.delete(s.get(Job, job_id))
            s.commit()
        posting = Posting("T", "C", "L", "D", "", None, "page-text", "https://example.com/job")
        with Session(writer(engine)) as s, pytest.raises(JobGone):
            hydrate.fill(s, job_id, posting)
