"""Resume import: a PDF, DOCX, Markdown or text file → the Markdown kept in `Profile.resume`.

DOCX (python-docx): body paragraphs and tables in document order; "Heading N"/"Title" styles → `#`,
bullet/numbered paragraphs (list styles or Word numbering) → `- ` / `1. ` indented by level, bold and
italic runs → `**…**` / `*…*`, hyperlinks → `[text](url)`, line breaks → separate lines. Text boxes,
footnotes, comments and images are not read; header text is read only from the first section.

PDF (pypdf, layout mode, which keeps visual lines apart): per line, bullets ("•", "▪", "●", Word's
Symbol bullet…) → `- `; a word hyphenated at a line end is rejoined ("develop-/ment" → "development",
so a real hyphen at a line end is lost: "well-/known" → "wellknown"); a wrapped line joins the previous
one when it starts in lower case or the previous line ends with a comma, a connective or an open
bracket; short all-caps lines and the usual section names become `##` headings; wide gaps (a date set
flush right) become " | ". A two-column layout comes out line by line across both columns. Nested
bullets come out flat, and only the first MAX_PDF_PAGES pages are read.

Limits: files over MAX_IMPORT_BYTES, encrypted PDFs that need a password, PDFs without a text layer
(scans), legacy .doc and anything else raise ValueError with a message meant for the person.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import PurePath

from docx import Document as open_docx
from docx.document import Document as DocxDocument
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph
from pypdf import PageObject, PdfReader

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_PDF_PAGES = 30  # a resume is a few pages; the rest of a longer PDF is not read
# A DOCX is a zip: refuse one that would inflate past this (a "zip bomb").
_MAX_DOCX_UNPACKED = 100 * 1024 * 1024

_TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".text")
_NO_TEXT = "This PDF has no text layer (a scan?): paste your resume as text instead."


def import_resume(filename: str, data: bytes) -> str:
    """Convert an uploaded resume to Markdown; raises ValueError with a readable message."""
    suffix = PurePath(filename or "").suffix.lower()
    if len(data) > MAX_IMPORT_BYTES:
        raise ValueError(f"The file is too large ({len(data) / 1_048_576:.1f} MB): the limit is 10 MB.")
    if not data.strip():
        raise ValueError("The file is empty.")
    if suffix == ".pdf":
        markdown = _from_pdf(data)
    elif suffix == ".docx":
        markdown = _from_docx(data)
    elif suffix in _TEXT_SUFFIXES:
        markdown = _from_text(data)
    elif suffix in (".doc", ".rtf", ".odt", ".pages"):
        raise ValueError(f"{suffix} files cannot be read: save the resume as .docx or PDF and upload that.")
    else:
        shown = suffix or "a file without an extension"
        raise ValueError(f"Unsupported file type ({shown}): upload a PDF, a Word .docx, Markdown or a .txt file.")
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip()
    if not markdown:
        raise ValueError(_NO_TEXT if suffix == ".pdf" else "No text was found in this file.")
    return markdown + "\n"


# --- Text and Markdown ---------------------------------------------------------------------------------

_BULLET = re.compile(r"^(\s*)[•●▪■◦‣∙○►▸➢➤✓✔\uf0b7\uf0a7\uf076\uf0d8](?:\s+|(?=\S))")


def _from_text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise ValueError("This does not look like a text file: upload a PDF, a Word .docx or Markdown.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_BULLET.sub(r"\1- ", line.rstrip()) for line in lines)


# --- DOCX ----------------------------------------------------------------------------------------------


def _from_docx(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > _MAX_DOCX_UNPACKED:
                raise ValueError("This .docx file unpacks to more than 100 MB: it cannot be imported.")
        document = open_docx(io.BytesIO(data))
    except ValueError:
        raise
    except Exception as error:  # zipfile, lxml and python-docx each raise their own kinds for damaged files
        raise ValueError("This .docx file could not be read: is it a Word document? Try saving it again.") from error
    lines: list[str] = []
    header = document.sections[0].header if document.sections else None
    if header is not None and not header.is_linked_to_previous:
        for paragraph in header.paragraphs:
            _emit(lines, _docx_paragraph(paragraph))
    for paragraph in _docx_paragraphs(document):
        _emit(lines, _docx_paragraph(paragraph))
    return "\n".join(lines)


_ITEM = re.compile(r"\s*(?:- |\d+[.)] )")


def _emit(lines: list[str], line: str | None) -> None:
    """Lists stay tight; everything else is a paragraph of its own."""
    if line is None:
        return
    if lines and not (_ITEM.match(line) and _ITEM.match(lines[-1])):
        lines.append("")
    lines.append(line)


def _docx_paragraphs(document: DocxDocument) -> Iterator[Paragraph]:
    """Body paragraphs in reading order, descending into tables (merged cells once)."""
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            yield item
        else:
            yield from _table_paragraphs(item)


def _table_paragraphs(table: Table) -> Iterator[Paragraph]:
    seen: set[int] = set()
    for row in table.rows:
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            for item in cell.iter_inner_content():
                if isinstance(item, Paragraph):
                    yield item
                else:
                    yield from _table_paragraphs(item)


def _docx_paragraph(paragraph: Paragraph) -> str | None:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    plain = paragraph.text.strip()
    if not plain:
        return None
    heading = re.fullmatch(r"Heading (\d)", style)
    if heading or style == "Title":
        level = int(heading.group(1)) if heading else 1
        return "#" * min(level, 6) + " " + " ".join(plain.split())
    text = _docx_runs(paragraph)
    numbering = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    if numbering is not None or style.startswith("List"):
        level, numbered = 0, "Number" in style
        if numbering is not None:
            level = int(numbering.ilvl.val) if numbering.ilvl is not None else 0
            if numbering.numId is not None:
                numbered = _is_numbered(paragraph, int(numbering.numId.val), level)
        elif match := re.search(r"(\d)$", style):
            level = int(match.group(1)) - 1
        marker = "1." if numbered else "-"
        return "  " * level + f"{marker} " + _BULLET.sub("", " ".join(text.split()))
    lines = [" ".join(part.split()) for part in text.split("\n")]
    return "\n\n".join(line for line in lines if line)


def _is_numbered(paragraph: Paragraph, num_id: int, level: int) -> bool:
    """Look the list's format up in numbering.xml: "bullet" (or anything unreadable) is a bullet list."""
    try:
        numbering = paragraph.part.numbering_part.element
        abstract = numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
        formats = numbering.xpath(
            f'./w:abstractNum[@w:abstractNumId="{abstract[0]}"]/w:lvl[@w:ilvl="{level}"]/w:numFmt/@w:val'
        )
    except Exception:  # no numbering part, or a list that points nowhere: show it as bullets
        return False
    return bool(formats) and formats[0] not in ("bullet", "none")


