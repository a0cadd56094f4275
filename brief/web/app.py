"""The web desk: triage, annotate, assemble and send from a browser, several editors at once.

A Starlette application (run by `brief desk serve` under uvicorn) over the same library as
the commands (`brief.desk`), the same store and the same Markdown files: what an editor
does here, `brief triage` sees, and the other way round. Pages are rendered on the server
and work without JavaScript; `desk.js` only adds keys. Nothing is loaded from another host.

Every page but `/sign-in` and `/health` needs a session (`brief.web.auth`); every change is
a POST carrying the session's CSRF token, from a page of the desk itself; a POST without
them changes nothing. Every decision and save carries the signed-in editor's name.
"""

from __future__ import annotations

import difflib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import jinja2
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from brief.audience.roster import export_csv, list_overview
from brief.audience.stats import issue_stats
from brief.content.articles import article_from
from brief.content.document import parse_document
from brief.content.files import EditConflict, content_writer, fingerprint, load_newsletter
from brief.content.weeks import is_week
from brief.desk.annotate import ArticleForm, apply_form, form_of, form_problems
from brief.desk.assemble import (
    IssueDraft,
    digest_html,
    issue_draft,
    issue_findings,
    save_issue,
    send_test,
    start_issue,
    this_week,
)
from brief.desk.check import check_article
from brief.desk.decisions import accept, decide, reject_below, undo_last
from brief.desk.editors import EditorError, editor_name, verify
from brief.desk.publishing import PublishRefused, articles_not_in_an_issue, publish_issue
from brief.desk.queue import Queue, QueueFilter, TriageStatus, UnknownEntity, parse_since
from brief.desk.sending import SendReport, send_issue
from brief.desk.triage import explain_text
from brief.ground.errors import BriefError, ConfigError, ContentError
from brief.ground.paths import display_path, under
from brief.ground.settings import Settings, load_settings
from brief.ground.web import BodyLimit, DefaultHeaders, RateLimit, client_key
from brief.site.build import build_site
from brief.web.auth import COOKIE, IDLE, SIGN_IN_COOKIE, Sessions, Visit, same_token
from brief.web.previews import Previews
from scrapers.clean import html_to_text, web_url
from scrapers.figures import story_figures
from scrapers.records import SUBSCRIBER_STATUSES, iso_utc
from scrapers.storage import Store, open_store
from scrapers.storage.editors import Logged

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
PAGE_SIZE = 50
MAX_BODY = 2_000_000  # a form: an article is a few kilobytes
STATUSES = ("new", "shortlisted", "accepted", "rejected", "all")
ACTIONS = {"accept": "accepted", "reject": "rejected", "shortlist": "shortlisted"}


def now() -> datetime:
    return datetime.now(UTC)


