"""What a deadline means on a given day: the next due date of a rule, days left, overdue.

Deadlines are calendar dates in the plan's time zone. A yearly or monthly rule (每年2月底前)
is due on its next occurrence; "ongoing" (长期坚持) is never due and never overdue.
"""

from __future__ import annotations

from datetime import date, datetime

from dateutil.rrule import rrulestr


def occurrences(rule: str, start: date, end: date) -> list[date]:
    """Every date a rule falls on within [start, end]."""
    series = rrulestr(rule, dtstart=datetime(start.year, start.month, start.day), cache=False)
    return [d.date() for d in series.between(datetime(start.year, start.month, start.day),
                                             datetime(end.year, end.month, end.day, 23, 59), inc=True)]


def next_due(kind: str, due_on: date | None, rule: str | None, today: date,
             period_start: date | None = None) -> date | None:
    """The date this deadline next falls due: a rule's next occurrence on or after today
    (its last one once the plan period is over), a fixed date itself, nothing for ongoing."""
    if kind == "ongoing":
        return None
    if kind != "rule" or not rule:
        return due_on
    start = period_start or (due_on.replace(year=due_on.year - 10) if due_on else date(today.year - 1, 1, 1))
    series = rrulestr(rule, dtstart=datetime(start.year, start.month, start.day), cache=False)
    upcoming = series.after(datetime(today.year, today.month, today.day), inc=True)
    if upcoming is None or (due_on is not None and upcoming.date() > due_on):
        return due_on
    return upcoming.date()


def is_overdue(kind: str, final_due_on: date | None, status: str | None, today: date) -> bool:
    """Derived, never stored: the last due date has passed and the work is not done."""
    return kind != "ongoing" and final_due_on is not None and final_due_on < today and status != "done"


def elapsed_share(start: date | None, due: date | None, today: date) -> float | None:
    """How much of a task's period (plan start → deadline) has passed on `today`, 0.0 to 1.0;
    None when the task has no such period (no start, no date, or a deadline before the start)."""
    if start is None or due is None or due <= start:
        return None
    return min(1.0, max(0.0, (today - start).days / (due - start).days))


def expected_percent(start: date | None, due: date | None, today: date) -> int | None:
    """序时进度: the percent a task should have reached by `today` if its work were spread evenly
    over its period; a task reporting less is behind schedule even before its deadline."""
    share = elapsed_share(start, due, today)
    return None if share is None else int(share * 100)
