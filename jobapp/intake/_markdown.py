"""Posting HTML → Markdown with no raw HTML left in it.

The HTML is sanitised first (nh3 keeps a short list of formatting tags, drops scripts, styles and
every attribute but link targets), converted with markdownify, and then every `<` that could open a
tag is escaped, so text such as "experience with <template> tags" cannot become live HTML in a
Markdown renderer that passes HTML through.
"""

from __future__ import annotations

import html
import re

import nh3
from markdownify import markdownify

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "ul",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
_TAG_OPENER = re.compile(r"(?<!\\)<(?=[A-Za-z/!?])")
_BLANK_LINES = re.compile(r"\n{3,}")
_ESCAPED_MARKUP = re.compile(r"&lt;\s*/?\s*(p|div|ul|ol|li|br|strong|b|em|h[1-6]|span)\b", re.I)


def html_to_markdown(fragment: str) -> str:
    """Markdown for an HTML fragment (a posting description)."""
    if not fragment or not fragment.strip():
        return ""
    if _ESCAPED_MARKUP.search(fragment) and "<" not in fragment:
        # Entity-encoded HTML (Greenhouse's API, some JSON-LD): decode once so tags become tags.
        fragment = html.unescape(fragment)
    clean = nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )
    text = markdownify(clean, heading_style="ATX", bullets="-", autolinks=False, strip=["img"])
    return tidy(text)


def text_to_markdown(text: str) -> str:
    """Plain text (an API's plain description) as Markdown: paragraphs kept, tag openers escaped."""
    return tidy(text.replace("\r\n", "\n"))


def tidy(markdown: str) -> str:
    """No raw HTML, no runs of blank lines, no trailing spaces."""
    markdown = _TAG_OPENER.sub(r"\\<", markdown)
    lines = [line.rstrip() for line in markdown.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
