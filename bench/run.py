"""`make bench`: each figure is a ratio against a baseline run side by side, in one process.

- ingest: CPU per entry of our whole pipeline (parse, clean, sanitize, score, tag, store)
  divided by `feedparser.parse` alone on the same bytes.
- build: `brief build` (Pelican + our theme and plugin, search index, digests) divided by a
  plain Pelican build of the same articles with its default theme and no plugins.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import REPO, write_feeds, write_newsletter
from scrapers.candidate import build_candidate
from scrapers.entities import EntityTagger, load_entities
from scrapers.fetch import FetchResult
from scrapers.relevance import load_rules
from scrapers.scrape import ScrapeReport, _store_result
from scrapers.sources import Source
from scrapers.store import open_store


def bench_ingest(work: Path, feeds: int, items: int) -> None:
    paths = write_feeds(work / "feeds", feeds, items)
    bodies = [p.read_bytes() for p in paths]
    entries = feeds * items

    started = time.process_time()
    for body in bodies:
        feedparser.parse(body)
    baseline = time.process_time() - started

    tagger = EntityTagger(load_entities(REPO / "content" / "entities.toml"))
    rules = load_rules(REPO / "relevance.toml")
    report = ScrapeReport()
    now = datetime.now(UTC)
    started = time.process_time()
    with open_store(work / "bench.sqlite") as store:
        for path, body in zip(paths, bodies, strict=True):
            source = Source(path.stem, path.as_uri())
            result = FetchResult(source, "ok", now, body=body, url=f"https://{path.stem}.example/")
            _store_result(result, store, tagger, rules, report)
    ours = time.process_time() - started
    assert build_candidate  # the pipeline above is the one `brief scrape` runs
    print(f"ingest  {feeds} feeds x {items} items = {entries} entries")
    print(f"  feedparser.parse alone   {baseline * 1e6 / entries:8.0f} us CPU per entry")
    print(f"  whole pipeline           {ours * 1e6 / entries:8.0f} us CPU per entry")
    print(f"  ratio pipeline/parse     {ours / baseline:8.2f}   (target <= 1.5)")
    print(f"  stored {report.new} new, {report.seen} seen (clusters and duplicates)")


def _timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def bench_build(work: Path, articles: int) -> None:
    root = write_newsletter(work / "site", articles)
    (root / "plain.py").write_text(
        'PATH = "content"\nOUTPUT_PATH = "plain-output"\nARTICLE_PATHS = ["articles"]\n'
        'PAGE_PATHS = ["pages"]\nTIMEZONE = "UTC"\nSITENAME = "plain"\nPLUGINS = []\n'
        "FEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\n"
    )
    pelican = [sys.executable, "-m", "pelican", "content", "-q"]
    plain = _timed([*pelican, "-s", "plain.py"], root)
    ours = _timed([sys.executable, "-m", "brief", "build"], root)
    print(f"build   {articles} articles")
    print(f"  plain Pelican, default theme   {plain:6.2f} s")
    print(f"  brief build (site+search+mail) {ours:6.2f} s")
    print(f"  ratio ours/plain               {ours / plain:6.2f}   (target <= 1.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--articles", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="brief-bench-") as temp:
        work = Path(temp)
        bench_ingest(work, args.feeds, args.items)
        bench_build(work, args.articles)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB (this process), {children:.0f} MiB (largest build)")


if __name__ == "__main__":
    main()
