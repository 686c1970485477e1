"""A unit's weekly digest and a plan's report for the coordinating office, as plain data.

The rows come from tracker/service/digests.py (a constant number of statements per digest);
this module only decides what goes in which section, so the templates only lay it out.

A digest is reckoned from one day, `as_of` (see Week.as_of): statuses are as they stand now,
deadlines and staleness are counted from that day, and "this week's updates" are those
recorded between the week's Monday and Sunday in the unit's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from .. import clock
from ..deadlines import DUE_SOON_DAYS, FINISHED, expected_percent, is_overdue, next_due, occurrences
from ..ladder import Ladder
from ..service import StatusUpdate, UnitRef
from ..service.digests import (
    DigestUnit, OwnAssignment, PlanHeader, PlanReportRows, UnitDigestRows, digest_unit, plan_report_rows,
    unit_digest_rows,
)
from ..service.reporting import WindowReport, plan_reports, unit_reports
from ..service.supervision import Request, waiting_requests
from .weeks import Week

RECURRING_DAYS = 28  # recurring deadlines in the coming four weeks
STALE_DAYS = 30  # 长期未更新: no update for this long
# A digest is one page: each section lists its most pressing rows and counts the rest (the
# city's largest unit has thousands of overdue tasks; a mail of megabytes helps nobody).
SECTION_LIMIT = 50
SECTIONS = ("waiting_requests", "overdue", "behind", "due_soon", "recurring", "stale", "missing_reports",
            "my_updates", "partner_updates")


def local_date(instant: datetime | None, tz: str) -> date | None:
    return local_time(instant, tz).date() if instant else None


def local_time(instant: datetime, tz: str) -> datetime:
    return clock.local(instant, tz)


# ---------------------------------------------------------------------- a unit's digest


@dataclass
class TaskLine:
    """One of the unit's tasks in a section, with what that section needs to say about it."""

    plan_key: str
    plan_title: str
    key: str
    title: str
    role: str
    status: str
    percent: int | None
    due_on: date | None  # next due
    final_due_on: date | None
    deadline_kind: str
    deadline_phrase: str | None
    lead: list[str]
    last_update: date | None
    days_overdue: int | None = None
    days_left: int | None = None
    expected_percent: int | None = None
    extended_from: date | None = None  # the plan's own deadline, when an approved extension moved it
    dates: list[date] = field(default_factory=list)  # recurring: the occurrences in the coming weeks
    escalated: bool = False  # overdue past the plan's ladder's limit: the coordinator is reminded too (催办)


@dataclass
class SilentUnit:
    unit: str
    status: str
    percent: int | None
    last_update: date | None


@dataclass
class MissingReport:
    """A task the digest's unit leads, and the supporting units on it that have not reported
    for a while (or ever)."""

    plan_key: str
    key: str
    title: str
    units: list[SilentUnit]


@dataclass
class WaitingRequest:
    """A closing or extension request waiting for the coordinating unit's decision (待审批)."""

    request: Request
    asked_on: date  # in the plan's time zone
    days_waiting: int  # from the day it was asked to the digest's day


def waiting_lines(requests: list[Request], as_of: date) -> list[WaitingRequest]:
    """The requests as a digest lists them: oldest first, with the days each has waited."""
    out = []
    for r in requests:
        asked = local_date(r.requested_at, r.timezone)
        assert asked is not None
        out.append(WaitingRequest(r, asked, max((as_of - asked).days, 0)))
    out.sort(key=lambda w: (w.request.requested_at, w.request.id))
    return out


@dataclass
class Headline:
    led: int = 0
    supported: int = 0
    done: int = 0
    overdue: int = 0
    due_soon: int = 0


@dataclass
class UnitDigest:
    unit: DigestUnit
    week: Week
    as_of: date
    headline: Headline
    overdue: list[TaskLine] = field(default_factory=list)
    behind: list[TaskLine] = field(default_factory=list)
    due_soon: list[TaskLine] = field(default_factory=list)
    recurring: list[TaskLine] = field(default_factory=list)
    stale: list[TaskLine] = field(default_factory=list)
    # the week's updates, each `recorded_at` in the unit's time zone
    my_updates: list[StatusUpdate] = field(default_factory=list)
    partner_updates: list[StatusUpdate] = field(default_factory=list)
    missing_reports: list[MissingReport] = field(default_factory=list)
    # the requests on the plans this unit coordinates that wait for its decision (待审批)
    waiting_requests: list[WaitingRequest] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # each section's length before the limit
    reporting: list[WindowReport] = field(default_factory=list)  # 报送: the unit's current windows

    def more(self, section: str) -> int:
        """How many rows of a section were left out by the limit."""
        return self.totals.get(section, 0) - len(getattr(self, section))

    @property
    def nothing_due(self) -> bool:
        """Nothing late, due, behind or waiting: the digest says so in one line."""
        return not (self.overdue or self.behind or self.due_soon or self.recurring or self.stale
                    or self.missing_reports or self.waiting_requests)

    @property
    def has_tasks(self) -> bool:
        return bool(self.headline.led or self.headline.supported)


