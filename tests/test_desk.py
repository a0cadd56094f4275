"""The web desk (`brief desk serve`) under uvicorn on 127.0.0.1, driven over HTTP with httpx:
editors and sessions, what an attacker's request changes (nothing), two editors deciding and
saving at once, and the Markdown files staying the source of truth."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from tests.conftest import (
    FEEDS,
    TEST_SECRET,
    brief,
    copy_sample,
    run_brief,
    serve,
    write_sample_feeds,
)
from tests.desk import (
    EDITORS,
    Desk,
    add_editors,
    edit_form,
    field,
    serving,
    sign_in,
    start_desk,
    stop,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The sample newsletter with the fixture feeds scraped, two editors, and its desk."""
    base = tmp_path_factory.mktemp("desk")
    root = copy_sample(base / "news")
    shutil.copytree(FEEDS, base / "feeds")
    feeds = serve(base / "feeds")
    write_sample_feeds(root, next(feeds))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEF_SECRET", TEST_SECRET)
        brief(root, "scrape")
        add_editors(root)
        process, url = start_desk(root)
    next(feeds, None)
    try:
        yield Desk(root, url, process)
    finally:
        stop(process)


def stories(root: Path) -> dict[int, dict[str, object]]:
    listed = json.loads(
        brief(root, "triage", "--status", "all", "--json", "--limit", "100000").stdout
    )
    return {row["id"]: row for row in listed}


def story_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="id" value="(\d+)"', html)]


def notice(html: str) -> str:
    found = BeautifulSoup(html, "html.parser").select_one(".notice")
    return " ".join(found.get_text().split()) if found else ""


def decide(client: httpx.Client, story: int, action: str, page: str) -> httpx.Response:
    """Press a story's button on `page` (the queue as the editor last loaded it)."""
    soup = BeautifulSoup(page, "html.parser")
    form = soup.select_one(f"#story-{story} form.decide")
    assert form is not None, f"#{story} is not on the page"
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    return client.post("/decide", data={**data, "action": action})


# -- editors and serving --------------------------------------------------------------------


def test_editors_are_added_listed_and_removed_with_hashed_passwords(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "news")
    added = brief(root, "editors", "add", "Dana Lee", "--password", "a-long-password")
    assert "added Dana Lee" in added.stdout
    again = run_brief(root, "editors", "add", "Dana Lee", "--password", "another-password")
    assert again.code == 2 and "already an editor called 'Dana Lee'" in again.stderr
    short = run_brief(root, "editors", "add", "Eve", "--password", "short")
    assert short.code == 1 and "at least 10 characters" in short.stderr
    odd = run_brief(root, "editors", "add", "<b>Eve</b>", "--password", "a-long-password")
    assert odd.code == 1 and "letters, digits, spaces" in odd.stderr
    for email in ("not-an-address", "eve@example.com\nBcc: all@example.com"):
        bad = run_brief(root, "editors", "add", "Eve", "--password", "a-long-password",
                        "--email", email)  # fmt: skip
        assert bad.code == 1 and "not an email address" in bad.stderr, email
    listed = json.loads(brief(root, "editors", "list", "--json").stdout)
    assert [e["name"] for e in listed] == ["Dana Lee"] and listed[0]["last_sign_in"] is None
    store = root / "data" / "brief.sqlite"
    assert b"a-long-password" not in store.read_bytes()
    (hashed,) = sqlite3.connect(store).execute("SELECT password FROM editors").fetchone()
    assert hashed.startswith("$argon2id$")
    brief(root, "editors", "remove", "Dana Lee")
    assert json.loads(brief(root, "editors", "list", "--json").stdout) == []
    gone = run_brief(root, "editors", "remove", "Dana Lee")
    assert gone.code == 2 and "no editor called 'Dana Lee'" in gone.stderr


def test_the_desk_refuses_to_start_without_a_secret_or_an_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_sample(tmp_path / "news")
    nobody = run_brief(root, "desk", "serve", "--port", "1")
    assert nobody.code == 2 and "brief editors add NAME" in nobody.stderr
    brief(root, "editors", "add", "Dana Lee", "--password", "a-long-password")
    monkeypatch.delenv("BRIEF_SECRET")
    secretless = run_brief(root, "desk", "serve", "--port", "1")
    assert secretless.code == 2 and "BRIEF_SECRET" in secretless.stderr


# -- who may change what ----------------------------------------------------------------------


