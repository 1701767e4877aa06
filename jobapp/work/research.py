"""company-research: an interview-prep brief (overview, what they build, recent news, red flags,
talking points, questions to ask) from the posting and, when allowed, the company's own site."""

from __future__ import annotations

import asyncio
import re

from selectolax.lexbor import LexborHTMLParser

from jobapp.llm import Request
from jobapp.tasks import Outcome, TaskContext
from jobapp.work.common import load_inputs, posting_text
from jobapp.work.drafting import draft_document
from jobapp.work.kind import TaskKind

NAME = "company-research"
SECTIONS = ("Overview", "What they build", "Recent news", "Red flags", "Talking points", "Questions to ask")


async def run(ctx: TaskContext) -> Outcome:
    await ctx.progress(5, "Reading the posting", stage=True)
    inputs = await load_inputs(ctx, need_resume=False)
    job, resume = inputs.job, inputs.profile.resume
    site_text = await company_site_text(ctx, KIND.options_of(ctx.task.payload).get("site_url", ""))
    request = Request(
        purpose=NAME,
        system=(
            "You prepare a candidate for an interview. Write a brief in Markdown with exactly these sections as "
            f"'## ' headings: {', '.join(SECTIONS)}. Say plainly what you do not know; never invent news."
        ),
        prompt=(
            f"Company: {job.company}\nRole: {job.title}\n\nPosting:\n{posting_text(job)}\n\n"
            + (f"From the company's website:\n{site_text[:8000]}\n\n" if site_text else "")
            + f"Candidate resume:\n{resume}"
        ),
        inputs={
            "company": job.company,
            "title": job.title,
            "location": job.location,
            "description": job.description,
            "resume": resume,
            "site_text": site_text,
        },
    )
    return await draft_document(
        ctx, request, document_kind=KIND.document_kind, label="Writing the brief", expected_words=350
    )


async def company_site_text(ctx: TaskContext, url: str) -> str:
    """The main text of the company's site, fetched safely, when a URL was given and Settings allow it.

    A site that cannot be read does not sink the brief: the stage log says why, and the brief is
    written from the posting alone.
    """
    from jobapp.intake import FetchPolicy, IntakeError, fetch
    from jobapp.preferences import research_may_fetch_sites

    if not url or not await ctx.read(research_may_fetch_sites):
        return ""
    await ctx.progress(10, "Reading the company's website", stage=True)
    try:
        fetched = await fetch(url, FetchPolicy.from_env())
    except IntakeError as error:
        await ctx.progress(12, f"Skipped the company's website: {error}", stage=True)
        return ""
    return await asyncio.to_thread(main_text, fetched.text)


def main_text(html: str, limit: int = 20_000) -> str:
    """The readable text of a page: scripts, navigation and footers dropped."""
    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, noscript, nav, footer, header, form, svg, iframe"):
        node.decompose()
    root = tree.css_first("main") or tree.css_first("article") or tree.body
    return re.sub(r"\s+", " ", root.text(separator=" ")).strip()[:limit] if root else ""


KIND = TaskKind(
    name=NAME,
    label="company research",
    verb="researching the company of",
    run=run,
    text_options=("site_url",),
    document_kind="research",
)
