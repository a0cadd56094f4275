"""The subscription service: sign-up with double opt-in, confirmation, one-click unsubscribe.

A small Starlette application (run by `brief subscriptions serve` under uvicorn). It reads
the same settings and store as the commands. Its routes live under the path of
`BRIEF_SUBSCRIPTIONS["url"]` (for example /subscriptions/), so a reverse proxy can pass that
path through to it beside the static site; with `site`, it also serves the built site itself.

- `POST subscribe`: always the same answer, whoever asks about whichever address. The
  sign-up is queued (committed) before the answer; the confirmation queue (`outbox`) then
  sends a new, pending or unsubscribed address a confirmation email, at most `per_address`
  a day per mailbox; a client may ask `per_client` times an hour; a filled honeypot field
  is silently ignored.
- `GET confirm?token=T`: confirms the subscriber the signed token names, if they are
  pending (or unsubscribed before the link was made: they asked again).
- `GET unsubscribe?token=T`: a page with one button, which POSTs the same URL.
- `POST unsubscribe?token=T`: unsubscribes at once and answers 200 (RFC 8058 one-click:
  mailbox providers POST `List-Unsubscribe=One-Click`).
- `GET health`: 200.
- `GET|POST preferences?token=T`: the companies and sections a reader follows (POST from
  its own page only).
- `GET r/WEEK/STORY?to=URL&sig=S`: a digest's link, counted per issue and story (never per
  reader), then a redirect to URL; only a URL signed for that issue and story goes anywhere.
A bad or tampered token changes nothing and gets a 400 page that says so; HEAD never
changes anything. Every request body is capped in size and in time (`BodyLimit`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from brief.audience.outbox import ConfirmationWorker, Outbox
from brief.audience.roster import confirm_subscriber
from brief.audience.subscribers import subscriber
from brief.audience.tokens import TokenError, Tokens, read_secret
from brief.ground.errors import BriefError, ConfigError
from brief.ground.settings import Settings, SubscriptionSettings
from brief.ground.web import BodyLimit, RateLimit, client_key
from brief.mail.transport import send_message
from scrapers.clean import html_to_text, web_url
from scrapers.entities import Entity, load_entities
from scrapers.errors import StoreError
from scrapers.storage import open_store

log = logging.getLogger(__name__)

HONEYPOT = "website"  # a field people never see and bots fill in
NEUTRAL = (
    "Thank you. If this address can receive the newsletter, a message is on its way to it:"
    " follow the link inside to confirm."
)
MAX_FIELD = 320  # characters of an address or a name in the form
MAX_LINK = 4096  # characters of a counted link's target


def create_app(
    settings: Settings,
    secret: str,
    site: Path | None = None,
    send: Callable[[EmailMessage], None] | None = None,
) -> ASGIApp:
    """The service for these settings; `send` delivers a confirmation (SMTP by default)."""
    service = settings.subscriptions
    if service is None:
        raise ConfigError(
            "set BRIEF_SUBSCRIPTIONS (its public URL) before starting the service",
            settings.config_file,
        )
    tokens = Tokens(secret)
    outbox = Outbox(
        settings, service, tokens, send or (lambda message: send_message(settings.smtp, message))
    )
    worker = ConfirmationWorker(outbox)
    handler = _Handlers(settings, service, tokens, worker)
    prefix = service.path.rstrip("/")
    routes: list[BaseRoute] = [
        Route(f"{prefix}/subscribe", handler.subscribe, methods=["POST"]),
        Route(f"{prefix}/confirm", handler.confirm, methods=["GET"]),
        Route(f"{prefix}/unsubscribe", handler.unsubscribe, methods=["GET", "POST"]),
        Route(f"{prefix}/health", handler.health, methods=["GET"]),
        Route(f"{prefix}/r/{{week}}/{{story}}", handler.redirect, methods=["GET"]),
        Route(f"{prefix}/preferences", handler.preferences, methods=["GET", "POST"]),
    ]
    if site is not None:
        routes.append(Mount("/", app=StaticFiles(directory=site, html=True), name="site"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        worker.start()  # first, whatever an earlier run left in the queue
        yield
        await run_in_threadpool(worker.stop)

    app = Starlette(routes=routes, lifespan=lifespan)
    return BodyLimit(app, service.max_body, service.body_timeout)


class _Handlers:
    def __init__(
        self,
        settings: Settings,
        service: SubscriptionSettings,
        tokens: Tokens,
        worker: ConfirmationWorker,
    ):
        self.settings = settings
        self.service = service
        self.tokens = tokens
        self.worker = worker
        self.per_client = RateLimit(service.per_client, 3600)
        self.links = tokens.links
        # A click counts at most 3 times an hour per client and link (a reader coming back
        # counts; a script hammering one link does not); beyond, it still redirects.
        self.clicks = RateLimit(3, 3600)
        self.pages = jinja2.Environment(
            loader=jinja2.FileSystemLoader(settings.theme / "templates" / "service"),
            autoescape=True,
        )
        site = urlsplit(settings.public_url)
        origin = f"{site.scheme}://{site.netloc}"
        self.headers = {
            # Our pages load the site's style sheet, post only to themselves, run no script.
            "Content-Security-Policy": f"default-src 'none'; style-src 'self' {origin};"
            f" img-src 'self' {origin}; form-action 'self'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        }

    # -- pages -------------------------------------------------------------------------

    def page(self, request: Request, title: str, message: str, status: int = 200,
             form: dict[str, str] | None = None,
             links: list[tuple[str, str]] | None = None) -> Response:  # fmt: skip
        """The answer as JSON for the site's script, or as a page in the site's style;
        `links` (words, URL) are where the reader may go next."""
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"message": message}, status_code=status, headers=self.headers)
        html = self.pages.get_template("page.html").render(
            title=title,
            message=message,
            form=form,
            links=links or [],
            sitename=self.settings.sitename,
            siteurl=self.settings.public_url,
        )
        return HTMLResponse(html, status_code=status, headers=self.headers)

    # -- routes ------------------------------------------------------------------------

    def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def subscribe(self, request: Request) -> Response:
        client = client_key(request.client.host if request.client else "unknown")
        if not self.per_client.allow(client):
            return self.page(
                request, "Too many requests", "Too many sign-ups from here; try again in an hour.",
                429,
            )  # fmt: skip
        async with request.form(max_files=0, max_fields=10, max_part_size=4096) as form:
            fields = {key: str(form.get(key) or "") for key in ("email", "name", HONEYPOT)}
        if fields[HONEYPOT]:
            return self.page(request, "Almost there", NEUTRAL)  # a bot: nothing done
        try:
            person = subscriber(fields["email"].strip()[:MAX_FIELD], fields["name"][:MAX_FIELD])
        except ValueError:
            return self.page(
                request, "Check the address", "That does not look like an email address.", 400
            )
        # Queued and committed before the answer, the same work whatever the address (the
        # store's list is not even read), so neither the answer's bytes nor its timing tell
        # a new address from a subscribed one; the worker does the rest.
        try:
            await run_in_threadpool(self._queue, person.email, person.name)
        except StoreError as err:
            log.error("subscribe: %s", err)
            return self.page(
                request, "Please try again", "The sign-up could not be recorded just now;"
                " please try again in a few minutes.", 503,
            )  # fmt: skip
        self.worker.wake()
        return self.page(request, "Almost there", NEUTRAL)

    def _queue(self, email: str, name: str | None) -> None:
        with open_store(self.settings.db) as store:
            store.signups.add(email, name, datetime.now(UTC))

    def confirm(self, request: Request) -> Response:
        try:
            subscriber_id, issued = self.tokens.read_issued(
                request.query_params.get("token", ""), "confirm"
            )
        except TokenError as err:
            return self.page(request, "This link does not work", f"{str(err).capitalize()}.", 400)
        if request.method == "HEAD":  # a link checker or a mail scanner: look, change nothing
            return self.page(request, "Confirm", "Open this link to confirm.")
        with open_store(self.settings.db) as store:
            known = confirm_subscriber(store, subscriber_id, issued)
        self.worker.wake()  # the welcome it may have queued
        if known is None:
            return self.page(
                request, "This link does not work", "This subscription no longer exists.", 404
            )
        if known.status != "confirmed":
            return self.page(
                request, "This link no longer works",
                "Nothing was changed: this link was made before this address left the list.",
                410, links=[self.subscribe_again],
            )  # fmt: skip
        choose = ("Choose the companies you follow: their stories will come first",
                  self.preferences_link(known.id))  # fmt: skip
        return self.page(
            request, "You are subscribed",
            f"Thank you: {self.settings.sitename} will reach {known.email} every week. A welcome"
            " email is on its way.", links=[*self._latest(), choose],
        )  # fmt: skip

    @property
    def subscribe_again(self) -> tuple[str, str]:
        return ("Subscribe again", f"{self.settings.public_url}/subscribe/")

    def _latest(self) -> list[tuple[str, str]]:
        """A link to the latest published issue, to start reading at once."""
        from brief.content.files import load_newsletter
        from brief.mail.welcome import latest_issue

        try:
            issue = latest_issue(load_newsletter(self.settings))
        except BriefError as err:  # the page still confirms; the link is a courtesy
            log.error("confirm page: %s", err)
            return []
        if issue is None:
            return []
        url = f"{self.settings.public_url}/{self.settings.urls.issue_url(issue.slug)}"
        return [(f"Read the latest issue: {html_to_text(issue.title)}", url)]

    async def unsubscribe(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        try:
            subscriber_id = self.tokens.read(token, "unsubscribe")
        except TokenError as err:
            return self.page(request, "This link does not work", f"{str(err).capitalize()}.", 400)
        if request.method != "POST":  # GET, or HEAD: mail scanners follow links
            return self.page(
                request,
                "Unsubscribe",
                f"Stop receiving {self.settings.sitename}? One click, and it is done.",
                form={"action": f"{request.url.path}?{request.url.query}", "button": "Unsubscribe"},
            )
        # RFC 8058's body is List-Unsubscribe=One-Click; the token is the key. BodyLimit
        # has already read (and capped) whatever came.
        await run_in_threadpool(self._unsubscribe, subscriber_id, _how(request))
        return self.page(
            request, "You are unsubscribed",
            f"You will not receive {self.settings.sitename} any more. Changed your mind?",
            links=[self.subscribe_again],
        )  # fmt: skip

    def redirect(self, request: Request) -> Response:
        """A link of the digest: counted (per issue, story and link; never who), then the
        reader is sent on at once. Only a link our digest named, signed, goes anywhere."""
        week, story = request.path_params["week"], request.path_params["story"]
        story = "" if story == "-" else story
        to = request.query_params.get("to", "")
        signature = request.query_params.get("sig", "")
        if (
            len(to) > MAX_LINK
            or web_url(to) != to
            or not self.links.valid(week, story, to, signature)
        ):
            return self.page(
                request, "This link does not work",
                "This link is not valid (mistyped, cut short or changed).", 400,
            )  # fmt: skip
        client = client_key(request.client.host if request.client else "unknown")
        count = request.method == "GET" and self.clicks.allow(f"{client} {week} {story} {to}")
        task = BackgroundTask(self._count, week.upper(), story, to) if count else None
        headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
        return RedirectResponse(to, status_code=302, headers=headers, background=task)

    async def preferences(self, request: Request) -> Response:
        """The reader's page of what they follow (their signed link, in every digest and
        on the confirm page): GET shows it, POST (from this page only) saves it."""
        try:
            subscriber_id = self.tokens.read(request.query_params.get("token", ""), "preferences")
        except TokenError as err:
            return self.page(request, "This link does not work", f"{str(err).capitalize()}.", 400)
        saved = ""
        if request.method == "POST":
            parts = urlsplit(self.service.url)
            if not _same_site(request, f"{parts.scheme}://{parts.netloc}"):
                return self.page(
                    request, "Not saved", "Preferences are saved from their own page only.", 403
                )
            async with request.form(max_files=0, max_fields=500, max_part_size=512) as form:
                companies = [str(v) for v in form.getlist("company")]
                sections = [str(v) for v in form.getlist("section")]
            chosen = await run_in_threadpool(self._follow, subscriber_id, companies, sections)
            if chosen is None:
                return self.page(
                    request, "This link does not work", "This subscription no longer exists.", 404
                )
            saved = f"Saved: you follow {chosen}." if chosen else "Saved: you follow nothing."
        return await run_in_threadpool(self._preferences_page, request, subscriber_id, saved)

    def _choices(self) -> tuple[list[str], list[tuple[str, list[Entity]]]]:
        """The sections, and the watchlist's companies by kind (platforms first)."""
        entities = load_entities(self.settings.entities)
        kinds = {"platform": "Platforms", "company": "Companies", "retailer": "Retailers",
                 "vendor": "Software vendors"}  # fmt: skip
        groups: dict[str, list[Entity]] = {}
        for entity in sorted(entities, key=lambda e: e.name.casefold()):
            groups.setdefault(entity.kind, []).append(entity)
        order = [*[k for k in kinds if k in groups], *sorted(set(groups) - set(kinds))]
        named = [(kinds.get(kind, kind.capitalize()), groups[kind]) for kind in order]
        return list(self.settings.sections), named

    def _follow(self, subscriber_id: int, companies: list[str], sections: list[str]) -> str | None:
        """Save what the reader chose, keeping only names of the watchlist and the
        sections (anything else a form sends is dropped); what they now follow, said."""
        known_sections, groups = self._choices()
        known = {entity.name for _, entities in groups for entity in entities}
        companies = sorted(set(companies) & known)
        sections = [name for name in known_sections if name in set(sections)]
        with open_store(self.settings.db) as store:
            person = store.subscribers.by_id(subscriber_id)
            if person is None:
                return None
            with store.transaction():
                store.follows.set(subscriber_id, companies, sections)
        return ", ".join([*companies, *sections])

    def _preferences_page(self, request: Request, subscriber_id: int, saved: str) -> Response:
        sections, groups = self._choices()
        with open_store(self.settings.db) as store:
            if store.subscribers.by_id(subscriber_id) is None:
                return self.page(
                    request, "This link does not work", "This subscription no longer exists.", 404
                )
            companies, chosen_sections = store.follows.of(subscriber_id)
        html = self.pages.get_template("preferences.html").render(
            sitename=self.settings.sitename,
            siteurl=self.settings.public_url,
            action=f"{request.url.path}?{request.url.query}",
            sections=sections,
            groups=groups,
            chosen_companies=companies,
            chosen_sections=chosen_sections,
            saved=saved,
        )
        return HTMLResponse(html, headers=self.headers)

    def preferences_link(self, subscriber_id: int) -> str:
        token = self.tokens.make(subscriber_id, "preferences")
        return f"{self.service.url}preferences?token={token}"

    def _count(self, week: str, story: str, url: str) -> None:
        try:
            with open_store(self.settings.db) as store:
                store.clicks.add(week, story, url)
        except StoreError as err:  # the reader has gone on already; the count is lost
            log.error("click on %s: %s", url, err)

    def _unsubscribe(self, subscriber_id: int, how: str) -> None:
        with open_store(self.settings.db) as store:
            known = store.subscribers.by_id(subscriber_id)
            if known is not None and known.status in ("pending", "confirmed"):
                with store.transaction():
                    store.subscribers.set_status(known.id, "unsubscribed", how)


def _same_site(request: Request, public: str) -> bool:
    """A form posted by our own page (or typed by hand), never by another site's: the
    browser says so (Sec-Fetch-Site), or, in an older one, its Origin is ours."""
    fetched = request.headers.get("sec-fetch-site")
    if fetched is not None:
        return fetched in ("same-origin", "none")
    origin = request.headers.get("origin")
    ours = {f"{request.url.scheme}://{request.url.netloc}", public}
    return origin is None or origin in ours


def _how(request: Request) -> str:
    one_click = request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    )
    return "one-click unsubscribe (RFC 8058)" if one_click else "unsubscribe link"


def serve(settings: Settings, host: str, port: int, site: Path | None, **options: Any) -> None:
    """Run the service under uvicorn until interrupted (it needs BRIEF_SECRET)."""
    service = settings.subscriptions
    if service is None:
        raise ConfigError(
            "set BRIEF_SUBSCRIPTIONS (its public URL) before starting the service",
            settings.config_file,
        )
    app = create_app(settings, read_secret(service.secret_env), site)
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info", **options)
