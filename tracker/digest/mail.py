"""Digests as mail: a multipart/alternative message (plain text and HTML), and sending them
over SMTP to each unit's liaisons, remembering what went out so a second run sends nothing new.

SMTP settings come from the environment:

    TRACKER_SMTP_HOST      the server (required to send)
    TRACKER_SMTP_PORT      default 587 with STARTTLS, 25 without
    TRACKER_SMTP_STARTTLS  1/true/yes or 0/false/no (default: yes when a user is set)
    TRACKER_SMTP_USER      login, if the server wants one
    TRACKER_SMTP_PASSWORD  its password
    TRACKER_SMTP_FROM      the From address (default: the user, when it is an address)
    TRACKER_SMTP_TIMEOUT   seconds to wait for the server (default 30)
    TRACKER_SMTP_CAFILE    certificate authorities to trust for STARTTLS, as PEM (a server with
                           an internal CA); the system's are trusted by default
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from .. import clock
from ..errors import N_, Phrase, TrackerError
from ..i18n import lazy
from ..service.digests import (
    Delivery, DigestUnit, Recipient, deliveries_for_week, recipients_for, record_delivery,
)
from .build import SECTION_LIMIT, UnitDigest, unit_digest
from .render import render_digest
from .weeks import Week
from .words import digest_subject

FALLBACK_SENDER = "tracker@localhost"  # for .eml files written without any mail settings
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass
class SmtpSettings:
    host: str | None
    port: int
    starttls: bool
    user: str | None
    password: str | None
    sender: str | None
    timeout: float = 30.0
    cafile: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SmtpSettings:
        def get(name: str) -> str | None:
            value = env.get(f"TRACKER_SMTP_{name}", "").strip()
            return value or None

        user, password = get("USER"), env.get("TRACKER_SMTP_PASSWORD") or None
        if user and password is None:
            raise TrackerError(N_("TRACKER_SMTP_USER is set but TRACKER_SMTP_PASSWORD is not"))
        starttls_text = get("STARTTLS")
        if starttls_text is None:
            starttls = user is not None  # never send a password in the clear unless told to
        elif starttls_text.lower() in _TRUE:
            starttls = True
        elif starttls_text.lower() in _FALSE:
            starttls = False
        else:
            raise TrackerError(N_("TRACKER_SMTP_STARTTLS={starttls_text!r}: use yes or no"), starttls_text=starttls_text)
        port_text = get("PORT")
        try:
            port = int(port_text) if port_text else (587 if starttls else 25)
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            raise TrackerError(N_("TRACKER_SMTP_PORT={port_text!r} is not a port number"), port_text=port_text) from None
        timeout_text = get("TIMEOUT")
        try:
            timeout = float(timeout_text) if timeout_text else 30.0
        except ValueError:
            raise TrackerError(N_("TRACKER_SMTP_TIMEOUT={timeout_text!r} is not a number of seconds"), timeout_text=timeout_text) from None
        cafile = get("CAFILE")
        if cafile and not Path(cafile).is_file():
            raise TrackerError(N_("TRACKER_SMTP_CAFILE={cafile!r}: no such file"), cafile=cafile)
        sender = get("FROM") or (user if user and "@" in user else None)
        return cls(get("HOST"), port, starttls, user, password, sender, timeout, cafile)

    def require_server(self) -> None:
        if not self.host:
            raise TrackerError(N_("set TRACKER_SMTP_HOST (and TRACKER_SMTP_PORT, TRACKER_SMTP_USER, ...) to send mail"))
        if not self.sender:
            raise TrackerError(N_("set TRACKER_SMTP_FROM to the address digests are sent from"))


# ---------------------------------------------------------------------- the message


# what no header may hold: a line break (CR, LF, or what Python's email package splits lines on:
# VT, FF, FS, GS, RS, NEL, U+2028, U+2029) would end the header and begin another one; other
# control characters have no place in a name or address either
_NOT_IN_A_HEADER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _header_safe(text: str, what: lazy, where: str | Phrase) -> str:
    found = _NOT_IN_A_HEADER.search(text)
    if found:
        raise TrackerError(N_("the {what} {text!r} holds a control character ({code}), which no mail header may hold; "
                             "correct it in units.toml and load it again"),
                           where=where, what=what, text=text[:80], code=f"U+{ord(found[0]):04X}")
    return text


def _address(text: str, where: str | Phrase) -> Address:
    """One address from "Name <a@b>" or "a@b"; a malformed one is an error naming its owner."""
    _header_safe(text, lazy("mail address"), where)
    message = EmailMessage()
    try:
        message["To"] = text
        addresses = message["To"].addresses
        if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain or message["To"].defects:
            raise ValueError
    except (ValueError, IndexError, HeaderParseError):
        raise TrackerError(N_("not a mail address: {text!r}"), where=where, text=text) from None
    return addresses[0]


def recipient_addresses(unit: DigestUnit, recipients: Iterable[Recipient]) -> list[Address]:
    out = []
    for r in recipients:
        where = Phrase(N_("liaison {name} of {jurisdiction} {unit}"),
                       name=repr(r.name) if _NOT_IN_A_HEADER.search(r.name) else r.name,
                       jurisdiction=unit.jurisdiction, unit=unit.name)
        plain = _address(r.email, where=where)
        _header_safe(r.name, lazy("liaison's name"), where)
        try:
            out.append(Address(display_name=r.name, username=plain.username, domain=plain.domain))
        except (ValueError, HeaderParseError) as exc:
            raise TrackerError(N_("not a mail address: {text!r} ({reason})"), where=where, text=r.email,
                               reason=exc) from None
    return out


def digest_message(digest: UnitDigest, recipients: list[Recipient], sender: str, lang: str = "zh") -> EmailMessage:
    """The digest as one message: plain text first, HTML as the preferred alternative."""
    sender_address = _address(sender, where="TRACKER_SMTP_FROM")
    to = recipient_addresses(digest.unit, recipients)
    unit = f"{digest.unit.jurisdiction} {digest.unit.name}"
    message = EmailMessage()
    try:
        message["Subject"] = digest_subject(_header_safe(digest.unit.name, lazy("unit's name"), unit), digest.week, lang)
        message["From"] = sender_address
        message["To"] = to
    except (ValueError, HeaderParseError) as exc:  # what the checks above let through, the email package may not
        raise TrackerError(N_("cannot make a mail header of it: {reason}"), where=unit, reason=exc) from None
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain=sender_address.domain)
    # RFC 3834: automatic mail, so vacation responders stay quiet
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_digest(digest, "text", lang), subtype="plain", charset="utf-8")
    message.add_alternative(render_digest(digest, "html", lang), subtype="html", charset="utf-8")
    return message


def message_bytes(message: EmailMessage) -> bytes:
    """An .eml file: RFC 5322 line endings."""
    return message.as_bytes(policy=policy.SMTP)


# ---------------------------------------------------------------------- sending


@dataclass
class Outgoing:
    """One unit's digest for a week, ready to go (or the reason it will not)."""

    unit: DigestUnit
    week: str
    recipients: list[Recipient]
    message: EmailMessage | None
    already: Delivery | None
    problem: str | None = None  # why its message could not be made (a liaison's address, say)