class Desk:
    """The desk's pages for one newsletter."""

    def __init__(
        self,
        settings: Settings,
        secret: str,
        clock: Callable[[], datetime] = now,
        production: Settings | None = None,
    ):
        self.settings = settings
        # What leaves the machine (a digest, a send) uses the public settings, as `brief
        # send` does; the pages and previews the local ones.
        self.production = production or settings
        self.sessions = Sessions(secret)
        self.clock = clock
        self.per_client = RateLimit(10, 900)  # failed sign-ins: 10 at once, then 1 in 90 s
        self.per_name = RateLimit(10, 900)
        self.pages = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.headers = {
            "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src"
            " 'self'; img-src 'self' data:; form-action 'self'; frame-src 'self';"
            " frame-ancestors 'none'; base-uri 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
        }
        # The preview frame: the site's own styles and the digest's inline ones, no script,
        # shown only inside the desk's pages.
        self.preview_headers = {
            **self.headers,
            "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline';"
            " img-src 'self' data:; font-src 'self'; frame-ancestors 'self'; base-uri 'none'",
            "X-Frame-Options": "SAMEORIGIN",
        }
        self.previews = Previews(settings.config_file)
        self.sending: dict[str, Sending] = {}  # the sends under way, or ended, by week
        self._sending_lock = threading.Lock()
        self._hashing = threading.BoundedSemaphore(HASHING)
        self._site_lock = threading.Lock()

    def store(self) -> AbstractContextManager[Store]:
        return open_store(self.settings.db)

    # -- answers -------------------------------------------------------------------------

    def render(
        self, request: Request, template: str, status: int = 200, visit: Visit | None = None,
        **context: Any,
    ) -> HTMLResponse:  # fmt: skip
        base = request.scope.get("root_path", "").rstrip("/")
        html = self.pages.get_template(template).render(
            base=base,
            visit=visit,
            sitename=self.settings.sitename,
            here=request.url.path,
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=self.headers)

    def go(self, request: Request, where: str) -> RedirectResponse:
        base = request.scope.get("root_path", "").rstrip("/")
        return RedirectResponse(f"{base}{where}", status_code=303, headers=self.headers)

    def refuse(self, request: Request, status: int, title: str, message: str) -> HTMLResponse:
        return self.render(request, "message.html", status, title=title, message=message)

    # -- who is asking -------------------------------------------------------------------

    def _visit(self, request: Request, page: bool) -> Visit | None:
        with self.store() as store:
            return self.sessions.visit(store, request.cookies.get(COOKIE), self.clock(), page)

    async def signed_in(self, request: Request, page: bool = True) -> Visit | Response:
        """The editor's visit, or the answer that sends them to sign in. `page`: the page
        shows the notices left for them (not a frame, a file or a form's answer)."""
        visit = await run_in_threadpool(self._visit, request, page)
        if visit is not None:
            return visit
        if request.method == "POST":
            return self.refuse(
                request, 401, "Signed out", "You are not signed in (or your session ended);"
                " nothing was changed. Sign in, then try again.",
            )  # fmt: skip
        where = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return self.go(request, f"/sign-in?{urlencode({'next': where})}")

    async def posted(self, request: Request) -> tuple[Visit, FormData] | Response:
        """A signed-in editor's form from the desk's own page, or the answer refusing it."""
        if not _same_origin(request):
            return self.refuse(request, 403, "Refused", "That form came from another site;"
                               " nothing was changed.")  # fmt: skip
        visit = await self.signed_in(request, page=False)
        if isinstance(visit, Response):
            return visit
        form = await request.form(max_files=0, max_fields=200, max_part_size=MAX_BODY)
        if not same_token(visit.csrf, _field(form, "csrf")):
            return self.refuse(
                request, 403, "This page has expired", "The form was not from this session"
                " (it may be from before you signed in again); nothing was changed. Go back,"
                " reload the page, and try again.",
            )  # fmt: skip
        return visit, form

    def record(self, visit: Visit, action: str, target: str | Path) -> None:
        """What the editor did, under their name, for the pages' history."""
        if isinstance(target, Path):
            target = str(under(target, self.settings.root))
        with self.store() as store, store.transaction():
            store.editors.log(visit.editor, action, target, self.clock())

    def history(self, *targets: str | Path) -> list[Logged]:
        keys = [str(under(t, self.settings.root)) if isinstance(t, Path) else t for t in targets]
        with self.store() as store:
            found: list[Logged] = store.editors.logged(keys)
        return found

    def tell(self, visit: Visit, notice: str) -> None:
        with self.store() as store, store.transaction():
            store.editors.tell(visit.key, notice)

    # -- sign in and out -----------------------------------------------------------------

    def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def sign_in_page(self, request: Request) -> Response:
        return self._sign_in_form(request, "", "", 200)

    def _sign_in_form(self, request: Request, name: str, error: str, status: int) -> Response:
        nonce = self.sessions.sign_in_nonce()
        answer = self.render(
            request, "sign_in.html", status, name=name, error=error,
            token=self.sessions.sign_in_token(nonce), next=_next(request),
        )  # fmt: skip
        answer.set_cookie(
            SIGN_IN_COOKIE, nonce, max_age=3600, httponly=True, samesite="strict",
            secure=request.url.scheme == "https", path=_cookie_path(request),
        )  # fmt: skip
        return answer

    async def sign_in(self, request: Request) -> Response:
        if not _same_origin(request):  # no other site signs a browser in (login CSRF)
            return self.refuse(request, 403, "Refused", "That form came from another site.")
        form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
        name, password = _field(form, "name")[:200], _field(form, "password")[:2048]
        if not self.sessions.sign_in_allowed(
            request.cookies.get(SIGN_IN_COOKIE), _field(form, "token")
        ):
            return self._sign_in_form(
                request, name, "The sign-in form had expired; please sign in again.", 403
            )
        # Every attempt counts before its password is hashed (attempts sent all at once
        # count too), per client and per name as verify() reads it; a sign-in that succeeds
        # is given back, so an editor who signs in often is never held up. A guesser gets 10
        # quickly, then one every 90 s. At most HASHING hashes at once (64 MiB each).
        client = client_key(request.client.host if request.client else "unknown")
        who = _limit_key(name)
        if not self.per_client.allow(client):
            return self._too_many(request, name)
        if not self.per_name.allow(who):
            self.per_client.refund(client)
            return self._too_many(request, name)
        if not self._hashing.acquire(blocking=False):
            self.per_client.refund(client)
            self.per_name.refund(who)
            return self._sign_in_form(
                request, name, "The desk is busy signing others in; try again in a moment.", 503
            )
        try:
            cookie = await run_in_threadpool(self._sign_in, name, password)
        finally:
            self._hashing.release()
        if cookie is None:
            return self._sign_in_form(request, name, "That name and password do not match.", 401)
        self.per_client.refund(client)
        self.per_name.refund(who)
        answer = self.go(request, _next(request, form))
        answer.set_cookie(
            COOKIE, cookie, max_age=int(IDLE.total_seconds()) * 14, httponly=True,
            samesite="strict", secure=request.url.scheme == "https", path=_cookie_path(request),
        )  # fmt: skip
        answer.delete_cookie(SIGN_IN_COOKIE, path=_cookie_path(request))
        return answer

    def _too_many(self, request: Request, name: str) -> Response:
        return self._sign_in_form(
            request, name, "Too many attempts; wait a few minutes, then try again.", 429
        )

    def _sign_in(self, name: str, password: str) -> str | None:
        with self.store() as store:
            editor = verify(store, name, password)
            if editor is None:
                return None
            return self.sessions.start(store, editor.name, self.clock())

    async def sign_out(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        visit, _ = posted
        with self.store() as store:
            self.sessions.end(store, visit)
        answer = self.go(request, "/sign-in")
        answer.delete_cookie(COOKIE, path=_cookie_path(request))
        return answer

    # -- the queue -----------------------------------------------------------------------

    async def queue(self, request: Request) -> Response:
        visit = await self.signed_in(request)
        if isinstance(visit, Response):
            return visit
        return await run_in_threadpool(self._queue, request, visit)

    def _queue(self, request: Request, visit: Visit) -> Response:
        params = request.query_params
        chosen = {key: params.get(key, "").strip()[:200] for key in _FILTERS}
        errors: dict[str, str] = {}
        moment = self.clock()
        with self.store() as store:
            queue = Queue(store, self.settings, self.settings.db.parent)
            known = chosen["status"] in STATUSES
            status = cast("TriageStatus", chosen["status"] if known else "new")
            company = None
            if chosen["company"]:
                try:
                    company = queue.entity(chosen["company"])
                except UnknownEntity as err:
                    errors["company"] = str(err)
            try:
                since = parse_since(chosen["since"], moment)
            except ValueError as err:
                errors["since"], since = str(err), None
            section = chosen["section"] if chosen["section"] in self.settings.sections else None
            limit = _whole(params.get("limit"), PAGE_SIZE, 1, 10_000)
            rows = [] if errors else queue.rows(
                QueueFilter(
                    status, search=chosen["words"] or None, section=section, entity=company,
                    source=chosen["source"] or None, since=since, limit=limit + 1,
                ),
                moment,
            )  # fmt: skip
            explained = {row.story.id: explain_text(row) for row in rows[:limit]}
        more = len(rows) > limit
        rows = rows[:limit]
        back = urlencode({k: v for k, v in chosen.items() if v})
        return self.render(
            request, "queue.html", visit=visit, rows=[_row(r, visit) for r in rows],
            explained=explained, chosen=chosen, errors=errors, more=more, limit=limit,
            back=back, sections=self.settings.sections, statuses=STATUSES, current=status,
            companies=[e.name for e in queue.entities], notice=queue.notice,
        )  # fmt: skip

    async def decide(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        visit, form = posted
        action = ACTIONS.get(_field(form, "action"))
        story_id = _whole(_field(form, "id"), 0, 1, 2**63 - 1)
        if action is None or not story_id:
            return self.refuse(request, 400, "Not understood", "That decision is not one the"
                               " desk knows; nothing was changed.")  # fmt: skip
        seen = _moment(_field(form, "seen"))
        if _field(form, "seen") and seen is None:
            return self.refuse(request, 400, "Not understood", "The page's record of that"
                               " story is not one the desk made; nothing was changed.")  # fmt: skip
        notice = await run_in_threadpool(self._decide, visit, story_id, action, seen)
        self.tell(visit, notice)
        return self.go(request, f"/queue?{_back(form)}#story-{story_id}")

    def _decide(self, visit: Visit, story_id: int, action: str, seen: datetime | None) -> str:
        with self.store() as store:
            if action == "accepted":
                entities = Queue(store, self.settings, self.settings.db.parent).entities
                (outcome,) = accept(
                    store, [story_id], self.settings, entities, self.clock(), None,
                    visit.editor, {story_id: seen},
                )  # fmt: skip
            else:
                (outcome,) = decide(
                    store, [story_id], action, self.clock(), visit.editor,  # type: ignore[arg-type]
                    {story_id: seen},
                )  # fmt: skip
        if outcome.error is not None:
            return f"error: {outcome.error}"
        if action == "accepted" and outcome.path is not None:
            link = _edit_link(outcome.path)
            return f"accepted: #{story_id} is now a draft, {outcome.path}|{link}"
        return f"done: #{story_id} {action}"

    async def undo(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        visit, form = posted
        notice = await run_in_threadpool(self._undo, visit)
        self.tell(visit, notice)
        return self.go(request, f"/queue?{_back(form)}")

    def _undo(self, visit: Visit) -> str:
        with self.store() as store:
            restored, problems = undo_last(
                store, self.settings, self.clock(), visit.editor, mine=True
            )
        if problems:
            return "error: " + "; ".join(problems)
        if not restored:
            return "done: nothing of yours to undo"
        ids = ", ".join(f"#{i}" for i in restored[:10]) + (" ..." if len(restored) > 10 else "")
        return f"done: undone ({ids})"

    async def reject_below(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        visit, form = posted
        try:
            below = float(_field(form, "below"))
        except ValueError:
            below = -1.0
        if not 0 < below <= 1:
            self.tell(visit, "error: give a score between 0 and 1 to reject below")
            return self.go(request, f"/queue?{_back(form)}")
        with self.store() as store:
            ids = reject_below(store, below, self.clock(), visit.editor)
        self.tell(
            visit,
            f"done: rejected {len(ids)} stories scoring under {below:.2f}; Undo takes them all back"
            if ids
            else f"done: no story scores under {below:.2f}",
        )
        return self.go(request, f"/queue?{_back(form)}")

    # -- drafts: annotate ----------------------------------------------------------------

    async def preview(self, request: Request) -> Response:
        """The article the form would save, as the site shows it and as its block in the
        digest, side by side: a page for the form's preview frame. It changes nothing."""
        posted = await self.article_posted(request)
        if isinstance(posted, Response):
            return posted
        _, data, path = posted
        form = _article_form(data)
        if problems := form_problems(form):
            said = "; ".join(f"{k}: {v}" for k, v in problems.items())
            html = self.pages.get_template("preview.html").render(
                site="", digest="", problem=f"Not previewed: {said}", base=""
            )
            return HTMLResponse(html, headers=self.preview_headers)
        try:
            text = apply_form(path.read_text(encoding="utf-8"), form)
        except UnicodeDecodeError:
            return self.refuse(request, 422, "Not a text file", "The file is not UTF-8 text.")
        base = request.scope.get("root_path", "").rstrip("/")
        html = await run_in_threadpool(self._preview, text, path, base)
        return HTMLResponse(html, headers=self.preview_headers)

    def _preview(self, text: str, path: Path, base: str = "") -> str:
        try:
            site, block = self.previews.render(text, path, self.clock())
            problem = ""
        except BriefError as err:
            site, block, problem = "", "", str(err)
        return self.pages.get_template("preview.html").render(
            site=site, digest=block, problem=problem, base=base
        )

    async def drafts(self, request: Request) -> Response:
        visit = await self.signed_in(request)
        if isinstance(visit, Response):
            return visit
        return await run_in_threadpool(self._drafts, request, visit)

    def _drafts(self, request: Request, visit: Visit) -> Response:
        folder = self.settings.content / "articles"
        found: list[dict[str, Any]] = []
        for path in sorted(folder.glob("*/*.md"), key=lambda p: p.stat().st_mtime, reverse=True):
            try:
                article = article_from(
                    parse_document(path.read_text(encoding="utf-8"), path),
                    self.settings.timezone,
                )
            except (OSError, UnicodeDecodeError, BriefError) as err:
                found.append({"path": display_path(path), "error": str(err), "link": ""})
                continue
            found.append({
                "path": display_path(path), "title": article.title, "status": article.status,
                "annotated": article.has_annotation, "section": article.section,
                "link": _edit_link(under(path, self.settings.root)), "error": "",
            })  # fmt: skip
        return self.render(request, "drafts.html", visit=visit, articles=found)

    async def article_posted(self, request: Request) -> tuple[Visit, FormData, Path] | Response:
        """`posted`, for a route under /articles/{year}/{slug}: and an article it is."""
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        path = self._article_path(request.path_params["year"], request.path_params["slug"])
        if path is None:
            return self.refuse(request, 404, "No such article", "There is no article there.")
        return (*posted, path)

    def _article_path(self, year: str, slug: str) -> Path | None:
        if not (year.isdigit() and len(year) == 4) or not slug or "/" in slug or ".." in slug:
            return None
        path = self.settings.content / "articles" / year / f"{slug}.md"
        return path if path.is_file() else None

    async def article(self, request: Request) -> Response:
        visit = await self.signed_in(request)
        if isinstance(visit, Response):
            return visit
        path = self._article_path(request.path_params["year"], request.path_params["slug"])
        if path is None:
            return self.refuse(request, 404, "No such article", "There is no article there.")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            said = f"{display_path(path)} is not UTF-8 text (byte {err.start}); fix it first."
            return self.refuse(request, 422, "Not a text file", said)
        return self._edit_page(request, visit, path, form_of(text, path), text, fingerprint(text))

    def _edit_page(
        self, request: Request, visit: Visit, path: Path, form: ArticleForm, opened: str,
        opened_print: str, status: int = 200, conflict: str = "",
        problems: Mapping[int | str, str] | None = None,
    ) -> Response:  # fmt: skip
        """The form (for the file as it was `opened`, its fingerprint then), with what
        `brief check` says of the file now beside each field."""
        try:
            findings = self._findings(path, path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            findings = {"file": [f"error: cannot read it: {err}"]}
        rows = list(form.figures) + [("", "", "")] * 2
        return self.render(
            request, "article.html", status, visit=visit, form=form, rows=rows,
            path=display_path(path), opened=opened, fingerprint=opened_print,
            findings=findings, conflict=conflict, problems=problems or {},
            sections=self.settings.sections, history=self.history(path),
            companies=self._watchlist_names(), action=request.url.path,
        )  # fmt: skip

    def _watchlist_names(self) -> list[str]:
        from scrapers.entities import load_entities

        return [e.name for e in load_entities(self.settings.entities)]

    def _findings(self, path: Path, text: str) -> dict[str, list[str]]:
        """`brief check`'s findings on the file, by the form field they are about."""
        document = parse_document(text, path)
        field_of = {line: key for key, line in document.meta_lines.items()}
        fields = {"title": "title", "dek": "dek", "figures": "figures", "category": "section",
                  "entities": "companies"}  # fmt: skip
        found: dict[str, list[str]] = {}
        try:
            article = article_from(document, self.settings.timezone)
            findings = check_article(article, self.settings)
        except BriefError as err:
            return {"file": [str(err)]}
        for finding in findings:
            named = finding.message.partition(":")[0].strip().lower()
            key = named if named in fields else field_of.get(finding.line)
            name = fields.get(key or "", "body" if finding.line >= document.body_line else "file")
            found.setdefault(name, []).append(f"{finding.level}: {finding.message}")
        return found

    async def save(self, request: Request) -> Response:
        posted = await self.article_posted(request)
        if isinstance(posted, Response):
            return posted
        visit, data, path = posted
        form = _article_form(data)
        # The text the page was made with, for showing a difference only: a browser sends
        # every line break as CRLF, so the save itself starts from the file on disk.
        opened = _field(data, "opened").replace("\r\n", "\n")
        problems = form_problems(form)
        if problems:  # the same page again, the editor's words and the file's fingerprint
            return self._edit_page(request, visit, path, form, opened,
                                   _field(data, "fingerprint"), 400, problems=problems)  # fmt: skip
        writer = content_writer(self.settings)
        try:
            await run_in_threadpool(
                writer.save, path, lambda text: apply_form(text, form), _field(data, "fingerprint")
            )
        except EditConflict as conflict:
            current = conflict.current.replace("\r\n", "\n")
            difference = "".join(
                difflib.unified_diff(
                    opened.splitlines(keepends=True), current.splitlines(keepends=True),
                    "as you opened it", "as it is now",
                )
            )  # fmt: skip
            now = conflict.current
            return self._edit_page(
                request, visit, path, form, now, fingerprint(now), 409, conflict=difference
            )
        log.info("%s saved %s", visit.editor, display_path(path))
        self.record(visit, "saved", path)
        self.tell(visit, f"done: saved {display_path(path)}")
        return self.go(request, request.url.path.removeprefix(
            request.scope.get("root_path", "").rstrip("/")))  # fmt: skip

    # -- the week's issue ----------------------------------------------------------------

    async def issues(self, request: Request) -> Response:
        visit = await self.signed_in(request)
        if isinstance(visit, Response):
            return visit
        newsletter = await run_in_threadpool(load_newsletter, self.settings)
        week = this_week(self.settings, self.clock())
        listed = sorted(newsletter.issues.values(), key=lambda i: i.week, reverse=True)
        return self.render(
            request, "issues.html", visit=visit, issues=listed, week=week,
            started=week in newsletter.issues,
            waiting=len(articles_not_in_an_issue(newsletter)),
        )  # fmt: skip

    async def start(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        visit, _ = posted
        week = this_week(self.settings, self.clock())
        try:
            _, count = await run_in_threadpool(start_issue, self.settings, week)
        except BriefError as err:
            self.tell(visit, f"error: {err}")
            return self.go(request, "/issues")
        self.record(visit, "started", week)
        self.tell(visit, f"done: started issue {week} with {count} articles")
        return self.go(request, f"/issues/{week}")

    async def week_posted(self, request: Request) -> tuple[Visit, FormData, str] | Response:
        """`posted`, for a route under /issues/{week}: and a week it is."""
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        week = self._week(request)
        if week is None:
            return self.refuse(request, 404, "No such issue", "That is not a week (2026-W49).")
        return (*posted, week)

    def _week(self, request: Request) -> str | None:
        week = str(request.path_params["week"])
        return week if is_week(week) else None

    async def issue(self, request: Request) -> Response:
        visit = await self.signed_in(request)
        if isinstance(visit, Response):
            return visit
        week = self._week(request)
        if week is None:
            return self.refuse(request, 404, "No such issue", "That is not a week (2026-W49).")
        try:
            draft = await run_in_threadpool(issue_draft, self.settings, week)
        except ContentError as err:
            return self.refuse(request, 404, "No such issue", str(err))
        return await run_in_threadpool(self._issue_page, request, visit, draft)

    def _issue_page(
        self, request: Request, visit: Visit, draft: IssueDraft, status: int = 200,
        conflict: str = "", form: dict[str, Any] | None = None,
    ) -> Response:  # fmt: skip
        findings = [
            {"level": f.level, "where": f"{display_path(f.path)}:{f.line}", "message": f.message}
            for f in issue_findings(self.production, draft.issue.week, draft.newsletter)
        ]
        issue = draft.issue
        sections = list(dict.fromkeys([p.section for p in draft.placed] + list(
            self.settings.sections)))  # fmt: skip
        values = form or {
            "title": html_to_text(issue.title), "preheader": issue.preheader,
            "intro": issue.intro_md,
        }  # fmt: skip
        with self.store() as store:
            stats = issue_stats(store, draft.newsletter, issue.week)
        return self.render(
            request, "issue.html", status, visit=visit, issue=issue, draft=draft,
            findings=findings, sections=sections, values=values, conflict=conflict,
            history=self.history(issue.week), sending=self.sending.get(issue.week),
            errors=sum(f["level"] == "error" for f in findings), stats=stats,
        )  # fmt: skip

    async def arrange(self, request: Request) -> Response:
        posted = await self.week_posted(request)
        if isinstance(posted, Response):
            return posted
        visit, data, week = posted
        sections = _arranged(data)
        try:
            await run_in_threadpool(
                save_issue, self.settings, week, _field(data, "opened"),
                _field(data, "title")[:300], _field(data, "preheader")[:300],
                _field(data, "intro")[:20_000], sections,
            )  # fmt: skip
        except EditConflict as conflict:
            draft = await run_in_threadpool(issue_draft, self.settings, week)
            opened_text = _field(data, "text").replace("\r\n", "\n")
            difference = "".join(difflib.unified_diff(
                opened_text.splitlines(keepends=True),
                conflict.current.replace("\r\n", "\n").splitlines(keepends=True),
                "as you opened it", "as it is now",
            ))  # fmt: skip
            form = {k: _field(data, k) for k in ("title", "preheader", "intro")}
            return await run_in_threadpool(
                self._issue_page, request, visit, draft, 409, difference, form
            )
        except BriefError as err:
            self.tell(visit, f"error: {err}")
            return self.go(request, f"/issues/{week}")
        self.record(visit, "arranged", week)
        self.tell(visit, f"done: saved issue {week}")
        return self.go(request, f"/issues/{week}")

    async def digest(self, request: Request) -> Response:
        """The week's digest in a frame of the chosen width and colour scheme."""
        visit = await self.signed_in(request, page=False)
        if isinstance(visit, Response):
            return visit
        week = self._week(request)
        if week is None:
            return self.refuse(request, 404, "No such issue", "That is not a week.")
        width = 375 if request.query_params.get("width") == "375" else 600
        scheme = "dark" if request.query_params.get("scheme") == "dark" else "light"
        try:
            html = await run_in_threadpool(digest_html, self.production, week)
        except BriefError as err:
            return self.refuse(request, 404, "No digest", str(err))
        # Mail clients apply the digest's dark rules on their own: here they apply as chosen.
        chosen = "all" if scheme == "dark" else "not all"
        html = html.replace("(prefers-color-scheme: dark)", chosen)
        base = request.scope.get("root_path", "").rstrip("/")
        page = self.pages.get_template("digest_frame.html").render(
            digest=html, width=width, scheme=scheme, base=base
        )
        return HTMLResponse(page, headers=self.preview_headers)

    def _site_preview(self) -> Settings:
        """The site built for the desk alone, drafts and all, in data/desk-site/ (never
        output/, which may be the public site): incremental after the first time."""
        folder = self.settings.db.parent
        overrides = {
            "OUTPUT_PATH": str(folder / "desk-site"),
            "CACHE_PATH": str(folder / "desk-site-cache"),
            "RELATIVE_URLS": True,
            "BRIEF_SEARCH": False,
            "BRIEF_DIGESTS": False,
        }
        preview = load_settings(self.settings.config_file, overrides)
        with self._site_lock:
            build_site(preview)
        return preview

    async def issue_page(self, request: Request) -> Response:
        """The issue's page as the site will show it: the site is built for the desk, then
        the page is shown from that build."""
        visit = await self.signed_in(request, page=False)
        if isinstance(visit, Response):
            return visit
        week = self._week(request)
        if week is None:
            return self.refuse(request, 404, "No such issue", "That is not a week.")
        try:
            newsletter = await run_in_threadpool(load_newsletter, self.settings)
            issue = newsletter.issue(week)
            preview = await run_in_threadpool(self._site_preview)
        except BriefError as err:
            return self.refuse(request, 500, "The site could not be built", str(err))
        page = preview.urls.issue_file(issue.slug, issue.status == "draft")
        return self.go(request, f"/site/{page}")

    async def site_file(self, request: Request) -> Response:
        """A file of the desk's own build of the site (signed-in editors only: it shows
        drafts)."""
        visit = await self.signed_in(request, page=False)
        if isinstance(visit, Response):
            return visit
        folder = (self.settings.db.parent / "desk-site").resolve()
        wanted = (folder / request.path_params["path"]).resolve()
        if wanted.is_dir():
            wanted = wanted / "index.html"
        if not wanted.is_relative_to(folder) or not wanted.is_file():
            return self.refuse(request, 404, "Not in the preview", "Build it from an issue.")
        return FileResponse(wanted, headers=self.preview_headers)

    async def test_send(self, request: Request) -> Response:
        posted = await self.week_posted(request)
        if isinstance(posted, Response):
            return posted
        visit, _, week = posted
        with self.store() as store:
            editor = store.editors.get(visit.editor)
        try:
            to = await run_in_threadpool(
                send_test, self.production, week, editor.email if editor else "", visit.editor
            )
        except BriefError as err:
            self.tell(visit, f"error: {err}")
        else:
            self.record(visit, f"sent a test to {to}", week)
            self.tell(visit, f"done: a test of {week} went to {to}")
        return self.go(request, f"/issues/{week}")

    async def publish(self, request: Request) -> Response:
        posted = await self.week_posted(request)
        if isinstance(posted, Response):
            return posted
        visit, data, week = posted
        if _field(data, "confirm") != "yes":
            return self.render(
                request, "confirm.html", visit=visit, week=week, action="publish",
                question=f"Publish issue {week}?",
                detail="The issue and its articles are marked published, dated today; the"
                " site shows them at its next build.",
                button="Yes, publish", counts=None,
            )  # fmt: skip
        try:
            done = await run_in_threadpool(publish_issue, self.production, week, self.clock())
        except PublishRefused as err:
            listed = "; ".join(f.message for f in err.findings if f.level == "error")
            self.tell(visit, f"error: issue {week} is not published: {listed}")
        except BriefError as err:
            self.tell(visit, f"error: {err}")
        else:
            self.record(visit, "published", week)
            self.tell(visit, f"done: published {week} and {len(done.articles)} articles")
            log.info("%s published %s", visit.editor, week)
        return self.go(request, f"/issues/{week}")

    async def send(self, request: Request) -> Response:
        """A dry run's counts first, then, confirmed, the send itself."""
        posted = await self.week_posted(request)
        if isinstance(posted, Response):
            return posted
        visit, data, week = posted
        if _field(data, "confirm") != "yes":
            try:
                report = await run_in_threadpool(self._dry_run, week)
            except BriefError as err:
                self.tell(visit, f"error: {err}")
                return self.go(request, f"/issues/{week}")
            counts = {
                "to send": report.recipients, "already sent": report.skipped,
                "not to mail (unsubscribed, bounced)": len(report.suppressed),
            }  # fmt: skip
            return self.render(
                request, "confirm.html", visit=visit, week=week, action="send",
                question=f"Send issue {week} to {report.recipients} subscribers?",
                detail="Each gets their own unsubscribe link. Nobody already sent is sent"
                " again.", button=f"Yes, send to {report.recipients}", counts=counts,
                recipients=report.recipients,
            )  # fmt: skip
        recipients = _whole(_field(data, "recipients"), 0, 0, 10**9)
        with self._sending_lock:
            running = self.sending.get(week)
            if running is not None and not running.done:
                self.tell(visit, f"error: {week} is already being sent by {running.editor}")
                return self.go(request, f"/issues/{week}")
            progress = self.sending[week] = Sending(visit.editor, recipients)
        # The send goes on beside the desk (a list can take minutes): the issue's page shows
        # how far it is, and the editor is told when it ends.
        threading.Thread(
            target=self._send_all, args=(visit, week, progress), daemon=True,
            name=f"send-{week}",
        ).start()  # fmt: skip
        return self.go(request, f"/issues/{week}")

    def _send_all(self, visit: Visit, week: str, progress: Sending) -> None:
        settings = self.production
        try:
            report = send_issue(
                settings, load_newsletter(settings), week, None, settings.smtp,
                on_progress=progress.step,
            )  # fmt: skip
        except BriefError as err:
            progress.finish(f"error: the send of {week} stopped: {err}")
            self.tell(visit, progress.said)
            return
        except Exception as err:  # a bug of ours: said, and in the log with its traceback
            log.exception("send of %s", week)
            progress.finish(f"error: the send of {week} failed: {type(err).__name__}: {err}")
            self.tell(visit, progress.said)
            return
        said = f"done: sent {week} to {report.sent}"
        if report.failed or report.uncertain or report.stopped:
            said = (
                f"error: sent {week} to {report.sent}; failed {len(report.failed)},"
                f" uncertain {len(report.uncertain)}"
                + (f"; stopped: {report.stopped}" if report.stopped else "")
            )
        progress.finish(said)
        self.tell(visit, said)
        self.record(visit, f"sent to {report.sent} subscribers", week)
        log.info("%s sent %s to %d", visit.editor, week, report.sent)

    def _dry_run(self, week: str) -> SendReport:
        """`brief send --dry-run`: who would be sent to, nothing sent."""
        settings = self.production
        return send_issue(
            settings, load_newsletter(settings), week, None, settings.smtp, dry_run=True
        )

    # -- the list --------------------------------------------------------------------------

    async def subscribers(self, request: Request) -> Response:
        visit = await self.signed_in(request)
        if isinstance(visit, Response):
            return visit
        query = request.query_params.get("address", "").strip()[:320]
        return await run_in_threadpool(self._subscribers, request, visit, query)

    def _subscribers(self, request: Request, visit: Visit, query: str) -> Response:
        with self.store() as store:
            overview = list_overview(store, self.clock(), self.settings.timezone)
            found = store.subscribers.search(query) if query else []
            histories = {s.id: store.subscribers.history(s.id)[-5:] for s in found}
        most = max([max(w.joined, w.left) for w in overview.weeks] + [1])
        return self.render(
            request, "subscribers.html", visit=visit, overview=overview, query=query,
            found=found, histories=histories, most=most,
            total=sum(overview.counts.values()),
        )  # fmt: skip

    async def export(self, request: Request) -> Response:
        visit = await self.signed_in(request, page=False)
        if isinstance(visit, Response):
            return visit
        status = request.query_params.get("status", "")
        chosen = next((s for s in SUBSCRIBER_STATUSES if s == status), None)

        def rows() -> str:
            with self.store() as store:
                return export_csv(store.subscribers.all(chosen))

        text = await run_in_threadpool(rows)
        log.info("%s exported the list (%s)", visit.editor, chosen or "all")
        name = f"subscribers-{chosen or 'all'}-{self.clock():%Y-%m-%d}.csv"
        return Response(
            text, media_type="text/csv; charset=utf-8",
            headers={**self.headers, "Content-Disposition": f'attachment; filename="{name}"'},
        )  # fmt: skip


def _arranged(data: FormData) -> list[tuple[str, list[str]]]:
    """The sections and their slugs as the issue form orders them: by section, in the
    order sections first appear, each story by its position; cut ones left out, added
    ones at the end of their section; a Move up or down button moves one story past its
    neighbour or, at its section's edge, into the next section."""
    slugs = [str(v) for v in data.getlist("story")]
    sections = [str(v) for v in data.getlist("section")]
    positions = [_whole(str(v), 10_000, 0, 10_000) for v in data.getlist("position")]
    cut = {str(v) for v in data.getlist("cut")}
    rows = [
        (section[:100], position, index, slug)
        for index, (slug, section, position) in enumerate(
            zip(slugs, sections, positions, strict=False)
        )
        if slug not in cut
    ]
    for value in data.getlist("add"):
        slug, _, section = str(value).partition(" ")
        rows.append((section or "News", 100_000, len(rows), slug))
    order = list(dict.fromkeys(row[0] for row in rows))
    rows.sort(key=lambda row: (order.index(row[0]), row[1], row[2]))
    move, _, way = _field(data, "move").rpartition(":")
    index = next((i for i, row in enumerate(rows) if row[3] == move), None)
    if index is not None:
        other = index - 1 if way == "up" else index + 1
        if 0 <= other < len(rows) and rows[other][0] == rows[index][0]:
            rows[index], rows[other] = rows[other], rows[index]
        elif 0 <= other < len(rows):  # across a section's edge: into the next section
            section, position, order_in, slug = rows[index]
            rows[index] = (rows[other][0], position, order_in, slug)
    grouped: dict[str, list[str]] = {}
    for section, _, _, slug in rows:
        grouped.setdefault(section, []).append(slug)
    return list(grouped.items())


_FILTERS = ("words", "section", "company", "source", "since", "status")


class Sending:
    """A send under way from the desk: who started it, how far it is, how it ended."""

    def __init__(self, editor: str, recipients: int):
        self.editor, self.recipients = editor, recipients
        self.served = 0
        self.said = ""
        self.done = False

    def step(self, address: str, outcome: str) -> None:
        self.served += 1

    def finish(self, said: str) -> None:
        self.said, self.done = said, True


HASHING = 4  # argon2id hashes at once, at 64 MiB each


def _limit_key(name: str) -> str:
    """Whom a sign-in counts against: the name as verify() reads it ("Bo  Chen" is Bo
    Chen), or one key for every name that is no name."""
    try:
        return editor_name(name).casefold()
    except EditorError:
        return ""


def _same_origin(request: Request) -> bool:
    """A browser says where a form came from (Sec-Fetch-Site, else Origin): this desk, or
    typed by hand. A client that says neither (a script) is let through to the token check."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _whole(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if low <= number <= high else default


def _moment(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value).astimezone(UTC) if value else None
    except (ValueError, OverflowError):
        return None


def _back(form: FormData) -> str:
    """The queue's filters the form came from, as a query string of known keys only."""
    from urllib.parse import parse_qsl

    pairs = parse_qsl(_field(form, "back")[:2000])
    return urlencode([(k, v) for k, v in pairs if k in _FILTERS])


def _next(request: Request, form: FormData | None = None) -> str:
    """Where to go after signing in: a path of the desk, never another site."""
    where = _field(form, "next") if form is not None else request.query_params.get("next", "")
    if not where.startswith("/") or where.startswith("//") or "\\" in where:
        return "/queue"
    return where


def _cookie_path(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/") or "/"


def _edit_link(path: Path) -> str:
    parts = Path(path).with_suffix("").parts
    return f"/articles/{parts[-2]}/{parts[-1]}" if len(parts) >= 2 else "/drafts"


def _row(row: Any, visit: Visit) -> dict[str, Any]:
    story = row.story
    new = visit.previous_visit is not None and story.fetched > visit.previous_visit
    return {
        "id": story.id,
        "title": story.title,
        "link": web_url(story.link) or "",
        "outlet": story.publisher,
        "age": row.age,
        "score": story.score,
        "rank": row.rank,
        "section": row.section,
        "companies": list(story.about or story.entities),
        "others": max(len({s.name for s in story.sources}) - 1, 0),
        "figures": [f.text for f in story_figures(story.title, story.summary_text or "")][:4],
        "summary": (story.summary_text or "")[:400],
        "status": "shortlisted" if story.shortlisted else story.status,
        "decided_by": story.decided_by or "",
        "seen": iso_utc(story.decided_at) if story.decided_at else "",
        "new": new,
        "article": _edit_link(Path(story.article_path)) if story.article_path else "",
    }


def _article_form(data: FormData) -> ArticleForm:
    values, units, labels = (data.getlist(k) for k in ("figure_value", "figure_unit",
                                                        "figure_label"))  # fmt: skip
    rows = [(str(v), str(u), str(lab)) for v, u, lab in zip(values, units, labels, strict=False)]
    return ArticleForm(
        title=_field(data, "title"),
        dek=_field(data, "dek"),
        figures=rows,
        section=_field(data, "section"),
        companies=[str(c) for c in data.getlist("companies")],
        body=_field(data, "body"),
        reviewed=_field(data, "reviewed") == "yes",
    )


def create_app(
    settings: Settings,
    secret: str,
    clock: Callable[[], datetime] = now,
    production: Settings | None = None,
) -> ASGIApp:
    desk = Desk(settings, secret, clock, production)

    routes = [
        Route("/health", desk.health, methods=["GET"]),
        Route("/sign-in", desk.sign_in_page, methods=["GET"]),
        Route("/sign-in", desk.sign_in, methods=["POST"]),
        Route("/sign-out", desk.sign_out, methods=["POST"]),
        Route("/", lambda request: desk.go(request, "/queue"), methods=["GET"]),
        Route("/queue", desk.queue, methods=["GET"]),
        Route("/decide", desk.decide, methods=["POST"]),
        Route("/undo", desk.undo, methods=["POST"]),
        Route("/reject-below", desk.reject_below, methods=["POST"]),
        Route("/drafts", desk.drafts, methods=["GET"]),
        Route("/articles/{year}/{slug}", desk.article, methods=["GET"]),
        Route("/articles/{year}/{slug}", desk.save, methods=["POST"]),
        Route("/articles/{year}/{slug}/preview", desk.preview, methods=["POST"]),
        Route("/issues", desk.issues, methods=["GET"]),
        Route("/subscribers", desk.subscribers, methods=["GET"]),
        Route("/subscribers.csv", desk.export, methods=["GET"]),
        Route("/issues/start", desk.start, methods=["POST"]),
        Route("/issues/{week}", desk.issue, methods=["GET"]),
        Route("/issues/{week}", desk.arrange, methods=["POST"]),
        Route("/issues/{week}/digest", desk.digest, methods=["GET"]),
        Route("/issues/{week}/page", desk.issue_page, methods=["GET"]),
        Route("/site/{path:path}", desk.site_file, methods=["GET"]),
        Route("/issues/{week}/test", desk.test_send, methods=["POST"]),
        Route("/issues/{week}/publish", desk.publish, methods=["POST"]),
        Route("/issues/{week}/send", desk.send, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
        # The site's style sheets and images, for the previews (as the site links them).
        Mount("/theme", app=StaticFiles(directory=settings.theme / "static"), name="theme"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(desk.previews.close)

    app = Starlette(routes=routes, lifespan=lifespan)
    # Every answer, Starlette's own 404 and 500 pages too, carries the desk's headers.
    return DefaultHeaders(BodyLimit(app, MAX_BODY, 30.0), desk.headers)


def serve(
    settings: Settings,
    host: str,
    port: int,
    secret: str,
    production: Settings | None = None,
    **options: Any,
) -> None:
    """Run the desk under uvicorn until interrupted."""
    with open_store(settings.db) as store:
        if not store.editors.all():
            raise ConfigError(
                "no editors yet: add one with `brief editors add NAME` before starting the desk"
            )
    uvicorn.run(
        create_app(settings, secret, production=production), host=host, port=port,
        proxy_headers=True,
        log_level="info", **options,
    )  # fmt: skip
