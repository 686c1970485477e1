"""The queries reminders (催办) need, in bulk: every open assignment with a deadline, the rungs
already sent, who is written to, which units have a calendar subscription; and recording what
went out. The ladder itself (which rung is current) is tracker/ladder.py's; which mails that
makes is tracker/digest/reminders.py's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..errors import NotFound
from ..ladder import Ladder
from ..store.models import Assignment, FeedToken, Jurisdiction, Plan, ReminderSent, Task, Unit
from .digests import Recipient, recipients_for


@dataclass(frozen=True)
class OpenAssignment:
    """An assignment not done, on a live task with a deadline: what a reminder says about it."""

    assignment_id: int
    unit_id: int
    unit: str
    jurisdiction: str
    plan_id: int
    plan_key: str
    plan_title: str
    plan_start: date | None
    timezone: str
    coordinator_id: int | None
    coordinator: str | None
    ladder: Ladder
    task_key: str
    title: str
    role: str
    deadline_kind: str
    final_due_on: date | None
    deadline_rule: str | None
    status: str
    percent: int | None
    status_at: datetime | None


def open_assignments(session: Session, *, jurisdiction: str | None = None,
                     plan_key: str | None = None) -> list[OpenAssignment]:
    """Every live assignment not done whose task has a deadline (dated, the plan's end, or a
    rule), of real units (not a group waiting for a person to choose), in one statement."""
    coordinator = aliased(Unit)
    query = (select(Assignment.id, Unit.id, Unit.name, Jurisdiction.name, Plan.id, Plan.key, Plan.title,
                    Plan.period_start, Plan.published_on, Plan.written_on, Plan.timezone, Plan.coordinator_id,
                    coordinator.name, Plan.reminders, Task.key, Task.title, Assignment.role, Task.deadline_kind,
                    Task.due_on, Task.deadline_rule, Assignment.status, Assignment.percent, Assignment.status_at)
             .join(Task, Task.id == Assignment.task_id).join(Plan, Plan.id == Task.plan_id)
             .join(Unit, Unit.id == Assignment.unit_id).join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id)
             .outerjoin(coordinator, coordinator.id == Plan.coordinator_id)
             .where(Assignment.archived.is_(False), Task.archived.is_(False), Unit.choose.is_(False),
                    Assignment.status != "done", Task.deadline_kind != "ongoing")
             .order_by(Jurisdiction.id, Unit.id, Plan.key, Task.position, Assignment.role))
    if jurisdiction:
        if session.scalar(select(Jurisdiction.id).where(Jurisdiction.name == jurisdiction)) is None:
            known = "、".join(session.scalars(select(Jurisdiction.name).order_by(Jurisdiction.id)))
            raise NotFound(f"unknown jurisdiction {jurisdiction!r}; known: {known or '(none loaded)'}")
        query = query.where(Jurisdiction.name == jurisdiction)
    if plan_key:
        if session.scalar(select(Plan.id).where(Plan.key == plan_key)) is None:
            known = "、".join(session.scalars(select(Plan.key).order_by(Plan.key)))
            raise NotFound(f"unknown plan {plan_key!r}; known plans: {known or '(none loaded)'}")
        query = query.where(Plan.key == plan_key)
    ladders: dict[str | None, Ladder] = {}
    out = []
    for (assignment_id, unit_id, unit, jname, plan_id, key, title, start, published, written, tz, coordinator_id,
         coordinator_name, reminders, task_key, task_title, role, kind, due_on, rule, status, percent,
         status_at) in session.execute(query):
        if reminders not in ladders:
            ladders[reminders] = Ladder.from_json(reminders)
        out.append(OpenAssignment(assignment_id, unit_id, unit, jname, plan_id, key, title, start or published or written,
                                  tz, coordinator_id, coordinator_name, ladders[reminders], task_key, task_title, role,
                                  kind, due_on, rule, status, percent, status_at))
    return out


def sent_rungs(session: Session, assignment_ids: Iterable[int]) -> set[tuple[int, date, str]]:
    """(assignment, deadline, rung) of every reminder already sent on these assignments."""
    ids = list(assignment_ids)
    found: set[tuple[int, date, str]] = set()
    for start in range(0, len(ids), 5000):  # a bound list per statement, whatever the city's size
        chunk = ids[start:start + 5000]
        found.update((a, d, r) for a, d, r in session.execute(
            select(ReminderSent.assignment_id, ReminderSent.due_on, ReminderSent.rung)
            .where(ReminderSent.assignment_id.in_(chunk))))
    return found


@dataclass(frozen=True)
class Leader:
    name: str
    email: str


def leaders_for(session: Session, unit_ids: Iterable[int]) -> dict[int, Leader]:
    """The leadership contact of each unit that has one with an address."""
    ids = list(set(unit_ids))
    if not ids:
        return {}
    query = select(Unit.id, Unit.leader, Unit.leader_email).where(Unit.id.in_(ids), Unit.leader_email.is_not(None),
                                                                  Unit.leader_email != "")
    return {unit_id: Leader(name or "", email.strip()) for unit_id, name, email in session.execute(query)}


def liaisons_for(session: Session, unit_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    return recipients_for(session, sorted(set(unit_ids)))


def subscribed_units(session: Session, unit_ids: Iterable[int]) -> set[int]:
    """The units that have a live calendar subscription token (its address is theirs alone:
    only the token's hash is kept, so a reminder can point at the feed, not spell it out)."""
    ids = list(set(unit_ids))
    if not ids:
        return set()
    return set(session.scalars(select(FeedToken.unit_id).where(FeedToken.unit_id.in_(ids),
                                                               FeedToken.revoked_at.is_(None))))


@dataclass(frozen=True)
class SentRung:
    assignment_id: int
    due_on: date
    rung: str
    escalated: bool


def record_reminders(session: Session, rungs: Iterable[SentRung], *, sent_on: date, sent_at: datetime,
                     recipients: list[str], message_id: str | None) -> None:
    """Remember the rungs one message carried, so no later run sends them again."""
    rows = [ReminderSent(assignment_id=r.assignment_id, due_on=r.due_on, rung=r.rung, escalated=r.escalated,
                         sent_on=sent_on, sent_at=sent_at, recipients=", ".join(recipients), message_id=message_id)
            for r in rungs]
    session.add_all(rows)
    session.flush()


@dataclass(frozen=True)
class SentReminder:
    """A reminder as recorded: for tests, `doctor` and whoever asks what went out when."""

    plan_key: str
    task_key: str
    unit: str
    due_on: date
    rung: str
    escalated: bool
    sent_on: date
    recipients: str


def reminders_sent(session: Session) -> list[SentReminder]:
    query = (select(Plan.key, Task.key, Unit.name, ReminderSent.due_on, ReminderSent.rung, ReminderSent.escalated,
                    ReminderSent.sent_on, ReminderSent.recipients)
             .join(Assignment, Assignment.id == ReminderSent.assignment_id)
             .join(Task, Task.id == Assignment.task_id).join(Plan, Plan.id == Task.plan_id)
             .join(Unit, Unit.id == Assignment.unit_id)
             .order_by(ReminderSent.sent_on, ReminderSent.id))
    return [SentReminder(*row) for row in session.execute(query)]