@dataclass
class Outcome:
    unit: DigestUnit
    result: str  # sent | already_sent | no_recipients | failed | would_send
    detail: str = ""


def prepare(session, units: list[DigestUnit], week: Week | None, sender: str, lang: str = "zh",
            limit: int | None = SECTION_LIMIT, force: bool = False,
            progress: Callable[[Iterable[DigestUnit]], Iterable[DigestUnit]] = iter) -> list[Outgoing]:
    """Build each unit's digest and message, and look up who gets it and whether it went out
    already: a constant number of statements per unit, plus two for the whole batch. A digest
    already sent for the week is not built again unless `force`."""
    _address(sender, where="TRACKER_SMTP_FROM")  # everyone's problem: one error, before any unit
    recipients = recipients_for(session, [u.id for u in units])
    sent: dict[str, dict[int, Delivery]] = {}
    batch = []
    for unit in progress(units):
        unit_week = week or Week.current(unit.timezone)
        label = str(unit_week)
        if label not in sent:
            sent[label] = deliveries_for_week(session, label)
        to, already = recipients[unit.id], sent[label].get(unit.id)
        message, problem = None, None
        if to and (force or already is None):
            try:
                message = digest_message(unit_digest(session, unit, unit_week, limit=limit), to, sender, lang)
            except TrackerError as exc:  # this unit's, reported with it; the others still go
                problem = str(exc)
        batch.append(Outgoing(unit, label, to, message, already, problem))
    return batch


