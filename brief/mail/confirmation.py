"""The confirmation email of a double opt-in: one link, to confirm; nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

import jinja2

from brief.ground.markup import wrap
from brief.ground.settings import Settings
from brief.mail.headers import MAIL_POLICY, mailbox


def confirmation_message(
    settings: Settings, email: str, name: str | None, confirm_url: str
) -> EmailMessage:
    """A message asking `email` to confirm, with the signed link."""
    folder = settings.theme / "templates" / "email"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["wrap"] = wrap
    context = {
        "sitename": settings.sitename,
        "name": name,
        "confirm_url": confirm_url,
        "postal_address": settings.digest.postal_address,
    }
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = f"Confirm your subscription to {settings.sitename}"
    message["From"] = settings.digest.sender
    message["To"] = mailbox(name, email)
    message["Date"] = format_datetime(datetime.now(UTC))
    host = urlsplit(confirm_url).hostname or settings.digest.sender_address.rpartition("@")[2]
    message["Message-ID"] = make_msgid(idstring="confirm", domain=host)
    message.set_content(env.get_template("confirm.txt").render(context), charset="utf-8")
    message.add_alternative(
        env.get_template("confirm.html").render(context), subtype="html", charset="utf-8"
    )
    return message
