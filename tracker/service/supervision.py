"""Supervision (督办): a unit asks the plan's coordinating unit, and the coordinator decides.

- 申请办结: where a plan wants approval (plan.approval "closing", and it has a coordinator), a
  lead unit's 已完成 is a closing request: the history records 已完成, the task reads 待审核
  (the assignment's status "pending_review") until the coordinator approves it (销号: 已完成,
  the date recorded) or returns it with a reason (退回: back to 推进中). Supporting units' own
  已完成, and the coordinator's, need no approval.
- 延期申请: a unit asks for a later deadline on one of its assignments, with a reason; an
  approved one moves the assignment's deadline (the database's trigger sets
  assignment.extended_due_on), the task's own deadline stays as the plan wrote it.

Requests and decisions are history, append-only like status updates (migration 0005). The
rules: a unit asks only for its own assignments; only the plan's coordinating unit decides.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..errors import N_, Conflict, NotFound, PermissionDenied, TrackerError
from ..store.history import DECISION_CHAINED, REQUEST_CHAINED, chain_hash
from ..store.models import (
    Assignment, Plan, StatusUpdate, SupervisionDecision, SupervisionRequest, Task, Unit,
)
from ..textwidth import says_nothing
from .access import acting_identity, connected_liaison

PENDING = "pending_review"  # the assignment's status while a closing request waits: 待审核
KINDS = ("closing", "extension")
DECISIONS = {"closing": ("approved", "returned"), "extension": ("approved", "rejected")}


class PendingReview(TrackerError):
    """A status change asked for while the task's closing request waits for the coordinator."""


@dataclass(frozen=True)
class Request:
    """A request and, once made, the coordinator's decision: what the 待审批 list, the history
    and the detail show."""

    id: int
    kind: str  # closing | extension
    plan_key: str
    task_key: str
    task_title: str
    assignment_id: int
    unit: str
    role: str
    due_on: date | None  # the deadline asked for (extension)
    previous_due_on: date | None  # the deadline in force when asked
    note: str | None
    author: str | None
    requested_at: datetime
    decision: str | None = None  # approved | returned | rejected; None: waiting
    reason: str | None = None
    decided_by: str | None = None
    deciding_unit: str | None = None
    decided_at: datetime | None = None
    coordinator: str | None = None  # the plan's coordinating unit, who decides
    timezone: str = clock.DEFAULT_TIMEZONE  # the plan's: the times above are shown in it

    @property
    def pending(self) -> bool:
        return self.decision is None

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "plan": self.plan_key, "task": self.task_key,
                "title": self.task_title, "unit": self.unit, "role": self.role,
                "due_on": self.due_on.isoformat() if self.due_on else None,
                "previous_due_on": self.previous_due_on.isoformat() if self.previous_due_on else None,
                "note": self.note, "author": self.author, "requested_at": self.requested_at.isoformat(),
                "decision": self.decision, "reason": self.reason, "decided_by": self.decided_by,
                "deciding_unit": self.deciding_unit,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None}