class _Connection:
    """One SMTP session, opened on first use and reopened after the server drops it."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.smtp is None:
            s = self.settings
            try:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=s.cafile))
                if s.user:
                    smtp.login(s.user, s.password or "")
            except (OSError, smtplib.SMTPException) as exc:
                raise TrackerError(N_("cannot use the mail server {host}:{port}: {reason}"), host=s.host, port=s.port, reason=_reason(exc)) from None
            self.smtp = smtp
        return self.smtp

    def drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{addr}: {code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
                         for addr, (code, msg) in exc.recipients.items())
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


def deliver(db, batch: list[Outgoing], settings: SmtpSettings, *, force: bool = False, dry_run: bool = False,
            progress: Callable[[Iterable[Outgoing]], Iterable[Outgoing]] = iter) -> list[Outcome]:
    """Send each unit's digest to its liaisons. A unit already sent this week is skipped unless
    `force`; a unit without recipients is skipped; one unit's failure is recorded and the rest
    still go. A dry run sends nothing and writes nothing.

    Each delivery is recorded in its own transaction right after the server accepts the
    message, so a failure later in the run cannot make a second run send it again."""
    connection = None
    if not dry_run and any(o.message for o in batch if o.problem is None):
        settings.require_server()
        connection = _Connection(settings)
        connection.open()  # a server that cannot be reached is one clear error, not one per unit
    outcomes = []
    try:
        for item in progress(batch):
            outcomes.append(_deliver_one(db, item, connection, force=force, dry_run=dry_run))
    finally:
        if connection:
            connection.drop()
    return outcomes


def _deliver_one(db, item: Outgoing, connection: _Connection | None, *, force: bool, dry_run: bool) -> Outcome:
    if item.already and not force:
        when = clock.shown(item.already.sent_at, item.unit.timezone)
        return Outcome(item.unit, "already_sent", f"{when} → {item.already.recipients}")
    if item.problem is not None:
        return Outcome(item.unit, "failed", item.problem)
    if item.message is None:
        return Outcome(item.unit, "no_recipients")
    to = [str(a) for a in item.message["To"].addresses]
    if dry_run or connection is None:
        return Outcome(item.unit, "would_send", ", ".join(to))
    try:
        refused = connection.open().send_message(item.message)
    except (OSError, smtplib.SMTPException, TrackerError, ValueError) as exc:  # ValueError: UnicodeError too
        if isinstance(exc, (OSError, smtplib.SMTPServerDisconnected)):
            connection.drop()  # the next unit gets a fresh connection
        return Outcome(item.unit, "failed", str(exc) if isinstance(exc, TrackerError) else _reason(exc))
    accepted = [str(a) for a in item.message["To"].addresses if a.addr_spec not in refused]
    with db.transaction() as session:
        record_delivery(session, unit_id=item.unit.id, week=item.week, sent_at=clock.now(),
                        recipients=accepted, message_id=item.message["Message-ID"])
    detail = ", ".join(accepted)
    if refused:
        detail += " (refused: " + ", ".join(refused) + ")"
    return Outcome(item.unit, "sent", detail)
