"""Reminders that escalate (催办): what is due today on each plan's ladder, as mail to each unit.

Each open assignment has at most one current rung a day (tracker/ladder.py); the rungs not
sent yet are gathered into one message per unit (提醒, to its liaisons), and the escalated
ones into one message per unit and coordinating unit (催办, to its liaisons and its leader,
with the coordinator's liaisons in copy). Mail goes out by the digests' settings and
connection (tracker/digest/mail.py); each message's rungs are recorded as soon as the server
takes it, so a second run the same day sends nothing and a failed message is tried again by
the next run.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy.orm import Session

from .. import clock
from ..deadlines import next_due
from ..errors import TrackerError
from ..i18n import _, ngettext, role_label, status_label
from ..ladder import Rung
from ..service.digests import DigestUnit, Recipient
from ..service.feeds import unit_code
from ..service.reminders import (
    Leader, OpenAssignment, SentRung, leaders_for, liaisons_for, open_assignments, record_reminders, sent_rungs,
    subscribed_units,
)
from .build import local_date
from .mail import SmtpSettings, _address, _Connection, _reason, recipient_addresses

DEFAULT_FEED_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Item:
    """One assignment's current rung."""

    assignment: OpenAssignment
    due_on: date
    rung: Rung
    today: date

    @property
    def sent(self) -> SentRung:
        return SentRung(self.assignment.assignment_id, self.due_on, self.rung.code, self.rung.escalated)


@dataclass
class Notice:
    """One message: a unit's reminders (escalated or not) and who gets them."""

    unit_id: int
    unit: str
    jurisdiction: str
    escalated: bool
    coordinator: str | None
    items: list[Item] = field(default_factory=list)
    to: list[Recipient] = field(default_factory=list)
    leader: Leader | None = None
    cc: list[Recipient] = field(default_factory=list)
    subscribed: bool = False
    message: EmailMessage | None = None

    @property
    def sent_on(self) -> date:
        return self.items[0].today


def due_items(session: Session, *, jurisdiction: str | None = None, plan_key: str | None = None,
              today: date | None = None) -> list[Item]:
    """Every open assignment's current rung that has not been sent, as of today in each plan's
    time zone (or `today`)."""
    rows = open_assignments(session, jurisdiction=jurisdiction, plan_key=plan_key)
    sent = sent_rungs(session, (r.assignment_id for r in rows))
    items = []
    for row in rows:
        day = today or clock.today(row.timezone)
        due = next_due(row.deadline_kind, row.final_due_on, row.deadline_rule, day, row.plan_start)
        if due is None:
            continue
        rung = row.ladder.current(due, day)
        if rung is not None and (row.assignment_id, due, rung.code) not in sent:
            items.append(Item(row, due, rung, day))
    return items


def notices(session: Session, items: list[Item]) -> list[Notice]:
    """The items as messages, with their recipients: per unit, one for its ordinary reminders
    and one per coordinating unit for its escalated ones."""
    grouped: dict[tuple[int, bool, int | None], Notice] = {}
    for item in items:
        a = item.assignment
        key = (a.unit_id, item.rung.escalated, a.coordinator_id if item.rung.escalated else None)
        if key not in grouped:
            grouped[key] = Notice(a.unit_id, a.unit, a.jurisdiction, item.rung.escalated,
                                  a.coordinator if item.rung.escalated else None)
        grouped[key].items.append(item)
    unit_ids = {key[0] for key in grouped}
    coordinators = {key[2] for key in grouped if key[2] is not None}
    liaisons = liaisons_for(session, unit_ids | coordinators)
    leaders = leaders_for(session, unit_ids)
    subscribed = subscribed_units(session, unit_ids)
    out = []
    for (unit_id, escalated, coordinator_id), notice in grouped.items():
        notice.to = liaisons[unit_id]
        notice.subscribed = unit_id in subscribed
        if escalated:
            notice.leader = leaders.get(unit_id)
            if coordinator_id is not None and coordinator_id != unit_id:
                notice.cc = liaisons[coordinator_id]
        notice.items.sort(key=lambda i: (-i.rung.days, i.assignment.plan_key, i.assignment.task_key))
        out.append(notice)
    return out


# ---------------------------------------------------------------------- the message


def rung_label(rung: Rung) -> str:
    """before-7 → 7 days before, due → on the day, late-14 → 14 days overdue (escalated)."""
    if rung.days < 0:
        return ngettext("{n} day before", "{n} days before", -rung.days).format(n=-rung.days)
    if rung.days == 0:
        return _("on the day")
    said = ngettext("{n} day overdue", "{n} days overdue", rung.days).format(n=rung.days)
    return _("{rung}, escalated").format(rung=said) if rung.escalated else said


def _days_now(item: Item) -> str:
    """Days left or late as of the day it is sent (a caught-up rung's own day may be past)."""
    days = (item.today - item.due_on).days
    if days < 0:
        return ngettext("{n} day left", "{n} days left", -days).format(n=-days)
    if days == 0:
        return _("due today")
    return ngettext("{n} day overdue", "{n} days overdue", days).format(n=days)


def subject(notice: Notice) -> str:
    n = len(notice.items)
    if notice.escalated:
        return ngettext("[Urgent] {unit}: {n} task long overdue", "[Urgent] {unit}: {n} tasks long overdue",
                        n).format(unit=notice.unit, n=n)
    return ngettext("[Reminder] {unit}: {n} task due or overdue", "[Reminder] {unit}: {n} tasks due or overdue",
                    n).format(unit=notice.unit, n=n)


def feed_address(notice: Notice, base_url: str) -> str:
    code = unit_code(notice.jurisdiction, notice.unit)
    token = _("<token>")
    return f"{base_url.rstrip('/')}/feeds/{token}/{code}.ics"


