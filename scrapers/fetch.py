"""Fetching feeds: the only module of the project that talks to the network.

Every fetch is bounded (connect timeout, a total deadline even against a server that
trickles one byte a second, a cap on the *decompressed* body, at most five redirects),
polite (a User-Agent naming the project, at most two connections per host) and
conditional (ETag / Last-Modified), so a feed that did not change costs one small request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import stat
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from scrapers import __version__
from scrapers.clean import inert_text, internal_address, web_url
from scrapers.errors import BriefError
from scrapers.sources import Source

USER_AGENT = (
    f"LiveCommerceBrief/{__version__} (+https://github.com/live-commerce-brief/brief; feed reader)"
)
_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 10.0
    deadline: float = 30.0
    max_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 2
    concurrency: int = 32


@dataclass(frozen=True)
class Validators:
    """What the last successful fetch of a source returned, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    source: Source
    status: str  # "ok", "not_modified" or "failed"
    fetched_at: datetime
    body: bytes = b""
    url: str = ""
    content_type: str = ""
    http_status: int | None = None
    validators: Validators = field(default_factory=Validators)
    error: str | None = None
    permanent_url: str | None = None  # where a 301/308 chain says the feed now lives
    retry_after: float | None = None  # seconds, from a 429/503's Retry-After


class _TooLarge(BriefError):
    pass


