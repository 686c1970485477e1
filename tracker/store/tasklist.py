"""A unit's task list as rows: what each row holds, and how it is worked out from the columns
the database returns (next due date, days left, overdue).

Kept apart from the service layer and free of SQLAlchemy, because two readers share it: the
service layer (tracker.service.unit_tasks) and the direct read that `tracker tasks` uses to
answer before SQLAlchemy has even been imported (tracker.store.direct).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, Sequence, TypeVar

from ..clock import DEFAULT_TIMEZONE
from ..deadlines import is_overdue, next_due
from ..i18n import status_label

# The columns a task list is read with, in this order, by both readers:
# assignment id, task id, plan key, plan title, task key, task title, task text, role, source,
# deadline kind, due on, deadline rule, deadline phrase, status, percent, status at, version,
# plan period start, section title, the plan's time zone.
COLUMNS = ("assignment_id", "task_id", "plan_key", "plan_title", "key", "title", "text", "role", "source",
           "deadline_kind", "due_on", "deadline_rule", "deadline_phrase", "status", "percent", "status_at",
           "version", "period_start", "section", "timezone")


@dataclass(frozen=True)
class TaskRow:
    """One task as a unit sees it: its own role and status, and who else is on it."""

    assignment_id: int
    task_id: int
    plan_key: str
    plan_title: str
    key: str
    title: str
    section: str | None
    text: str
    role: str
    source: str
    deadline_kind: str
    final_due_on: date | None  # the last date it is due (a rule's last occurrence in the plan)
    due_on: date | None  # when it is next due
    deadline_rule: str | None
    deadline_phrase: str | None
    status: str
    percent: int | None
    status_at: datetime | None
    version: int
    overdue: bool
    days_left: int | None
    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    timezone: str = DEFAULT_TIMEZONE  # the plan's: status_at is shown in it

    def to_json(self, lang: str = "zh") -> dict:
        deadline = ({"rrule": self.deadline_rule} if self.deadline_kind == "rule"
                    else "ongoing" if self.deadline_kind == "ongoing"
                    else self.final_due_on.isoformat() if self.final_due_on else None)
        return {
            "plan": self.plan_key, "key": self.key, "title": self.title, "text": self.text,
            "role": self.role, "lead": self.lead, "responsible": self.responsible,
            "deadline": deadline, "due_on": self.due_on.isoformat() if self.due_on else None,
            "deadline_phrase": self.deadline_phrase,
            "status": self.status, "status_label": status_label(self.status, lang), "percent": self.percent,
            "updated_at": self.status_at.isoformat() if self.status_at else None,
            "overdue": self.overdue, "days_left": self.days_left,
        }


def task_rows(records: Iterable[tuple], today: date, due_within: int | None = None) -> list[TaskRow]:
    """Rows from records in COLUMNS order. A rule's next occurrence is worked out once per
    rule and plan, not once per task. `due_within`: keep only what falls due in that many days
    (the query cannot tell for rules, whose next date depends on today)."""
    rows = []
    next_dues: dict[tuple, date | None] = {}
    for (assignment_id, task_id, plan_key, plan_title, key, title, text, role, source, kind, due_on, rule, phrase,
         status, percent, status_at, version, period_start, section, zone) in records:
        if kind == "rule":
            signature = (due_on, rule, period_start)
            if signature not in next_dues:
                next_dues[signature] = next_due(kind, due_on, rule, today, period_start)
            due = next_dues[signature]
        else:
            due = next_due(kind, due_on, rule, today, period_start)
        rows.append(TaskRow(
            assignment_id, task_id, plan_key, plan_title, key, title, section, text, role, source, kind, due_on, due,
            rule, phrase, status, percent, status_at, version, is_overdue(kind, due_on, status, today),
            (due - today).days if due else None, timezone=zone or DEFAULT_TIMEZONE,
        ))
    if due_within is not None:
        horizon = today + timedelta(days=due_within)
        rows = [r for r in rows if r.due_on is not None and today <= r.due_on <= horizon]
    return rows


R = TypeVar("R")


def _due_key(kind: str, due: date | None, status: str, by_status: bool) -> tuple:
    # ongoing work (never due) and anything without a date go last
    return ((status,) if by_status else ()) + (kind == "ongoing" or due is None, due or date.max)


def sort_by_due(records: Sequence[R], today: date, *, key: Callable[[R], tuple],
                by_status: bool = False) -> list[R]:
    """`records` (in plan order) sorted by the date each is next due, for a page of a long list
    whose rows are not read yet. `key` gives a record's (deadline kind, due on, rule, plan
    period start, status); a rule's next occurrence is worked out once per rule and plan."""
    next_dues: dict[tuple, date | None] = {}

    def rank(record: R) -> tuple:
        kind, due_on, rule, period_start, status = key(record)
        signature = (kind, due_on, rule, period_start)
        if signature not in next_dues:
            next_dues[signature] = next_due(kind, due_on, rule, today, period_start)
        return _due_key(kind, next_dues[signature], status, by_status)

    return sorted(records, key=rank)  # stable: plan order among equals


def sort_rows_by_due(rows: list[TaskRow], *, by_status: bool = False) -> list[TaskRow]:
    """Rows (in plan order) sorted by the date each is next due (yearly duties by their next
    occurrence, not their first), then plan order; by status first when asked."""
    return sorted(rows, key=lambda r: _due_key(r.deadline_kind, r.due_on, r.status, by_status))


def add_units(rows: list[TaskRow], records: Iterable[tuple[int, str, str]]) -> None:
    """Lead and responsible names from (task id, role, unit name) records, in their order."""
    by_task = {r.task_id: r for r in rows}
    for task_id, role, name in records:
        row = by_task[task_id]
        (row.lead if role == "lead" else row.responsible).append(name)
