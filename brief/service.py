"""The subscription service: sign-up with double opt-in, confirmation, one-click unsubscribe.

A small Starlette application (run by `brief subscriptions serve` under uvicorn). It reads
the same settings and store as the commands. Its routes live under the path of
`BRIEF_SUBSCRIPTIONS["url"]` (for example /subscriptions/), so a reverse proxy can pass that
path through to it beside the static site; with `site`, it also serves the built site itself.

- `POST subscribe`: always the same answer, whoever asks about whichever address. A new (or
  still pending, or unsubscribed) address is sent a confirmation email, at most
  `per_address` a day; a client may ask `per_client` times an hour; a filled honeypot field
  is silently ignored.
- `GET confirm?token=T`: confirms the subscriber the signed token names.
- `GET unsubscribe?token=T`: a page with one button, which POSTs the same URL.
- `POST unsubscribe?token=T`: unsubscribes at once and answers 200 (RFC 8058 one-click:
  mailbox providers POST `List-Unsubscribe=One-Click`).
- `GET health`: 200.
A bad or tampered token changes nothing and gets a 400 page that says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from brief.confirmation import confirmation_message
from brief.errors import BriefError, ConfigError
from brief.mail import send_message
from brief.settings import Settings, SubscriptionSettings
from brief.subscribers import subscriber
from brief.tokens import TokenError, Tokens
from scrapers.storage import open_store

log = logging.getLogger(__name__)

HONEYPOT = "website"  # a field people never see and bots fill in
NEUTRAL = (
    "Thank you. If this address can receive the newsletter, a message is on its way to it:"
    " follow the link inside to confirm."
)
MAX_FIELD = 320  # characters of an address or a name in the form


class RateLimit:
    """At most `limit` events per key within `window` seconds (kept in memory)."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self._events: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    MAX_KEYS = 10_000  # past this many clients, forget those with nothing in the window

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._events) > self.MAX_KEYS:
                for old in [
                    k for k, e in self._events.items() if not e or e[-1] <= now - self.window
                ]:
                    del self._events[old]
            events = self._events[key]
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True


def create_app(
    settings: Settings,
    secret: str,
    site: Path | None = None,
    send: Callable[[EmailMessage], None] | None = None,
) -> Starlette:
    """The service for these settings; `send` delivers a confirmation (SMTP by default)."""
    service = settings.subscriptions
    if service is None:
        raise ConfigError(
            "set BRIEF_SUBSCRIPTIONS (its public URL) before starting the service",
            settings.config_file,
        )
    handler = _Handlers(settings, service, Tokens(secret), send)
    prefix = service.path.rstrip("/")
    routes: list[BaseRoute] = [
        Route(f"{prefix}/subscribe", handler.subscribe, methods=["POST"]),
        Route(f"{prefix}/confirm", handler.confirm, methods=["GET"]),
        Route(f"{prefix}/unsubscribe", handler.unsubscribe, methods=["GET", "POST"]),
        Route(f"{prefix}/health", handler.health, methods=["GET"]),
    ]
    if site is not None:
        routes.append(Mount("/", app=StaticFiles(directory=site, html=True), name="site"))
    return Starlette(routes=routes)


