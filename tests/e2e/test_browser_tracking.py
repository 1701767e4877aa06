"""The Tracking card as a person uses it: notes (Markdown, raw HTML shown as text, never run), a contact (a bad
email refused with a reason) and a next step saved on a job page, shown after a reload, and shown live in a
second tab open on the same job; a status change appears in both tabs' history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_browser_live import open_job, seed

pytestmark = pytest.mark.e2e

NOTES = (
    '## Why this one\n- **payments** team\n\n<img src=x onerror="window.pwned=1">\n\n'
    "[click me](javascript:window.pwned=2)"
)


def test_notes_contact_and_next_step_saved_shown_after_reload_and_live(site, backend, context):
    job_id = seed(backend.db_url)
    backend.start()
    page, other = open_job(context, site, job_id), open_job(context, site, job_id)
    expect(other.locator("#contacts")).to_have_text("No contacts yet.")

    # Notes, previewed as Markdown while typed, then saved.
    page.locator("#notes-input").fill(NOTES)
    preview = page.locator("#notes-preview")
    expect(preview.locator("h2")).to_have_text("Why this one")
    page.locator("#save-notes").click()
    expect(page.locator("#tracking-notice")).to_have_text("Notes saved.")

    # A contact: a bad email is refused and says why; fixed, it is added and the form empties.
    page.locator("#contact-name").fill("Dana Lee")
    page.locator("#contact-role").fill("Recruiter")
    page.locator("#contact-email").fill("dana(at)example.com")
    page.locator("#add-contact").click()
    expect(page.locator("#contact-error")).to_contain_text("is not an email address")
    page.locator("#contact-email").fill("dana@example.com")
    page.locator("#add-contact").click()
    expect(page.locator("#contacts .contact")).to_have_count(1)
    expect(page.locator("#contact-error")).to_have_count(0)
    expect(page.locator("#contact-name")).to_have_value("")

    # A next step with its date, and a salary whose minimum is above its maximum (refused, then fixed).
    page.locator("#next-step").fill("Call Dana about the team")
    page.locator("#next-step-on").fill("2026-12-05")
    page.locator("#salary-min").fill("120000")
    page.locator("#salary-max").fill("100000")
    page.locator("#save-details").click()
    expect(page.locator("#details-error")).to_have_text("The minimum salary is above the maximum.")
    page.locator("#salary-max").fill("140000")
    page.locator("#salary-currency").fill("eur")
    page.locator("#save-details").click()
    expect(page.locator("#tracking-notice")).to_have_text("Saved.")

    page.locator("#star-toggle").click()
    page.get_by_role("combobox").first.click()  # the status select in the header
    page.get_by_role("option", name="Applied").click()

    for tab in (other, page):  # live in the second tab; in the first as saved
        expect_tracked(tab)

    page.reload()
    expect(page.locator("#job-title")).to_have_text("Senior Backend Engineer")
    expect_tracked(page)
    expect(page.locator("#next-step-on")).to_have_value("2026-12-05")
    expect(page.locator("#notes-input")).to_have_value(NOTES)
    # The raw HTML in the notes is text, not an element, and nothing it carried ran.
    assert other.evaluate("window.pwned") is None and page.evaluate("window.pwned") is None
    expect(page.locator("#notes-preview img")).to_have_count(0)
    page.locator("#notes-preview").get_by_text("click me").click()
    assert page.evaluate("window.pwned") is None
    expect(page.locator("a[href^='javascript:']")).to_have_count(0)

    # Removing the contact shows in the other tab too.
    page.locator("#contacts .remove-contact").click()
    expect(other.locator("#contacts")).to_have_text("No contacts yet.")


def expect_tracked(tab) -> None:
    expect(tab.locator("#notes-preview h2")).to_have_text("Why this one")
    expect(tab.locator("#notes-preview strong")).to_have_text("payments")
    contact = tab.locator("#contacts .contact")
    expect(contact).to_have_count(1)
    expect(contact).to_contain_text("Dana Lee")
    expect(contact).to_contain_text("Recruiter")
    expect(contact.get_by_role("link", name="dana@example.com")).to_have_attribute("href", "mailto:dana@example.com")
    expect(tab.locator("#next-step-summary")).to_have_text("Next step: Call Dana about the team · due 2026-12-05")
    expect(tab.locator("#salary-summary")).to_have_text("Salary: EUR 120,000–140,000")
    expect(tab.locator("#star-toggle")).to_have_text("★ Starred")
    expect(tab.locator("#applied-at")).to_contain_text("Applied 20")
    expect(tab.locator("#status-history .status-change").first).to_contain_text("Pending → Applied")
    expect(tab.locator("#next-step-summary")).to_be_visible()
    expect(tab.locator("#salary-min")).to_have_value("120000")
