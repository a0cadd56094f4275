"""The commerce calendar: content/calendar.toml to a calendar page, output/calendar.ics
(read back with the icalendar library) and "Coming up" in issues and digests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
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
    lines = [
        f"{li.time.get_text()} {li.strong.get_text()}" for li in page.select("section.coming-up li")
    ]
    assert lines == ["27 November Black Friday", "30 November Cyber Monday"]
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


def test_what_has_passed_when_the_site_is_built_is_marked_past(built_sample: Path) -> None:
    """Marked by the build (the script marks what passes later): struck through and said."""
    today = date.today().isoformat()
    output = built_sample / "output"
    for page, selector in (
        ("calendar/index.html", ".calendar-item"),
        ("index.html", "section.coming-up li"),
    ):
        soup = BeautifulSoup((output / page).read_text(), "html.parser")
        items = soup.select(selector)
        assert items, page
        for item in items:
            gone = item["data-end"] < today
            assert ("past" in item.get("class", [])) == gone, (page, item["data-end"])
            assert (item.select_one(".past-label") is not None) == gone


@pytest.mark.slow
def test_the_calendar_page_opens_at_today_and_marks_what_passed_since(
    sample_site: str, browser: object
) -> None:
    """Read six weeks after the build: what passed meanwhile is marked, and the page opens
    at the month of the next date; without the script, the build's marks stand."""
    later = datetime.now() + timedelta(weeks=6)
    context = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page = context.new_page()
    page.clock.set_fixed_time(later)
    page.goto(sample_site + "/calendar/", wait_until="networkidle")
    cutoff = later.date().isoformat()
    ends = page.eval_on_selector_all(
        ".calendar-item",
        "items => items.map(i => [i.dataset.end, i.classList.contains('past'),"
        " !!i.querySelector('.past-label')])",
    )
    assert ends and all(past == label == (end < cutoff) for end, past, label in ends), ends
    first = page.eval_on_selector(
        ".calendar-item:not(.past)", "i => i.closest('.calendar-month').getBoundingClientRect().top"
    )
    assert page.evaluate("window.scrollY") > 0 and abs(first) < 5
    page.goto(sample_site + "/", wait_until="networkidle")
    assert (
        page.locator("section.coming-up li.past").count()
        == page.locator("section.coming-up li").count()
    )
    context.close()
    plain = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    page = plain.new_page()
    page.goto(sample_site + "/calendar/")
    today = date.today().isoformat()
    marks = page.eval_on_selector_all(
        ".calendar-item", "items => items.map(i => [i.dataset.end, i.classList.contains('past')])"
    )
    assert all(past == (end < today) for end, past in marks)
    plain.close()
