"""Making feed text safe and comparable: sanitized HTML, plain text, canonical URLs."""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3
from bs4 import BeautifulSoup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre",
    "strong", "sub", "sup", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
URL_SCHEMES = {"http", "https", "mailto"}

_TRACKING = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi|"
    r"mkt_tok|ref_src|cmpid|ncid|sr_share|guccounter)$",
    re.IGNORECASE,
)
# Characters a browser ignores inside a URL scheme, used to smuggle "javascript:".
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def sanitize_html(fragment: str) -> str:
    """Keep a small allowlist of inline and block tags; links only to http(s) and mailto."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, whitespace collapsed (for scoring and email)."""
    if "<" not in fragment and "&" not in fragment:
        return _collapse(fragment)
    text = BeautifulSoup(fragment, "html.parser").get_text(" ")
    return _collapse(text)


def clean_title(raw: str) -> str:
    """A title as plain text: tags removed, entities decoded, whitespace collapsed."""
    text = html_to_text(raw) if "<" in raw else html.unescape(raw)
    return _collapse(text)


def safe_link(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link once invisible characters are removed."""
    if not url:
        return None
    compact = _INVISIBLE.sub("", url)
    parts = urlsplit(compact)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return compact


def canonical_url(url: str) -> str:
    """One spelling per article: lowercase host, no fragment, no tracking or AMP variants."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.startswith(("m.", "amp.", "mobile.")):
        host = host.split(".", 1)[1]
    if host.startswith("www."):
        host = host[4:]
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    path = re.sub(r"(/amp/?|\.amp)$", "", parts.path) or "/"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(key) and key.lower() not in ("amp", "outputtype")
    ]
    return urlunsplit(("https", host + port, path.rstrip("/") or "/", urlencode(query), ""))


def _collapse(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", " ", text).strip()
