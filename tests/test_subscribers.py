"""The subscriber list in the store: `brief subscribers ...`, bounce and complaint reports,
and `brief send` with and without --to (against a real SMTP server on 127.0.0.1)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from tests.conftest import brief, run_brief
from tests.smtp_server import Recorder, SmtpServer

REPORTS = Path(__file__).parent / "data" / "reports"


def listed(root: Path, *extra: str) -> list[dict[str, object]]:
    return json.loads(brief(root, "subscribers", "list", "--json", *extra).stdout)  # type: ignore[no-any-return]


def statuses(root: Path) -> dict[str, object]:
    return {row["email"]: row["status"] for row in listed(root)}  # type: ignore[misc]


def test_add_list_and_export(newsletter: Path) -> None:
    added = brief(newsletter, "subscribers", "add", "Ana@Example.org", "--name", " Ana   Lima ")
    assert added.stdout == "added Ana@example.org (pending)\n"  # the domain in lower case
    brief(newsletter, "subscribers", "add", "bo@example.org", "--confirmed")
    again = run_brief(newsletter, "subscribers", "add", "ANA@example.ORG", "--confirmed")
    assert again.stdout == "Ana@example.org: pending -> confirmed\n"  # the same subscriber
    same = run_brief(newsletter, "subscribers", "add", "bo@example.org")
    assert same.code != 0 and "already in the list as confirmed; nothing changed" in same.stderr
    bad = run_brief(newsletter, "subscribers", "add", "not-an-address")
    assert bad.code == 2 and "EMAIL" in bad.stderr

    rows = listed(newsletter)
    assert [(r["email"], r["name"], r["status"]) for r in rows] == [
        ("Ana@example.org", "Ana Lima", "confirmed"),
        ("bo@example.org", None, "confirmed"),
    ]
    assert all(str(r["changed_at"]).endswith("Z") for r in rows)
    assert listed(newsletter, "--status", "pending") == []
    exported = list(csv.DictReader(io.StringIO(brief(newsletter, "subscribers", "export").stdout)))
    assert [(r["email"], r["name"], r["status"]) for r in exported] == [
        ("Ana@example.org", "Ana Lima", "confirmed"),
        ("bo@example.org", "", "confirmed"),
    ]
    assert exported[0]["changed_at"] == rows[0]["changed_at"]
    history = brief(newsletter, "subscribers", "history", "ana@example.org").stdout.splitlines()
    assert [line.split("\t", 1)[1] for line in history] == [
        "pending\tadded by an editor",
        "confirmed\tadded by an editor",
    ]


def test_import_reports_each_bad_line_like_send(newsletter: Path) -> None:
    people = newsletter / "people.csv"
    people.write_text(
        "name,email\nAna,ana@example.org\nNobody,not-an-address\nAna again,ANA@example.org\n"
        "Bo,bo@example.org\n",
        encoding="utf-8",
    )
    brief(newsletter, "subscribers", "add", "bo@example.org")
    result = run_brief(newsletter, "subscribers", "import", str(people), "--confirmed")
    assert result.code == 1  # some rows were bad: said, and the good ones are in
    assert f"{people}:3: skipped: not an email address: 'not-an-address'" in result.stderr
    assert f"{people}:4: skipped: ANA@example.org is already on line 2" in result.stderr
    assert "1 added, 1 confirmed, 0 already in the list, 2 bad rows" in result.stdout
    assert statuses(newsletter) == {"bo@example.org": "confirmed", "ana@example.org": "confirmed"}
    missing = run_brief(newsletter, "subscribers", "import", "nowhere.csv")
    assert missing.code != 0 and "nowhere.csv" in missing.stderr


def test_an_export_opens_safely_in_a_spreadsheet_and_imports_back(newsletter: Path) -> None:
    """A name typed into the public form as a formula is text in the exported CSV, and the
    export imports back into another store unchanged."""
    names = ['=HYPERLINK("https://evil.example","Click")', "+1 555", "@SUM(A1)", "-2+3"]
    for n, name in enumerate(names):
        brief(newsletter, "subscribers", "add", f"r{n}@example.org", "--name", name, "--confirmed")
    exported = brief(newsletter, "subscribers", "export").stdout
    cells = [row["name"] for row in csv.DictReader(io.StringIO(exported))]
    assert all(cell.startswith("'") for cell in cells)
    (newsletter / "export.csv").write_text(exported, encoding="utf-8")
    brief(newsletter, "subscribers", "import", "export.csv", "--confirmed", "--db", "other.sqlite")
    back = listed(newsletter, "--db", "other.sqlite")
    assert [row["name"] for row in back] == names


def test_suppress_reads_bounces_and_complaints(newsletter: Path) -> None:
    for who in ("gone@example.org", "busy@example.org", "annoyed@example.org"):
        brief(newsletter, "subscribers", "add", who, "--confirmed")
    result = brief(
        newsletter, "subscribers", "suppress",
        str(REPORTS / "bounce.eml"), str(REPORTS / "complaint.eml"),
    )  # fmt: skip
    assert "gone@example.org: confirmed -> bounced" in result.stdout
    assert "annoyed@example.org: confirmed -> complained" in result.stdout
    assert statuses(newsletter) == {
        "gone@example.org": "bounced",
        "busy@example.org": "confirmed",  # delayed (4.2.2) is not a bounce
        "annoyed@example.org": "complained",
    }
    history = brief(newsletter, "subscribers", "history", "gone@example.org").stdout
    assert "bounce report, status 5.1.1 (bounce.eml)" in history

    # A feedback loop that names the recipient itself; an address the list never held is
    # kept as complained, so a later --to cannot mail it.
    arf = (REPORTS / "complaint.eml").read_text()
    named = newsletter / "fbl.eml"
    named.write_text(
        arf.replace("Version: 1\n", "Version: 1\nOriginal-Rcpt-To: stranger@example.org\n")
    )
    brief(newsletter, "subscribers", "suppress", str(named))
    assert statuses(newsletter)["stranger@example.org"] == "complained"

    # A forged report names garbage, or the same reader in capitals: only real addresses,
    # normalised, reach the list.
    hostile = arf.replace("Version: 1\n", "Version: 1\nOriginal-Rcpt-To: <x@y <script>@z>\n")
    (newsletter / "forged.eml").write_text(hostile)
    dsn = (REPORTS / "bounce.eml").read_text().replace("rfc822; gone@", "rfc822; GONE@")
    (newsletter / "caps.eml").write_text(dsn)
    brief(newsletter, "subscribers", "suppress", "forged.eml", "caps.eml")
    assert not [e for e in statuses(newsletter) if "<" in str(e) or "script" in str(e)]
    assert "GONE@example.org" not in statuses(newsletter)

    (newsletter / "bounced.csv").write_text("email\nbusy@example.org\n")
    brief(newsletter, "subscribers", "suppress", "bounced.csv", "--as", "complained")
    assert statuses(newsletter)["busy@example.org"] == "complained"

    wrong = run_brief(newsletter, "subscribers", "suppress", str(REPORTS / "not-a-report.eml"))
    assert wrong.code != 0
    assert "not-a-report.eml" in wrong.stderr and "not a bounce or complaint report" in wrong.stderr


def test_unsubscribe_and_remove(newsletter: Path) -> None:
    brief(newsletter, "subscribers", "add", "wrote@example.org", "--confirmed")
    brief(newsletter, "subscribers", "add", "erase@example.org", "--confirmed")
    result = brief(newsletter, "subscribers", "unsubscribe", "wrote@example.org", "new@example.org")
    assert "wrote@example.org: confirmed -> unsubscribed" in result.stdout
    assert "new@example.org: unsubscribed (not in the list before" in result.stdout
    # An unsubscribed reader is never re-subscribed by an editor's list.
    readd = run_brief(newsletter, "subscribers", "add", "wrote@example.org", "--confirmed")
    assert readd.code != 0 and "already in the list as unsubscribed" in readd.stderr
    brief(newsletter, "subscribers", "remove", "ERASE@example.org")
    assert "erase@example.org" not in statuses(newsletter)
    again = run_brief(newsletter, "subscribers", "remove", "erase@example.org")
    assert again.code != 0 and "erase@example.org is not in the subscriber list" in again.stderr
    unknown = run_brief(newsletter, "subscribers", "history", "erase@example.org")
    assert unknown.code != 0 and "not in the subscriber list" in unknown.stderr


def test_send_never_mails_an_address_the_store_says_not_to(sendable: Path) -> None:
    """With --to, the CSV is the list, but an unsubscribed, bounced or complained address in
    the store is skipped (and counted); without --to, the confirmed subscribers."""
    shutil.copy(REPORTS / "bounce.eml", sendable / "bounce.eml")
    brief(sendable, "subscribers", "add", "kept@example.org", "--confirmed")
    brief(sendable, "subscribers", "add", "pending@example.org")
    brief(sendable, "subscribers", "add", "left@example.org", "--confirmed")
    brief(sendable, "subscribers", "unsubscribe", "left@example.org")
    brief(sendable, "subscribers", "suppress", "bounce.eml", str(REPORTS / "complaint.eml"))
    (sendable / "old-list.csv").write_text(
        "email\nkept@example.org\nLEFT@example.org\ngone@example.org\nannoyed@example.org\n"
        "fresh@example.org\n"
    )
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        result = brief(
            sendable, "send", "2026-W46", "--to", "old-list.csv", "--smtp", server.address
        )
        assert "sent 2, skipped 0 already sent" in result.stdout
        assert result.stdout.rstrip().endswith("not to be mailed 3")
        assert "not to be mailed: gone@example.org: bounced in the store" in result.stderr
        assert sorted(recorder.recipients) == ["fresh@example.org", "kept@example.org"]
        # The CSV's new address is in the list now, confirmed (the editor listed them).
        assert statuses(sendable)["fresh@example.org"] == "confirmed"

        before = len(recorder.messages)
        later = brief(sendable, "send", "2026-W47", "--smtp", server.address)
        assert "sent 2," in later.stdout
    week47 = recorder.messages[before:]
    assert sorted(str(m["To"]) for m in week47) == ["fresh@example.org", "kept@example.org"]
    assert all("Before Black Friday" in str(m["Subject"]) for m in week47)


def test_send_to_nobody_says_how_to_get_subscribers(sendable: Path) -> None:
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        result = brief(sendable, "send", "2026-W46", "--smtp", server.address)
    assert "sent 0," in result.stdout and recorder.messages == []
    assert "no confirmed subscribers in the store" in result.stderr
    assert "brief subscribers add" in result.stderr
