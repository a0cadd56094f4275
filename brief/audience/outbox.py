"""The service's mail queues: each sign-up the service answered, until the mail server has
taken its confirmation email; and each reader who confirmed, until it has taken their
welcome email.

The service only queues a sign-up (one committed INSERT, the same work for every address)
and answers; a worker thread handles the queue. So a crash after the answer loses no
sign-up, an SMTP outage leaves the confirmation queued and retried with backoff, and
"confirmation sent", which the per-address limit counts, is recorded only once the mail
server accepted the message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from brief.audience.subscribers import subscriber
from brief.audience.tokens import Tokens
from brief.ground.errors import BriefError, DeliveryError
from brief.ground.settings import Settings, SubscriptionSettings
from brief.mail.confirmation import confirmation_message
from scrapers.records import Signup
from scrapers.storage import Store, open_store
from scrapers.storage.subscribers import mailbox_key
from scrapers.storage.welcomes import Welcome

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=2)  # a confirmation still unsent then is dropped, and logged
LONGEST_WAIT = timedelta(hours=1)  # between two attempts, however many failed
NO_CONFIRMATION = ("confirmed", "bounced", "complained")  # nothing to confirm, or never mail


@dataclass(frozen=True)
class Outbox:
    """What handling the queue needs: the settings, the signer and a way to send."""

    settings: Settings
    service: SubscriptionSettings
    tokens: Tokens
    send: Callable[[EmailMessage], None]

    def handle_due(self, everything: bool = False) -> datetime | None:
        """Handle every sign-up due now (or `everything` queued, at start: whoever restarts
        the service has often just mended the mail settings); when the next one falls due
        (None: the queue is empty)."""
        now = datetime.now(UTC)
        with open_store(self.settings.db) as store:
            handled: set[str] = set()
            for signup in store.signups.due(None if everything else now):
                key = mailbox_key(signup.email)
                if key in handled:
                    continue  # queued twice: answered with the first one's confirmation
                handled.add(key)
                try:
                    self._handle(store, signup, now)
                except BriefError as err:
                    log.error("sign-up %d: %s", signup.id, err)
            welcomes = store.welcomes.due(None if everything else now)
            if welcomes:
                self._welcome(store, welcomes, now)
            due = [d for d in (store.signups.next_due(), store.welcomes.next_due()) if d]
            return min(due, default=None)

    def _welcome(self, store: Store, welcomes: list[Welcome], now: datetime) -> None:
        """Send each reader who confirmed their welcome: the latest issue, how to leave."""
        from brief.content.files import load_newsletter
        from brief.mail.digest import DigestRenderer
        from brief.mail.welcome import welcome_message

        try:
            renderer = DigestRenderer(self.settings)
            newsletter = load_newsletter(self.settings)
        except BriefError as err:  # the theme or content is broken: retry once it is mended
            log.error("welcome emails: %s", err)
            for welcome in welcomes:
                self._retry(store, welcome, now, str(err))
            return
        for welcome in welcomes:
            known = store.subscribers.by_id(welcome.subscriber_id)
            if known is None or known.status != "confirmed":  # left, bounced: no welcome
                with store.transaction():
                    store.welcomes.done(welcome.subscriber_id)
                continue
            token = self.tokens.make(known.id, "unsubscribe")
            unsubscribe = f"{self.service.url}unsubscribe?token={token}"
            try:
                choose = self.tokens.make(known.id, "preferences")
                message = welcome_message(
                    self.settings, renderer, newsletter, known.email, known.name, unsubscribe,
                    preferences=f"{self.service.url}preferences?token={choose}",
                )  # fmt: skip
                self.send(message)
            except BriefError as err:
                self._retry(store, welcome, now, str(err))
                continue
            with store.transaction():
                store.subscribers.welcome_sent(known.id)
                store.welcomes.done(known.id)

    def _retry(self, store: Store, welcome: Welcome, now: datetime, error: str) -> None:
        with store.transaction():
            if now - welcome.queued_at >= GIVE_UP_AFTER:
                store.welcomes.done(welcome.subscriber_id)
                log.error("welcome to subscriber %d: given up after %d attempts: %s",
                          welcome.subscriber_id, welcome.attempts + 1, error)  # fmt: skip
                return
            wait = timedelta(seconds=self.service.retry * 2**welcome.attempts)
            store.welcomes.later(welcome.subscriber_id, now + min(wait, LONGEST_WAIT), error)
        log.warning("welcome to subscriber %d not sent, will retry: %s",
                    welcome.subscriber_id, error)  # fmt: skip

    def _handle(self, store: Store, signup: Signup, now: datetime) -> None:
        person = subscriber(signup.email, signup.name)
        known = store.subscribers.get(person.email)
        if known is not None and known.status in NO_CONFIRMATION:
            with store.transaction():
                store.signups.done(signup)
            return
        with store.transaction():
            if known is None:
                known = store.subscribers.add(
                    person.email, person.name, "pending", "subscribe form"
                )
            elif person.name and not known.name:
                store.subscribers.set_name(known.id, person.name)
            over = store.subscribers.confirmations_since(known.id, timedelta(days=1))
            if over >= self.service.per_address:  # mail bombing through our form
                store.signups.done(signup)
                return
        link = f"{self.service.url}confirm?token={self.tokens.make(known.id, 'confirm')}"
        message = confirmation_message(
            self.settings, person.address, person.name or known.name, link
        )
        try:
            self.send(message)
        except DeliveryError as err:
            with store.transaction():
                if now - signup.received_at >= GIVE_UP_AFTER:
                    store.signups.done(signup)
                    log.error("sign-up %d: given up after %d attempts: %s",
                              signup.id, signup.attempts + 1, err)  # fmt: skip
                    return
                wait = timedelta(seconds=self.service.retry * 2**signup.attempts)
                store.signups.later(signup, now + min(wait, LONGEST_WAIT), str(err))
            log.warning("sign-up %d: confirmation not sent, will retry: %s", signup.id, err)
            return
        with store.transaction():
            store.subscribers.confirmation_sent(known.id, "subscribe form")
            store.signups.done(signup)


class ConfirmationWorker:
    """A thread that handles the queue: at once when woken (a new sign-up), else when the
    next retry falls due, and once at start (what a crash or a restart left)."""

    def __init__(self, outbox: Outbox):
        self.outbox = outbox
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="confirmations", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            self._wake.clear()
            try:
                next_due = self.outbox.handle_due(everything=first)
                first = False
            except Exception:  # a bug or a broken store must not end the thread unseen
                log.exception("confirmation queue: unexpected error")
                next_due = datetime.now(UTC) + timedelta(seconds=self.outbox.service.retry)
            wait = None
            if next_due is not None:
                wait = max(0.0, (next_due - datetime.now(UTC)).total_seconds())
            self._wake.wait(wait)
