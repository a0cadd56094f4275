"""Fetching feeds: the only module of the project that talks to the network.

Every fetch is bounded (connect timeout, total deadline, body size, redirects), polite
(a User-Agent naming the project, at most two connections per host) and conditional
(ETag / Last-Modified), so a feed that did not change costs one small request.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from brief import __version__
from scrapers.sources import Source

USER_AGENT = (
    f"LiveCommerceBrief/{__version__} (+https://github.com/live-commerce-brief/brief; feed reader)"
)


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 10.0
    deadline: float = 30.0
    max_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 2
    concurrency: int = 16


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
    validators: Validators = Validators()
    error: str | None = None


class _TooLarge(Exception):
    pass


def fetch_all(
    sources: Sequence[Source],
    validators: dict[str, Validators],
    limits: FetchLimits = FetchLimits(),
) -> list[FetchResult]:
    """Fetch every source concurrently; a failure is a result, never an exception."""
    return asyncio.run(_fetch_all(sources, validators, limits))


async def _fetch_all(
    sources: Sequence[Source], validators: dict[str, Validators], limits: FetchLimits
) -> list[FetchResult]:
    hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
        lambda: asyncio.Semaphore(limits.per_host)
    )
    overall = asyncio.Semaphore(limits.concurrency)
    timeout = httpx.Timeout(limits.deadline, connect=limits.connect_timeout)
    async with httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
        timeout=timeout,
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        limits=httpx.Limits(max_connections=limits.concurrency),
        trust_env=False,
    ) as client:

        async def one(source: Source) -> FetchResult:
            if not source.is_remote:
                return _read_local(source, validators.get(source.name))
            async with overall, hosts[urlsplit(source.url).netloc.lower()]:
                return await _fetch_one(client, source, validators.get(source.name), limits)

        return list(await asyncio.gather(*(one(s) for s in sources)))


_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


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
            return await _stream(client, source, headers, limits, started)
    except TimeoutError:
        error = f"no complete response within {limits.deadline:g} s"
    except _TooLarge:
        error = f"response larger than {limits.max_bytes // (1024 * 1024)} MiB"
    except httpx.TooManyRedirects:
        error = f"more than {limits.max_redirects} redirects"
    except httpx.HTTPError as err:
        error = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return FetchResult(source, "failed", started, url=source.url, error=error)


async def _stream(
    client: httpx.AsyncClient,
    source: Source,
    headers: dict[str, str],
    limits: FetchLimits,
    started: datetime,
) -> FetchResult:
    async with client.stream("GET", source.url, headers=headers) as response:
        final_url = str(response.url)
        if response.status_code == 304:
            return FetchResult(source, "not_modified", started, url=final_url, http_status=304)
        if response.status_code >= 400:
            return FetchResult(
                source,
                "failed",
                started,
                url=final_url,
                http_status=response.status_code,
                error=f"HTTP {response.status_code} {response.reason_phrase}".strip(),
            )
        chunks: list[bytes] = []
        size = 0
        # aiter_bytes decodes gzip/deflate, so the cap applies to the decompressed size.
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limits.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
        return FetchResult(
            source,
            "ok",
            started,
            body=b"".join(chunks),
            url=final_url,
            content_type=response.headers.get("content-type", ""),
            http_status=response.status_code,
            validators=Validators(
                response.headers.get("etag"), response.headers.get("last-modified")
            ),
        )


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


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)
