"""Pages that stand between us and the posting: bot checks, captchas, "enable JavaScript" shells and
sign-in pages. Each ends intake with a message asking the person to paste the description.

Only short pages are judged (under SHORT_PAGE characters of text): a real posting is long, and may
well mention "security check" or carry a captcha on its application form.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

SHORT_PAGE = 1500
PASTE = "Open the link in your browser, copy the posting and paste the description instead."

# Markup of the common bot-protection products, matched in the raw HTML (lower-cased).
_PRODUCT_MARKERS = (
    ("cf-browser-verification", "a Cloudflare bot check"),
    ("challenge-platform", "a Cloudflare bot check"),
    ("cf_chl_opt", "a Cloudflare bot check"),
    ("cf-turnstile", "a Cloudflare bot check"),
    ("captcha-delivery.com", "a DataDome bot check"),
    ("px-captcha", "a PerimeterX bot check"),
    ("_incapsula_resource", "an Imperva bot check"),
    ("awswaf", "an AWS bot check"),
    ("g-recaptcha", "a captcha"),
    ("h-captcha", "a captcha"),
    ("hcaptcha.com", "a captcha"),
)
_WALL_WORDS = re.compile(
    r"just a moment|attention required|checking your browser|captcha|are you a (robot|human)|"
    r"verify(ing)? (that )?you are (a )?human|unusual traffic|pardon our interruption|request blocked|"
    r"access denied|you don.t have permission to access|security check",
    re.I,
)
_JAVASCRIPT_WORDS = re.compile(
    r"enable javascript|javascript is (required|disabled|not enabled)|turn on javascript|enable js\b", re.I
)
_LOGIN_WORDS = re.compile(r"\b(sign[ -]?in|log[ -]?in|authwall)\b", re.I)


def blocked_reason(html: str, *, headers: dict[str, str] | None = None) -> str | None:
    """A message for the person when `html` is a wall rather than a posting; None when it is not."""
    if (headers or {}).get("cf-mitigated", "").lower() == "challenge":
        return f"The site showed a Cloudflare bot check instead of the posting. {PASTE}"
    tree = LexborHTMLParser(html)
    title = (tree.css_first("title").text(strip=True) if tree.css_first("title") else "").strip()
    heading = (tree.css_first("h1").text(strip=True) if tree.css_first("h1") else "").strip()
    for node in tree.css("script, style, template, svg"):
        node.decompose()
    body = tree.body
    text = " ".join((body.text(separator=" ") if body else "").split())
    if len(text) >= SHORT_PAGE:
        return None
    lowered = html.lower()
    for marker, label in _PRODUCT_MARKERS:
        if marker in lowered:
            return f"The site showed {label} instead of the posting. {PASTE}"
    if _WALL_WORDS.search(title) or _WALL_WORDS.search(text):
        return f"The site showed a bot check or an access-denied page instead of the posting. {PASTE}"
    if tree.css_first("input[type=password]") is not None or _LOGIN_WORDS.search(f"{title} {heading}"):
        return f"The page asks you to sign in before it shows the posting. {PASTE}"
    if _JAVASCRIPT_WORDS.search(text):
        return f"The page needs JavaScript to show the posting, which the app does not run. {PASTE}"
    return None
