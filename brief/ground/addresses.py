"""Email addresses, checked by email-validator (the library made for it): the address as
written with its domain normalised, and the form that goes on the wire (an international
domain in punycode). A non-ASCII local part needs a server that speaks SMTPUTF8."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email


@dataclass(frozen=True)
class CheckedAddress:
    normalized: str  # as written, the domain lower case (`Ana@bücher.example`)
    envelope: str  # as it goes on the wire (`Ana@xn--bcher-kva.example`)


def check_address(email: str) -> CheckedAddress:
    """The address, checked; ValueError saying what is wrong."""
    try:
        checked = validate_email(email, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as err:
        raise ValueError(f"not an email address: {email!r} ({err})") from None
    envelope = checked.ascii_email or f"{checked.local_part}@{checked.ascii_domain}"
    return CheckedAddress(checked.normalized, envelope)