def _query():
    decider, coordinator = aliased(Unit), aliased(Unit)
    return (select(SupervisionRequest, SupervisionDecision, Plan.key, Task.key, Task.title, Unit.name,
                   Assignment.role, decider.name, coordinator.name, Plan.timezone)
            .join(Assignment, Assignment.id == SupervisionRequest.assignment_id)
            .join(Task, Task.id == Assignment.task_id).join(Plan, Plan.id == Task.plan_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .outerjoin(SupervisionDecision, SupervisionDecision.request_id == SupervisionRequest.id)
            .outerjoin(decider, decider.id == SupervisionDecision.recorded_by_unit_id)
            .outerjoin(coordinator, coordinator.id == Plan.coordinator_id))


def _record(row) -> Request:
    asked, answer, plan_key, task_key, title, unit, role, decider, coordinator, zone = row
    return Request(asked.id, asked.kind, plan_key, task_key, title, asked.assignment_id, unit, role, asked.due_on,
                   asked.previous_due_on, asked.note, asked.author, asked.recorded_at,
                   answer.decision if answer else None, answer.reason if answer else None,
                   answer.author if answer else None, decider, answer.recorded_at if answer else None, coordinator,
                   zone or clock.DEFAULT_TIMEZONE)


def request_by_id(session: Session, request_id: int) -> Request:
    row = session.execute(_query().where(SupervisionRequest.id == request_id)).first()
    if row is None:
        raise NotFound(N_("there is no request #{id}"), id=request_id)
    return _record(row)


def task_requests(session: Session, plan_key: str, task_key: str) -> list[Request]:
    """Every request on a task, oldest first, with its decision."""
    from . import get_task

    task = get_task(session, plan_key, task_key)
    query = _query().where(Assignment.task_id == task.id).order_by(SupervisionRequest.id)
    return [_record(row) for row in session.execute(query)]


def deciding_unit(session: Session, acting_unit_id: int | None) -> int:
    """The unit whose requests to decide are listed: the one given, or the connected liaison's."""
    acting_id, _by = acting_identity(session, acting_unit_id, None)
    if acting_id is None:
        raise TrackerError(N_("say which unit decides (-u): only the plan's coordinating unit may"))
    return acting_id


def pending_for(session: Session, coordinator_id: int) -> list[Request]:
    """The requests waiting for a coordinating unit: those on the plans it coordinates, oldest first."""
    query = (_query().where(Plan.coordinator_id == coordinator_id, SupervisionDecision.id.is_(None),
                            Task.archived.is_(False), Assignment.archived.is_(False))
             .order_by(SupervisionRequest.recorded_at, SupervisionRequest.id))
    return [_record(row) for row in session.execute(query)]


def waiting_requests(session: Session, *, plan_id: int | None = None, coordinator_id: int | None = None,
                     at: datetime | None = None) -> list[Request]:
    """The requests waiting for the coordinator's decision, oldest first: on one plan, or on every
    plan a unit coordinates. As they stand now, or with `at` as they stood then: asked before it
    and not decided by it (the report of a week that is over). One statement."""
    query = _query().where(Task.archived.is_(False), Assignment.archived.is_(False))
    if plan_id is not None:
        query = query.where(Task.plan_id == plan_id)
    if coordinator_id is not None:
        query = query.where(Plan.coordinator_id == coordinator_id)
    if at is None:
        query = query.where(SupervisionDecision.id.is_(None))
    else:
        # SQLite keeps instants as UTC wall-clock text: compared in UTC on both engines
        then = at.astimezone(timezone.utc)
        query = query.where(SupervisionRequest.recorded_at < then,
                            or_(SupervisionDecision.id.is_(None), SupervisionDecision.recorded_at >= then))
    query = query.order_by(SupervisionRequest.recorded_at, SupervisionRequest.id)
    waiting = [_record(row) for row in session.execute(query)]
    # a decision made after `at` was not there then
    return [replace(r, decision=None, reason=None, decided_by=None, deciding_unit=None, decided_at=None)
            for r in waiting] if at is not None else waiting


def coordinated_plans(session: Session, unit_id: int) -> list[str]:
    """The keys of the plans a unit coordinates: whose requests it decides."""
    return list(session.scalars(select(Plan.key).where(Plan.coordinator_id == unit_id).order_by(Plan.key)))


def waiting_request(session: Session, assignment_id: int, kind: str) -> int | None:
    """The id of the assignment's undecided request of this kind, if any."""
    return session.scalar(
        select(SupervisionRequest.id)
        .outerjoin(SupervisionDecision, SupervisionDecision.request_id == SupervisionRequest.id)
        .where(SupervisionRequest.assignment_id == assignment_id, SupervisionRequest.kind == kind,
               SupervisionDecision.id.is_(None)).order_by(SupervisionRequest.id.desc()).limit(1))


# ---------------------------------------------------------------------- the rules


def needs_approval(assignment: Assignment, acting_unit_id: int) -> bool:
    """Does this 已完成 wait for the coordinator? A lead's, on a plan that wants approval, unless
    the coordinator itself records it."""
    plan = assignment.task.plan
    return (plan.approval == "closing" and plan.coordinator_id is not None and assignment.role == "lead"
            and acting_unit_id != plan.coordinator_id)


def effective_due(assignment: Assignment) -> date | None:
    """The deadline in force for this assignment: an approved extension's, else the task's."""
    return assignment.extended_due_on or assignment.task.due_on


def _where(assignment: Assignment) -> str:
    return f"{assignment.task.plan.key} {assignment.task.key} {assignment.unit.name}"


def refuse_while_pending(session: Session, assignment: Assignment) -> None:
    """No status change while a closing request waits: the coordinator approves or returns it."""
    if assignment.status == PENDING:
        waiting = waiting_request(session, assignment.id, "closing")
        raise PendingReview(N_("task {task} awaits the coordinating unit's decision on its closing request #{id}: "
                               "approve or return it first (tracker review)"), task=_where(assignment), id=waiting)


def _asker(session: Session, assignment: Assignment, acting_unit_id: int | None,
           by: str | None) -> tuple[int, str | None]:
    acting_id, by = acting_identity(session, acting_unit_id, by)
    acting_id = assignment.unit_id if acting_id is None else acting_id
    if acting_id != assignment.unit_id:
        acting = session.scalar(select(Unit.name).where(Unit.id == acting_id))
        raise PermissionDenied(N_("{acting} may not ask on behalf of {owner}: a unit asks only for its own "
                                 "assignments"), acting=acting, owner=assignment.unit.name)
    return acting_id, by


def _live_assignment(session: Session, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(N_("no assignment {id}"), id=assignment_id)
    if assignment.task.archived or assignment.archived:
        raise TrackerError(N_("task {task} was removed from the plan (archived)"), task=_where(assignment))
    return assignment


def _clean(text: str | None) -> str | None:
    """A note or reason as kept: None when it says nothing (blank, zero-width), and bounded like a
    status update's note."""
    from . import note_problem

    if says_nothing(text):
        return None
    problem = note_problem(text)
    if problem:
        raise problem
    assert text is not None
    return text.strip()


def _chain(session: Session, assignment_id: int, row: SupervisionRequest | SupervisionDecision) -> None:
    """Link a new request or decision into its assignment's chain (store/history.py), before it
    is added. On PostgreSQL the insert trigger makes the link; here the assignment's row is only
    locked first, so two writers on one assignment chain one after the other. On SQLite (whose
    write transaction holds the whole file) the link is made here, from the assignment's latest."""
    anchor = "request_hash" if isinstance(row, SupervisionRequest) else "decision_hash"
    previous = session.execute(select(getattr(Assignment, anchor)).where(Assignment.id == assignment_id)
                               .with_for_update()).scalar()
    if session.get_bind().dialect.name != "sqlite":
        return
    columns = REQUEST_CHAINED if isinstance(row, SupervisionRequest) else DECISION_CHAINED
    row.chain_hash = chain_hash(previous, {column: getattr(row, column) for column in columns}, columns)
    session.execute(update(Assignment).where(Assignment.id == assignment_id).values({anchor: row.chain_hash})
                    .execution_options(synchronize_session=False))


def _add_request(session: Session, assignment: Assignment, acting_unit_id: int, *, kind: str,
                 due_on: date | None, note: str | None, by: str | None) -> SupervisionRequest:
    from . import _author

    author, liaison_id = _author(session, acting_unit_id, by)
    row = SupervisionRequest(assignment_id=assignment.id, kind=kind, due_on=due_on,
                             previous_due_on=effective_due(assignment), note=_clean(note), liaison_id=liaison_id,
                             recorded_by_unit_id=acting_unit_id, author=author, recorded_at=clock.now())
    _chain(session, assignment.id, row)
    session.add(row)
    session.flush()
    if connected_liaison(session) is not None:
        session.refresh(row, ["author", "recorded_at"])  # the insert trigger's, not ours
    return row


# ---------------------------------------------------------------------- asking


def request_closing(session: Session, *, assignment_id: int, acting_unit_id: int | None, note: str | None = None,
                    percent: int | None = None, by: str | None = None,
                    expected_version: int | None = None) -> Request:
    """申请办结: the lead records 已完成 and asks the coordinator to close the task."""
    assignment = _live_assignment(session, assignment_id)
    acting_id, by = _asker(session, assignment, acting_unit_id, by)
    plan = assignment.task.plan
    if assignment.role != "lead":
        raise TrackerError(N_("{task}: only the lead unit asks to close a task; a supporting unit's 已完成 needs no "
                             "approval"), task=_where(assignment))
    if not needs_approval(assignment, acting_id):
        raise TrackerError(N_("{task}: plan {plan} does not ask for approval of a closing (no coordinating unit, or "
                             "approval = \"none\"): record 已完成 with `tracker status set`"),
                           task=_where(assignment), plan=plan.key)
    return _file_closing(session, assignment, acting_id, note=note, percent=percent, by=by,
                         expected_version=expected_version)


def _file_closing(session: Session, assignment: Assignment, acting_unit_id: int, *, note: str | None,
                  percent: int | None, by: str | None, expected_version: int | None) -> Request:
    from . import _append, validate_update

    refuse_while_pending(session, assignment)
    if assignment.status == "done":
        raise TrackerError(N_("{task} is closed already (已完成)"), task=_where(assignment))
    validate_update("done", percent, note)
    _append(session, assignment, acting_unit_id, status="done", percent=100 if percent is None else percent,
            note=note, by=by, expected_version=expected_version, shown=PENDING)
    row = _add_request(session, assignment, acting_unit_id, kind="closing", due_on=None, note=note, by=by)
    return request_by_id(session, row.id)


def request_extension(session: Session, *, assignment_id: int, acting_unit_id: int | None, due_on: date,
                      reason: str | None, by: str | None = None, today: date | None = None) -> Request:
    """延期申请: a unit asks for a later deadline on one of its own assignments, saying why."""
    today = today or clock.today()
    assignment = _live_assignment(session, assignment_id)
    acting_id, by = _asker(session, assignment, acting_unit_id, by)
    task = assignment.task
    where = _where(assignment)
    if task.plan.coordinator_id is None:
        raise TrackerError(N_("{task}: plan {plan} has no coordinating unit to approve an extension"),
                           task=where, plan=task.plan.key)
    if assignment.status in ("done", PENDING):
        raise TrackerError(N_("{task} is closed or awaiting closing (已完成 / 待审核): there is no deadline to "
                             "extend"), task=where)
    if task.deadline_kind not in ("date", "plan_end") or task.due_on is None:
        raise TrackerError(N_("{task}: only a deadline on a date can be extended, not an ongoing or recurring "
                             "one"), task=where)
    if says_nothing(reason):
        raise TrackerError(N_("an extension needs a reason (--reason): why the deadline cannot be met"))
    _clean(reason)  # bounded like a note
    current = effective_due(assignment)
    if due_on < today:
        raise TrackerError(N_("the new deadline {date} is before today ({today})"), date=due_on, today=today)
    if current is not None and due_on <= current:
        raise TrackerError(N_("the new deadline {date} is not later than the one in force ({current})"),
                           date=due_on, current=current)
    waiting = waiting_request(session, assignment.id, "extension")
    if waiting is not None:
        raise TrackerError(N_("{task} has an extension request waiting already (#{id})"), task=where, id=waiting)
    row = _add_request(session, assignment, acting_id, kind="extension", due_on=due_on, note=reason, by=by)
    return request_by_id(session, row.id)


# ---------------------------------------------------------------------- deciding


def may_decide(session: Session, request_id: int, acting_unit_id: int | None) -> None:
    """Raise PermissionDenied unless the acting unit coordinates the request's plan."""
    asked = session.get(SupervisionRequest, request_id)
    if asked is None:
        raise NotFound(N_("there is no request #{id}"), id=request_id)
    _decider(session, session.get(Assignment, asked.assignment_id), acting_unit_id, None)


def _decider(session: Session, assignment: Assignment, acting_unit_id: int | None,
             by: str | None) -> tuple[int, str | None]:
    acting_id, by = acting_identity(session, acting_unit_id, by)
    plan = assignment.task.plan
    if acting_id is None:
        raise TrackerError(N_("say which unit decides (-u): only the plan's coordinating unit may"))
    if acting_id != plan.coordinator_id:
        acting = session.scalar(select(Unit.name).where(Unit.id == acting_id))
        coordinator = session.scalar(select(Unit.name).where(Unit.id == plan.coordinator_id)) \
            if plan.coordinator_id else None
        raise PermissionDenied(N_("{acting} may not decide requests on plan {plan}: only its coordinating unit "
                                 "({coordinator}) may"), acting=acting, plan=plan.key, coordinator=coordinator or "-")
    return acting_id, by


def decide(session: Session, *, request_id: int, acting_unit_id: int | None, decision: str,
           reason: str | None = None, by: str | None = None) -> Request:
    """The coordinator's answer: "approved" (销号 / 延期), "returned" (a closing request: back to
    推进中) or "rejected" (an extension). Returning and rejecting need a reason."""
    from . import _append, _author

    asked = session.get(SupervisionRequest, request_id)
    if asked is None:
        raise NotFound(N_("there is no request #{id}"), id=request_id)
    assignment = _live_assignment(session, asked.assignment_id)
    acting_id, by = _decider(session, assignment, acting_unit_id, by)
    if decision not in DECISIONS[asked.kind]:
        raise TrackerError(N_("a closing request is approved or returned, not rejected") if asked.kind == "closing"
                           else N_("an extension request is approved or rejected, not returned"))
    if session.scalar(select(SupervisionDecision.id).where(SupervisionDecision.request_id == asked.id)) is not None:
        raise Conflict(N_("request #{id} was decided already"), id=asked.id)
    if decision != "approved" and says_nothing(reason):
        raise TrackerError(N_("returning or rejecting a request needs a reason (--reason)"))
    _clean(reason)  # bounded like a note, before anything is written
    if asked.kind == "closing":
        if decision == "approved":  # 销号: the lead's 已完成 stands
            closed = session.execute(
                update(Assignment).where(Assignment.id == assignment.id, Assignment.status == PENDING)
                .values(status="done", version=Assignment.version + 1).execution_options(synchronize_session=False))
            if closed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
                raise Conflict(N_("task {task} is no longer awaiting approval"), task=_where(assignment))
        else:  # 退回: back to 推进中, at the percent before the 已完成
            before = session.scalars(select(StatusUpdate.percent).where(
                StatusUpdate.assignment_id == assignment.id, StatusUpdate.status != "done")
                .order_by(StatusUpdate.id.desc()).limit(1)).first()
            _append(session, assignment, acting_id, status="in_progress", percent=before, note=reason, by=by,
                    expected_version=None)
    elif decision == "approved":  # the deadline moves (the decision's trigger): lists and feeds built on it renew
        session.execute(update(Assignment).where(Assignment.id == assignment.id)
                        .values(version=Assignment.version + 1).execution_options(synchronize_session=False))
    author, liaison_id = _author(session, acting_id, by)
    row = SupervisionDecision(request_id=asked.id, decision=decision, reason=_clean(reason), liaison_id=liaison_id,
                              recorded_by_unit_id=acting_id, author=author, recorded_at=clock.now())
    _chain(session, assignment.id, row)
    session.add(row)
    session.flush()
    session.expire(assignment)
    return request_by_id(session, asked.id)
