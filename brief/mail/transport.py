"""SMTP: the only module that talks to a mail server.

`Mailer.transact` sends one message as one SMTP transaction, a command at a time (MAIL,
RCPT, DATA, then the body), so its caller knows whether a failure came before the message
left (`NotStarted`: nothing was sent; `Refused`: the server said no) or after
(`Ambiguous`: the server may have delivered it). `send_message` sends one message now
(a confirmation email).
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage

from brief.ground.errors import DeliveryError
from brief.ground.settings import SmtpSettings
from scrapers.clean import inert_text


class NotStarted(DeliveryError):
    """The transaction never started: nothing was sent, the recipient stays unsent."""


class Refused(DeliveryError):
    """The server said no (a 4xx or 5xx reply): the message was not taken."""

    def __init__(self, code: int, text: bytes | str):
        self.code = code
        self.text = text.decode(errors="replace") if isinstance(text, bytes) else text
        super().__init__(f"{code} {inert_text(self.text)}")


class Ambiguous(DeliveryError):
    """The body was sent but no final reply came: the server may have delivered it."""


class Mailer:
    """One SMTP connection, opened when first needed and again after it broke."""

    def __init__(self, smtp: SmtpSettings):
        self.smtp = smtp
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.smtp
        password = os.environ.get(s.password_env) if s.user else None
        if s.user and password is None:
            raise DeliveryError(f"set {s.password_env} to the SMTP password of {s.user}")
        try:
            if s.security == "ssl":
                tls = ssl.create_default_context()
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=tls
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
            client.ehlo_or_helo_if_needed()
            if s.user and password is not None:
                client.login(s.user, password)
        except (OSError, smtplib.SMTPException) as err:
            raise DeliveryError(
                f"cannot connect to SMTP server {s.host}:{s.port}: {inert_text(str(err))}"
            ) from err
        return client

    def ready(self) -> smtplib.SMTP:
        """The open connection; DeliveryError (before any transaction) when there is none."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def supports_smtputf8(self) -> bool:
        return self.ready().has_extn("smtputf8")

    def transact(
        self, data: bytes, sender: str, recipient: str, utf8: bool, started: Callable[[], None]
    ) -> None:
        """One SMTP transaction, `started()` called just before MAIL FROM.

        Raises NotStarted (nothing sent; the connection broke before MAIL FROM was
        accepted), Refused (the server declined) or Ambiguous (see the module doc).
        """
        client = self.ready()
        options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else []
        started()
        try:
            code, text = client.mail(sender, options)
        except (smtplib.SMTPServerDisconnected, OSError) as err:
            self._drop()
            raise NotStarted(str(err)) from err
        try:
            if code != 250:
                raise Refused(code, text)
            code, text = client.rcpt(recipient)
            if code not in (250, 251):
                raise Refused(code, text)
            code, text = client.docmd("data")
            if code != 354:
                raise Refused(code, text)
        except Refused:
            self._reset()
            raise
        except (smtplib.SMTPException, OSError) as err:
            # MAIL FROM was accepted but the body never left: nothing can be delivered.
            self._drop()
            raise NotStarted(f"connection lost before the message was sent: {err}") from err
        try:  # past DATA: from here on, a failure is ambiguous
            body = re.sub(rb"(?m)^\.", b"..", data)
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            client.send(body + b".\r\n")
            code, text = client.getreply()
        except (smtplib.SMTPException, OSError) as err:  # timeouts are OSErrors
            self._drop()
            raise Ambiguous(f"no answer after the message was sent: {err}") from err
        if code != 250:
            raise Refused(code, text)

    def _reset(self) -> None:
        if self._client is not None:
            try:
                self._client.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()

    def _drop(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError):
                self._client.close()
        self._client = None

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._client.quit()
            self._client = None


def send_message(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Send one message now (a confirmation email); DeliveryError when it cannot go."""
    mailer = Mailer(smtp)
    try:
        client = mailer.ready()
        # SMTPUTF8 is for an address that needs it; a name is encoded in the header.
        utf8 = not all(a.addr_spec.isascii() for a in message["To"].addresses)
        client.send_message(message, mail_options=["SMTPUTF8"] if utf8 else [])
    except smtplib.SMTPException as err:
        raise DeliveryError(f"the SMTP server refused the message: {err}") from err
    except OSError as err:
        raise DeliveryError(f"the message could not be sent: {err}") from err
    finally:
        mailer.close()