class _Handlers:
    def __init__(
        self,
        settings: Settings,
        service: SubscriptionSettings,
        tokens: Tokens,
        send: Callable[[EmailMessage], None] | None,
    ):
        self.settings = settings
        self.service = service
        self.tokens = tokens
        self.send = send or (lambda message: send_message(settings.smtp, message))
        self.per_client = RateLimit(service.per_client, 3600)
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
             background: BackgroundTask | None = None) -> Response:  # fmt: skip
        """The answer as JSON for the site's script, or as a page in the site's style."""
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(
                {"message": message}, status_code=status, headers=self.headers,
                background=background,
            )  # fmt: skip
        html = self.pages.get_template("page.html").render(
            title=title,
            message=message,
            form=form,
            sitename=self.settings.sitename,
            siteurl=self.settings.public_url,
        )
        return HTMLResponse(html, status_code=status, headers=self.headers, background=background)

    # -- routes ------------------------------------------------------------------------

    def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def subscribe(self, request: Request) -> Response:
        client = request.client.host if request.client else "unknown"
        if not self.per_client.allow(client):
            return self.page(
                request, "Too many requests", "Too many sign-ups from here; try again in an hour.",
                429,
            )  # fmt: skip
        async with request.form(max_files=0, max_fields=10, max_part_size=4096) as form:
            fields = {key: str(form.get(key) or "") for key in ("email", "name", HONEYPOT)}
        if fields[HONEYPOT]:
            return self.page(request, "Almost there", NEUTRAL)  # a bot: nothing done
        email = fields["email"].strip()[:MAX_FIELD]
        name = fields["name"][:MAX_FIELD] or None
        try:
            person = subscriber(email, name)
        except ValueError:
            return self.page(
                request, "Check the address", "That does not look like an email address.", 400
            )
        # The store and the mail server are asked only after the answer has left, so that
        # neither its bytes nor its timing tell a new address from a subscribed one.
        work = BackgroundTask(self._ask_to_confirm, person.email, person.address, person.name)
        return self.page(request, "Almost there", NEUTRAL, background=work)

    def _ask_to_confirm(self, email: str, address: str, name: str | None) -> None:
        try:
            self._confirmation(email, address, name)
        except BriefError as err:
            log.error("subscribe: %s", err)  # said in the log; the reader saw the same answer
        except Exception:  # a bug must not go unseen in a background task
            log.exception("subscribe: unexpected error")

    def _confirmation(self, email: str, address: str, name: str | None) -> None:
        with open_store(self.settings.db) as store:
            known = store.subscribers.get(email)
            if known is not None and known.status in ("confirmed", "bounced", "complained"):
                return  # nothing to confirm, or an address that must not be mailed
            with store.transaction():
                if known is None:
                    known = store.subscribers.add(email, name, "pending", "subscribe form")
                elif name and not known.name:
                    store.subscribers.set_name(known.id, name)
                if store.subscribers.confirmations_since(known.id, timedelta(days=1)) >= (
                    self.service.per_address
                ):
                    return  # mail bombing through our form: not one more today
                store.subscribers.confirmation_sent(known.id, "subscribe form")
            link = f"{self.service.url}confirm?token={self.tokens.make(known.id, 'confirm')}"
            self.send(confirmation_message(self.settings, address, name or known.name, link))

    def confirm(self, request: Request) -> Response:
        try:
            subscriber_id = self.tokens.read(request.query_params.get("token", ""), "confirm")
        except TokenError as err:
            return self.page(request, "This link does not work", f"{str(err).capitalize()}.", 400)
        with open_store(self.settings.db) as store:
            known = store.subscribers.by_id(subscriber_id)
            if known is None:
                return self.page(
                    request, "This link does not work", "This subscription no longer exists.",
                    404,
                )  # fmt: skip
            if known.status != "confirmed":
                with store.transaction():
                    store.subscribers.set_status(known.id, "confirmed", "confirmation link")
        return self.page(
            request, "You are subscribed",
            f"Thank you: {self.settings.sitename} will reach {known.email} every week.",
        )  # fmt: skip

    async def unsubscribe(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        try:
            subscriber_id = self.tokens.read(token, "unsubscribe")
        except TokenError as err:
            return self.page(request, "This link does not work", f"{str(err).capitalize()}.", 400)
        if request.method == "GET":
            return self.page(
                request,
                "Unsubscribe",
                f"Stop receiving {self.settings.sitename}? One click, and it is done.",
                form={"action": f"{request.url.path}?{request.url.query}", "button": "Unsubscribe"},
            )
        await request.body()  # RFC 8058: List-Unsubscribe=One-Click; the token is the key
        await run_in_threadpool(self._unsubscribe, subscriber_id, _how(request))
        return self.page(
            request, "You are unsubscribed",
            f"You will not receive {self.settings.sitename} any more. Changed your mind?"
            " Subscribe again on the site.",
        )  # fmt: skip

    def _unsubscribe(self, subscriber_id: int, how: str) -> None:
        with open_store(self.settings.db) as store:
            known = store.subscribers.by_id(subscriber_id)
            if known is not None and known.status in ("pending", "confirmed"):
                with store.transaction():
                    store.subscribers.set_status(known.id, "unsubscribed", how)


def _how(request: Request) -> str:
    one_click = request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    )
    return "one-click unsubscribe (RFC 8058)" if one_click else "unsubscribe link"


def serve(settings: Settings, host: str, port: int, site: Path | None, **uvicorn: Any) -> None:
    """Run the service under uvicorn until interrupted (it needs BRIEF_SECRET)."""
    import uvicorn as server

    from brief.tokens import read_secret

    service = settings.subscriptions
    if service is None:
        raise ConfigError(
            "set BRIEF_SUBSCRIPTIONS (its public URL) before starting the service",
            settings.config_file,
        )
    app = create_app(settings, read_secret(service.secret_env), site)
    server.run(app, host=host, port=port, proxy_headers=True, log_level="info", **uvicorn)
