"""Document utilities on real files made in the test: DOCX by python-docx, PDFs by fpdf2 and our export."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document as new_docx
from fpdf import FPDF
from markdown_it import MarkdownIt
from pypdf import PdfReader, PdfWriter

from jobapp.documents import (
    MAX_IMPORT_BYTES,
    Finding,
    check_cv,
    import_resume,
    to_docx,
    to_markdown_file,
    to_pdf,
)
from jobapp.documents.export import find_fonts, render_pdf

CV_MD = """# José Müller

Senior Backend Engineer · Berlin · [GitHub](https://github.com/jose)

## Experience

### Senior Engineer — Acme Corp (2019–2022)

- Led the **billing** migration to *Kubernetes* – it’s done
- Mentored engineers
  - nested point

1. First
2. Second
"""

HOSTILE_MD = """# Name

<script>alert(1)</script>

Inline <b>kept text</b> and <img src=x onerror="alert(2)"> and <script>alert(3)</script> end.

<div onclick="alert(4)">block text</div>

`<code>` stays code.
"""


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def docx_paragraphs(data: bytes) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in new_docx(io.BytesIO(data)).paragraphs]


def core_font_pdf(lines: list[str]) -> bytes:
    """A PDF with exactly these lines, as a word processor would set them."""
    pdf = FPDF()
    pdf.core_fonts_encoding = "cp1252"
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --- Import -----------------------------------------------------------------------------------------------


def test_import_docx_keeps_headings_bullets_bold_and_tables():
    doc = new_docx()
    doc.add_heading("José Müller", level=0)  # the "Title" style
    doc.add_heading("Experience", level=1)
    role = doc.add_paragraph()
    role.add_run("Acme Corp").bold = True
    role.add_run(", Senior Engineer\t2019 – 2022")
    doc.add_paragraph("Led the billing migration", style="List Bullet")
    doc.add_paragraph("Nested detail", style="List Bullet 2")
    doc.add_paragraph("First step", style="List Number")
    doc.add_heading("Education", level=2)
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "B.Sc. Computer Science"
    table.cell(0, 1).text = "University of X"
    buffer = io.BytesIO()
    doc.save(buffer)

    markdown = import_resume("Resume.DOCX", buffer.getvalue())

    assert markdown.startswith("# José Müller\n")
    assert "\n# Experience\n" in markdown and "\n## Education\n" in markdown
    assert "**Acme Corp**, Senior Engineer | 2019 – 2022" in markdown
    assert "- Led the billing migration\n  - Nested detail\n1. First step" in markdown
    assert "B.Sc. Computer Science" in markdown and "University of X" in markdown


def test_import_pdf_joins_wrapped_lines_fixes_hyphens_and_bullets():
    data = core_font_pdf(
        [
            "José Müller",
            "EXPERIENCE",
            "Senior Engineer, Acme Corp",
            "• Built the deploy-",
            "ment pipeline for payments, cutting",
            "release time in half",
            "• Mentored four engineers",
            "Education",
            "University of X, 2015",
        ]
    )
    markdown = import_resume("cv.pdf", data)
    assert "José Müller" in markdown
    assert "## Experience" in markdown and "## Education" in markdown
    assert "- Built the deployment pipeline for payments, cutting release time in half\n" in markdown
    assert "- Mentored four engineers" in markdown
    assert "Senior Engineer, Acme Corp" in markdown and "•" not in markdown


def test_import_pdf_made_by_our_own_export_round_trips():
    markdown = import_resume("cv.pdf", to_pdf(CV_MD, "CV"))
    assert "José Müller" in markdown
    assert "Senior Engineer — Acme Corp (2019–2022)" in markdown
    assert "- Led the billing migration to Kubernetes – it’s done" in markdown


def test_import_pdf_without_text_layer_asks_for_pasted_text():
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 80, 40, style="F")  # a "scan": marks on the page, no text
    with pytest.raises(ValueError, match=r"no text layer \(a scan\?\): paste your resume as text instead"):
        import_resume("scan.pdf", bytes(pdf.output()))


def test_import_encrypted_pdf_is_refused_plainly():
    writer = PdfWriter(clone_from=io.BytesIO(core_font_pdf(["Secret resume"])))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ValueError, match="password-protected"):
        import_resume("locked.pdf", buffer.getvalue())


def test_import_pdf_with_empty_password_is_read():
    writer = PdfWriter(clone_from=io.BytesIO(core_font_pdf(["Open resume text"])))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert "Open resume text" in import_resume("restricted.pdf", buffer.getvalue())


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("cv.exe", b"MZ\x90\x00", r"Unsupported file type \(\.exe\)"),
        ("resume", b"hello", "Unsupported file type"),
        ("cv.doc", b"\xd0\xcf\x11\xe0", r"save the resume as \.docx"),
        ("cv.pdf", b"", "empty"),
        ("cv.md", b"  \n\n ", "empty"),
        ("cv.pdf", b"this is not a pdf at all", "not a PDF"),
        ("cv.pdf", b"%PDF-1.7\n1 0 obj <<< broken", "PDF could not be read"),
        ("cv.pdf", core_font_pdf(["Cut short"])[:400], "PDF could not be read"),
        ("cv.docx", b"PK not really a zip", r"\.docx file could not be read"),
        ("cv.txt", b"\x00\x01\x02binary", "does not look like a text file"),
        ("cv.md", b"x" * (MAX_IMPORT_BYTES + 1), r"too large \(10\.0 MB\)"),
    ],
)
def test_import_refuses_with_a_readable_message(filename, data, message):
    with pytest.raises(ValueError, match=message):
        import_resume(filename, data)


def test_import_docx_zip_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\x00" * (101 * 1024 * 1024))
    assert len(buffer.getvalue()) < MAX_IMPORT_BYTES
    with pytest.raises(ValueError, match="more than 100 MB"):
        import_resume("bomb.docx", buffer.getvalue())


def test_import_markdown_and_text():
    assert import_resume("cv.md", b"# Me\r\n\r\n- one\r\n") == "# Me\n\n- one\n"
    assert import_resume("cv.markdown", "\ufeff## Café".encode()) == "## Café\n"
    assert import_resume("cv.txt", "Skills\n• Python\n  ● Go".encode()) == "Skills\n- Python\n  - Go\n"
    assert import_resume("cv.txt", "Caf\xe9".encode("cp1252")) == "Café\n"


# --- Export -----------------------------------------------------------------------------------------------


def test_docx_export_has_headings_bullets_and_inline_styles():
    data = to_docx(CV_MD, "CV – José Müller")
    doc = new_docx(io.BytesIO(data))
    assert doc.core_properties.title == "CV – José Müller"
    paragraphs = docx_paragraphs(data)
    assert ("Heading 1", "José Müller") in paragraphs
    assert ("Heading 2", "Experience") in paragraphs
    assert ("Heading 3", "Senior Engineer — Acme Corp (2019–2022)") in paragraphs
    assert ("List Bullet", "Led the billing migration to Kubernetes – it’s done") in paragraphs
    assert ("List Bullet 2", "nested point") in paragraphs
    assert ("Normal", "Senior Backend Engineer · Berlin · GitHub (https://github.com/jose)") in paragraphs
    assert any(text == "1.\tFirst" for _, text in paragraphs)
    bullet = next(p for p in doc.paragraphs if p.text.startswith("Led the"))
    assert [r.text for r in bullet.runs if r.bold] == ["billing"]
    assert [r.text for r in bullet.runs if r.italic] == ["Kubernetes"]


def test_pdf_export_is_a_pdf_with_the_text_and_non_ascii_names():
    data = to_pdf(CV_MD, "CV – José Müller")
    assert data.startswith(b"%PDF")
    assert PdfReader(io.BytesIO(data)).metadata.title == "CV – José Müller"
    text = pdf_text(data)
    for expected in ("José Müller", "Experience", "Senior Engineer — Acme Corp (2019–2022)", "it’s done", "First"):
        assert expected in text


def test_pdf_export_uses_dejavu_when_present_and_core_fonts_otherwise():
    if find_fonts() is not None:
        assert b"DejaVu" in to_pdf("# José", "t")
    data = render_pdf("# José Müller – Dvořák’s CV\n\n- “quoted” 日本", "Dvořák", fonts=None)
    assert b"Helvetica" in data
    text = pdf_text(data)
    assert "José Müller – Dvorák’s CV" in text  # cp1252 keeps é, ü, á, – and ’; ř loses its caron
    assert "“quoted” ??" in text


def test_raw_html_is_not_markup_in_any_export():
    docx_xml = zipfile.ZipFile(io.BytesIO(to_docx(HOSTILE_MD, "t"))).read("word/document.xml").decode()
    texts = [text for _, text in docx_paragraphs(to_docx(HOSTILE_MD, "t"))]
    pdf = pdf_text(to_pdf(HOSTILE_MD, "t"))
    for rendered in (docx_xml, pdf):
        assert "<script" not in rendered and "alert(" not in rendered and "onerror" not in rendered
        assert "&lt;script" not in rendered
    assert "Inline kept text and and end." in texts
    assert "block text" in texts and "<code> stays code." in texts
    assert "Inline kept text and and end." in pdf and "<code> stays code." in pdf

    source = to_markdown_file(HOSTILE_MD).decode()
    html = MarkdownIt("commonmark").render(source)  # a viewer that renders raw HTML
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<div" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<code>&lt;code&gt;</code>" in html  # code spans are left as they were


def test_markdown_file_is_utf8_with_one_final_newline():
    data = to_markdown_file("# José\r\n\r\n- [site](https://x.dev) <https://x.dev>\n\n\n")
    assert data == "# José\n\n- [site](https://x.dev) <https://x.dev>\n".encode()


# --- Fabrication check ------------------------------------------------------------------------------------

RESUME = """# José Müller
Backend engineer · Berlin · jose@example.com · +49 30 2019 5555

## Experience

### Senior Software Engineer — ACME Corporation (Jan 2020 – Present)
- Led the migration of billing to Kubernetes; cut costs 30%
- Mentored 4 engineers

**Globex GmbH**, Software Engineer, Berlin | 2016 - 2019
- Built Python services on PostgreSQL for 2000 users

Junior Developer at Initech Ltd (2014–2016)

## Education
B.Sc. Computer Science, Technische Universität München, 2010 – 2014

## Skills
Python, Go, Google Cloud, Kubernetes, Terraform
"""

# Reordered, reworded bullets, another layout, same facts; case, dash and abbreviation differences.
FAITHFUL_CV = """# JOSÉ MÜLLER

Senior Backend Engineer · Berlin

## Professional Summary
Backend engineer with ten years of experience in Python and Go. Since 2020 at Acme.

## Work Experience

### Acme Corp
**Sr. Software Engineer** · January 2020 – current
- Cut costs by 30% by moving billing onto Kubernetes
- Coached four engineers

Software Engineer, GLOBEX — 2016—2019
- Python services on PostgreSQL serving 2000 users

**Junior Developer** at INITECH (2014 — 2016)

## Education
- BSc Computer Science — Technische Universitat Munchen (2010-2014)

## Skills
- **Languages:** Python, Go
- Kubernetes, Terraform, AWS, Rust
"""


def test_faithful_tailored_cv_has_no_findings():
    assert check_cv(FAITHFUL_CV, RESUME) == []


def test_invented_employer_title_school_and_dates_are_found():
    cv = (
        FAITHFUL_CV
        + """
## Earlier Experience
Staff Engineer — Google (2011–2013)

## Education
MSc Data Science, Stanford University
"""
    )
    findings = check_cv(cv, RESUME)
    assert [(f.kind, f.text) for f in findings] == [
        ("date", "2011–2013"),
        ("title", "Staff Engineer"),
        ("employer", "Google"),
        ("school", "Stanford University"),
    ]
    assert findings[2] == Finding(
        "employer", "Google", "'Google' is named in the CV but not in your resume"
    )  # "Google Cloud" in the resume's skills does not make Google an employer


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("### Principal Engineer — Acme Corp (2020 – Present)", [("title", "Principal Engineer")]),
        ("**Hooli**, Software Engineer", [("employer", "Hooli")]),
        ("Software Engineer at Hooli Inc. (2016–2019)", [("employer", "Hooli Inc.")]),
        ("Senior Software Engineer — Acme (2016–Present)", [("date", "2016–Present")]),
        ("Engineering Manager | Globex | 2016 - 2019", [("title", "Engineering Manager")]),
        ("### Hooli\n*Software Engineer* · 2016–2019", [("employer", "Hooli")]),
        ("### Lead Developer\nHooli · Berlin · 2016–2019", [("title", "Lead Developer"), ("employer", "Hooli")]),
        ("Software Engineer — Globex (Mar 2016 – 2019)", [("date", "Mar 2016 – 2019")]),
        ("Software Engineer — Globex (2016 – Present)", [("date", "2016 – Present")]),
        ("Software Engineer — Globex (2015–2019)", [("date", "2015–2019")]),
        ("- Shipped in 2012, ahead of plan", [("date", "2012")]),
        ("- Served 2000 users and 1999 shops across 3 regions", []),
        ("- Used Terraform, Rust and AWS daily at Acme", []),
        ("**Tools:** Terraform, Vercel, Hooli Cloud", []),
        ("### Selected achievements\n- Cut costs by 30%", []),
        ("Remote · Software Engineer · 2016–2019", []),
    ],
)
def test_structures_of_cv_lines(line, expected):
    cv = f"# José Müller\n\n## Experience\n\n{line}\n"
    assert [(f.kind, f.text) for f in check_cv(cv, RESUME)] == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("B.Sc. Computer Science, University of Oxford, 2010–2014", [("school", "University of Oxford")]),
        ("- MSc, Imperial College London (2009)", [("school", "Imperial College London"), ("date", "2009")]),
        ("M.Sc. Computer Science — ETH Zürich", [("school", "ETH Zürich")]),
        ("### TECHNISCHE UNIVERSITÄT MÜNCHEN", []),
        ("- Thesis on distributed systems, graded 1.3", []),
    ],
)
def test_structures_of_education_lines(line, expected):
    cv = f"# José Müller\n\n## Education\n\n{line}\n"
    assert sorted((f.kind, f.text) for f in check_cv(cv, RESUME)) == sorted(expected)


def test_findings_are_deduplicated_and_in_order():
    cv = "## Experience\nCTO — Hooli (2021–2022)\n\nCTO, Hooli, 2021–2022\n"
    assert [f.text for f in check_cv(cv, RESUME)] == ["2021–2022", "CTO", "Hooli"]


SELF_CHECKED = [RESUME, FAITHFUL_CV, CV_MD, "## Experience\n**Acme**, Engineer, **2019**–2022\n\n## Skills\n### Hooli"]


@pytest.mark.parametrize("document", SELF_CHECKED)
def test_a_document_checked_against_itself_has_no_findings(document):
    assert check_cv(document, document) == []


def test_a_role_after_the_skills_section_still_counts_in_the_resume():
    resume = "## Skills\nPython, Hooli Cloud\n\n**Experience**\n\nEngineer — Hooli (2019–2022)\n"
    assert check_cv("## Experience\nEngineer — Hooli (2019–2022)\n", resume) == []
    skills_only = "## Skills\nPython, Hooli Cloud\n\n## Experience\n\nEngineer — Acme (2019–2022)\n"
    assert [f.text for f in check_cv("## Experience\nEngineer — Hooli (2019–2022)\n", skills_only)] == ["Hooli"]
