"""Documents in the browser: a tailored CV with its downloads, interview prep queued by the pipeline,
and hostile HTML in a posting rendered inert."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import Session
from test_browser_live import RESUME, open_job, seed

from jobapp.db import make_engine
from jobapp.models import Job, Profile

pytestmark = pytest.mark.e2e

FAST = {"JOBAPP_OFFLINE_PACE": "0", "JOBAPP_POLL_SECONDS": "0.5"}


@pytest.mark.parametrize("backend_env", [FAST])
def test_tailored_cv_downloads_and_interview_prep(site, backend, context):
    job_id = seed(backend.db_url)
    backend.start()
    page = open_job(context, site, job_id)

    page.locator("#generate-cv").click()
    cv = page.locator("#cvs .document")
    expect(cv).to_have_count(1, timeout=30_000)
    expect(cv).to_contain_text("Built Python services on PostgreSQL and Redis for payments at Lumen")
    expect(cv).to_contain_text("Written by offline drafter")
    expect(cv.locator(".document-warning")).to_have_count(0)  # a reordered resume invents nothing

    downloads = {kind: cv.locator(f".download-{kind}").get_attribute("href") for kind in ("md", "pdf", "docx")}
    markdown = httpx.get(downloads["md"], timeout=30)
    assert markdown.status_code == 200 and "Lumen" in markdown.text
    pdf = httpx.get(downloads["pdf"], timeout=30)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    docx = httpx.get(downloads["docx"], timeout=30)
    with zipfile.ZipFile(io.BytesIO(docx.content)) as archive:
        assert "Lumen" in archive.read("word/document.xml").decode()

    # Moving the job to Interview queues the research brief by itself.
    page.get_by_role("combobox").first.click()
    page.get_by_role("option", name="Interview").click()
    brief = page.locator("#research-briefs .document")
    expect(brief).to_have_count(1, timeout=30_000)
    for section in ("Overview", "What they build", "Recent news", "Red flags", "Talking points", "Questions to ask"):
        expect(brief.get_by_role("heading", name=section)).to_be_visible()


HOSTILE = """Senior Engineer
<script>window.__pwned = 'script'</script>
<img src="x" onerror="window.__pwned = 'img'">
[click me](javascript:window.__pwned='link')
<a href="javascript:window.__pwned='anchor'">anchor</a>
We need Python and PostgreSQL."""


@pytest.mark.parametrize("backend_env", [FAST])
def test_hostile_html_in_a_posting_does_nothing(site, backend, context):
    engine = make_engine(backend.db_url)
    with Session(engine) as s:
        s.add(Profile(name="Ada Example", resume=RESUME))
        job = Job(title="Senior Engineer", company="Acme <b onmouseover=alert(1)>Corp</b>", description=HOSTILE)
        s.add(job)
        s.commit()
        job_id = job.id
    engine.dispose()
    backend.start()
    page = context.new_page()
    page.goto(f"{site['url']}/jobs/{job_id}")
    expect(page.locator("#job-title")).to_have_text("Senior Engineer")
    page.locator("#generate-cover-letter").click()
    expect(page.locator("#cover-letters .document")).to_have_count(1, timeout=30_000)
    page.get_by_text("click me").click()
    page.wait_for_timeout(500)

    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[onerror]").count() == 0
    assert page.locator("[onmouseover]").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.locator("script:has-text('__pwned')").count() == 0