def unit_digest(session: Session, unit: UnitRef | DigestUnit, week: Week, today: date | None = None,
                limit: int | None = SECTION_LIMIT) -> UnitDigest:
    """One unit's digest for a week; `limit` rows a section (None: all of them)."""
    who = unit if isinstance(unit, DigestUnit) else digest_unit(session, unit)
    as_of = week.as_of(today or clock.today(who.timezone))
    since, until = week.window(who.timezone)
    silent_before = datetime.combine(as_of - timedelta(days=STALE_DAYS), time.min, ZoneInfo(who.timezone))
    state_at = until if _is_over(week, today or clock.today(who.timezone)) else None
    rows = unit_digest_rows(session, who.id, since, until, silent_before, state_at)
    waiting = waiting_requests(session, coordinator_id=who.id, at=state_at)
    digest = assemble_unit_digest(who, week, as_of, rows, limit, waiting)
    digest.reporting = unit_reports(session, who.id, as_of)
    return digest


def assemble_unit_digest(unit: DigestUnit, week: Week, as_of: date, rows: UnitDigestRows,
                         limit: int | None = SECTION_LIMIT, waiting: Sequence[Request] = ()) -> UnitDigest:
    tz = unit.timezone
    leads: dict[int, list[str]] = defaultdict(list)
    for other in rows.on_my_tasks:
        if other.role == "lead":
            leads[other.task_id].append(other.unit)
    digest = UnitDigest(unit, week, as_of, Headline(), waiting_requests=waiting_lines(list(waiting), as_of))
    stale_before = as_of - timedelta(days=STALE_DAYS)
    led_open: dict[int, OwnAssignment] = {}  # tasks this unit leads and has not finished

    for own in rows.own:
        due = _next_due(own.deadline_kind, own.final_due_on, own.deadline_rule, as_of, own.plan_start)
        last = local_date(own.status_at, tz)
        line = TaskLine(own.plan_key, own.plan_title, own.key, own.title, own.role, own.status, own.percent, due,
                        own.final_due_on, own.deadline_kind, own.deadline_phrase, leads[own.task_id], last,
                        extended_from=own.extended_from)
        done = own.status in FINISHED
        digest.headline.led += own.role == "lead"
        digest.headline.supported += own.role != "lead"
        digest.headline.done += done
        if own.role == "lead" and not done:
            led_open[own.task_id] = own

        if is_overdue(own.deadline_kind, own.final_due_on, own.status, as_of):
            line.days_overdue = (as_of - own.final_due_on).days
            line.escalated = line.days_overdue >= _ladder(own.reminders).escalate_after
            digest.overdue.append(line)
        elif not done:
            if due is not None and 0 <= (due - as_of).days <= DUE_SOON_DAYS:
                line.days_left = (due - as_of).days
                digest.due_soon.append(line)
            if own.deadline_kind in ("date", "plan_end") and own.status != "ongoing":
                expected = expected_percent(own.plan_start, own.final_due_on, as_of)
                if expected is not None and (own.percent or 0) < expected:
                    line.expected_percent = expected
                    digest.behind.append(line)
            if last is None or last < stale_before:
                digest.stale.append(line)
        if own.deadline_kind == "rule" and own.deadline_rule:
            dates = _coming(own.deadline_rule, own.plan_start, own.final_due_on, as_of)
            if dates:
                digest.recurring.append(_with_dates(line, list(dates)))

    silent: dict[int, list[SilentUnit]] = defaultdict(list)
    for other in rows.on_my_tasks:
        if (other.task_id in led_open and other.role != "lead" and other.unit_id != unit.id
                and other.status not in FINISHED):
            last = local_date(other.status_at, tz)
            if last is None or last < stale_before:
                silent[other.task_id].append(SilentUnit(other.unit, other.status, other.percent, last))
    for task_id, units in silent.items():
        task = led_open[task_id]
        digest.missing_reports.append(MissingReport(task.plan_key, task.key, task.title, units))

    for update in rows.updates:
        entry = replace(update, recorded_at=local_time(update.recorded_at, tz))
        (digest.my_updates if update.unit_id == unit.id else digest.partner_updates).append(entry)

    digest.headline.overdue, digest.headline.due_soon = len(digest.overdue), len(digest.due_soon)
    digest.overdue.sort(key=lambda l: (-l.days_overdue, l.plan_key))
    digest.due_soon.sort(key=lambda l: (l.due_on, l.plan_key))
    digest.behind.sort(key=lambda l: (-(l.expected_percent - (l.percent or 0)), l.plan_key))
    digest.recurring.sort(key=lambda l: (l.dates[0], l.plan_key))
    digest.stale.sort(key=lambda l: (l.last_update is not None, l.last_update or date.min, l.due_on or date.max))
    digest.missing_reports.sort(key=lambda m: (m.plan_key, _key_order(m.key)))
    for name in SECTIONS:
        rows_of = getattr(digest, name)
        digest.totals[name] = len(rows_of)
        if limit is not None:
            del rows_of[limit:]
    return digest