def _docx_runs(paragraph: Paragraph) -> str:
    """Runs and hyperlinks with bold/italic marks; adjacent runs of one style are merged first."""
    pieces: list[tuple[str, bool, bool]] = []
    for item in paragraph.iter_inner_content():
        if isinstance(item, Hyperlink):
            text, url = item.text, item.url
            if url and url.startswith(("http://", "https://", "mailto:")) and text.strip() != url:
                text = f"[{text}]({url})"
            pieces.append((text, False, False))
        else:
            pieces.append((item.text, bool(item.bold), bool(item.italic)))
    merged: list[list] = []  # [text, bold, italic]
    for text, bold, italic in pieces:
        text = re.sub(r"[ ]*\t[\t ]*", " | ", text)  # tab stops align columns (dates set flush right)
        if merged and (merged[-1][1], merged[-1][2]) == (bold, italic):
            merged[-1][0] += text
        else:
            merged.append([text, bold, italic])
    if all(bold for text, bold, _ in merged if text.strip()):
        # A wholly bold paragraph is a hand-made heading or a role line: one pair of marks around it all.
        whole = _trim_bars("".join(text for text, _, _ in merged))
        return f"**{whole}**" if "\n" not in whole else whole
    out = []
    for text, bold, italic in merged:
        core = text.strip()
        if not core or not (bold or italic) or "\n" in core:
            out.append(text)
            continue
        mark = "***" if bold and italic else "**" if bold else "*"
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        out.append(f"{lead}{mark}{core}{mark}{trail}")
    return _trim_bars("".join(out))