def fetch_all(
    sources: Sequence[Source],
    validators: dict[str, Validators],
    limits: FetchLimits = FetchLimits(),
    on_result: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch every source concurrently; a failure is a result, never an exception."""

    def run() -> list[FetchResult]:
        return asyncio.run(_fetch_all(sources, validators, limits, on_result))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    # Called from code that already runs an event loop (a notebook, Playwright's sync API):
    # run ours on a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


async def _fetch_all(
    sources: Sequence[Source],
    validators: dict[str, Validators],
    limits: FetchLimits,
    on_result: Callable[[FetchResult], None] | None,
) -> list[FetchResult]:
    hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
        lambda: asyncio.Semaphore(limits.per_host)
    )
    timeout = httpx.Timeout(limits.deadline, connect=limits.connect_timeout)
    async with httpx.AsyncClient(
        headers={
            "User-Agent": USER_AGENT,
            "Accept": _ACCEPT,
            # We decompress ourselves, with a bound: see _read_body.
            "Accept-Encoding": "gzip, deflate",
        },
        timeout=timeout,
        follow_redirects=False,  # followed in _request, each hop checked
        limits=httpx.Limits(max_connections=limits.concurrency, max_keepalive_connections=64),
        trust_env=False,
    ) as client:

        async def one(source: Source) -> FetchResult:
            if source.is_remote:
                async with hosts[(urlsplit(source.url).hostname or "").lower()]:
                    result = await _fetch_one(client, source, validators.get(source.name), limits)
            else:
                result = await _read_local(source, validators.get(source.name), limits)
            if on_result is not None:
                on_result(result)
            return result

        return list(await asyncio.gather(*(one(s) for s in sources)))


async def _fetch_one(
    client: httpx.AsyncClient, source: Source, known: Validators | None, limits: FetchLimits
) -> FetchResult:
    headers = {}
    if known and known.etag:
        headers["If-None-Match"] = known.etag
    if known and known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    started = _now()
    try:
        async with asyncio.timeout(limits.deadline):
            return await _request(client, source, headers, limits, started)
    except TimeoutError:
        error = f"no complete response within {limits.deadline:g} s"
    except _TooLarge:
        error = f"body larger than {_size(limits.max_bytes)} (after decompression)"
    except _Refused as refused:
        error = str(refused)
    except zlib.error as err:
        error = f"corrupt compressed body: {err}"
    except httpx.HTTPError as err:
        error = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    except Exception as err:  # anything else about this source fails this source only
        error = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return FetchResult(source, "failed", started, url=source.url, error=inert_text(error))


class _Refused(BriefError):
    """The server sent us somewhere we will not go (an invalid or an internal address)."""


REDIRECTS = (301, 302, 303, 307, 308)


async def _request(
    client: httpx.AsyncClient,
    source: Source,
    headers: dict[str, str],
    limits: FetchLimits,
    started: datetime,
) -> FetchResult:
    """GET the feed, following redirects ourselves so each hop can be checked."""
    url = source.url
    statuses: list[int] = []
    # The editor may configure an internal address; a public feed may not send us to one.
    origin_is_internal = await _is_internal(url)
    while True:
        async with client.stream("GET", url, headers=headers) as response:
            location = response.headers.get("location")
            if response.status_code in REDIRECTS and location is not None:
                statuses.append(response.status_code)
                if len(statuses) > limits.max_redirects:
                    raise _Refused(f"more than {limits.max_redirects} redirects")
                url = _redirect_target(url, location)
                if not origin_is_internal and await _is_internal(url):
                    raise _Refused(
                        f"redirected from a public address to an internal one ({url}); not followed"
                    )
                continue
            moved = url if statuses and all(s in (301, 308) for s in statuses) else None
            return await _answer(response, source, url, moved, limits, started)


async def _answer(
    response: httpx.Response,
    source: Source,
    url: str,
    moved: str | None,
    limits: FetchLimits,
    started: datetime,
) -> FetchResult:
    status = response.status_code
    if status == 304:
        return FetchResult(
            source, "not_modified", started, url=url, http_status=status, permanent_url=moved
        )
    if status >= 400:
        reason = inert_text(response.reason_phrase)[:80]
        return FetchResult(
            source,
            "failed",
            started,
            url=url,
            http_status=status,
            permanent_url=moved,
            error=f"HTTP {status} {reason}".strip(),
            retry_after=_retry_after(response.headers.get("retry-after")),
        )
    body = await _read_body(response, limits.max_bytes)
    return FetchResult(
        source,
        "ok",
        started,
        body=body,
        url=url,
        http_status=status,
        permanent_url=moved,
        content_type=response.headers.get("content-type", ""),
        validators=Validators(response.headers.get("etag"), response.headers.get("last-modified")),
    )


@dataclass(frozen=True)
class Resolved:
    """Where an aggregator's link leads: the publisher's article, or why not."""

    link: str  # the aggregator's
    target: str | None = None  # the publisher's canonical URL
    error: str | None = None


PAGE_BYTES = 2 * 1024 * 1024  # enough of a page to find its canonical link


def resolve_links(links: Sequence[str], limits: FetchLimits = FetchLimits()) -> list[Resolved]:
    """Follow each aggregator link (Google News...) to the publisher's article, with the
    feeds' limits and address rules, one request chain per link, concurrently; a failure is
    a result that says why, never an exception."""
    if not links:
        return []

    async def run() -> list[Resolved]:
        hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(limits.per_host)
        )
        timeout = httpx.Timeout(limits.deadline, connect=limits.connect_timeout)
        async with httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT, "Accept": "text/html, */*;q=0.5",
                     "Accept-Encoding": "gzip, deflate"},
            timeout=timeout, follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=limits.concurrency),
        ) as client:  # fmt: skip

            async def one(link: str) -> Resolved:
                async with hosts[(urlsplit(link).hostname or "").lower()]:
                    return await _resolve_one(client, link, limits)

            return list(await asyncio.gather(*(one(link) for link in links)))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(run())).result()


async def _resolve_one(client: httpx.AsyncClient, link: str, limits: FetchLimits) -> Resolved:
    try:
        async with asyncio.timeout(limits.deadline):
            url = link
            origin_is_internal = await _is_internal(url)
            for _ in range(limits.max_redirects + 1):
                async with client.stream("GET", url) as response:
                    location = response.headers.get("location")
                    if response.status_code in REDIRECTS and location is not None:
                        url = _redirect_target(url, location)
                        if not origin_is_internal and await _is_internal(url):
                            raise _Refused(f"redirected to an internal address ({url})")
                        continue
                    if response.status_code >= 400:
                        return Resolved(link, error=f"HTTP {response.status_code}")
                    page = await _read_body(response, PAGE_BYTES)
                    kind = response.headers.get("content-type", "")
                    break
            else:
                raise _Refused(f"more than {limits.max_redirects} redirects")
    except _TooLarge:
        return Resolved(link, error=f"page larger than {_size(PAGE_BYTES)}")
    except TimeoutError:
        return Resolved(link, error=f"no answer within {limits.deadline:g} s")
    except _Refused as refused:
        return Resolved(link, error=str(refused))
    except (httpx.HTTPError, zlib.error, OSError) as err:
        return Resolved(link, error=inert_text(f"{type(err).__name__}: {err}")[:200])
    target = _canonical_of(page, url) if "html" in kind or not kind else url
    same_site = (urlsplit(target).hostname or "") == (urlsplit(link).hostname or "")
    if same_site and url == link:  # the aggregator's own page, which did not send us on
        return Resolved(link, error="the aggregator's page names no publisher's article")
    return Resolved(link, target=target)


def _canonical_of(page: bytes, url: str) -> str:
    """The page's own canonical URL (`<link rel=canonical>`, else `og:url`), if it is a web
    address, else the URL it was fetched from."""
    from bs4 import BeautifulSoup  # only for the pages of aggregated stories

    soup = BeautifulSoup(page, "html.parser")
    for tag, attribute in (("link", "href"), ("meta", "content")):
        for element in soup.find_all(tag):
            rels = element.get("rel")
            named = (
                isinstance(rels, list) and "canonical" in rels
                if tag == "link"
                else element.get("property") == "og:url"
            )
            value = element.get(attribute)
            if named and isinstance(value, str):
                try:
                    checked = web_url(urljoin(url, value.strip()))
                except ValueError:
                    checked = None
                if checked:
                    return checked
    return url


def _redirect_target(current: str, location: str) -> str:
    """Where a redirect leads, as an absolute http(s) URL; _Refused when it leads nowhere."""
    try:
        target = urljoin(current, location.strip())
    except ValueError:
        target = ""
    checked = web_url(target)
    if checked is None:
        raise _Refused(f"redirected to an invalid URL: {inert_text(location)[:200]!r}")
    return checked


async def _is_internal(url: str) -> bool:
    """True when the URL's host is (or resolves to) a loopback, private or link-local address."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        except (OSError, UnicodeError):
            return False  # unresolvable: the request itself will fail and say so
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    return any(internal_address(address) for address in addresses)


async def _read_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, decompressed with a hard bound: a gzip bomb stops at `max_bytes`."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    decoder = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        decoder = zlib.decompressobj(wbits=47)  # 47: gzip or zlib header, detected
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        pending = raw
        while pending:
            if decoder is None:
                piece, pending = pending, b""
            else:
                piece = decoder.decompress(pending, max_bytes - size + 1)
                pending = decoder.unconsumed_tail
            size += len(piece)
            if size > max_bytes:
                raise _TooLarge
            chunks.append(piece)
            if decoder is not None and not piece:
                break
    if decoder is not None:
        chunks.append(decoder.flush())
    return b"".join(chunks)


MAX_RETRY_AFTER = 7 * 24 * 3600.0  # a server asking for more gets a week at most


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), at most a week."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value[:12]), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - _now()).total_seconds()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


