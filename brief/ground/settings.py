"""The newsletter's settings, read once from `pelicanconf.py` into typed, checked records.

Pelican keeps settings as an untyped dict; this module is the one place that reads our
part of it. Every `BRIEF_*` setting is checked here when it is loaded (type, range,
finiteness, placeholders, addresses), and a bad value is a ConfigError naming the file and
the line of the setting, so the command stops with exit code 2 before doing anything.
"""

from __future__ import annotations

import logging
import math
import re
import string
import sys
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from brief.ground.addresses import check_address
from brief.ground.errors import ConfigError
from brief.ground.links import Urls
from scrapers.clean import inert_text, web_url
from scrapers.fetch import FetchLimits

DEFAULT_SECTIONS = ("Platforms", "Retail & brands", "Creators & hosts", "China & Asia", "Deals")
PREVIEW_URL = "http://127.0.0.1:8000"
DIGEST_BUDGET = 100_000  # bytes of inlined HTML; Gmail clips messages at about 102 KB


@dataclass(frozen=True)
class DigestSettings:
    sender: str = "Live Commerce Brief <brief@example.com>"
    reply_to: str | None = None
    unsubscribe_mailto: str | None = None
    postal_address: str | None = None  # required by CAN-SPAM in commercial email
    utm: dict[str, str] = field(default_factory=dict)
    # Clicks counted through the subscription service (`/r/...`, per issue and per story,
    # never per reader): "all" (the HTML and the text part), "html" (the text part keeps
    # direct links) or "off".
    clicks: Literal["all", "html", "off"] = "all"

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1] or self.sender


@dataclass(frozen=True)
class SubscriptionSettings:
    """The subscription service (`brief subscriptions serve`): where readers reach it, and
    how much one address or one client may ask of it."""

    url: str  # its public base URL, ending with /
    per_address: int = 3  # confirmation emails to one address per day
    per_client: int = 20  # subscribe requests from one client per hour
    secret_env: str = "BRIEF_SECRET"  # the environment variable holding the signing secret
    retry: float = 60.0  # seconds before a confirmation the mail server refused is retried
    max_body: int = 16_384  # bytes a request body may hold (413 beyond)
    body_timeout: float = 10.0  # seconds a client may take to send its body (408 beyond)

    @property
    def path(self) -> str:
        """The path the service answers under (its URL's path)."""
        return urlsplit(self.url).path


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password_env: str = "BRIEF_SMTP_PASSWORD"
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 2.0  # seconds, doubled at each retry of a temporary (4xx) error


@dataclass(frozen=True)
class Settings:
    """Everything the `brief` commands need; `pelican` keeps the raw dict for builds."""

    root: Path
    config_file: Path
    content: Path
    output: Path
    sitename: str
    siteurl: str
    timezone: ZoneInfo
    sections: tuple[str, ...]
    section_by_kind: dict[str, str]
    section_by_region: dict[str, str]
    db: Path
    ledger: Path
    feeds: Path
    entities: Path
    calendar: Path
    relevance: Path
    search: bool
    fetch: FetchLimits
    digest: DigestSettings
    markdown: dict[str, Any]
    pelican: dict[str, Any] = field(repr=False)  # for Pelican itself (building), nothing else
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    urls: Urls = field(default_factory=Urls)
    theme: Path = Path("themes/brief")
    subscriptions: SubscriptionSettings | None = None
    min_articles: int = 3
    digest_budget: int = DIGEST_BUDGET
    digests: bool = True

    @property
    def public_url(self) -> str:
        """The site's absolute URL, or the preview server's when none is set."""
        return (self.siteurl or PREVIEW_URL).rstrip("/")


