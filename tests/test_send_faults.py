"""`brief send` when servers, settings, files and stores go wrong: nobody skipped, nobody
mailed twice, every refusal named (a real aiosmtpd server on 127.0.0.1)."""

from __future__ import annotations

import codecs
import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import run_brief
from tests.smtp_server import Recorder, SmtpServer

WEEK = "2026-W46"


@pytest.fixture
def root(sendable: Path) -> Path:
    return sendable


def csv_file(root: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    path = root / "subscribers.csv"
    path.write_bytes("\n".join(["name,email", *rows, ""]).encode(encoding))
    return path


def send(root: Path, csv: Path, address: str, *extra: str):  # type: ignore[no-untyped-def]
    return run_brief(root, "send", WEEK, "--to", str(csv), "--smtp", address, *extra)


def deliveries(root: Path) -> dict[str, str]:
    with sqlite3.connect(root / "data" / "brief.sqlite") as db:
        return dict(db.execute("SELECT email, state FROM deliveries WHERE week = ?", (WEEK,)))


def test_a_refused_connection_leaves_everyone_unsent(root: Path) -> None:
    csv = csv_file(root, [f"R{n},r{n}@example.org" for n in range(3)])
    failed = send(root, csv, "127.0.0.1:9")  # nothing listens there
    assert failed.code == 1
    assert "cannot connect to SMTP server 127.0.0.1:9" in failed.stderr
    assert "the other 3 were not tried" in failed.stderr and "never twice" in failed.stderr
    assert deliveries(root) == {}  # nobody pending, nobody uncertain
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        assert "sent 3," in send(root, csv, server.address).stdout
    assert sorted(recorder.recipients) == ["r0@example.org", "r1@example.org", "r2@example.org"]


def test_a_missing_password_sends_nothing_and_marks_nobody(root: Path) -> None:
    conf = root / "pelicanconf.py"
    conf.write_text(conf.read_text() + '\nBRIEF_SMTP = {"security": "none", "user": "brief"}\n')
    csv = csv_file(root, ["R,r@example.org"])
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        result = send(root, csv, server.address)
    assert result.code == 2 and "set BRIEF_SMTP_PASSWORD" in result.stderr
    assert recorder.messages == []
    store = root / "data" / "brief.sqlite"
    assert not store.exists() or deliveries(root) == {}


def test_a_server_slower_than_the_timeout_after_data_never_gets_a_second_copy(root: Path) -> None:
    conf = root / "pelicanconf.py"
    conf.write_text(conf.read_text() + '\nBRIEF_SMTP = {"security": "none", "timeout": 0.5}\n')
    csv = csv_file(root, ["A,a@example.org", "Slow,slow@example.org", "C,c@example.org"])
    recorder = Recorder(slow={"slow@example.org"}, slow_delay=1.5)
    with SmtpServer(recorder) as server:
        first = send(root, csv, server.address)
        second = send(root, csv, server.address)
    assert "sent 2," in first.stdout and "uncertain 1" in first.stdout
    assert "uncertain: slow@example.org: the server did not answer" in first.stderr
    assert "uncertain: slow@example.org: an earlier run got no answer" in second.stderr
    assert "sent 0, skipped 2 already sent" in second.stdout
    assert recorder.recipients["slow@example.org"] == 1  # delivered once, never resent
    assert deliveries(root)["slow@example.org"] == "uncertain"


def test_list_unsubscribe_is_never_encoded_or_broken(root: Path) -> None:
    local = "a.very.long.local.part.for.a.subscriber.with.a.long.address.indeed"
    email = f"{local}@subscribers.example.org"
    csv = csv_file(root, [f"Long,{email}"])
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        assert "sent 1," in send(root, csv, server.address).stdout
    ((_, _, raw),) = recorder.envelopes
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    unfolded = re.sub(r"\r\n[ \t]", " ", head).replace("\r\n", "\n")
    (value,) = re.findall(r"^List-Unsubscribe: (.*)$", unfolded, re.MULTILINE)
    assert "=?" not in value
    targets = re.findall(r"<([^<>]*)>", value)
    assert re.fullmatch(
        r"https://brief\.example\.com/subscriptions/unsubscribe\?token=[\w.-]+", targets[0]
    )
    assert local not in targets[0]
    assert targets[1] == "mailto:unsubscribe@example.com?subject=unsubscribe"
    assert len(targets[0]) > 76  # long enough that default folding used to encode it
    assert re.search(r"^List-Unsubscribe-Post: List-Unsubscribe=One-Click$", unfolded, re.M)


def test_bad_rows_are_named_and_skipped_the_rest_sent(root: Path) -> None:
    rows = [
        "Good,good@example.org",
        '"Evil\r\nBcc: victim@example.org",evil@example.org',
        "Ünïcode,ü@example.org",
        "Domain,reader@bücher.example",
        f"Huge,{'x' * 5000}@example.org",
        "Dup,GOOD@example.org",
    ]
    csv = csv_file(root, rows)
    recorder = Recorder()  # no SMTPUTF8
    with SmtpServer(recorder) as server:
        result = send(root, csv, server.address)
    assert result.code == 1  # someone could not be sent: said, and exit 1
    assert "subscribers.csv:3: skipped: a field holds a line break" in result.stderr
    assert "subscribers.csv:7: skipped: a field is 5,012 characters long" in result.stderr
    assert "subscribers.csv:8: skipped: GOOD@example.org is already on line 2" in result.stderr
    assert "not sent: ü@example.org: line 5: the SMTP server does not accept non-ASCII" in (
        result.stderr
    )
    assert sorted(recorder.recipients) == ["good@example.org", "reader@xn--bcher-kva.example"]
    assert not any("victim" in rcpt for _, rcpts, _ in recorder.envelopes for rcpt in rcpts)
    assert "ü@example.org" not in deliveries(root)  # unsent: a later run will send it
    with SmtpServer(recorder, smtputf8=True) as server:
        later = send(root, csv, server.address)
    assert "sent 1, skipped 2 already sent" in later.stdout
    assert recorder.recipients["ü@example.org"] == 1


def test_a_latin1_csv_names_the_rows_that_are_not_utf8(root: Path) -> None:
    csv = csv_file(root, ["Zoë,zoe@example.org", "Plain,plain@example.org"], "latin-1")
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        result = send(root, csv, server.address)
    assert "subscribers.csv:2: skipped: not UTF-8 text (is the file Latin-1?)" in result.stderr
    assert list(recorder.recipients) == ["plain@example.org"]


def test_a_utf16_csv_with_a_bom_is_read(root: Path) -> None:
    path = root / "subscribers.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "name,email\nZoë,zoe@example.org\n".encode("utf-16-le"))
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        assert "sent 1," in send(root, path, server.address).stdout
    assert recorder.messages[0]["To"] == "Zoë <zoe@example.org>"


def test_a_corrupt_store_is_named_not_a_traceback(root: Path) -> None:
    (root / "data").mkdir()
    (root / "data" / "brief.sqlite").write_bytes(b"this is not a database" * 100)
    csv = csv_file(root, ["R,r@example.org"])
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        result = send(root, csv, server.address)
    assert result.code == 1 and recorder.messages == []
    assert "data/brief.sqlite: not a usable store" in result.stderr
    assert "move it aside" in result.stderr


def test_a_dry_run_starts_from_an_empty_folder(root: Path) -> None:
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        send(root, csv_file(root, [f"R{n},r{n}@example.org" for n in range(5)]), server.address,
             "--dry-run")  # fmt: skip
        send(root, csv_file(root, ["Only,only@example.org"]), server.address, "--dry-run")
    written = sorted((root / "data" / "send" / WEEK).iterdir())
    assert [p.name for p in written] == ["00001.eml"]
    assert "only@example.org" in written[0].read_text()
    assert recorder.messages == []


def test_a_second_send_refuses_while_one_runs(root: Path) -> None:
    from scrapers.storage import open_store

    csv = csv_file(root, ["R,r@example.org"])
    recorder = Recorder()
    with (
        SmtpServer(recorder) as server,
        open_store(root / "data" / "brief.sqlite") as store,
        store.exclusive("send"),  # as a send running in another process holds it
    ):
        result = send(root, csv, server.address)
    assert result.code == 1 and recorder.messages == []
    assert re.search(r"another send has been running since \d\d:\d\d \(pid \d+\)", result.stderr)