# Every route that changes something, with a form that would change it.
CHANGES = {
    "/decide": {"id": "1", "action": "reject"},
    "/undo": {},
    "/reject-below": {"below": "1"},
    "/sign-out": {},
    "/articles/2026/amazon-live-puts-influencers-next-to-the-buy-button": {
        "title": "Changed", "body": "Gone", "fingerprint": "x"},
    "/articles/2026/amazon-live-puts-influencers-next-to-the-buy-button/preview": {},
    "/issues/start": {},
    "/issues/2026-W47": {"title": "Changed", "story": "x", "section": "Deals"},
    "/issues/2026-W47/test": {},
    "/issues/2026-W47/publish": {"confirm": "yes"},
    "/issues/2026-W47/send": {"confirm": "yes", "recipients": "1"},
}  # fmt: skip
PAGES = ["/queue", "/queue?status=all", "/drafts", "/articles/2026/anything", "/issues",
         "/issues/2026-W47", "/issues/2026-W47/digest", "/issues/2026-W47/page",
         "/site/index.html", "/subscribers", "/subscribers.csv"]  # fmt: skip


def state(desk: Desk) -> tuple[object, ...]:
    """What a request could change: the stories, every content file, the store's log."""
    files = {p: p.read_bytes() for p in sorted((desk.root / "content").rglob("*.md"))}
    log = (
        sqlite3.connect(desk.root / "data" / "brief.sqlite")
        .execute("SELECT COUNT(*) FROM desk_log")
        .fetchone()
    )
    return stories(desk.root), files, log


def test_every_page_but_sign_in_and_health_needs_a_session(desk: Desk) -> None:
    with desk.client() as client:
        assert client.get("/health").status_code == 200
        assert client.get("/sign-in").status_code == 200
        for page in PAGES:
            answer = client.get(page)
            assert answer.status_code == 303, page
            assert answer.headers["location"].startswith("/sign-in")
    before = state(desk)
    with desk.client() as client:
        for path, form in CHANGES.items():
            assert client.post(path, data=form).status_code == 401, path
    assert state(desk) == before


def test_every_change_needs_the_sessions_csrf_token_and_a_small_body(desk: Desk) -> None:
    ana = desk.signed_in("Ana Ruiz")
    csrf = field(ana.get("/queue").text, "csrf")
    before = state(desk)
    for path, form in CHANGES.items():
        assert ana.post(path, data=form).status_code == 403, path
        assert ana.post(path, data={**form, "csrf": csrf + "x"}).status_code == 403, path
        huge = ana.post(path, data={**form, "csrf": csrf, "body": "x" * 2_100_000})
        assert huge.status_code == 413, path
    assert state(desk) == before
    assert ana.get("/queue").status_code == 200  # still signed in: nothing was ended


def test_filters_an_editor_mistypes_are_said_beside_them(desk: Desk) -> None:
    ana = desk.signed_in("Ana Ruiz")
    odd = {"since": "last tuesday", "company": "Nosuchco", "status": "<b>", "section": "x\n",
           "limit": "-5", "words": '"unbalanced AND ('}  # fmt: skip
    page = BeautifulSoup(ana.get("/queue", params=odd).text, "html.parser")
    assert "give a date" in page.select_one("#since-error").get_text()
    assert "no company or platform" in page.select_one("#company-error").get_text()
    assert page.select_one("#status option[selected]").get_text() == "new"
    words = ana.get("/queue", params={"words": '"unbalanced AND (', "limit": "99999999"})
    assert words.status_code == 200


def test_a_wrong_password_an_unknown_name_and_a_forged_sign_in_form_sign_nobody_in(
    desk: Desk,
) -> None:
    with desk.client() as client:
        assert sign_in(client, "Ana Ruiz", "not-her-password").status_code == 401
        assert sign_in(client, "Nobody", "ana-password-1").status_code == 401
        client.get("/sign-in")
        forged = client.post(
            "/sign-in", data={"name": "Ana Ruiz", "password": EDITORS["Ana Ruiz"], "token": "x"}
        )
        assert forged.status_code == 403
        assert client.get("/queue").status_code == 303


