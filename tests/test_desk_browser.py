"""A whole week at the web desk in headless Chromium, two editors signed in at once: triage
by keys and by buttons, annotate with a conflict, assemble the issue, preview, a test digest
to a real SMTP server, publish, send. Then axe on every desk page, at 390 px too."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FEEDS, REPO, TEST_SECRET, brief, copy_sample, serve, write_sample_feeds
from tests.desk import EDITORS, Desk, start_desk, stop
from tests.service import mail_to, wait_for_mail
from tests.smtp_server import Recorder, SmtpServer

pytestmark = pytest.mark.slow

AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
READERS = ("reader.one@example.com", "reader.two@example.org")


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Desk, Recorder]]:
    base = tmp_path_factory.mktemp("desk-week")
    root = copy_sample(base / "news")
    shutil.copytree(FEEDS, base / "feeds")
    feeds = serve(base / "feeds")
    write_sample_feeds(root, next(feeds))
    recorder = Recorder()
    with SmtpServer(recorder) as smtp, pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEF_SECRET", TEST_SECRET)
        mail_to(root, smtp)
        brief(root, "scrape")
        next(feeds, None)
        for name, password in EDITORS.items():
            email = f"{name.split()[0].lower()}@desk.example"
            brief(root, "editors", "add", name, "--password", password, "--email", email)
        for reader in READERS:
            brief(root, "subscribers", "add", reader, "--confirmed")
        process, url = start_desk(root)
        try:
            yield Desk(root, url, process), recorder
        finally:
            stop(process)


def signed_in(browser: Any, desk: Desk, name: str, **options: Any) -> Any:
    page = browser.new_context(**options).new_page()
    page.goto(desk.base + "/queue")
    page.fill("#name", name)
    page.fill("#password", EDITORS[name])
    page.click("form.sign-in button")
    page.wait_for_url("**/queue")
    return page


def press(page: Any, key: str) -> None:
    """A key that submits a form: wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def click(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def notice(page: Any) -> str:
    return " ".join(page.inner_text(".notice").split())


def stories(root: Path) -> dict[int, dict[str, Any]]:
    listed = json.loads(brief(root, "triage", "--status", "all", "--json").stdout)
    return {row["id"]: row for row in listed}


def test_a_week_at_the_desk_with_two_editors(week: tuple[Desk, Recorder], browser: Any) -> None:
    desk, mail = week
    ana, bo = signed_in(browser, desk, "Ana Ruiz"), signed_in(browser, desk, "Bo Chen")

    # Triage. Ana works by keys: j moves down, s shortlists, u undoes, a accepts.
    first = ana.get_attribute(".story", "id")
    ana.keyboard.press("j")
    second = ana.evaluate("document.activeElement.id")
    assert second != first and second.startswith("story-")
    press(ana, "s")
    assert "shortlisted" in notice(ana)
    press(ana, "u")
    assert "undone" in notice(ana)
    ana.keyboard.press("?")
    assert ana.is_visible("#keys")
    ana.keyboard.press("Escape")
    ana.locator(f"#{second}").focus()
    press(ana, "a")
    assert "is now a draft" in notice(ana)
    accepted = int(second.removeprefix("story-"))

    # Bo's page still shows that story: his Reject is refused, and he is told by whom.
    with bo.expect_navigation():
        bo.locator(f"#story-{accepted} button", has_text="Reject").click()
    assert f"#{accepted} was accepted by Ana Ruiz" in notice(bo)
    assert stories(desk.root)[accepted]["status"] == "accepted"
    # Bo accepts another with the button, and rejects the rest below 0.5 in one go.
    other = bo.locator(".story").nth(1).get_attribute("id")
    with bo.expect_navigation():
        bo.locator(f"#{other} button", has_text="Accept").click()
    assert "is now a draft" in notice(bo)
    bo.fill("#below", "0.5")
    click(bo, "text=Reject below")
    assert "rejected" in notice(bo)
    decided = stories(desk.root)
    assert decided[accepted]["decided_by"] == "Ana Ruiz"
    assert decided[int(str(other).removeprefix("story-"))]["decided_by"] == "Bo Chen"

    # Annotate: both open Ana's draft; Bo saves first; Ana's save is refused, her words kept.
    draft = str(decided[accepted]["article_path"])
    edit = "/articles/" + draft.removeprefix("content/articles/").removesuffix(".md")
    ana.goto(desk.base + edit)
    bo.goto(desk.base + edit)
    bo.fill("#body", bo.input_value("#body") + "\nBo: sellers follow the creators.\n")
    click(bo, "form.annotate button:text('Save')")
    assert "saved" in notice(bo)
    ana.fill("#body", ana.input_value("#body") + "\nAna: the affiliate fee is the story.\n")
    click(ana, "form.annotate button:text('Save')")
    assert ana.is_visible(".conflict")
    assert "+Bo: sellers follow the creators." in ana.inner_text(".diff")
    assert "Ana: the affiliate fee is the story." in ana.input_value("#body")
    merged = ana.input_value("#body").replace(
        "Ana: the affiliate", "Bo: sellers follow the creators.\n\nAna: the affiliate"
    )
    ana.fill("#body", merged)
    ana.check("#reviewed")
    click(ana, "form.annotate button:text('Save')")
    assert "saved" in notice(ana)
    text = (desk.root / draft).read_text(encoding="utf-8")
    assert "Bo: sellers follow the creators." in text and "Ana: the affiliate fee" in text
    # The live preview shows the article as the site does, and its digest block.
    frame = ana.frame_locator("iframe[name=preview]")
    assert (
        "Ana: the affiliate fee"
        in frame.frame_locator("iframe").first.locator("article").inner_text()
    )
    # Bo annotates his own draft, by keyboard alone: type, then Tab to Save and Enter.
    bo_draft = str(stories(desk.root)[int(str(other).removeprefix("story-"))]["article_path"])
    bo.goto(desk.base + "/articles/" + bo_draft.removeprefix("content/articles/")[:-3])
    bo.focus("#body")
    bo.keyboard.press("Control+End")
    bo.keyboard.type("\nDouyin's hosts now sell for brands across the year, not one festival.\n")
    bo.keyboard.press("Tab")
    assert bo.evaluate("document.activeElement.textContent") == "Save"
    press(bo, "Enter")
    assert "saved" in notice(bo)

    # Assemble: Ana starts the week's issue, moves a story, writes the title and intro.
    ana.goto(desk.base + "/issues")
    click(ana, "text=/Start issue/")
    assert re.search(r"/issues/\d{4}-W\d\d$", ana.url), ana.url
    week_name = ana.url.rsplit("/", 1)[1]
    order = [ana.get_attribute(f".placed >> nth={i}", "data-slug") for i in range(2)]
    sections = [ana.input_value(f"#section-{i}") for i in (1, 2)]
    assert sections[0] != sections[1]  # at a section's edge, Move down moves into the next
    for _ in range(2):
        with ana.expect_navigation():
            ana.locator(".placed").first.locator("button", has_text="Move down").click()
    assert [ana.get_attribute(f".placed >> nth={i}", "data-slug") for i in range(2)] == order[::-1]
    assert [ana.input_value(f"#section-{i}") for i in (1, 2)] == [sections[1]] * 2
    # Dragging renumbers the stories; Save keeps the dragged order.
    ana.locator(".placed").nth(1).drag_to(ana.locator(".placed").nth(0))
    assert [ana.locator("input.position").nth(i).input_value() for i in (0, 1)] == ["1", "2"]
    assert [ana.get_attribute(f".placed >> nth={i}", "data-slug") for i in range(2)] == order
    click(ana, "text=Save the issue")
    assert [ana.get_attribute(f".placed >> nth={i}", "data-slug") for i in range(2)] == order
    with ana.expect_navigation():  # and back, by keyboard: Tab to the button, Enter
        ana.focus("#section-1")
        ana.keyboard.press("Tab")
        ana.keyboard.press("Tab")
        assert ana.evaluate("document.activeElement.textContent") == "Move down"
        ana.keyboard.press("Enter")
    assert [ana.get_attribute(f".placed >> nth={i}", "data-slug") for i in range(2)] == order[::-1]
    ana.fill("#title", "Affiliates and hosts carry live selling")
    ana.fill("#preheader", "TikTok Shop's affiliates, and Douyin's hosts all year.")
    ana.fill("#intro", "Two stories on who does the selling: affiliates and hosts.")
    click(ana, "text=Save the issue")
    assert "saved issue" in notice(ana)
    assert [ana.get_attribute(f".placed >> nth={i}", "data-slug") for i in range(2)] == order[::-1]
    assert "Title: Affiliates and hosts carry live selling" in (
        desk.root / "content" / "issues" / f"{week_name}.md"
    ).read_text(encoding="utf-8")
    assert ana.locator(".findings .finding-error").count() == 0, ana.inner_text(".findings")
    # The digest at 375 px in the dark.
    ana.click("text=375 px, dark")
    digest = ana.frame_locator("iframe[name=digest]")
    digest.locator("iframe.digest-375.scheme-dark").wait_for()
    body = digest.frame_locator("iframe").locator("body")
    assert "Affiliates and hosts" in body.inner_text()
    assert body.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 17, 16)"

    # The page as the site will show it (the site built for the desk, drafts too).
    ana.click("text=The issue's page on the site")
    shown = ana.frame_locator("iframe[name=digest]").locator("h1")
    shown.wait_for(timeout=60_000)
    assert "Affiliates and hosts carry live selling" in shown.inner_text()

    # A test to Ana, publish, then send: counts first, then the send.
    click(ana, "text=Send a test to me")
    assert "went to ana@desk.example" in notice(ana)
    wait_for_mail(mail, 1)
    assert mail.messages[0]["Subject"].startswith("[Test] Affiliates and hosts")
    click(ana, "text=Publish…")
    click(ana, "text=Yes, publish")
    assert f"published {week_name}" in notice(ana)
    click(ana, "text=Send to subscribers…")
    assert "Send issue" in ana.inner_text("h1") and "2" in ana.inner_text(".counts")
    click(ana, "text=Yes, send to 2")  # it goes on beside the desk, which says when done
    wait_for_mail(mail, 3)
    for _ in range(50):
        ana.reload()
        if ana.locator(".notice").count():
            break
        ana.wait_for_timeout(100)
    assert f"sent {week_name} to 2" in notice(ana)
    assert "sent to 2 subscribers" in ana.inner_text(".history")
    assert {str(m["To"]) for m in mail.messages[1:]} == set(READERS)
    for page in (ana, bo):
        page.context.close()


DESK_PAGES = ["/sign-in", "/queue", "/drafts", "/issues", "/subscribers",
              "/articles/2026/amazon-live-puts-influencers-next-to-the-buy-button",
              "/issues/2026-W47"]  # fmt: skip


def test_axe_finds_nothing_on_the_desk_pages_and_they_fit_a_phone(
    week: tuple[Desk, Recorder], browser: Any
) -> None:
    """Each desk page once: axe in the light and the dark scheme, then the same page at a
    phone's width (390 px), where nothing may stick out sideways."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/js` (make test does)")
    desk, _ = week
    page = signed_in(
        browser, desk, "Bo Chen", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    found: dict[str, Any] = {}
    for path in DESK_PAGES:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(desk.base + path, wait_until="networkidle")
        page.add_script_tag(path=str(AXE))
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
            )
            if violations:
                found[f"{path} {scheme}"] = violations
        page.set_viewport_size({"width": 390, "height": 844})
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > 390:
            found[f"{path} at 390 px"] = wide
    page.context.close()
    assert found == {}, json.dumps(found, indent=1)