def _trim_bars(text: str) -> str:
    """Tabs at the start or end of a paragraph are indentation, not columns."""
    return re.sub(r"^(?:\s*\|\s*)+|(?:\s*\|\s*)+$", "", text.strip()).strip()


# --- PDF -----------------------------------------------------------------------------------------------

_SECTIONS = {
    "summary", "profile", "about", "about me", "objective", "experience", "work experience",
    "professional experience", "employment", "employment history", "work history", "career",
    "education", "skills", "technical skills", "core skills", "key skills", "projects", "publications",
    "certifications", "certificates", "awards", "languages", "interests", "volunteering",
    "volunteer experience", "references", "contact", "achievements", "training", "courses",
}  # fmt: skip
_CONNECTIVES = {"and", "or", "of", "with", "to", "for", "the", "a", "an", "in", "on", "at", "by", "from", "as", "&"}


def _from_pdf(data: bytes) -> str:
    if b"%PDF" not in data[:1024]:
        raise ValueError("This file is not a PDF (it does not start like one): check the file and try again.")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except Exception as error:  # pypdf needs an extra crypto package for AES; either way we cannot read it
                raise ValueError(_locked()) from error
            if not unlocked:
                raise ValueError(_locked())
        pages = [_page_text(page) for page in reader.pages[:MAX_PDF_PAGES]]
    except ValueError:
        raise
    except Exception as error:  # pypdf raises many kinds (PdfReadError, struct and zlib errors…) for damaged files
        raise ValueError("This PDF could not be read (it may be damaged): try exporting it again.") from error
    return _pdf_markdown("\n\n".join(pages))


def _locked() -> str:
    return "This PDF is password-protected: remove the protection (print it to a new PDF) or paste the text."


def _page_text(page: PageObject) -> str:
    try:
        return page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode is newer and stricter; plain mode reads what it cannot
        return page.extract_text() or ""


def _pdf_markdown(text: str) -> str:
    out: list[str] = []
    for raw in text.replace("\r", "\n").split("\n"):
        line = re.sub(r"\s{4,}", " | ", raw.strip())
        line = re.sub(r"\s{2,}", " ", line).replace("\u00ad", "-")
        if not line:
            if out and out[-1] != "":
                out.append("")
            continue
        bullet = _BULLET.match(line)
        if bullet or re.match(r"^[-–*]\s+\S", line):
            line = "- " + line[bullet.end() if bullet else 1 :].strip()
        if _ITEM.match(line):
            if out and out[-1] and not _ITEM.match(out[-1]):
                out.append("")
            out.append(line)
            continue
        label = line.rstrip(":").strip()
        if label.lower() in _SECTIONS or (
            len(label.split()) <= 4 and sum(c.isalpha() for c in label) >= 3 and label.isupper()
        ):
            out.extend(["", "## " + (label.title() if label.isupper() else label), ""])
            continue
        previous = out[-1] if out else ""
        if previous and not previous.startswith("#") and _continues(previous, line):
            if previous.endswith("-") and previous[-2:-1].isalpha():
                # A word broken at the line end: drop the hyphen before a lower-case rest, keep it otherwise.
                out[-1] = (previous[:-1] if line[0].islower() else previous) + line
            else:
                out[-1] = previous + " " + line
            continue
        if previous:
            out.append("")
        out.append(line)
    return "\n".join(out)


def _continues(previous: str, line: str) -> bool:
    """Is `line` the wrapped rest of `previous`? Conservative: unsure means a new paragraph."""
    if " | " in previous or " | " in line:
        return False
    last = previous.rsplit(" ", 1)[-1].lower()
    return line[0].islower() or previous.endswith((",", "(", "/", "-", "–", "&")) or last in _CONNECTIVES