def test_a_missing_or_forged_csrf_token_or_another_site_changes_nothing(desk: Desk) -> None:
    client = desk.signed_in("Ana Ruiz")
    page = client.get("/queue").text
    story = story_ids(page)[-1]
    before = stories(desk.root)
    form = {"id": str(story), "action": "reject", "seen": "", "back": ""}
    assert client.post("/decide", data=form).status_code == 403
    assert client.post("/decide", data={**form, "csrf": "forged"}).status_code == 403
    other = desk.signed_in("Bo Chen")  # a real token, of another session
    theirs = field(other.get("/queue").text, "csrf")
    assert client.post("/decide", data={**form, "csrf": theirs}).status_code == 403
    cross = client.post(
        "/decide",
        data={**form, "csrf": field(page, "csrf")},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    assert client.post("/reject-below", data={"below": "1"}).status_code == 403
    assert stories(desk.root) == before


def test_a_tampered_session_cookie_is_nobody(desk: Desk) -> None:
    client = desk.signed_in("Ana Ruiz")
    cookie = client.cookies["brief_desk"]
    key, _, signature = cookie.rpartition(".")
    for tampered in (f"{key[:-1]}A.{signature}", f"{key}.{signature[:-2]}xx", "garbage", ""):
        with desk.client() as other:
            other.cookies.set("brief_desk", tampered)
            assert other.get("/queue").status_code == 303


def test_a_replayed_sign_out_or_an_old_cookie_changes_nothing(desk: Desk) -> None:
    client = desk.signed_in("Bo Chen")
    page = client.get("/queue").text
    cookie, csrf = client.cookies["brief_desk"], field(page, "csrf")
    out = client.post("/sign-out", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    before = stories(desk.root)
    with desk.client() as replay:
        replay.cookies.set("brief_desk", cookie)
        assert replay.post("/sign-out", data={"csrf": csrf}).status_code == 401
        assert replay.get("/queue").status_code == 303
        story = story_ids(page)[0]
        again = replay.post("/decide", data={"csrf": csrf, "id": story, "action": "reject"})
        assert again.status_code == 401
    assert stories(desk.root) == before


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(desk: Desk) -> None:
    with desk.client() as client:
        plain = sign_in(client, "Ana Ruiz", EDITORS["Ana Ruiz"]).headers["set-cookie"]
    assert "HttpOnly" in plain and "SameSite=strict" in plain and "Secure" not in plain
    with desk.client() as client:
        client.headers["X-Forwarded-Proto"] = "https"  # the reverse proxy says so
        secure = sign_in(client, "Ana Ruiz", EDITORS["Ana Ruiz"]).headers["set-cookie"]
    assert "Secure" in secure


def test_sign_in_sends_only_to_the_desk_itself(desk: Desk) -> None:
    for target, lands in (("/drafts", "/drafts"), ("//evil.example/x", "/queue"),
                          ("https://evil.example/", "/queue"), ("/\\evil.example", "/queue")):  # fmt: skip
        with desk.client() as client:
            page = client.get("/sign-in", params={"next": target})
            answer = client.post(
                "/sign-in",
                data={
                    "name": "Ana Ruiz",
                    "password": EDITORS["Ana Ruiz"],
                    "token": field(page.text, "token"),
                    "next": field(page.text, "next"),
                },
            )
            assert answer.headers["location"] == lands, target


def test_sign_in_attempts_are_limited(desk: Desk) -> None:
    # A desk of its own (its own limits) on the same newsletter, in this process.
    from brief.ground.settings import load_settings
    from brief.web.app import create_app

    app = create_app(load_settings(desk.root / "pelicanconf.py"), TEST_SECRET)
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        codes = [sign_in(client, "Ana Ruiz", "guess-number-x").status_code for _ in range(11)]
        assert codes[:10] == [401] * 10 and codes[10] == 429
        # Even the right password waits now: a guesser cannot tell it was right.
        assert sign_in(client, "Ana Ruiz", EDITORS["Ana Ruiz"]).status_code == 429
        # Another name from the same place waits too: the client is counted as well.
        assert sign_in(client, "Bo Chen", EDITORS["Bo Chen"]).status_code == 429


# -- deciding together -------------------------------------------------------------------------


def test_two_editors_deciding_one_story_the_second_is_told_who_decided(desk: Desk) -> None:
    ana, bo = desk.signed_in("Ana Ruiz"), desk.signed_in("Bo Chen")
    ana_page, bo_page = ana.get("/queue").text, bo.get("/queue").text
    story = story_ids(ana_page)[1]
    assert decide(ana, story, "shortlist", ana_page).status_code == 303
    assert f"#{story} shortlisted" in notice(ana.get("/queue").text)
    assert decide(bo, story, "reject", bo_page).status_code == 303
    said = notice(bo.get("/queue").text)
    assert f"#{story} was shortlisted by Ana Ruiz" in said and "nothing was changed" in said
    row = stories(desk.root)[story]
    assert row["shortlisted"] and row["status"] == "new" and row["decided_by"] == "Ana Ruiz"
    # Bo's undo is Bo's: it does not take back Ana's shortlist.
    bo.post("/undo", data={"csrf": field(bo_page, "csrf"), "back": ""})
    assert stories(desk.root)[story]["shortlisted"]
    ana.post("/undo", data={"csrf": field(ana_page, "csrf"), "back": ""})
    row = stories(desk.root)[story]
    assert not row["shortlisted"] and row["decided_by"] is None


def test_accepting_writes_the_draft_and_records_the_editor(desk: Desk) -> None:
    bo = desk.signed_in("Bo Chen")
    page = bo.get("/queue", params={"status": "new"}).text
    story = story_ids(page)[0]
    decide(bo, story, "accept", page)
    shown = bo.get("/queue").text
    link = BeautifulSoup(shown, "html.parser").select_one(".notice a")
    assert link is not None and link.get_text() == "Annotate it"
    row = stories(desk.root)[story]
    assert row["status"] == "accepted" and row["decided_by"] == "Bo Chen"
    assert (desk.root / str(row["article_path"])).is_file()
    assert bo.get(str(link["href"])).status_code == 200


def test_bulk_reject_below_a_score_is_undone_at_once(desk: Desk) -> None:
    ana = desk.signed_in("Ana Ruiz")
    page = ana.get("/queue").text
    before = stories(desk.root)
    low = [i for i, row in before.items() if row["status"] == "new" and not row["shortlisted"]
           and float(row["score"]) < 0.95]  # fmt: skip
    ana.post("/reject-below", data={"csrf": field(page, "csrf"), "below": "0.95", "back": ""})
    assert f"rejected {len(low)} stories" in notice(ana.get("/queue").text)
    assert all(stories(desk.root)[i]["status"] == "rejected" for i in low)
    ana.post("/undo", data={"csrf": field(page, "csrf"), "back": ""})
    assert stories(desk.root) == before


# -- annotating together -----------------------------------------------------------------------


ARTICLE = "/articles/2026/amazon-live-puts-influencers-next-to-the-buy-button"


def test_saving_changes_the_fields_in_place_and_nothing_typed_becomes_a_header_line(
    desk: Desk,
) -> None:
    ana = desk.signed_in("Ana Ruiz")
    path = desk.root / "content" / (ARTICLE.removeprefix("/") + ".md")
    before = path.read_text(encoding="utf-8")
    form = edit_form(ana.get(ARTICLE).text)
    form["title"] = "Amazon Live puts influencers\r\nStatus: hidden\r\nnext to the buy button"
    form["figure_value"] = ["30", ""]
    form["figure_unit"] = ["%", ""]
    form["figure_label"] = ['of "shoppable"; viewers', ""]
    form["body"] = (
        str(form["body"])
        .replace("The hard part", "The hard part, as in every market,")
        .replace("\n", "\r\n")
    )
    answer = ana.post(ARTICLE, data=form)
    assert answer.status_code == 303, answer.text
    after = path.read_text(encoding="utf-8")
    assert "Title: Amazon Live puts influencers Status: hidden next to the buy button\n" in after
    assert "\nStatus: published\n" in after and "Status: hidden\n" not in after
    assert "Figures: 30 % \"of 'shoppable', viewers\"" in after
    assert "The hard part, as in every market," in after and "\r" not in after
    # Every line the form does not show is as it was.
    kept = [line for line in before.splitlines() if not line.startswith(("Title:", "The hard"))]
    assert all(line in after.splitlines() for line in kept)
    assert "saved content/articles/2026/" in notice(ana.get("/queue").text)
    path.write_text(before, encoding="utf-8")


def test_a_figure_that_is_not_a_number_is_refused_next_to_its_field(desk: Desk) -> None:
    ana = desk.signed_in("Ana Ruiz")
    path = desk.root / "content" / (ARTICLE.removeprefix("/") + ".md")
    before = path.read_text(encoding="utf-8")
    form = edit_form(ana.get(ARTICLE).text)
    form["figure_value"], form["figure_unit"] = ["1,2", ""], ["USD", ""]
    form["figure_label"], form["dek"] = ["Amazon Live's sales", ""], "A new dek I wrote."
    answer = ana.post(ARTICLE, data=form)
    assert answer.status_code == 400
    soup = BeautifulSoup(answer.text, "html.parser")
    assert "is not a number" in soup.select_one("#figure-problem-0").get_text()
    assert soup.select_one("#dek").get_text() == "A new dek I wrote."  # the words stay
    assert path.read_text(encoding="utf-8") == before


def test_a_save_over_another_editors_save_is_refused_with_the_difference(desk: Desk) -> None:
    ana, bo = desk.signed_in("Ana Ruiz"), desk.signed_in("Bo Chen")
    path = desk.root / "content" / (ARTICLE.removeprefix("/") + ".md")
    before = path.read_text(encoding="utf-8")
    ana_form, bo_form = edit_form(ana.get(ARTICLE).text), edit_form(bo.get(ARTICLE).text)
    bo_form["body"] = str(bo_form["body"]) + "\n\nBo's paragraph on conversion."
    assert bo.post(ARTICLE, data=bo_form).status_code == 303
    ana_form["body"] = str(ana_form["body"]) + "\n\nAna's paragraph on hosts."
    refused = ana.post(ARTICLE, data=ana_form)
    assert refused.status_code == 409
    soup = BeautifulSoup(refused.text, "html.parser")
    assert "+Bo's paragraph on conversion." in soup.select_one(".diff").get_text()
    assert "Ana's paragraph on hosts." in soup.select_one("#body").get_text()
    saved = path.read_text(encoding="utf-8")
    assert "Bo's paragraph" in saved and "Ana's paragraph" not in saved
    # Ana merges and saves again, on the file as it is now: both paragraphs are kept.
    merged = edit_form(refused.text)
    merged["body"] = str(merged["body"]).replace(
        "Ana's paragraph on hosts.", "Bo's paragraph on conversion.\n\nAna's paragraph on hosts."
    )
    assert ana.post(ARTICLE, data=merged).status_code == 303
    final = path.read_text(encoding="utf-8")
    assert "Bo's paragraph" in final and "Ana's paragraph" in final
    history = [li.get_text(" ", strip=True) for li in
               BeautifulSoup(ana.get(ARTICLE).text, "html.parser").select(".history li")]  # fmt: skip
    assert history[0].endswith("Ana Ruiz saved") and history[1].endswith("Bo Chen saved")
    # An edit in $EDITOR is a change on disk like any other.
    form = edit_form(ana.get(ARTICLE).text)
    path.write_text(final + "\nA line from the terminal.\n", encoding="utf-8")
    assert ana.post(ARTICLE, data=form).status_code == 409
    assert "A line from the terminal." in path.read_text(encoding="utf-8")
    path.write_text(before, encoding="utf-8")


def test_a_path_outside_the_articles_is_no_article(desk: Desk) -> None:
    ana = desk.signed_in("Ana Ruiz")
    for bad in ("/articles/2026/..%2F..%2Fpelicanconf", "/articles/..%2F..%2F/x",
                "/articles/abcd/x", "/articles/2026/nope"):  # fmt: skip
        assert ana.get(bad).status_code == 404, bad


def test_several_writers_at_once_never_meet_a_locked_store(tmp_path: Path) -> None:
    """Two editors deciding as fast as they can on the desk while a scrape stores 600 new
    stories and the list grows from the command line: every request is answered, every
    command succeeds, and nobody is told the store is busy."""
    import subprocess
    import sys
    import threading

    from bench.corpus import write_feeds
    from tests.conftest import write_feeds as name_feeds

    root = copy_sample(tmp_path / "news")
    paths = write_feeds(tmp_path / "feeds", 12, 50)
    feeds = serve(tmp_path / "feeds")
    server = next(feeds)
    name_feeds(root, {p.stem: f"{server.url}/{p.name}" for p in paths[:2]})
    brief(root, "scrape")  # a first queue to decide on
    name_feeds(root, {p.stem: f"{server.url}/{p.name}" for p in paths[2:]})
    add_editors(root)
    process, url = start_desk(root)
    desk = Desk(root, url, process)
    answers: list[int] = []

    def decide_all(name: str) -> None:
        client = desk.signed_in(name)
        page = client.get("/queue", params={"status": "new", "limit": "40"}).text
        csrf = field(page, "csrf")
        for story in story_ids(page):
            for action in ("shortlist", "reject"):
                answer = client.post(
                    "/decide", data={"csrf": csrf, "id": story, "action": action, "back": ""}
                )
                answers.append(answer.status_code)
            answers.append(client.post("/undo", data={"csrf": csrf, "back": ""}).status_code)

    try:
        scrape = subprocess.Popen(
            [sys.executable, "-m", "brief", "scrape"], cwd=root, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        editors = [threading.Thread(target=decide_all, args=(n,)) for n in EDITORS]
        for thread in editors:
            thread.start()
        for n in range(15):
            brief(root, "subscribers", "add", f"reader{n}@example.org", "--confirmed")
        for thread in editors:
            thread.join()
        said, _ = scrape.communicate(timeout=120)
    finally:
        stop(process)
        next(feeds, None)
    assert scrape.returncode == 0, said
    assert answers and set(answers) == {303}, answers
    log = (root / "desk.log").read_text()
    for text in (said, log):
        assert "locked" not in text and "busy" not in text and "Traceback" not in text
    assert len(stories(root)) > 500


def test_the_list_page_counts_finds_and_exports(desk: Desk) -> None:
    for address in ("ana.reader@example.org", "bo.reader@example.org", "=cmd|calc@example.org"):
        brief(desk.root, "subscribers", "add", address, "--confirmed")
    brief(desk.root, "subscribers", "unsubscribe", "bo.reader@example.org")
    ana = desk.signed_in("Ana Ruiz")
    page = BeautifulSoup(ana.get("/subscribers").text, "html.parser")
    counts = dict(zip([dt.get_text() for dt in page.select(".counts dt")],
                      [dd.get_text() for dd in page.select(".counts dd")], strict=True))  # fmt: skip
    assert counts["Confirmed"] == "2" and counts["Unsubscribed"] == "1" and counts["In all"] == "3"
    this_week = page.select(".growth tbody tr")[-1].get_text(" ", strip=True)
    assert this_week.endswith("3 1 +2"), this_week
    recent = [li.get_text(" ", strip=True) for li in page.select(".recent li")]
    assert "bo.reader@example.org: unsubscribed" in recent[0]
    found = BeautifulSoup(ana.get("/subscribers", params={"address": "BO.READ"}).text,
                          "html.parser")  # fmt: skip
    rows = found.select("table.articles tbody tr")
    assert len(rows) == 1 and "unsubscribed" in rows[0].get_text()
    for wildcard in ("%", "_"):  # the search's own characters match only themselves
        shown = ana.get("/subscribers", params={"address": wildcard}).text
        assert not BeautifulSoup(shown, "html.parser").select("table.articles tbody tr")
    export = ana.get("/subscribers.csv", params={"status": "confirmed"})
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    lines = export.text.splitlines()
    assert lines[0] == "email,name,status,changed_at" and len(lines) == 3
    assert any(line.startswith("'=cmd|calc@example.org") for line in lines)  # not a formula
    with desk.client() as stranger:
        assert stranger.get("/subscribers.csv").status_code == 303


# -- what an attacker's review found ----------------------------------------------------------


def own_desk(desk: Desk) -> object:
    """Another desk application on the same newsletter, with limits of its own."""
    from brief.ground.settings import load_settings
    from brief.web.app import create_app

    return create_app(load_settings(desk.root / "pelicanconf.py"), TEST_SECRET)


def test_sign_ins_sent_all_at_once_are_counted_before_they_are_hashed(desk: Desk) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with serving(own_desk(desk)) as url:
        # Thirty browsers, each with its own form, all posting at the same moment.
        clients = [httpx.Client(base_url=url, timeout=30) for _ in range(30)]
        tokens = [field(c.get("/sign-in").text, "token") for c in clients]

        def attempt(n: int) -> int:
            form = {"name": "Ana Ruiz", "password": "a-guess-at-once", "token": tokens[n]}
            return clients[n].post("/sign-in", data=form).status_code

        with ThreadPoolExecutor(30) as pool:
            codes = list(pool.map(attempt, range(30)))
        for client in clients:
            client.close()
        assert codes.count(401) <= 10 and set(codes) <= {401, 429, 503}, codes

        # The name as verify() reads it: spacing, case and Unicode spaces are one editor.
        # (Each from its own address, as the proxy says: only the name is counted here.)
        def from_(address: str) -> httpx.Client:
            return httpx.Client(base_url=url, timeout=30, headers={"X-Forwarded-For": address})

        for n in range(10):
            with from_(f"10.0.0.{n}") as guesser:
                assert sign_in(guesser, "Bo Chen", "a-wrong-guess").status_code == 401
        for n, variant in enumerate(("Bo  Chen", " Bo Chen", "Bo\u3000Chen", "BO CHEN")):
            with from_(f"10.0.1.{n}") as other:
                assert sign_in(other, variant, EDITORS["Bo Chen"]).status_code == 429, variant


def test_two_saves_at_the_same_moment_one_is_refused(desk: Desk) -> None:
    import threading

    path = desk.root / "content" / (ARTICLE.removeprefix("/") + ".md")
    before = path.read_text(encoding="utf-8")
    ana, bo = desk.signed_in("Ana Ruiz"), desk.signed_in("Bo Chen")
    for trial in range(6):
        forms = []
        for client, who in ((ana, "Ana"), (bo, "Bo")):
            form = edit_form(client.get(ARTICLE).text)
            form["body"] = f"{form['body']}\r\n{who} wrote this in trial {trial}."
            forms.append((client, form))
        start = threading.Barrier(2)
        codes: list[int] = []

        def save(
            client: httpx.Client,
            form: dict[str, object],
            start: threading.Barrier = start,
            codes: list[int] = codes,
        ) -> None:
            start.wait()
            codes.append(client.post(ARTICLE, data=form).status_code)

        threads = [threading.Thread(target=save, args=pair) for pair in forms]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(codes) == [303, 409], codes
        text = path.read_text(encoding="utf-8")
        assert (f"Ana wrote this in trial {trial}" in text) != (
            f"Bo wrote this in trial {trial}" in text
        )
    path.write_text(before, encoding="utf-8")


def test_an_issue_form_cannot_change_the_files_shape(desk: Desk) -> None:
    ana = desk.signed_in("Ana Ruiz")
    issue_file = desk.root / "content" / "issues" / "2026-W47.md"
    before = issue_file.read_text(encoding="utf-8")
    page = ana.get("/issues/2026-W47").text
    soup = BeautifulSoup(page, "html.parser")
    base = {
        "csrf": field(page, "csrf"), "opened": field(page, "opened"), "title": "T",
        "preheader": "P", "intro": "Intro.",
        "story": [i["value"] for i in soup.select("input[name=story]")],
        "section": [s.select_one("option[selected]").get_text() for s in soup.select("select[name=section]")],
        "position": [i["value"] for i in soup.select("input[name=position]")],
    }  # fmt: skip
    hostile = [
        {"intro": "Intro\n\n```\nprint(1)\n"},  # an open code block swallows the lists
        {"intro": "Intro\n\n## Deals\n\n- a-story"},  # a section of its own
        {"story": ["x\n\n## Who moved this week\n\n- Amazon: 1 1 1 1 1 1 1 1 -> 999"]},
        {"section": ["News\n<script>alert(1)</script>"] * len(base["section"])},
        {"add": "no-such-article Deals"},
    ]
    for change in hostile:
        answer = ana.post("/issues/2026-W47", data={**base, **change})
        assert answer.status_code == 303
        errors = BeautifulSoup(ana.get("/queue").text, "html.parser").select(".notice-error")
        assert errors, change
        assert issue_file.read_text(encoding="utf-8") == before, change
    # A title with markup is text, whatever it says: the file keeps it escaped.
    title = "Q&A: what <img src=x onerror=alert(1)> means"
    assert ana.post("/issues/2026-W47", data={**base, "title": title}).status_code == 303
    saved = issue_file.read_text(encoding="utf-8")
    assert "Title: Q&A: what &lt;img src=x onerror=alert(1)&gt; means\n" in saved
    reread = BeautifulSoup(ana.get("/issues/2026-W47").text, "html.parser")
    assert reread.select_one("#title")["value"] == title  # shown as the editor typed it
    issue_file.write_text(before, encoding="utf-8")


def test_odd_requests_get_an_answer_with_the_desks_headers(desk: Desk) -> None:
    ana = desk.signed_in("Ana Ruiz")
    page = ana.get("/queue").text
    story = story_ids(page)[-1]
    odd = ana.post("/decide", data={"csrf": field(page, "csrf"), "id": story,
                                    "action": "shortlist", "seen": "0001-01-01T00:00:00+14:00"})  # fmt: skip
    assert odd.status_code == 400  # what the editor saw is not understood: nothing done
    assert not stories(desk.root)[story]["shortlisted"]
    broken = desk.root / "content" / "articles" / "2026" / "bad-bytes.md"
    broken.write_bytes(b"Title: x\n\n\xff\xfe not text")
    assert ana.get("/articles/2026/bad-bytes").status_code == 422
    broken.unlink()
    for answer in (ana.get("/no-such-page"), ana.get("/health")):
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-frame-options"] == "DENY"


def test_another_site_cannot_sign_a_browser_in(desk: Desk) -> None:
    from brief.web.auth import Sessions

    with desk.client() as client:
        page = client.get("/sign-in")
        form = {
            "name": "Ana Ruiz",
            "password": EDITORS["Ana Ruiz"],
            "token": field(page.text, "token"),
        }
        for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
            assert client.post("/sign-in", data=form, headers=headers).status_code == 403
        assert client.get("/queue").status_code == 303
    sessions = Sessions(TEST_SECRET)
    old = sessions.sign_in_token("nonce", made=int(time.time()) - 4000)
    assert not sessions.sign_in_allowed("nonce", old)
    assert sessions.sign_in_allowed("nonce", sessions.sign_in_token("nonce"))


def test_notices_wait_for_a_page_and_none_is_lost(desk: Desk) -> None:
    bo = desk.signed_in("Bo Chen")
    page = bo.get("/queue").text
    csrf = field(page, "csrf")
    bo.post("/undo", data={"csrf": csrf, "back": ""})
    bo.post("/reject-below", data={"csrf": csrf, "below": "nonsense", "back": ""})
    assert bo.get("/subscribers.csv").status_code == 200  # a download says nothing
    said = [" ".join(n.get_text().split()) for n in
            BeautifulSoup(bo.get("/queue").text, "html.parser").select(".notice")]  # fmt: skip
    assert len(said) == 2 and "give a score between 0 and 1" in said[1]


def test_a_preview_that_takes_too_long_is_stopped_and_the_next_one_works(desk: Desk) -> None:
    from brief.web.previews import Previews, PreviewTooSlow

    path = desk.root / "content" / (ARTICLE.removeprefix("/") + ".md")
    text = path.read_text(encoding="utf-8")
    previews = Previews(desk.root / "pelicanconf.py", timeout=1)
    try:
        with pytest.raises(PreviewTooSlow):
            previews.render(text + "\n" + "[" * 30_000 + "\n", path, datetime.now(UTC))
        site, block = previews.render(text + "\nA sentence after.\n", path, datetime.now(UTC))
        assert "A sentence after." in site and "A sentence after." in block
    finally:
        previews.close()
    # The form refuses a body longer than an article's before anything renders it.
    ana = desk.signed_in("Ana Ruiz")
    form = edit_form(ana.get(ARTICLE).text)
    form["body"] = "[" * 100_001
    refused = ana.post(ARTICLE, data=form)
    assert refused.status_code == 400 and "at most 100,000 characters" in refused.text
    assert path.read_text(encoding="utf-8") == text


def test_an_issue_page_says_how_it_did_with_brief_stats_numbers(desk: Desk) -> None:
    from scrapers.storage import open_store

    story = "whatnot-built-live-shopping-around-collectors"
    with open_store(desk.root / "data" / "brief.sqlite") as store:
        for who in ("one", "two", "three"):
            store.deliveries.mark("2026-W46", f"{who}@example.net", "sent")
        for _ in range(4):
            store.clicks.add("2026-W46", story, "https://brief.example.com/articles/x/")
        store.clicks.add("2026-W46", "", "https://brief.example.com/issues/2026-w46/")
    page = BeautifulSoup(desk.signed_in("Ana Ruiz").get("/issues/2026-W46").text, "html.parser")
    shown = page.select_one("section.stats")
    counts = dict(zip([dt.get_text() for dt in shown.select("dt")],
                      [dd.get_text() for dd in shown.select("dd")], strict=True))  # fmt: skip
    cli = json.loads(brief(desk.root, "stats", "2026-W46", "--json").stdout)
    assert counts["Sent"] == str(cli["sent"]) == "3"
    assert counts["Clicks"] == str(cli["clicks"]) == "5"
    rows = [[td.get_text() for td in tr.select("td")] for tr in shown.select("tbody tr")]
    assert rows == [["Whatnot built live shopping around collectors", "4"],
                    ["The issue's other links", "1"]]  # fmt: skip
    # An issue nobody was sent shows no numbers at all.
    other = desk.signed_in("Ana Ruiz").get("/issues/2026-W45").text
    assert "How it did" not in other
