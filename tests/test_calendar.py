"""The commerce calendar: content/calendar.toml to a calendar page, output/calendar.ics
(read back with the icalendar library) and "Coming up" in issues and digests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bs4 import BeautifulSoup
from icalendar import Calendar

from tests.conftest import brief


def _thanksgiving(year: int) -> date:
    day = date(year, 11, 1)
    while day.weekday() != 3:  # Thursday
        day += timedelta(days=1)
    return day + timedelta(weeks=3)


def _events(path: Path) -> list[tuple[str, date, date, str, str]]:
    calendar = Calendar.from_ical(path.read_bytes())
    return [
        (
            str(e["SUMMARY"]),
            e.decoded("DTSTART"),
            e.decoded("DTEND"),
            str(e["UID"]),
            str(e["STATUS"]),
        )
        for e in calendar.walk("VEVENT")
    ]


def test_calendar_ics_has_every_occurrence_of_the_next_twelve_months(built_sample: Path) -> None:
    events = _events(built_sample / "output" / "calendar.ics")
    today = date.today()
    starts = {(name, start) for name, start, *_ in events}
    # Every yearly and weekday rule occurs once in any twelve months from today.
    for year in (today.year, today.year + 1):
        black_friday = _thanksgiving(year) + timedelta(days=1)
        if today < black_friday <= today + timedelta(days=365):
            assert ("Black Friday", black_friday) in starts
            assert ("Cyber Monday", black_friday + timedelta(days=3)) in starts
        singles = date(year, 11, 11)
        if today < singles <= today + timedelta(days=365):
            assert ("Singles' Day (Double 11)", singles) in starts
        six18 = date(year, 6, 18)
        if today < six18 <= today + timedelta(days=365):
            assert ("618 shopping festival", six18) in starts
    assert max(start for _, start, *_ in events) >= today + timedelta(days=330)
    for _name, start, end, uid, _status in events:
        assert end > start  # all-day: DTEND is the day after the last day
        assert uid.endswith("@live-commerce-brief") and f"{start:%Y%m%d}" in uid
    uids = [uid for *_, uid, _ in events]
    assert len(uids) == len(set(uids))
    prime = [e for e in events if e[0] == "Prime Day (expected)"]
    if prime:
        assert prime[0][2] - prime[0][1] == timedelta(days=4) and prime[0][4] == "TENTATIVE"


def test_uids_are_stable_from_build_to_build(sample: Path) -> None:
    brief(sample, "build")
    first = {
        uid: (name, start) for name, start, _, uid, _ in _events(sample / "output" / "calendar.ics")
    }
    brief(sample, "build")
    again = {
        uid: (name, start) for name, start, _, uid, _ in _events(sample / "output" / "calendar.ics")
    }
    assert first == again


def test_the_calendar_page_lists_the_months(built_sample: Path) -> None:
    page = BeautifulSoup(
        (built_sample / "output" / "calendar" / "index.html").read_text(), "html.parser"
    )
    months = [h.get_text() for h in page.select(".calendar-month h2")]
    assert len(months) >= 10
    assert page.select_one('a[href$="/calendar.ics"]') is not None
    items = page.select(".calendar-item")
    assert any("expected, not confirmed" in i.get_text() for i in items)


def test_coming_up_in_the_issue_and_both_digest_parts(built_sample: Path) -> None:
    output = built_sample / "output"
    page = BeautifulSoup((output / "issues/2026-w47/index.html").read_text(), "html.parser")
    lines = [li.get_text(" ", strip=True) for li in page.select("section.coming-up li")]
    assert [line.split(" US")[0] for line in lines] == [
        "27 November Black Friday",
        "30 November Cyber Monday",
    ]
    html = BeautifulSoup((output / "digest/2026-W47.html").read_text(), "html.parser")
    assert [p.get_text(" ", strip=True) for p in html.select(".coming-item")] == [
        "27 November · Black Friday (US)",
        "30 November · Cyber Monday (US)",
    ]
    text = (output / "digest/2026-W47.txt").read_text(encoding="utf-8")
    assert (
        "== COMING UP ==\n\n  27 November: Black Friday (US)\n  30 November: Cyber Monday (US)"
        in text
    )
    # Each issue from its own date: 14 days after 13 November reach Black Friday only.
    w46 = BeautifulSoup((output / "issues/2026-w46/index.html").read_text(), "html.parser")
    assert [li.time.get_text() for li in w46.select("section.coming-up li")] == ["27 November"]


def test_a_bad_calendar_is_reported_by_line_and_stays_inert(sample: Path) -> None:
    path = sample / "content" / "calendar.toml"
    path.write_text(
        "[[event]]\n"
        'name = "<script>alert(1)</script> Day"\n'
        'rule = "yearly"\nmonth = 2\nday = 14\n\n'
        "[[event]]\n"
        'name = "No such day"\nrule = "yearly"\nmonth = 2\nday = 30\n\n'
        "[[event]]\n"
        'name = "Bad link"\nrule = "yearly"\nmonth = 3\nday = 1\nlink = "javascript:alert(1)"\n\n'
        "[[event]]\n"
        'name = "Bad weekday"\nrule = "weekday"\nmonth = 11\nweekday = "funday"\nnth = 4\n',
        encoding="utf-8",
    )
    result = brief(sample, "check", check=False)
    assert result.returncode == 1
    assert (
        "content/calendar.toml:7: error: No such day: there is no day 30 in month 2"
        in result.stdout
    )
    assert "content/calendar.toml:13: error: Bad link: link must be an http(s) URL" in result.stdout
    assert "content/calendar.toml:20: error: Bad weekday: weekday must be one of" in result.stdout
    path.write_text('[[event]]\nname = "Broken\n', encoding="utf-8")
    result = brief(sample, "check", check=False)
    assert "content/calendar.toml:2: error: not valid TOML" in result.stdout

    path.write_text(
        '[[event]]\nname = "<script>alert(1)</script> Day"\nrule = "yearly"\nmonth = 2\nday = 14\n',
        encoding="utf-8",
    )
    brief(sample, "build")
    page = (sample / "output" / "calendar" / "index.html").read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    (name,) = {e[0] for e in _events(sample / "output" / "calendar.ics")}
    assert name == "<script>alert(1)</script> Day"  # text in a text format, never markup
