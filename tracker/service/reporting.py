"""Reporting windows (报送): for each of a plan's reporting duties and a window of it, which units
must report, and which have (a status update inside the window on each of their assignments of
the plan that were unfinished when it opened, or the plan's ledger returned in it). Judged on
the history, so a window that is over reads the same whatever was recorded after it. Three
statements a plan and window, whatever the number of units. The windows themselves are tracker/reporting.py's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..deadlines import FINISHED
from ..errors import NotFound
from ..reporting import Window, window_on
from ..store.models import (
    Assignment, Jurisdiction, LedgerReturn, Plan, ReportingDuty, ReportingUnit, StatusUpdate, Task, Unit,
)


@dataclass(frozen=True)
class DutyRecord:
    id: int
    plan_id: int
    plan_key: str
    plan_title: str
    plan_start: date | None
    plan_end: date | None
    timezone: str
    jurisdiction: str
    rule: str
    what: str | None
    phrase: str | None
    everyone: bool
    units: tuple[int, ...] = ()  # named units (everyone False)


@dataclass(frozen=True)
class UnitReport:
    unit_id: int
    unit: str
    reported: bool
    updated: int  # unfinished assignments with an update in the window
    active: int  # unfinished assignments of the plan
    ledger: bool  # returned the plan's ledger in the window


@dataclass(frozen=True)
class WindowReport:
    duty: DutyRecord
    window: Window
    units: tuple[UnitReport, ...]

    @property
    def missing(self) -> tuple[UnitReport, ...]:
        return tuple(u for u in self.units if not u.reported)

    @property
    def done(self) -> tuple[UnitReport, ...]:
        return tuple(u for u in self.units if u.reported)


def duties(session: Session, *, plan_key: str | None = None, unit_id: int | None = None,
           check_plan: bool = True) -> list[DutyRecord]:
    """Reporting duties in plan and file order: of one plan, or those that concern one unit
    (every unit on the plan reports and it has a live task there, or the duty names it), or
    all. One statement, and one more for the units the duties name when there are any."""
    query = (select(ReportingDuty.id, Plan.id, Plan.key, Plan.title,
                    func.coalesce(Plan.period_start, Plan.published_on, Plan.written_on), Plan.period_end,
                    Plan.timezone, Jurisdiction.name, ReportingDuty.rule, ReportingDuty.what, ReportingDuty.phrase,
                    ReportingDuty.everyone)
             .join(Plan, Plan.id == ReportingDuty.plan_id).join(Jurisdiction, Jurisdiction.id == Plan.jurisdiction_id)
             .order_by(Plan.key, ReportingDuty.position))
    if plan_key is not None:
        if check_plan and session.scalar(select(Plan.id).where(Plan.key == plan_key)) is None:
            known = "、".join(session.scalars(select(Plan.key).order_by(Plan.key)))
            raise NotFound(f"unknown plan {plan_key!r}; known plans: {known or '(none loaded)'}")
        query = query.where(Plan.key == plan_key)
    if unit_id is not None:
        on_plan = (select(Task.plan_id).join(Assignment, Assignment.task_id == Task.id)
                   .where(Assignment.unit_id == unit_id, Assignment.archived.is_(False), Task.archived.is_(False)))
        named_here = select(ReportingUnit.duty_id).where(ReportingUnit.unit_id == unit_id)
        query = query.where(or_(and_(ReportingDuty.everyone.is_(True), ReportingDuty.plan_id.in_(on_plan)),
                                ReportingDuty.id.in_(named_here)))
    rows = session.execute(query).all()
    named: dict[int, list[int]] = defaultdict(list)
    if any(not row[-1] for row in rows):
        for duty_id, member in session.execute(select(ReportingUnit.duty_id, ReportingUnit.unit_id)
                                               .where(ReportingUnit.duty_id.in_([r[0] for r in rows if not r[-1]]))
                                               .order_by(ReportingUnit.unit_id)):
            named[duty_id].append(member)
    # twelve columns, then the units (mypy cannot count a Row's columns)
    return [DutyRecord(*row, units=tuple(named[row[0]])) for row in rows]  # type: ignore[misc, call-arg]


def current_window(duty: DutyRecord, today: date) -> Window | None:
    """The window `today` falls in (None once the plan period's last one has closed)."""
    window = window_on(duty.rule, today, duty.plan_start)
    if window is None or (duty.plan_end is not None and window.opens > duty.plan_end):
        return None
    return window


def _bounds(window: Window, tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    opens = datetime.combine(window.opens, time.min, zone)
    closes = datetime.combine(window.closes + timedelta(days=1), time.min, zone)
    # SQLite keeps instants as UTC wall-clock text: bounds are compared in UTC on both engines
    return opens.astimezone(timezone.utc), closes.astimezone(timezone.utc)


def window_report(session: Session, duty: DutyRecord, window: Window, unit_id: int | None = None) -> WindowReport:
    """Who must report in `window` of `duty`, and who has; only `unit_id` when given."""
    since, until = _bounds(window, duty.timezone)
    # Who must report is judged on the window, not on today: an assignment is due a report when it
    # was unfinished as the window opened (its last status update before then, or none), whatever
    # became of it since; one finished in the window was reported by that very update.
    then = aliased(StatusUpdate)
    last_before = (select(func.max(StatusUpdate.id))
                   .where(StatusUpdate.assignment_id == Assignment.id, StatusUpdate.recorded_at < since)
                   .scalar_subquery())
    live = (select(Assignment.id, Assignment.unit_id, Unit.name, func.coalesce(then.status, "not_started"))
            .join(Task, Task.id == Assignment.task_id).join(Unit, Unit.id == Assignment.unit_id)
            .outerjoin(then, then.id == last_before)
            .where(Task.plan_id == duty.plan_id, Task.archived.is_(False), Assignment.archived.is_(False),
                   Unit.choose.is_(False)))
    if unit_id is not None:
        live = live.where(Assignment.unit_id == unit_id)
    assignments = session.execute(live).all()
    updated = set(session.scalars(
        select(StatusUpdate.assignment_id).join(Assignment, Assignment.id == StatusUpdate.assignment_id)
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.plan_id == duty.plan_id, StatusUpdate.recorded_at >= since, StatusUpdate.recorded_at < until,
               *([Assignment.unit_id == unit_id] if unit_id is not None else []))
        .distinct()))
    ledger_query = select(LedgerReturn.unit_id).where(LedgerReturn.plan_id == duty.plan_id,
                                                      LedgerReturn.returned_at >= since,
                                                      LedgerReturn.returned_at < until)
    if unit_id is not None:
        ledger_query = ledger_query.where(LedgerReturn.unit_id == unit_id)
    returned = set(session.scalars(ledger_query.distinct()))

    names: dict[int, str] = {}
    active: dict[int, list[int]] = defaultdict(list)
    touched: set[int] = set()
    for assignment_id, owner, name, status in assignments:
        names[owner] = name
        if status not in FINISHED:  # (history records a closing request's 已完成: 待审核 is done too)
            active[owner].append(assignment_id)
        if assignment_id in updated:
            touched.add(owner)
    if duty.everyone:
        required = [u for u in names if active[u]]
    else:
        required = [u for u in duty.units if unit_id is None or u == unit_id]
        missing_names = [u for u in required if u not in names]
        if missing_names:
            names.update({i: n for i, n in session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(missing_names)))})
    out = []
    for owner in required:
        mine = active[owner]
        done = sum(a in updated for a in mine)
        reported = owner in returned or (done == len(mine) if mine else owner in touched)
        out.append(UnitReport(owner, names[owner], reported, done, len(mine), owner in returned))
    out.sort(key=lambda u: (u.reported, u.unit_id))
    return WindowReport(duty, window, tuple(out))


def plan_reports(session: Session, plan_key: str, today: date | None = None,
                 check_plan: bool = True) -> list[WindowReport]:
    """Each duty of a plan in the window today falls in."""
    out = []
    for duty in duties(session, plan_key=plan_key, check_plan=check_plan):
        window = current_window(duty, today or clock.today(duty.timezone))
        if window is not None:
            out.append(window_report(session, duty, window))
    return out


def unit_reports(session: Session, unit_id: int, today: date | None = None) -> list[WindowReport]:
    """The current window of every duty that concerns a unit, with the unit's own line only;
    nearest closing first. One statement when no duty concerns it."""
    out = []
    for duty in duties(session, unit_id=unit_id):
        window = current_window(duty, today or clock.today(duty.timezone))
        if window is None:
            continue
        report = window_report(session, duty, window, unit_id)
        if report.units:
            out.append(report)
    out.sort(key=lambda r: (r.window.closes, r.duty.plan_key))
    return out


def record_ledger_return(session: Session, *, plan_id: int, unit_id: int, changed: int) -> None:
    """A unit returned a plan's ledger: a report in the window it falls in."""
    session.add(LedgerReturn(plan_id=plan_id, unit_id=unit_id, returned_at=clock.now(), changed=changed))
    session.flush()