async def _read_local(source: Source, known: Validators | None, limits: FetchLimits) -> FetchResult:
    """A local feed file, for offline work, with the same cap and deadline as HTTP.

    Only a regular file is read: a FIFO, a device or a directory is refused before any
    read could block or never end. Its mtime plays the part of an ETag.
    """
    started = _now()
    url = Path(source.url).as_uri()
    try:
        async with asyncio.timeout(limits.deadline):
            stamp, body = await asyncio.to_thread(_read_file, Path(source.url), known, limits)
    except TimeoutError:
        error = f"the file was not read within {limits.deadline:g} s"
    except _TooLarge:
        error = f"file larger than {_size(limits.max_bytes)}"
    except _Refused as refused:
        error = str(refused)
    except OSError as err:
        error = f"cannot read file: {err.strerror or err}"
    else:
        if body is None:
            return FetchResult(source, "not_modified", started, url=url)
        return FetchResult(source, "ok", started, body=body, url=url, validators=Validators(stamp))
    return FetchResult(source, "failed", started, url=source.url, error=error)


def _read_file(
    path: Path, known: Validators | None, limits: FetchLimits
) -> tuple[str, bytes | None]:
    """(the file's stamp, its bytes or None when unchanged since `known`)."""
    # O_NONBLOCK: opening a FIFO with no writer must not hang before we can look at it.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Refused(f"not a regular file ({_file_kind(info.st_mode)}); give a feed file")
        stamp = str(info.st_mtime_ns)
        if known is not None and known.etag == stamp:
            return stamp, None
        if info.st_size > limits.max_bytes:
            raise _TooLarge
        chunks, size = [], 0
        while chunk := os.read(fd, 1024 * 1024):
            size += len(chunk)
            if size > limits.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
        return stamp, b"".join(chunks)
    finally:
        os.close(fd)


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a file")


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:g} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)
