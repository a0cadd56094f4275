"""Reading bounce and complaint reports: which address, and what happened to it.

- A delivery status notification (RFC 3464: `multipart/report; report-type=delivery-status`)
  names each recipient in a `Final-Recipient` field; an `Action: failed` with a permanent
  status (5.x.x) is a bounce. Delays and temporary failures change nothing.
- A complaint (ARF, RFC 5965: `report-type=feedback-report`) names the address in
  `Original-Rcpt-To`, or in the To of the original message it carries.
- A CSV with an `email` column lists addresses, all with the status the editor says.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

from brief.audience.subscribers import read_subscribers, subscriber
from brief.ground.errors import ContentError
from scrapers.records import SubscriberStatus


def read_reports(
    path: Path, csv_status: SubscriberStatus = "bounced"
) -> Iterator[tuple[str, SubscriberStatus, str]]:
    """(address, bounced or complained, why) for each address a report file names."""
    if path.suffix.lower() == ".csv":
        people, _ = read_subscribers(path)
        for person in people:
            yield person.email, csv_status, f"listed in a {csv_status} CSV"
        return
    try:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
    except OSError as err:
        raise ContentError(f"cannot read: {err.strerror}", path) from err
    report_type = str(message.get_param("report-type") or "").lower()
    if message.get_content_type() != "multipart/report" or report_type not in (
        "delivery-status",
        "feedback-report",
    ):
        raise ContentError(
            "not a bounce or complaint report (a multipart/report email), nor a CSV", path
        )
    found = _bounces(message) if report_type == "delivery-status" else _complaints(message)
    for address, status, why in found:
        try:  # a report is mail from outside: only a real address may reach the list
            yield subscriber(address).email, status, why
        except ValueError:
            continue


def _bounces(message: Message) -> Iterator[tuple[str, SubscriberStatus, str]]:
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for fields in blocks[1:] if isinstance(blocks, list) else []:  # per-recipient blocks
            if not isinstance(fields, Message):
                continue
            action = str(fields.get("Action", "")).strip().lower()
            status = str(fields.get("Status", "")).strip()
            named = fields.get("Final-Recipient") or fields.get("Original-Recipient") or ""
            recipient = _address(str(named))
            if recipient and action == "failed" and status.startswith("5"):
                yield recipient, "bounced", f"bounce report, status {status}"


def _complaints(message: Message) -> Iterator[tuple[str, SubscriberStatus, str]]:
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            blocks = part.get_payload()
            first = blocks[0] if isinstance(blocks, list) and blocks else part
            fields = first if isinstance(first, Message) else part
            recipient = _address(str(fields.get("Original-Rcpt-To", "")))
            if recipient:
                yield recipient, "complained", "complaint report"
                return
    for part in message.walk():  # no Original-Rcpt-To: the original message's To
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            first = payload[0] if isinstance(payload, list) and payload else None
            original = (
                first if isinstance(first, Message) else email.message_from_string(str(payload))
            )
            for _, address in getaddresses([str(original.get("To", ""))]):
                if "@" in address:
                    yield address, "complained", "complaint report"
            return


def _address(field: str) -> str:
    """The address of a DSN recipient field: `rfc822; user@example.org`."""
    value = field.split(";", 1)[-1].strip().strip("<>")
    return value if "@" in value else ""
