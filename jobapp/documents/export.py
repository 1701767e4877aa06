"""Downloads of a generated document: PDF (fpdf2), DOCX (python-docx) and the Markdown source itself.

Both renderers draw the same blocks (`_blocks.parse`): headings, paragraphs, bullet and numbered lists
(nested), bold, italic, inline code, code blocks, quotes and rules. Links become text (with the address
in brackets when it differs). Raw HTML in the Markdown is never interpreted: it is dropped from PDF and
DOCX (the text between inline tags stays; <script>/<style> contents go) and backslash-escaped in the
Markdown download so that a viewer shows it as text.

Fonts for the PDF: DejaVu Sans (Debian's `fonts-dejavu-core`, on the project's machine image) covers
accented Latin, Greek, Cyrillic and typographic punctuation. The directory can be set with
JOBAPP_PDF_FONT_DIR. Without DejaVu the PDF falls back to the core Helvetica font in Windows-1252,
which still has "é", "ü", "–", "—", "’", "“", "•" and "€"; any other character is reduced to its
unaccented form or "?" (said here because the PDF gives no warning).
"""

from __future__ import annotations

import html
import io
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from docx import Document as new_docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from fpdf import FPDF, FontFace, TextStyle

from jobapp.documents._blocks import Block, Run, clean, neutralise_html, parse

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu",  # Fedora, Arch
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)
# style → file name; italics come from fonts-dejavu-extra, and fall back to upright when it is missing.
_SANS = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
_MONO = {"": "DejaVuSansMono.ttf", "B": "DejaVuSansMono-Bold.ttf"}


@dataclass(frozen=True)
class PdfFonts:
    """TTF files per style ("", "B", "I", "BI") for the body text and for code."""

    sans: dict[str, Path]
    mono: dict[str, Path]


@cache
def find_fonts() -> PdfFonts | None:
    """Locate DejaVu Sans (regular is required; other styles fall back to it)."""
    override = os.environ.get("JOBAPP_PDF_FONT_DIR")
    for folder in ((override,) if override else ()) + _FONT_DIRS:
        root = Path(folder)
        if not (root / _SANS[""]).is_file():
            continue
        sans = {style: root / name for style, name in _SANS.items() if (root / name).is_file()}
        mono = {style: root / name for style, name in _MONO.items() if (root / name).is_file()}
        sans.setdefault("B", sans[""])
        sans.setdefault("I", sans[""])
        sans.setdefault("BI", sans["B"])
        if "" not in mono:
            mono = {"": sans[""]}
        mono.setdefault("B", mono[""])
        return PdfFonts(sans=sans, mono=mono)
    return None


