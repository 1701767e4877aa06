"""The last resort: the main text of an ordinary page (a company careers page without JSON-LD).

The page's chrome (navigation, header, footer, forms, scripts) is removed, the longest `main` /
`article` block is kept (or the body when there is none) and turned into Markdown.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from jobapp.intake._markdown import html_to_markdown
from jobapp.intake.posting import Posting

MIN_TEXT = 200  # characters: less than this is not a posting
# Not `form`: some sites wrap the whole page in one.
CHROME = (
    "script, style, noscript, template, svg, nav, body > header, footer, aside, iframe, dialog, "
    "button, input, select, textarea"
)
CONTENT = "main, article, [role=main], [itemprop=description], #job-description, .job-description"


def read(html: str, url: str) -> Posting | None:
    """A Posting from the page's main text, or None when the page has too little text to be one."""
    tree = LexborHTMLParser(html)
    title = _first_text(tree, "h1") or _meta(tree, "og:title") or _first_text(tree, "title")
    company = _meta(tree, "og:site_name")
    for node in tree.css(CHROME):
        node.decompose()
    candidates = tree.css(CONTENT)
    best = max(candidates, key=_text_length, default=None) if candidates else tree.body
    if best is None or _text_length(best) < MIN_TEXT:
        return None
    return Posting(
        title=title[:300],
        company=company[:300],
        location="",
        description_markdown=html_to_markdown(best.html or ""),
        salary="",
        remote=None,
        source="page-text",
        url=url,
    )


def _text_length(node: LexborNode) -> int:
    return len(" ".join(node.text(separator=" ").split()))


def _first_text(tree: LexborHTMLParser, selector: str) -> str:
    node = tree.css_first(selector)
    return " ".join(node.text(separator=" ").split()) if node is not None else ""


def _meta(tree: LexborHTMLParser, prop: str) -> str:
    node = tree.css_first(f'meta[property="{prop}"]') or tree.css_first(f'meta[name="{prop}"]')
    return " ".join((node.attributes.get("content") or "").split()) if node is not None else ""
