"""The ATS posting an ordinary page points at: a company careers page that embeds its Greenhouse
job, a page whose canonical link or JSON-LD names the posting on Lever, a job ad whose one apply
link goes to Ashby.

The signals, most telling first (the first that names a posting wins):

1. the page's canonical link (`<link rel=canonical>`, `og:url`);
2. the JSON-LD JobPosting's own addresses (`url`, `@id`, `sameAs`, a link `identifier`);
3. an embedded application form (`<iframe src=…/embed/job_app?for=acme&token=123>`);
4. an embedded board script plus the job id in the page's address, the way Greenhouse's and
   Ashby's embeds work (`careers.acme.com/jobs?gh_jid=123` with `…/embed/job_board/js?for=acme`;
   `?ashby_jid=<uuid>` with `jobs.ashbyhq.com/acme/embed`);
5. links in the page, when they name exactly one posting (a listing links to many: no identity).
"""

from __future__ import annotations

from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from jobapp.intake import _jsonld
from jobapp.intake._ats import AtsJob, embedded, recognise


def ats_job(html: str, page_url: str) -> AtsJob | None:
    """The ATS posting the page at `page_url` points at, or None."""
    tree = LexborHTMLParser(html)

    def addresses(selector: str, attribute: str) -> list[str]:
        return [url for node in tree.css(selector) if (url := _absolute(node.attributes.get(attribute), page_url))]

    item = _jsonld.job_posting(html, page_url)
    own = [url for link in (_jsonld.links(item) if item else []) if (url := _absolute(link, page_url))]
    signals = (
        addresses("link[rel~=canonical][href]", "href") + addresses('meta[property="og:url"][content]', "content"),
        own,
        addresses("iframe[src]", "src"),
    )
    for links in signals:
        if (found := next(filter(None, map(recognise, links)), None)) is not None:
            return found
    scripts = addresses("script[src]", "src")
    if (found := next(filter(None, (embedded(src, page_url) for src in scripts)), None)) is not None:
        return found
    postings = {job.key: job for job in map(recognise, addresses("a[href]", "href")) if job is not None}
    return next(iter(postings.values())) if len(postings) == 1 else None


def _absolute(link: str | None, page_url: str) -> str | None:
    """`link` resolved against the page; None when empty or malformed (a broken IPv6 literal)."""
    if not link or not link.strip():
        return None
    try:
        return urljoin(page_url, link.strip())
    except ValueError:
        return None