def to_markdown_file(markdown: str) -> bytes:
    """The Markdown source as a UTF-8 file, raw HTML escaped, ending in one newline."""
    text = clean(markdown.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")
    return (neutralise_html(text) + "\n").encode("utf-8")


# --- PDF ---------------------------------------------------------------------------------------------

_TYPOGRAPHY = str.maketrans({"\u2212": "-", "\u2010": "-", "\u2011": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " "})


def _to_cp1252(text: str) -> str:
    """What the core fonts can show: Windows-1252, else the unaccented letter, else "?"."""
    out = []
    for char in text.translate(_TYPOGRAPHY):
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            try:
                base.encode("cp1252")
                out.append(base or "?")
            except UnicodeEncodeError:
                out.append("?")
    return "".join(out)


def to_pdf(markdown: str, title: str) -> bytes:
    """Render Markdown to an A4 PDF; `title` goes into the document properties."""
    return render_pdf(markdown, title, find_fonts())


def render_pdf(markdown: str, title: str, fonts: PdfFonts | None) -> bytes:
    """`to_pdf` with the fonts chosen by the caller (None: the core-font fallback)."""
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    if fonts is not None:
        for style, path in fonts.sans.items():
            pdf.add_font("body", style, str(path))
        for style, path in fonts.mono.items():
            pdf.add_font("mono", style, str(path))
        body, mono, text_of, bullets = "body", "mono", str, ("•", "◦")
    else:
        pdf.core_fonts_encoding = "cp1252"
        body, mono, text_of, bullets = "helvetica", "courier", _to_cp1252, ("•", "-")
    pdf.set_title(text_of(title))
    pdf.set_creator("jobapp")
    pdf.add_page()
    pdf.set_font(body, size=10.5)
    pdf.set_text_color(25, 25, 25)
    heading = {1: 20, 2: 14, 3: 12, 4: 11, 5: 10.5, 6: 10.5}
    styles: dict[str, FontFace] = {
        f"h{level}": TextStyle(
            font_family=body,
            font_style="B",
            font_size_pt=size,
            color="#111111",
            t_margin=5 if level > 1 else 0,
            b_margin=0.3,
        )
        for level, size in heading.items()
    }
    styles["code"] = FontFace(family=mono)
    styles["pre"] = TextStyle(font_family=mono, font_size_pt=9, t_margin=2)
    styles["blockquote"] = TextStyle(color="#444444", t_margin=2, b_margin=2, l_margin=6)
    styles["p"] = TextStyle(t_margin=1.5)
    styles["li"] = TextStyle(l_margin=5, t_margin=1)
    styles["ul"] = TextStyle(t_margin=1)
    styles["ol"] = TextStyle(t_margin=1)
    pdf.write_html(
        _html(parse(markdown), text_of, bullets),
        font_family=body,
        tag_styles=styles,
        li_prefix_color=(60, 60, 60),
        warn_on_tags_not_matching=False,
    )
    return bytes(pdf.output())


def _html(blocks: list[Block], text_of: Callable[[str], str], bullets: tuple[str, str]) -> str:
    """The HTML subset fpdf2 draws; every piece of text is escaped, so none of it can become markup."""
    out: list[str] = []
    open_lists: list[str] = []  # "ul"/"ol" per depth

    def runs(items: tuple[Run, ...]) -> str:
        parts = []
        for run in items:
            text = html.escape(text_of(run.text)).replace("\n", "<br>")
            if run.code:
                text = f"<code>{text}</code>"
            if run.italic:
                text = f"<i>{text}</i>"
            if run.bold:
                text = f"<b>{text}</b>"
            parts.append(text)
        return "".join(parts)

    for block in blocks:
        depth = block.level if block.kind in ("bullet", "number") else 0
        tag = "ol" if block.kind == "number" else "ul"
        while len(open_lists) > depth or (depth and len(open_lists) == depth and open_lists[-1] != tag):
            out.append(f"</{open_lists.pop()}>")
        while len(open_lists) < depth:
            if tag == "ol":
                start = block.number if len(open_lists) == depth - 1 else 1
                out.append(f'<ol start="{start}">')
            else:
                out.append(f'<ul type="{bullets[0] if not open_lists else bullets[1]}">')
            open_lists.append(tag)
        if block.kind in ("bullet", "number"):
            out.append(f"<li>{runs(block.runs)}</li>")
        elif block.kind == "heading":
            out.append(f"<h{block.level}>{runs(block.runs)}</h{block.level}>")
        elif block.kind == "code":
            out.append(f"<pre>{html.escape(text_of(block.text))}</pre>")
        elif block.kind == "quote":
            out.append(f"<blockquote>{runs(block.runs)}</blockquote>")
        elif block.kind == "rule":
            out.append("<hr>")
        else:
            out.append(f"<p>{runs(block.runs)}</p>")
    out.extend(f"</{tag}>" for tag in reversed(open_lists))
    return "\n".join(out)


# --- DOCX --------------------------------------------------------------------------------------------


def to_docx(markdown: str, title: str) -> bytes:
    """Render Markdown to a Word document; `title` goes into the document properties."""
    doc = new_docx()
    doc.core_properties.title = clean(title)
    for block in parse(markdown):
        if block.kind == "heading":
            _add_runs(doc.add_heading(level=min(block.level, 9)), block.runs)
        elif block.kind == "bullet":
            style = "List Bullet" if block.level <= 1 else f"List Bullet {min(block.level, 3)}"
            _add_runs(doc.add_paragraph(style=style), block.runs)
        elif block.kind == "number":
            # Literal numbers: Word's "List Number" style would continue counting across separate lists.
            paragraph = doc.add_paragraph()
            paragraph.paragraph_format.left_indent = Cm(0.63 * block.level)
            paragraph.paragraph_format.first_line_indent = Cm(-0.63)
            paragraph.add_run(f"{block.number}.\t")
            _add_runs(paragraph, block.runs)
        elif block.kind == "code":
            _add_runs(doc.add_paragraph(), block.runs)
        elif block.kind == "quote":
            _add_runs(doc.add_paragraph(style="Quote"), block.runs)
        elif block.kind == "rule":
            _add_rule(doc.add_paragraph())
        else:
            paragraph = doc.add_paragraph()
            if block.level:
                paragraph.paragraph_format.left_indent = Cm(0.63 * block.level)
            _add_runs(paragraph, block.runs)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _add_runs(paragraph: Paragraph, runs: tuple[Run, ...]) -> None:
    for item in runs:
        run = paragraph.add_run(item.text)  # python-docx turns "\n" into a line break
        run.bold = item.bold or None
        run.italic = item.italic or None
        if item.code:
            run.font.name = "Courier New"
            run.font.size = Pt(9.5)


def _add_rule(paragraph: Paragraph) -> None:
    """A bottom border: python-docx has no horizontal-rule API, so write the one OOXML element."""
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "999999")):
        bottom.set(qn(key), value)
    border.append(bottom)
    paragraph._p.get_or_add_pPr().append(border)
