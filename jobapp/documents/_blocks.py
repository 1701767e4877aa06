"""Markdown → a flat list of blocks that both exporters draw, so PDF and DOCX agree on what a CV says.

markdown-it-py parses (CommonMark, raw HTML recognised so that it can be dropped, never passed on);
links become their text, followed by the address when the two differ, because paper cannot be clicked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

BlockKind = Literal["heading", "paragraph", "bullet", "number", "code", "quote", "rule"]

# Characters XML 1.0 (so DOCX) refuses; PDFs would show them as boxes.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Text inside a dropped HTML block that a reader was never meant to see.
_HIDDEN_HTML = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")

_md = MarkdownIt("commonmark", {"html": True}).enable("strikethrough")


@dataclass(frozen=True)
class Run:
    """A stretch of text with one style; "\n" inside it is a line break."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    runs: tuple[Run, ...] = ()
    # Heading level (1–6), or list depth (1 = top level) for bullets, numbers and paragraphs inside a list item.
    level: int = 0
    # The item's number, for "number" blocks.
    number: int = 0

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


def clean(text: str) -> str:
    return _CONTROL.sub("", text)


def parse(markdown: str) -> list[Block]:
    """Parse Markdown into blocks; raw HTML is dropped (inline tags vanish, their text stays)."""
    blocks: list[Block] = []
    lists: list[list[int]] = []  # per open list: [is_ordered, next number]
    item_started: list[bool] = []  # per open list item: has its first paragraph been emitted?
    quote_depth = 0
    heading = 0
    for token in _md.parse(clean(markdown)):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            ordered = kind == "ordered_list_open"
            start = int(token.attrGet("start") or 1) if ordered else 0
            lists.append([int(ordered), start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            item_started.append(False)
        elif kind == "list_item_close":
            item_started.pop()
            if lists and lists[-1][0]:
                lists[-1][1] += 1
        elif kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind == "heading_open":
            heading = int(token.tag[1])
        elif kind == "heading_close":
            heading = 0
        elif kind == "hr":
            blocks.append(Block("rule"))
        elif kind in ("fence", "code_block"):
            blocks.append(Block("code", (Run(token.content.rstrip("\n"), code=True),), level=len(lists)))
        elif kind == "html_block":
            text = _TAG.sub(" ", _HIDDEN_HTML.sub(" ", token.content))
            if text.strip():
                blocks.append(Block("paragraph", (Run(" ".join(text.split())),), level=len(lists)))
        elif kind == "inline":
            runs = _inline(token.children or [])
            if not runs:
                continue
            if heading:
                blocks.append(Block("heading", runs, level=heading))
            elif item_started and not item_started[-1]:
                item_started[-1] = True
                ordered, number = lists[-1]
                blocks.append(Block("number" if ordered else "bullet", runs, level=len(lists), number=number))
            elif quote_depth:
                blocks.append(Block("quote", runs, level=len(lists)))
            else:
                blocks.append(Block("paragraph", runs, level=len(lists)))
    return blocks


def _inline(children: list[Token]) -> tuple[Run, ...]:
    runs: list[Run] = []
    bold = italic = 0
    links: list[str] = []  # hrefs of the open links
    link_text: list[str] = []
    hidden = False  # inside an inline <script> or <style>
    for child in children:
        kind = child.type
        if kind == "html_inline":
            opening = re.match(r"<\s*(/?)\s*(script|style)\b", child.content, re.IGNORECASE)
            if opening:
                hidden = not opening.group(1)
            continue
        if hidden:
            continue
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "link_open":
            links.append(str(child.attrGet("href") or ""))
            link_text.append("")
        elif kind == "link_close":
            href, text = links.pop(), link_text.pop()
            shown = href.removeprefix("mailto:")
            if shown and shown.rstrip("/") != text.strip().rstrip("/"):
                runs.append(Run(f" ({shown})", bold=bold > 0, italic=italic > 0))
        elif kind in ("text", "code_inline", "softbreak", "hardbreak", "image"):
            if kind == "softbreak":
                text = " "
            elif kind == "hardbreak":
                text = "\n"
            elif kind == "image":
                text = child.content  # the alt text; images are not embedded
            else:
                text = child.content
            if link_text:
                link_text[-1] += text
            runs.append(Run(text, bold=bold > 0, italic=italic > 0, code=kind == "code_inline"))
        # Anything else (html_inline included) is dropped.
    merged: list[Run] = []
    for run in runs:
        if not run.code:  # dropped HTML leaves doubled spaces behind
            text = re.sub(r" {2,}", " ", run.text)
            if merged and merged[-1].text.endswith(" "):
                text = text.lstrip(" ")
            run = Run(text, run.bold, run.italic, run.code)
        if not run.text:
            continue
        if merged and (merged[-1].bold, merged[-1].italic, merged[-1].code) == (run.bold, run.italic, run.code):
            merged[-1] = Run(merged[-1].text + run.text, run.bold, run.italic, run.code)
        else:
            merged.append(run)
    if merged and not "".join(r.text for r in merged).strip():
        return ()
    return tuple(merged)


# `<` that would open an HTML tag, comment or declaration in a Markdown viewer (not an autolink).
_HTML_START = re.compile(r"<(?=[A-Za-z/!?])(?![A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*>)(?![^\s<>@]+@[^\s<>]+>)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def neutralise_html(markdown: str) -> str:
    """Backslash-escape raw HTML so that a Markdown viewer shows it as text; code is left alone."""
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            out.append(line)
            continue
        if match:
            fence = match.group(1)
            out.append(line)
            continue
        pieces, last = [], 0
        for span in _CODE_SPAN.finditer(line):
            pieces.append(_HTML_START.sub(r"\\<", line[last : span.start()]))
            pieces.append(span.group(0))
            last = span.end()
        pieces.append(_HTML_START.sub(r"\\<", line[last:]))
        out.append("".join(pieces))
    return "\n".join(out)
