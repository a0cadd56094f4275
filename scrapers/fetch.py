"""Fetching feeds: the only module of the project that talks to the network.

Every fetch is bounded (connect timeout, a total deadline even against a server that
trickles one byte a second, a cap on the *decompressed* body, at most five redirects),
polite (a User-Agent naming the project, at most two connections per host) and
conditional (ETag / Last-Modified), so a feed that did not change costs one small request.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from brief import __version__
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


class _TooLarge(Exception):
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
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        limits=httpx.Limits(max_connections=limits.concurrency, max_keepalive_connections=64),
        trust_env=False,
    ) as client:

        async def one(source: Source) -> FetchResult:
            if source.is_remote:
                async with hosts[urlsplit(source.url).netloc.lower()]:
                    result = await _fetch_one(client, source, validators.get(source.name), limits)
            else:
                result = _read_local(source, validators.get(source.name))
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
    except httpx.TooManyRedirects:
        error = f"more than {limits.max_redirects} redirects"
    except zlib.error as err:
        error = f"corrupt compressed body: {err}"
    except httpx.HTTPError as err:
        error = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return FetchResult(source, "failed", started, url=source.url, error=error)


async def _request(
    client: httpx.AsyncClient,
    source: Source,
    headers: dict[str, str],
    limits: FetchLimits,
    started: datetime,
) -> FetchResult:
    async with client.stream("GET", source.url, headers=headers) as response:
        final_url = str(response.url)
        moved = _permanent_url(response)
        common = {"url": final_url, "http_status": response.status_code, "permanent_url": moved}
        if response.status_code == 304:
            return FetchResult(source, "not_modified", started, **common)  # type: ignore[arg-type]
        if response.status_code >= 400:
            return FetchResult(
                source,
                "failed",
                started,
                error=f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                retry_after=_retry_after(response.headers.get("retry-after")),
                **common,  # type: ignore[arg-type]
            )
        body = await _read_body(response, limits.max_bytes)
        return FetchResult(
            source,
            "ok",
            started,
            body=body,
            content_type=response.headers.get("content-type", ""),
            validators=Validators(
                response.headers.get("etag"), response.headers.get("last-modified")
            ),
            **common,  # type: ignore[arg-type]
        )


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


def _permanent_url(response: httpx.Response) -> str | None:
    """The final URL if every redirect on the way was permanent (301 or 308)."""
    if response.history and all(r.status_code in (301, 308) for r in response.history):
        return str(response.url)
    return None


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - _now()).total_seconds())


def _read_local(source: Source, known: Validators | None) -> FetchResult:
    """A local feed file, for offline work; its mtime plays the part of an ETag."""
    started = _now()
    path = Path(source.url)
    try:
        stamp = str(path.stat().st_mtime_ns)
        if known is not None and known.etag == stamp:
            return FetchResult(source, "not_modified", started, url=path.as_uri())
        body = path.read_bytes()
    except OSError as err:
        return FetchResult(
            source, "failed", started, url=source.url, error=f"cannot read file: {err.strerror}"
        )
    return FetchResult(
        source, "ok", started, body=body, url=path.as_uri(), validators=Validators(etag=stamp)
    )


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:g} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)
