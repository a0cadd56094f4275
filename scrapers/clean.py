"""Making feed text safe and comparable: inert text, sanitized HTML, checked and canonical URLs.

Everything a feed sends is hostile. `inert_text` is the one gate every string from a feed goes
through before it is stored, printed or written: it removes what a terminal, an XML writer or
a bidi-aware renderer would act on. `web_url` is the one place a URL is judged; it never
raises, whatever the string.
"""

from __future__ import annotations

import html
import ipaddress
import re
import socket
import unicodedata
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import nh3
from bs4 import BeautifulSoup, Tag
from unidecode import unidecode

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre",
    "strong", "sub", "sup", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_URL = 4096

_TRACKING = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi|"
    r"mkt_tok|ref_src|cmpid|ncid|sr_share|guccounter)$",
    re.IGNORECASE,
)
# Terminal escape sequences, 7-bit and 8-bit: CSI (colours, cursor moves), OSC (window
# titles, hyperlinks), DCS/SOS/PM/APC strings, and two-character escapes.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[PX^_][^\x1b\x9c\n]*(?:\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x9c\x1b\n]*[\x07\x9c]?"
)
# C0 and C1 controls but tab, newline and carriage return; bidi embeddings, overrides and
# isolates; lone surrogates and the two non-characters no XML document may contain.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
# Characters a browser ignores inside a URL, used to smuggle "javascript:".
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
# Characters that may not appear raw in a URL; percent-encoded so no URL can break out of
# an HTML attribute, a Markdown header line or an email header.
_UNSAFE_IN_URL = re.compile(r"[\s\"<>\\^`{|}\u200b-\u200f\u2060-\u2064\ufeff]")
_HOSTNAME = re.compile(r"[\w-]+(\.[\w-]+)*\.?")


def inert_text(text: str) -> str:
    """Feed text with nothing left that a terminal, XML writer or renderer would act on."""
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def sanitize_html(fragment: str, base: str | None = None) -> str:
    """Keep a small allowlist of inline and block tags; links only to http(s) and mailto,
    a relative one resolved against `base` (the feed's or the entry's address)."""
    return nh3.clean(
        inert_text(fragment),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute if base is None else _LinksFrom(base),
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    """An href survives only as an absolute http(s) or mailto link (no empty, no relative)."""
    if name != "href":
        return value
    if urlsplit_scheme(value.strip()) == "mailto":
        return value
    return web_url(value)


class _LinksFrom:
    """`_keep_attribute`, a relative href first resolved against a base address."""

    def __init__(self, base: str):
        self.base = base

    def __call__(self, tag: str, name: str, value: str) -> str | None:
        if name == "href" and value.strip() and not urlsplit_scheme(value.strip()):
            try:
                value = urljoin(self.base, value.strip())
            except ValueError:
                return None
        return _keep_attribute(tag, name, value)


def html_to_text(fragment: str, blocks: bool = False) -> str:
    """The text of an HTML fragment: the one way the project reads HTML as text (Beautiful
    Soup), inert. On one line, whitespace collapsed (for scoring, titles, subjects); or with
    `blocks`, each paragraph and list item kept apart and a link as `text (url)` (for the
    plain-text email)."""
    fragment = inert_text(fragment)
    if "<" not in fragment:  # no markup: only character references to read (a title)
        return _collapse(inert_text(html.unescape(fragment)) if "&" in fragment else fragment)
    soup = BeautifulSoup(fragment, "html.parser")
    # Blocks are apart; inline elements are not ("<em>one</em>, two" reads "one, two").
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before(" ")
        tag.insert_after(" ")
    if not blocks:
        return _collapse(inert_text(soup.get_text()))
    for link in soup.find_all("a"):
        href, text = link.get("href"), link.get_text()
        if href and href != text:
            link.replace_with(f"{text} ({href})")
    parts: list[str] = []
    for node in soup.children:
        if isinstance(node, Tag) and node.name in ("ul", "ol"):
            items = [_collapse(li.get_text()) for li in node.find_all("li")]
            parts.append("\n".join(f"- {item}" for item in items))
        else:
            parts.append(_collapse(node.get_text() if isinstance(node, Tag) else str(node)))
    return inert_text("\n\n".join(part for part in parts if part))


# Elements that stand apart from the text around them (their text never runs into it).
_BLOCKS = [
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li",
    "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
]  # fmt: skip


def clean_title(raw: str) -> str:
    """A title as plain text on one line: tags removed, entities decoded, inert."""
    raw = inert_text(raw)
    text = html_to_text(raw) if "<" in raw else html.unescape(raw)
    return _collapse(inert_text(text))


def clean_name(raw: str) -> str:
    """A short label from outside (a source or author name): inert, on one line."""
    return _collapse(inert_text(raw))


def web_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL with a valid host and port, else None.

    Never raises. The result has no whitespace, quotes or angle brackets (they are
    percent-encoded), so it is safe inside an HTML attribute, a header line or Markdown.
    """
    if not url:
        return None
    text = _CONTROLS.sub("", _ESCAPES.sub("", url)).strip()
    # A browser drops these before reading the scheme: "java\tscript:" is javascript.
    if urlsplit_scheme(_INVISIBLE.sub("", text)) not in ("http", "https"):
        return None
    text = _UNSAFE_IN_URL.sub(lambda m: quote(m.group(), safe=""), text)
    if len(text) > MAX_URL:
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a bad port ("8O80", "99999") or IPv6 literal ("[::1")
        return None
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or not host or port == 0:
        return None
    if not _valid_host(host):
        return None
    return text


def urlsplit_scheme(url: str) -> str:
    """The lower-cased scheme of a URL-like string ('' if none); never raises."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
    return match.group(1).lower() if match else ""


def without_tracking(url: str) -> str:
    """The same link without tracking parameters (utm_*, fbclid...): what a draft cites."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in pairs if not _TRACKING.match(key)]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def canonical_url(url: str) -> str:
    """One spelling per article: lowercase host, no fragment, no tracking or AMP variants."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url.strip().lower()
    host = (parts.hostname or "").lower()
    if host.startswith(("m.", "amp.", "mobile.")):
        host = host.split(".", 1)[1]
    if host.startswith("www."):
        host = host[4:]
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port_part = f":{port}" if port and port not in (80, 443) else ""
    path = re.sub(r"(/amp/?|\.amp)$", "", parts.path) or "/"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(key) and key.lower() not in ("amp", "outputtype")
    ]
    return urlunsplit(("https", host + port_part, path.rstrip("/") or "/", urlencode(query), ""))


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# Names that never leave this machine or its network (RFC 6761, RFC 6762, RFC 8375, ICANN).
_LOCAL_NAMES = re.compile(r"(?:^|\.)(?:localhost|local|internal|intranet|lan|home\.arpa)\.?$")


