"""A posting's identity: the ATS posting a page points at, the employer's reference in JSON-LD, the
hash of a description's words; and the refusal messages built from an address's category."""

from __future__ import annotations

import ipaddress
import json

import pytest

from jobapp.intake import FetchPolicy, content_hash
from jobapp.intake._addresses import host_refusal, refusal
from jobapp.intake._ats import AtsJob
from jobapp.intake._jsonld import job_posting, read
from jobapp.intake._pointers import ats_job
from jobapp.intake.identity import MIN_HASHED_TEXT, reference_key

PAGE = "https://acme.example/careers/backend"
GREENHOUSE = AtsJob("greenhouse", "acme", "123")
LEVER_ID = "5ac21346-8e0c-4494-8e7a-3eb92ff77902"
OTHER_ID = "11111111-2222-4333-8444-555555555555"


def page(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}</head><body><h1>Backend engineer</h1>{body}</body></html>"


def jsonld(data: dict) -> str:
    return f"<script type='application/ld+json'>{json.dumps(data)}</script>"


@pytest.mark.parametrize(
    ("html", "url", "expected"),
    [
        (page(head='<link rel="canonical" href="https://job-boards.greenhouse.io/acme/jobs/123">'), PAGE, GREENHOUSE),
        (page(head='<meta property="og:url" content="https://boards.greenhouse.io/acme/jobs/123">'), PAGE, GREENHOUSE),
        (
            page(
                head=jsonld({"@type": "JobPosting", "title": "x", "url": "https://boards.greenhouse.io/acme/jobs/123"})
            ),
            PAGE,
            GREENHOUSE,
        ),
        (
            page(
                head=jsonld(
                    {"@type": "JobPosting", "identifier": {"@type": "PropertyValue", "value": f"/acme/{LEVER_ID}"}}
                )
            ),
            "https://jobs.lever.co/x",
            AtsJob("lever", "acme", LEVER_ID),
        ),
        (
            page(body='<iframe src="https://boards.greenhouse.io/embed/job_app?for=acme&amp;token=123"></iframe>'),
            PAGE,
            GREENHOUSE,
        ),
        (
            page(
                body='<div id="grnhse_app"></div><script src="https://boards.greenhouse.io/embed/job_board/js?for=acme">'
            ),
            PAGE + "?gh_jid=123",
            GREENHOUSE,
        ),
        (
            page(body='<script src="https://jobs.ashbyhq.com/nimbus/embed?version=2"></script>'),
            PAGE + f"?ashby_jid={LEVER_ID}",
            AtsJob("ashby", "nimbus", LEVER_ID),
        ),
        # one posting linked (twice: the posting and its form), among other links
        (
            page(
                body=f'<a href="/about">About</a><a href="https://jobs.lever.co/acme/{LEVER_ID}">Read more</a>'
                f'<a href="https://jobs.lever.co/acme/{LEVER_ID}/apply">Apply</a><a href="http://[::1">broken</a>'
            ),
            PAGE,
            AtsJob("lever", "acme", LEVER_ID),
        ),
        # the canonical link outranks the links in the page
        (
            page(
                head='<link rel="canonical" href="https://boards.greenhouse.io/acme/jobs/123">',
                body=f'<a href="https://jobs.lever.co/acme/{LEVER_ID}">Apply</a>',
            ),
            PAGE,
            GREENHOUSE,
        ),
        # a listing links to many postings: none of them is this page
        (
            page(
                body=f'<a href="https://jobs.lever.co/acme/{LEVER_ID}">A</a><a href="https://jobs.lever.co/acme/{OTHER_ID}">B</a>'
            ),
            PAGE,
            None,
        ),
        # the board's embed without a job selected, a canonical link to itself, no links at all
        (page(body='<script src="https://boards.greenhouse.io/embed/job_board/js?for=acme"></script>'), PAGE, None),
        (page(head=f'<link rel="canonical" href="{PAGE}">'), PAGE, None),
        (page(), PAGE, None),
    ],
    ids=[
        "canonical-link",
        "og-url",
        "json-ld-url",
        "json-ld-identifier-link",
        "iframe",
        "greenhouse-embed",
        "ashby-embed",
        "one-linked-posting",
        "canonical-first",
        "listing",
        "board-only",
        "self-canonical",
        "nothing",
    ],
)
def test_the_ats_posting_a_page_points_at(html: str, url: str, expected: AtsJob | None) -> None:
    assert ats_job(html, url) == expected


def test_json_ld_identifier_is_the_employers_reference() -> None:
    item = {
        "@type": "JobPosting",
        "title": "Backend engineer",
        "hiringOrganization": {"@type": "Organization", "name": "Acme Robotics"},
        "identifier": {"@type": "PropertyValue", "name": "Acme", "value": "R-1042"},
        "description": "<p>Build things.</p>",
    }
    found = job_posting(page(head=jsonld(item)), PAGE)
    assert found is not None
    key = read(found, PAGE).key
    assert key == reference_key("acme  ROBOTICS", "R-1042")
    assert key != reference_key("Acme Robotics", "R-1043") and key != reference_key("Globex", "R-1042")
    # No identifier, or an identifier that is only a link (left to the ATS pointers): no reference.
    assert read({**item, "identifier": None}, PAGE).key is None
    assert read({**item, "identifier": "https://acme.example/jobs/1"}, PAGE).key is None
    assert reference_key("", "R-1") is None and reference_key("Acme", " ") is None


TEXT = " ".join(["We are looking for an engineer who enjoys owning services end to end, from design to on-call."] * 3)


def test_content_hash_ignores_markup_case_punctuation_and_link_targets() -> None:
    markdown = f"## Backend engineer\n\n**{TEXT}**\n\n- [Apply](https://acme.example/apply?id=1)"
    other = f"BACKEND ENGINEER\n{TEXT.replace(',', ' ;')}\n* _[apply](/apply)_"
    assert content_hash(markdown) == content_hash(other) is not None
    assert content_hash(markdown) != content_hash(markdown.replace("on-call", "site reliability"))


def test_content_hash_needs_enough_text_to_tell_postings_apart() -> None:
    assert content_hash("Apply below.") is None
    assert content_hash("word " * (MIN_HASHED_TEXT // 5 - 1)) is None
    assert content_hash("word " * (MIN_HASHED_TEXT // 5 + 1)) is not None


REFUSED_IPS = [
    "0.0.0.0",
    "::",
    "127.0.0.1",
    "10.0.0.1",
    "169.254.169.254",
    "169.254.1.1",
    "224.0.0.1",
    "240.0.0.1",
    "100.64.0.1",
    "fe80::1",
    "::ffff:10.0.0.1",
]


@pytest.mark.parametrize("ip", REFUSED_IPS)
def test_every_refusal_reads_as_english(ip: str) -> None:
    """Each category carries its article: "it is an unspecified address", never "a unspecified"."""
    why = refusal(ipaddress.ip_address(ip), 80, FetchPolicy())
    assert why is not None
    article, noun = why.split(" ", 1)
    assert article == ("an" if noun[0] in "aeiou" else "a"), why


def test_the_unspecified_address_is_refused_with_its_article() -> None:
    assert refusal(ipaddress.ip_address("0.0.0.0"), 80, FetchPolicy()) == (
        "an unspecified address (it means this machine)"
    )
    assert host_refusal("metadata.google.internal") == "a cloud metadata host"
