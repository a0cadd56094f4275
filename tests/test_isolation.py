"""One bad entry, source or server never stops a scrape: it is named, the rest is stored."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import run_brief, write_feeds
from tests.fault_server import fault_server

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def faults() -> Iterator[str]:
    with fault_server() as (base, _):
        yield base


def _stored(root: Path) -> dict[str, sqlite3.Row]:
    with sqlite3.connect(root / "data" / "brief.sqlite") as db:
        db.row_factory = sqlite3.Row
        return {row["link"]: row for row in db.execute("SELECT * FROM candidates")}


def test_bad_entries_are_skipped_and_named_the_rest_stored(newsletter: Path, faults: str) -> None:
    write_feeds(newsletter, {"Bad": f"{faults}/bad-entries", "Good": f"{faults}/ok.rss"})
    result = run_brief(newsletter, "scrape", "--json")
    assert result.code == 0, result.output  # skipped entries are warnings, not failures
    report = json.loads(result.stdout)
    assert report["failed"] == []
    warnings = [w["error"] for w in report["warnings"] if w["source"] == "Bad"]
    assert any("'Port out of range' skipped: no usable http(s) link" in w for w in warnings)
    assert any("'Letter O in the port' skipped" in w for w in warnings)
    assert any("'Live shopping in year one': date" in w and "unusable" in w for w in warnings)
    stored = _stored(newsletter)
    assert "http://faults.test/good" in stored
    # Unusable dates keep the story, dated when it was fetched and flagged.
    for link in ("http://faults.test/year-one", "http://faults.test/end"):
        assert stored[link]["date_flag"] == "undated"
        published = datetime.fromisoformat(stored[link]["published"])
        assert abs(published - datetime.now(UTC)) < timedelta(minutes=5)
    assert len([link for link in stored if "retail.test" in link]) == 3  # the other source


def test_bad_json_items_are_skipped_the_rest_stored(newsletter: Path, faults: str) -> None:
    write_feeds(newsletter, {"Json": f"{faults}/bad-json"})
    result = run_brief(newsletter, "scrape", "--json")
    assert result.code == 0, result.output
    stored = _stored(newsletter)
    assert {"http://faults.test/j-good", "http://faults.test/j-old", "http://faults.test/j-late"}
    assert set(stored) == {
        "http://faults.test/j-good",
        "http://faults.test/j-old",
        "http://faults.test/j-late",
    }
    warnings = " ".join(w["error"] for w in json.loads(result.stdout)["warnings"])
    assert "'Broken IPv6 literal' skipped" in warnings


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/deep-json", "nested too deeply"),
        ("/redirect-bad-port", "redirected to an invalid URL: 'http://127.0.0.1:99999/x'"),
        ("/redirect-nowhere", "Invalid URL in location header"),
        ("/retry-forever", "HTTP 503"),
        ("/escape-reason", "500"),
    ],
)
def test_a_bad_source_fails_alone_with_exit_1(
    newsletter: Path, faults: str, path: str, words: str
) -> None:
    write_feeds(newsletter, {"Bad": f"{faults}{path}", "Good": f"{faults}/ok.rss"})
    result = run_brief(newsletter, "scrape")
    assert result.code == 1
    assert "1 failed" in result.stdout and "3 new candidates" in result.stdout
    failure = next(line for line in result.stderr.splitlines() if line.startswith("failed"))
    assert f"Bad ({faults}{path})" in failure and words in failure
    assert not CONTROL.search(result.output)  # nothing the server sent reaches the terminal raw
    sources = json.loads(run_brief(newsletter, "sources", "--json").stdout)
    bad = next(s for s in sources if s["source"] == "Bad")
    assert bad["consecutive_failures"] == 1 and words in bad["last_error"]
    assert not CONTROL.search(bad["last_error"])


def test_a_huge_retry_after_waits_a_bounded_time(newsletter: Path, faults: str) -> None:
    write_feeds(newsletter, {"Busy": f"{faults}/retry-forever"})
    assert run_brief(newsletter, "scrape").code == 1
    (busy,) = json.loads(run_brief(newsletter, "sources", "--json").stdout)
    wait = datetime.fromisoformat(busy["next_attempt"]) - datetime.now(UTC)
    assert timedelta(hours=23) < wait <= timedelta(hours=24)
    again = run_brief(newsletter, "scrape")
    assert again.code == 0 and "backing off" in again.stderr


@pytest.mark.parametrize("kind", ["fifo", "directory", "device", "huge"])
def test_local_sources_get_the_same_limits(newsletter: Path, kind: str) -> None:
    path = newsletter / f"local-{kind}"
    if kind == "fifo":
        os.mkfifo(path)  # no writer: a plain open() would block forever
    elif kind == "directory":
        path.mkdir()
    elif kind == "device":
        path.symlink_to("/dev/zero")  # endless bytes
    else:
        path.write_bytes(b"<rss>" + b" " * (2 * 1024 * 1024))
    conf = newsletter / "pelicanconf.py"
    conf.write_text(conf.read_text() + '\nBRIEF_FETCH = {"max_bytes": 1048576, "deadline": 5}\n')
    write_feeds(newsletter, {"Local": str(path)})
    result = run_brief(newsletter, "scrape")
    assert result.code == 1
    expected = {
        "fifo": "not a regular file (a FIFO)",
        "directory": "not a regular file (a directory)",
        "device": "not a regular file (a character device)",
        "huge": "file larger than 1 MiB",
    }[kind]
    assert expected in result.stderr


@pytest.mark.slow
def test_a_public_feed_cannot_redirect_to_an_internal_address(newsletter: Path) -> None:
    """In a network namespace of its own, where the test may own a public address."""
    import shutil as shell
    import subprocess
    import sys

    from tests.conftest import REPO

    ip = shell.which("ip") or next(p for p in ("/usr/sbin/ip", "/sbin/ip") if Path(p).exists())
    script = (
        f"{ip} link set lo up && {ip} addr add 93.184.216.34/32 dev lo"
        f" && exec {sys.executable} -m tests.netns_scrape {newsletter}"
    )
    done = subprocess.run(
        ["unshare", "--net", "--map-root-user", "sh", "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"the namespace could not be set up: {done.stderr}"
    outcome = json.loads(done.stdout.splitlines()[-1])
    report = outcome["report"]
    failed = {f["source"]: f["error"] for f in report["failed"]}
    assert set(failed) == {"Public to internal"}
    assert "redirected from a public address to an internal one" in failed["Public to internal"]
    assert outcome["internal"] in failed["Public to internal"]
    assert report["ok"] == 3 and outcome["code"] == 1


@pytest.mark.slow
def test_a_second_scrape_refuses_politely(newsletter: Path, faults: str) -> None:
    import subprocess
    import sys
    import time

    write_feeds(newsletter, {"Slow": f"{faults}/no-headers"})  # never answers in time
    conf = newsletter / "pelicanconf.py"
    conf.write_text(conf.read_text() + '\nBRIEF_FETCH = {"deadline": 2}\n')
    first = subprocess.Popen(
        [sys.executable, "-m", "brief", "scrape"],
        cwd=newsletter,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        lock = newsletter / "data" / "brief.sqlite.scrape.lock"
        deadline = time.monotonic() + 20
        while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = run_brief(newsletter, "scrape")
    finally:
        first.wait(timeout=60)
    assert second.code == 1
    assert re.search(
        rf"another scrape has been running since \d\d:\d\d \(pid {first.pid}\)", second.stderr
    ), second.stderr
    assert "wait for it to finish" in second.stderr
    assert "not a usable store" not in second.stderr
    third = run_brief(newsletter, "scrape")  # the lock went with the first process
    assert "another scrape" not in third.stderr and "no complete response" in third.stderr


def test_a_read_only_store_folder_is_named_with_what_is_needed(newsletter: Path) -> None:
    from tests.conftest import in_namespace

    (newsletter / "data").mkdir()
    result = in_namespace(
        newsletter, "mount --bind data data\nmount -o remount,ro,bind data", "scrape"
    )
    assert result.returncode == 1, result.stderr
    assert "data/brief.sqlite" in result.stderr and "Traceback" not in result.stderr
    assert "read-only file system" in result.stderr and "BRIEF_DB" in result.stderr


@pytest.mark.parametrize("link", ["http://host:99999/x", "http://[::1/x", "javascript:alert(1)"])
def test_a_bad_link_in_an_article_is_named_by_check_publish_and_send(
    sample: Path, link: str
) -> None:
    article = (
        sample / "content/articles/2026/amazon-live-puts-influencers-next-to-the-buy-button.md"
    )
    lines = article.read_text().splitlines()
    number = next(n for n, line in enumerate(lines, 1) if line.startswith("Link:"))
    lines[number - 1] = f"Link: {link}"
    article.write_text("\n".join(lines) + "\n")
    where = f"content/articles/2026/{article.name}:{number}: error: Link must be an absolute"
    check = run_brief(sample, "check")
    assert check.code == 1 and where in check.stdout
    issue = sample / "content/issues/2026-W47.md"
    issue.write_text(issue.read_text().replace("Status: published", "Status: draft"))
    before = issue.read_bytes()
    publish = run_brief(sample, "issue", "publish", "2026-W47")
    assert publish.code == 1 and where in publish.stderr and issue.read_bytes() == before
    (sample / "subscribers.csv").write_text("email\nreader@example.org\n")
    sent = run_brief(sample, "send", "2026-W47", "--to", "subscribers.csv", "--smtp", "127.0.0.1:9")
    assert sent.code == 1 and where in sent.stderr and "nothing was sent" in sent.stderr