def internal_address(address: Address) -> bool:
    """Loopback, private, link-local (and unspecified, multicast, reserved) addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )


def literal_address(host: str) -> Address | None:
    """The IP address a URL's host spells, in any form a resolver accepts (127.1,
    0x7f000001, 2130706433, [::1]); None for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if not re.fullmatch(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}", host, re.I):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # inet_aton's old forms
    except OSError:
        return None


def internal_host(host: str) -> bool:
    """Whether a URL's host is this machine or a private network, judged without asking
    DNS: an internal address in any spelling, or a name reserved for local use."""
    host = host.lower()
    address = literal_address(host)
    if address is not None:
        return internal_address(address)
    return bool(_LOCAL_NAMES.search(host))


SUMMARY_MAX = 20_000  # characters of a summary the store keeps: no entry can slow the desk


def cut_at_word(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at the last word that fits, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 2]
    space = cut.rfind(" ", 0, len(cut))
    return (cut[:space] if space > limit // 2 else cut).rstrip() + " …"


SLUG_MAX = 80  # bytes: short enough for any file system and URL, long enough to read
# Names Windows reserves for devices, whatever the extension: "con.md" cannot be opened there.
RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{kind}{n}" for kind in ("com", "lpt") for n in range(10)]
)


def slugify(text: str, max_words: int | None = None) -> str:
    """A file and URL name for `text`: ASCII letters, digits and hyphens, at most 80 bytes.

    Other scripts are transliterated (Unidecode, as Pelican's own slugs are), so a Chinese
    title reads as pinyin rather than "item"; device names like "con" get a suffix.
    """
    ascii_text = unidecode(inert_text(text)).lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)[:max_words]
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > SLUG_MAX:
            break
        slug = longer
    if not slug and words:
        slug = words[0][:SLUG_MAX]
    slug = slug or "item"
    return f"{slug}-item" if slug in RESERVED_NAMES else slug


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a file and a page (None when it can)."""
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
        return f"slug {slug!r} must be lower-case ASCII letters, digits and single hyphens"
    if len(slug) > SLUG_MAX:
        return f"slug {slug!r} is {len(slug)} characters long (at most {SLUG_MAX})"
    if slug in RESERVED_NAMES:
        return f"slug {slug!r} is a reserved device name on Windows; add a word"
    return None


def _valid_host(host: str) -> bool:
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    return len(host) <= 253 and _HOSTNAME.fullmatch(host) is not None


def _collapse(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", " ", text).strip()