def load_settings(config_file: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Read `pelicanconf.py` (or `publishconf.py`) with Pelican's own loader."""
    if not config_file.is_file():
        raise ConfigError(
            "no settings file here: run brief in the newsletter repository "
            "(the folder that holds pelicanconf.py)",
            config_file,
        )
    from pelican.settings import read_settings  # Pelican is slow to import; only here.

    # Pelican warns about feed URLs while reading settings; that only matters to a build.
    pelican_log = logging.getLogger("pelican.settings")
    level = pelican_log.level
    pelican_log.setLevel(logging.ERROR)
    # publishconf.py imports pelicanconf: the one next to it, read afresh each time (not a
    # module cached from another newsletter, or from before an edit).
    folder = str(config_file.resolve().parent)
    sys.modules.pop("pelicanconf", None)
    sys.path.insert(0, folder)
    try:
        raw = read_settings(str(config_file), override=overrides or None)
    except Exception as err:  # a settings file is Python: anything can go wrong in it
        line = getattr(err, "lineno", None)
        raise ConfigError(f"cannot load settings: {err}", config_file, line) from err
    finally:
        pelican_log.setLevel(level)
        sys.path.remove(folder)
        sys.modules.pop("pelicanconf", None)
    return settings_from_dict(raw, config_file.resolve().parent, config_file)


def pelican_settings(raw: dict[str, Any]) -> Settings:
    """Our settings from the dict Pelican hands its plugins (the repository is the parent
    of its content PATH)."""
    return settings_from_dict(raw, Path(raw["PATH"]).resolve().parent)


def settings_from_dict(
    raw: dict[str, Any], root: Path, config_file: Path | None = None
) -> Settings:
    """Typed settings from Pelican's dict; `root` is the newsletter repository."""
    check = _Checker(raw, config_file or root / "pelicanconf.py")
    unknown = sorted(k for k in raw if k.startswith("BRIEF_") and k not in KNOWN)
    if unknown:
        raise check.fail(unknown[0], f"unknown setting (known: {', '.join(sorted(KNOWN))})")

    def path(key: str, default: str) -> Path:
        value = Path(check.text(key, default))
        return value if value.is_absolute() else root / value

    tz_name = str(raw.get("TIMEZONE") or "UTC")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise check.fail("TIMEZONE", f"unknown time zone {tz_name!r}") from err
    sections = check.sections()
    siteurl = str(raw.get("SITEURL", "") or "")
    if siteurl and web_url(siteurl) != siteurl:
        raise check.fail("SITEURL", f"must be an absolute http(s) URL, not {siteurl!r}")
    for key in URL_PATTERNS:
        check.pattern(key, {"slug"})
    return Settings(
        root=root,
        config_file=check.file,
        content=Path(raw["PATH"]),
        output=Path(raw["OUTPUT_PATH"]),
        sitename=str(raw.get("SITENAME", "Live Commerce Brief")),
        siteurl=siteurl,
        timezone=timezone,
        sections=sections,
        section_by_kind=check.section_map("BRIEF_SECTION_BY_KIND", sections),
        section_by_region=check.section_map("BRIEF_SECTION_BY_REGION", sections),
        db=path("BRIEF_DB", "data/brief.sqlite"),
        ledger=path("BRIEF_LEDGER", "data/written.json"),
        feeds=path("BRIEF_FEEDS", "feeds.toml"),
        entities=path("BRIEF_ENTITIES", "content/entities.toml"),
        calendar=path("BRIEF_CALENDAR", "content/calendar.toml"),
        relevance=path("BRIEF_RELEVANCE", "relevance.toml"),
        search=check.flag("BRIEF_SEARCH", True),
        digests=check.flag("BRIEF_DIGESTS", True),
        fetch=check.fetch(),
        smtp=check.smtp(),
        digest=check.digest(),
        min_articles=check.integer("BRIEF_MIN_ARTICLES", 3, 0, 1000),
        digest_budget=check.integer("BRIEF_DIGEST_BUDGET", DIGEST_BUDGET, 1000, 10_000_000),
        markdown=dict(raw.get("MARKDOWN", {})),
        pelican=raw,
        urls=check.urls(),
        subscriptions=check.subscriptions(),
        theme=Path(str(raw.get("THEME", "themes/brief"))),
    )


KNOWN = {
    "BRIEF_CALENDAR",
    "BRIEF_SECTIONS", "BRIEF_SECTION_BY_KIND", "BRIEF_SECTION_BY_REGION", "BRIEF_MIN_ARTICLES",
    "BRIEF_FEEDS", "BRIEF_DB", "BRIEF_LEDGER", "BRIEF_ENTITIES", "BRIEF_RELEVANCE",
    "BRIEF_SEARCH", "BRIEF_DIGESTS", "BRIEF_FETCH", "BRIEF_SMTP", "BRIEF_DIGEST",
    "BRIEF_DIGEST_BUDGET", "BRIEF_ISSUES_FEED", "BRIEF_ISSUE_URL", "BRIEF_ISSUE_SAVE_AS",
    "BRIEF_ENTITY_URL", "BRIEF_ENTITY_FEED", "BRIEF_SOURCE_URL", "BRIEF_SUBSCRIPTIONS",
}  # fmt: skip
URL_PATTERNS = (
    "BRIEF_ISSUE_URL", "BRIEF_ISSUE_SAVE_AS", "BRIEF_ENTITY_URL", "BRIEF_ENTITY_FEED",
    "BRIEF_SOURCE_URL",
)  # fmt: skip
_FETCH_LIMITS: dict[str, tuple[type, float, float]] = {
    "connect_timeout": (float, 0.1, 600),
    "deadline": (float, 0.1, 3600),
    "max_bytes": (int, 1024, 1024**3),
    "max_redirects": (int, 0, 20),
    "per_host": (int, 1, 64),
    "concurrency": (int, 1, 1024),
}


class _Checker:
    """Checks one setting at a time; a failure names the file and the setting's line."""

    def __init__(self, raw: dict[str, Any], file: Path):
        self.raw = raw
        self.file = file
        self._texts: list[tuple[Path, list[str]]] | None = None

    # -- where ---------------------------------------------------------------------------

    def fail(self, key: str, message: str, inner: str | None = None) -> ConfigError:
        path, line = self._locate(key, inner)
        name = f"{key}[{inner!r}]" if inner else key
        return ConfigError(f"{name}: {message}", path, line)

    def _locate(self, key: str, inner: str | None) -> tuple[Path, int | None]:
        """The file and line that set `key` (and its `inner` key): this file or the one it
        imports (publishconf.py imports pelicanconf.py)."""
        if self._texts is None:
            self._texts = []
            for path in dict.fromkeys([self.file, self.file.parent / "pelicanconf.py"]):
                try:
                    self._texts.append((path, path.read_text(encoding="utf-8").splitlines()))
                except (OSError, UnicodeDecodeError):
                    continue
        assignment = re.compile(rf"^{re.escape(key)}\s*(:[^=]*)?=")
        for path, lines in self._texts:
            starts = [n for n, line in enumerate(lines, 1) if assignment.match(line)]
            if not starts:
                continue
            number = starts[-1]  # the last assignment is the one Python keeps
            if inner is None:
                return path, number
            entry = re.compile(rf"""["']{re.escape(inner)}["']\s*:""")
            for offset, later in enumerate(lines[number - 1 :]):
                if offset and re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*(:[^=]*)?=", later):
                    break
                if entry.search(later):
                    return path, number + offset
            return path, number
        return self.file, None

    # -- kinds of values -----------------------------------------------------------------

    def text(self, key: str, default: str, raw: Any = None, inner: str | None = None) -> str:
        value = self.raw.get(key, default) if inner is None else raw
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string, not {value!r}", inner)
        if inert_text(value) != value or "\n" in value or "\r" in value:
            raise self.fail(key, "must not contain line breaks or control characters", inner)
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be True or False, not {value!r}")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        return int(self.number(key, self.raw.get(key, default), int, low, high))

    def number(
        self, key: str, value: Any, kind: type, low: float, high: float, inner: str | None = None
    ) -> float:
        what = "a whole number" if kind is int else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be {what}, not {value!r}", inner)
        if kind is int and not float(value).is_integer():
            raise self.fail(key, f"must be {what}, not {value!r}", inner)
        if not math.isfinite(value) or not low <= value <= high:
            raise self.fail(key, f"must be {what} from {low:g} to {high:g}, not {value!r}", inner)
        return int(value) if kind is int else float(value)

    def mapping(self, key: str, known: Any = None) -> dict[str, Any]:
        value = self.raw.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a dict like {{'name': value}}, not {value!r}")
        for name in value:
            if not isinstance(name, str):
                raise self.fail(key, f"keys must be strings, not {name!r}")
            if known is not None and name not in known:
                listed = ", ".join(known)
                raise self.fail(key, f"unknown key (known: {listed})", name)
        return value

    def pattern(self, key: str, fields: set[str]) -> None:
        if key not in self.raw:
            return
        value = self.text(key, "")
        used = _placeholders(value)
        if used is None:
            raise self.fail(key, "has a stray { or }: write {{ or }} for a literal brace")
        if used - fields:
            allowed = ", ".join(f"{{{f}}}" for f in sorted(fields))
            raise self.fail(
                key, f"unknown placeholder {{{sorted(used - fields)[0]}}} (use {allowed})"
            )

    def address(self, key: str, value: Any, inner: str, named: bool) -> str:
        """An email address (with a display name when `named`): no line break, valid."""
        text = self.text(key, "", value, inner)
        name, address = parseaddr(text)
        if not named and name:
            raise self.fail(key, f"must be a bare address, not {text!r}", inner)
        try:
            check_address(address)
        except ValueError as err:
            raise self.fail(key, str(err), inner) from None
        return text

    # -- settings ------------------------------------------------------------------------

    def urls(self) -> Urls:
        """Pelican's article URL patterns and ours, as one record."""
        defaults = Urls()

        def text(key: str, default: str) -> str:
            return str(self.raw.get(key) or default)

        feed = self.raw.get("BRIEF_ISSUES_FEED", defaults.issues_feed)
        if feed is not None and (not isinstance(feed, str) or not feed.strip()):
            raise self.fail(
                "BRIEF_ISSUES_FEED", "must be a path like feeds/issues.atom.xml, or None"
            )
        return Urls(
            article=text("ARTICLE_URL", defaults.article),
            draft=text("DRAFT_URL", defaults.draft),
            issue=text("BRIEF_ISSUE_URL", defaults.issue),
            issue_save_as=text("BRIEF_ISSUE_SAVE_AS", defaults.issue_save_as),
            entity=text("BRIEF_ENTITY_URL", defaults.entity),
            entity_feed=text("BRIEF_ENTITY_FEED", defaults.entity_feed),
            source=text("BRIEF_SOURCE_URL", defaults.source),
            issues_feed=feed,
        )

    def sections(self) -> tuple[str, ...]:
        key = "BRIEF_SECTIONS"
        value = self.raw.get(key, DEFAULT_SECTIONS)
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise self.fail(
                key, f'must be a list of names, like ["Platforms", "Deals"], not {value!r}'
            )
        if not value or not all(isinstance(s, str) and s.strip() for s in value):
            raise self.fail(key, "must be a non-empty list of non-empty names")
        if len(set(value)) != len(value):
            raise self.fail(key, "names a section twice")
        return tuple(value)

    def section_map(self, key: str, sections: tuple[str, ...]) -> dict[str, str]:
        value = self.mapping(key)
        for name, section in value.items():
            if section not in sections:
                raise self.fail(key, f"{section!r} is not in BRIEF_SECTIONS", name)
        return dict(value)

    def fetch(self) -> FetchLimits:
        key = "BRIEF_FETCH"
        value = self.mapping(key, _FETCH_LIMITS)
        checked = {
            name: self.number(key, value[name], kind, low, high, name)
            for name, (kind, low, high) in _FETCH_LIMITS.items()
            if name in value
        }
        return FetchLimits(**checked)  # type: ignore[arg-type]

    def smtp(self) -> SmtpSettings:
        key = "BRIEF_SMTP"
        fields = SmtpSettings.__dataclass_fields__
        value = self.mapping(key, list(fields))
        defaults = SmtpSettings()
        get = value.get
        host = self.text(key, "", get("host", defaults.host), "host")
        if re.search(r"[\s/@]", host):
            raise self.fail(key, f"must be a host name or address, not {host!r}", "host")
        security = get("security", defaults.security)
        if security not in ("starttls", "ssl", "none"):
            raise self.fail(
                key, f"must be 'starttls', 'ssl' or 'none', not {security!r}", "security"
            )
        user = get("user")
        if user is not None:
            user = self.text(key, "", user, "user")
        password_env = self.text(
            key, "", get("password_env", defaults.password_env), "password_env"
        )
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
            raise self.fail(key, "must name an environment variable", "password_env")
        return SmtpSettings(
            host=host,
            port=int(self.number(key, get("port", defaults.port), int, 1, 65535, "port")),
            security=security,
            user=user,
            password_env=password_env,
            timeout=self.number(key, get("timeout", defaults.timeout), float, 0.1, 600, "timeout"),
            retries=int(self.number(key, get("retries", defaults.retries), int, 0, 10, "retries")),
            backoff=self.number(key, get("backoff", defaults.backoff), float, 0, 600, "backoff"),
        )

    def digest(self) -> DigestSettings:
        key = "BRIEF_DIGEST"
        fields = DigestSettings.__dataclass_fields__
        value = self.mapping(key, list(fields))
        defaults = DigestSettings()
        sender = self.address(key, value.get("sender", defaults.sender), "sender", named=True)
        reply_to = value.get("reply_to")
        if reply_to is not None:
            reply_to = self.address(key, reply_to, "reply_to", named=True)
        mailto = value.get("unsubscribe_mailto")
        if mailto is not None:
            mailto = self.address(key, mailto, "unsubscribe_mailto", named=False)
        postal = value.get("postal_address")
        if postal is not None:
            postal = self.text(key, "", postal, "postal_address")
        utm = value.get("utm") or {}
        if not isinstance(utm, dict) or not all(
            isinstance(k, str) and re.fullmatch(r"[a-z_]+", k) and isinstance(v, str)
            for k, v in utm.items()
        ):
            raise self.fail(key, 'must be a dict of words to text, like {"source": "newsletter"}',
                            "utm")  # fmt: skip
        clicks = value.get("clicks", defaults.clicks)
        if clicks not in ("all", "html", "off"):
            raise self.fail(key, f"must be 'all', 'html' or 'off', not {clicks!r}", "clicks")
        return DigestSettings(sender, reply_to, mailto, postal, dict(utm), clicks)

    def subscriptions(self) -> SubscriptionSettings | None:
        key = "BRIEF_SUBSCRIPTIONS"
        if self.raw.get(key) is None:
            return None
        value = self.mapping(key, list(SubscriptionSettings.__dataclass_fields__))
        url = self.text(key, "", value.get("url"), "url")
        if web_url(url) != url or not url.endswith("/") or urlsplit(url).query:
            raise self.fail(
                key, f"must be the service's base URL, http(s) and ending with /, not {url!r}",
                "url",
            )  # fmt: skip
        defaults = SubscriptionSettings(url)
        secret_env = self.text(key, "", value.get("secret_env", defaults.secret_env), "secret_env")
        return SubscriptionSettings(
            url=url,
            per_address=int(self.number(key, value.get("per_address", defaults.per_address),
                                        int, 1, 100, "per_address")),
            per_client=int(self.number(key, value.get("per_client", defaults.per_client),
                                       int, 1, 10_000, "per_client")),
            secret_env=secret_env,
            retry=float(self.number(key, value.get("retry", defaults.retry),
                                    float, 0.01, 86_400, "retry")),
            max_body=int(self.number(key, value.get("max_body", defaults.max_body),
                                     int, 1_024, 1_048_576, "max_body")),
            body_timeout=float(self.number(key, value.get("body_timeout", defaults.body_timeout),
                                           float, 0.1, 300, "body_timeout")),
        )  # fmt: skip


def _placeholders(pattern: str) -> set[str] | None:
    """The {names} a str.format pattern uses; None when its braces are not balanced."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError:
        return None