@lru_cache(maxsize=64)
def _ladder(stored: str | None) -> Ladder:
    return Ladder.from_json(stored)


@lru_cache(maxsize=8192)
def _next_due(kind: str, final_due_on: date | None, rule: str | None, as_of: date,
              plan_start: date | None) -> date | None:
    # a plan's tasks share rules, starts and ends: expand each combination once, not per task
    return next_due(kind, final_due_on, rule, as_of, plan_start)


@lru_cache(maxsize=8192)
def _coming(rule: str, plan_start: date | None, final_due_on: date | None, as_of: date) -> tuple[date, ...]:
    """A rule's occurrences in the coming weeks, counted from the plan's start so that rules
    with an interval keep their phase, and never past the plan's last occurrence."""
    horizon = as_of + timedelta(days=RECURRING_DAYS)
    if final_due_on is not None:
        horizon = min(horizon, final_due_on)
    if horizon < as_of:
        return ()
    return tuple(d for d in occurrences(rule, plan_start or as_of, horizon) if d >= as_of)


def _with_dates(line: TaskLine, dates: list[date]) -> TaskLine:
    return replace(line, dates=dates, days_overdue=None, days_left=None, expected_percent=None)


# ---------------------------------------------------------------------- the coordinator's report

GREEN, YELLOW, RED = "green", "yellow", "red"


@dataclass
class UnitStanding:
    unit: str
    tasks: int = 0
    led: int = 0
    done: int = 0
    overdue: int = 0
    due: int = 0  # assignments whose deadline has come, or done early: the on-time rate's base
    on_time: int = 0
    behind: int = 0
    stale: int = 0
    due_shortly: int = 0  # not done, and the ladder's first reminder before its deadline has come
    escalated: int = 0  # overdue past the ladder's limit: reminded to the coordinator too (催办)
    last_update: date | None = None
    rank: int = 0
    color: str = GREEN

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclass
class OverdueTask:
    key: str
    title: str
    due_on: date
    days_overdue: int
    lead: list[str]
    pending: list[str]  # the units that have not reported it done
    escalated: bool = False  # overdue past the ladder's limit (催办)


@dataclass
class PlanReport:
    plan: PlanHeader
    week: Week
    as_of: date
    tasks: int
    done_tasks: int
    standings: list[UnitStanding]
    overdue_tasks: list[OverdueTask]
    extended_tasks: int = 0  # tasks with an approved extension (延期) on any unit's part, counted apart
    awaiting_approval: int = 0  # tasks whose lead's 已完成 waits for the coordinator's 销号 (待审核)
    reporting: list[WindowReport] = field(default_factory=list)  # 报送: each duty's current window
    # closing and extension requests waiting for the coordinator's decision (待审批), oldest first,
    # the first `limit` of them; `waiting_total` counts them all
    waiting_requests: list[WaitingRequest] = field(default_factory=list)
    waiting_total: int = 0

    @property
    def more_waiting(self) -> int:
        return self.waiting_total - len(self.waiting_requests)

    @property
    def colors(self) -> dict[str, int]:
        return {c: sum(s.color == c for s in self.standings) for c in (GREEN, YELLOW, RED)}


def _is_over(week: Week, today: date) -> bool:
    """A week that is over is shown as it stood at its end; the current one as it stands now."""
    return week.sunday < today


