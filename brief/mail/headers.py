"""Email headers: the policy every message of ours is written with, and the one way a
reader's name and address become a header.

A reader's name is text from outside (the sign-up form, a CSV). The email package reads a
display name as header syntax: it decodes RFC 2047 encoded-words (`=?utf-8?b?...?=`) in it,
and then writes what they decoded to, CR and LF included, into the message. So a name
reaches a header only through `mailbox`, which keeps it plain text, and the policy refuses
to write any header line that is not ours.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.policy import EmailPolicy

from brief.ground.errors import DeliveryError
from scrapers.clean import inert_text

NAME_MAX = 100  # characters of a display name: more is not a name


def plain_name(raw: str | None) -> str | None:
    """A person's name as one line of plain text: no control characters, terminal escapes
    or bidi overrides, whitespace collapsed, at most NAME_MAX characters; None if empty."""
    if not raw:
        return None
    text = " ".join(inert_text(raw).split())
    return text[:NAME_MAX].rstrip() or None


# "=?" opens an encoded-word; a zero-width joiner between the two characters keeps what the
# reader sees and leaves nothing for a decoder to decode.
_ENCODED_WORD = re.compile(r"=(?=\?)")


def mailbox(name: str | None, address: str) -> Address:
    """The To header's value for `address`, with `name` shown exactly as text."""
    display = plain_name(name) or ""
    display = _ENCODED_WORD.sub("=\u2060", display)
    local, _, domain = address.rpartition("@")
    return Address(display_name=display, username=local, domain=domain)


class HeaderInjection(DeliveryError):
    """A header would have written a line of its own: the message is not written at all."""


# A line break that does not continue the header (folding goes on with a space or a tab).
_NEW_LINE = re.compile(rb"\r?\n(?![ \t])|\r(?!\n)")


class MailPolicy(EmailPolicy):
    """SMTP's policy (CRLF, folded at 78), with two rules of ours.

    - The List-Unsubscribe headers are never encoded or broken inside a URL: mail providers
      read them raw (RFC 8058). Long values fold only between their <...> entries.
    - A header that would come out as more than one header (a line break that is not a
      fold) raises HeaderInjection, whatever put it there: our headers are exactly ours.
    """

    def fold(self, name: str, value: str) -> str:
        folded = self._unbroken(name, value) or super().fold(name, value)
        _verify(name, folded.encode("utf-8", "surrogateescape"))
        return folded

    def fold_binary(self, name: str, value: str) -> bytes:
        unbroken = self._unbroken(name, value)
        if unbroken:
            folded = unbroken.encode("utf-8" if self.utf8 else "ascii")
        else:
            folded = super().fold_binary(name, value)
        _verify(name, folded)
        return folded

    def _unbroken(self, name: str, value: str) -> str | None:
        if name.lower() == "list-unsubscribe":
            targets = re.findall(r"<[^<>\s]*>", str(value))
            return f"{name}: " + f",{self.linesep} ".join(targets) + self.linesep
        if name.lower() == "list-unsubscribe-post":
            return f"{name}: {value}{self.linesep}"
        return None


def _verify(name: str, folded: bytes) -> None:
    body = folded[:-2] if folded.endswith(b"\r\n") else folded.rstrip(b"\n")
    if _NEW_LINE.search(body) or b"\x00" in body:
        raise HeaderInjection(
            f"the {name} header would break into headers of its own; nothing was written"
        )


MAIL_POLICY = MailPolicy(linesep="\r\n")