def body(notice: Notice, base_url: str) -> str:
    lines = [_("{unit}:").format(unit=notice.unit), ""]
    if notice.escalated:
        told = [name for name in (notice.coordinator, notice.leader and notice.leader.name) if name]
        lines.append(_("The tasks below are long overdue and not done. This reminder goes to {whom} as well.")
                     .format(whom=_(", ").join(told)) if told
                     else _("The tasks below are long overdue and not done."))
    else:
        lines.append(_("The tasks below are due soon or overdue: please move them on and record their progress."))
    lines.append("")
    for number, item in enumerate(notice.items, 1):
        a = item.assignment
        lines.append(_("{n}. {key} {title} ({role})").format(n=number, key=a.task_key, title=a.title,
                                                            role=role_label(a.role, _lang())))
        lines.append("   " + _("Plan: {title} ({key})").format(title=a.plan_title, key=a.plan_key))
        lines.append("   " + _("Deadline: {date} ({when})").format(date=item.due_on.isoformat(), when=_days_now(item)))
        last = local_date(a.status_at, a.timezone)
        if last is None:
            lines.append("   " + _("Your unit's last update: never"))
        else:
            state = status_label(a.status, _lang()) + (f" {a.percent}%" if a.percent is not None else "")
            lines.append("   " + _("Your unit's last update: {date} ({state})").format(date=last.isoformat(),
                                                                                     state=state))
    lines.append("")
    if notice.subscribed:
        lines.append(_("Your unit's calendar feed: {address}").format(address=feed_address(notice, base_url)))
        lines.append(_("(<token> is the part of the address `tracker feed token` gave your unit; it is shown only "
                       "once, so ask the coordinating office for a new one if it is lost.)"))
    else:
        lines.append(_("Your unit has no calendar feed yet: the coordinating office issues one with "
                       "`tracker feed token --unit {unit} -j {jurisdiction}`.").format(unit=notice.unit,
                                                                                      jurisdiction=notice.jurisdiction))
    lines.append("")
    lines.append(_("This reminder was sent by tracker; record progress in tracker and it will stop."))
    return "\n".join(lines) + "\n"


def _lang() -> str:
    from ..i18n import language

    return language()


def reminder_message(notice: Notice, sender: str, base_url: str) -> EmailMessage | None:
    """The notice as mail, or None when nobody of the unit has an address."""
    if not notice.to:
        return None
    sender_address = _address(sender, where="TRACKER_SMTP_FROM")
    unit = DigestUnit(notice.unit_id, notice.unit, None, notice.jurisdiction, "")
    message = EmailMessage()
    message["Subject"] = subject(notice)
    message["From"] = sender_address
    to = recipient_addresses(unit, notice.to)
    if notice.leader is not None:
        plain = _address(notice.leader.email, where=f"leader of {notice.jurisdiction} {notice.unit}")
        to.append(Address(display_name=notice.leader.name, username=plain.username, domain=plain.domain))
    message["To"] = to
    if notice.cc:
        message["Cc"] = recipient_addresses(unit, notice.cc)
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain=sender_address.domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body(notice, base_url), subtype="plain", charset="utf-8")
    return message


def prepare(session: Session, sender: str, base_url: str = DEFAULT_FEED_URL, *, jurisdiction: str | None = None,
            plan_key: str | None = None) -> list[Notice]:
    batch = notices(session, due_items(session, jurisdiction=jurisdiction, plan_key=plan_key))
    for notice in batch:
        notice.message = reminder_message(notice, sender, base_url)
    return batch


# ---------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Outcome:
    notice: Notice
    result: str  # sent | would_send | no_recipients | failed
    detail: str = ""


def deliver(db, batch: list[Notice], settings: SmtpSettings, *, dry_run: bool = False,
            progress: Callable[[Iterable[Notice]], Iterable[Notice]] = iter) -> list[Outcome]:
    """Send each notice; record its rungs right after the server takes it. A dry run sends and
    records nothing; a unit without addresses is skipped (and tried again next run)."""
    connection = None
    if not dry_run and any(n.message for n in batch):
        settings.require_server()
        connection = _Connection(settings)
        connection.open()
    outcomes = []
    try:
        for notice in progress(batch):
            outcomes.append(_deliver_one(db, notice, connection, dry_run=dry_run))
    finally:
        if connection:
            connection.drop()
    return outcomes


def _all_addresses(message: EmailMessage) -> list[Address]:
    return [*message["To"].addresses, *(message["Cc"].addresses if message["Cc"] else ())]


def _deliver_one(db, notice: Notice, connection: _Connection | None, *, dry_run: bool) -> Outcome:
    if notice.message is None:
        return Outcome(notice, "no_recipients")
    addresses = [str(a) for a in _all_addresses(notice.message)]
    if dry_run or connection is None:
        return Outcome(notice, "would_send", ", ".join(addresses))
    try:
        refused = connection.open().send_message(notice.message)
    except (OSError, smtplib.SMTPException, TrackerError) as exc:
        if isinstance(exc, (OSError, smtplib.SMTPServerDisconnected)):
            connection.drop()
        return Outcome(notice, "failed", str(exc) if isinstance(exc, TrackerError) else _reason(exc))
    accepted = [str(a) for a in _all_addresses(notice.message) if a.addr_spec not in refused]
    with db.transaction() as session:
        record_reminders(session, (item.sent for item in notice.items), sent_on=notice.sent_on,
                         sent_at=clock.now(), recipients=accepted, message_id=notice.message["Message-ID"])
    detail = ", ".join(accepted)
    if refused:
        detail += " (" + _("refused: {addresses}").format(addresses=", ".join(refused)) + ")"
    return Outcome(notice, "sent", detail)