def plan_report(session: Session, plan_key: str, week: Week | None = None, today: date | None = None,
                limit: int | None = SECTION_LIMIT) -> PlanReport:
    """A plan's report for a week; `limit` waiting requests listed (None: all of them)."""
    def state_at(tz: str) -> datetime | None:
        chosen = week or Week.current(tz)
        return chosen.window(tz)[1] if _is_over(chosen, today or clock.today(tz)) else None

    rows = plan_report_rows(session, plan_key, state_at)
    week = week or Week.current(rows.plan.timezone)
    as_of = week.as_of(today or clock.today(rows.plan.timezone))
    report = assemble_plan_report(rows, week, as_of)
    report.reporting = plan_reports(session, plan_key, as_of, check_plan=False)
    waiting = waiting_lines(waiting_requests(session, plan_id=rows.plan.id, at=state_at(rows.plan.timezone)), as_of)
    report.waiting_total = len(waiting)
    report.waiting_requests = waiting if limit is None else waiting[:limit]
    return report


def assemble_plan_report(rows: PlanReportRows, week: Week, as_of: date) -> PlanReport:
    """Per unit: tasks, done, overdue, on-time rate, last update; ranked and coloured.

    On time: done no later than the deadline (the day the current 已完成 was first recorded,
    in the plan's time zone). The rate's base is every assignment whose deadline has passed,
    plus those already done early; ongoing tasks have no deadline and are left out.
    Colour: red with any overdue task; yellow with none overdue but some behind schedule
    (序时进度), not updated for 30 days, or due within the plan's reminder ladder's first rung
    (the lights follow the ladder, tracker/ladder.py); green otherwise. An overdue task past
    the ladder's limit is marked escalated (催办: the coordinator is reminded of it too). Ranked green first, then by on-time
    rate, fewest overdue, most done."""
    tz = rows.plan.timezone
    ladder = rows.plan.ladder
    stale_before = as_of - timedelta(days=STALE_DAYS)
    standings: dict[int, UnitStanding] = {}
    tasks: dict[int, list] = defaultdict(list)
    for a in rows.assignments:
        tasks[a.task_id].append(a)
        if a.placeholder:  # 各相关部门 is no unit to rank: it waits for a person to name the units
            continue
        s = standings.setdefault(a.unit_id, UnitStanding(a.unit))
        s.tasks += 1
        s.led += a.role == "lead"
        last = local_date(a.status_at, tz)
        if last and (s.last_update is None or last > s.last_update):
            s.last_update = last
        done = a.status in FINISHED
        s.done += done
        if a.deadline_kind == "ongoing" or a.final_due_on is None:
            continue
        passed = a.final_due_on < as_of
        if passed or done:
            s.due += 1
            finished = local_date(a.done_at, tz) if done else None
            s.on_time += bool(finished and finished <= a.final_due_on)
        if is_overdue(a.deadline_kind, a.final_due_on, a.status, as_of):
            s.overdue += 1
            s.escalated += (as_of - a.final_due_on).days >= ladder.escalate_after
        elif not done:
            s.due_shortly += ladder.light(a.final_due_on, as_of, done) == "yellow"
            expected = (expected_percent(rows.plan.start, a.final_due_on, as_of)
                        if a.deadline_kind in ("date", "plan_end") and a.status != "ongoing" else None)
            s.behind += expected is not None and (a.percent or 0) < expected
            s.stale += last is None or last < stale_before

    for s in standings.values():
        s.color = RED if s.overdue else YELLOW if (s.behind or s.stale or s.due_shortly) else GREEN
    order = {GREEN: 0, YELLOW: 1, RED: 2}
    ranked = sorted(standings.values(), key=lambda s: (
        order[s.color], -(s.on_time_rate if s.on_time_rate is not None else 1.0), s.overdue,
        -(s.done / s.tasks), s.unit))
    for position, s in enumerate(ranked, 1):
        s.rank = position

    overdue_tasks = []
    for group in tasks.values():
        first = group[0]
        pending = [a.unit for a in group if is_overdue(a.deadline_kind, a.final_due_on, a.status, as_of)]
        if pending:
            late = (as_of - first.final_due_on).days
            overdue_tasks.append(OverdueTask(first.key, first.title, first.final_due_on, late,
                                             [a.unit for a in group if a.role == "lead"], pending,
                                             late >= ladder.escalate_after))
    overdue_tasks.sort(key=lambda t: (-t.days_overdue, _key_order(t.key)))
    done_tasks = sum(all(a.status in FINISHED for a in group) for group in tasks.values())
    extended = sum(any(a.extended_from is not None for a in group) for group in tasks.values())
    awaiting = sum(any(a.status == "pending_review" for a in group) for group in tasks.values())
    return PlanReport(rows.plan, week, as_of, len(tasks), done_tasks, ranked, overdue_tasks, extended, awaiting)


def _key_order(key: str) -> tuple:
    """3.2.10 after 3.2.9."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in key.split("."))
