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


# The yellow light of the 红黄绿灯 convention: due within two weeks. The TUI, the ledger and
# the digests all colour by `traffic_light`, so a task reads the same everywhere.
DUE_SOON_DAYS = 14

# the unit's part is done: 已完成, or 待审核 (a lead's 已完成 waiting for the coordinator's 销号,
# tracker/service/supervision.py). Neither is overdue, due soon or stale.
FINISHED = ("done", "pending_review")


def traffic_light(status: str | None, overdue: bool, days_left: int | None) -> str | None:
    """"done" (green), "overdue" (red), "due_soon" (yellow), or None (no light)."""
    if status in FINISHED:
        return "done"
    if overdue:
        return "overdue"
    if days_left is not None and 0 <= days_left <= DUE_SOON_DAYS:
        return "due_soon"
    return None


def is_overdue(kind: str, final_due_on: date | None, status: str | None, today: date) -> bool:
    """Derived, never stored: the last due date has passed and the work is not done."""
    return kind != "ongoing" and final_due_on is not None and final_due_on < today and status not in FINISHED


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


_WEEKDAYS = {"MO": ("一", "Monday"), "TU": ("二", "Tuesday"), "WE": ("三", "Wednesday"), "TH": ("四", "Thursday"),
             "FR": ("五", "Friday"), "SA": ("六", "Saturday"), "SU": ("日", "Sunday")}
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def describe_rule(rule: str, lang: str = "zh") -> str:
    """A recurrence rule as a person says it: FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=-1 is 每年6月最后一天
    (every year on the last day of June). A rule this does not know how to say comes back as written."""
    try:
        parts = dict(part.split("=", 1) for part in rule.upper().split(";") if part)
        months = [int(m) for m in parts.get("BYMONTH", "").split(",") if m]
        days = [int(d) for d in parts.get("BYMONTHDAY", "").split(",") if d]
        weekdays = [_WEEKDAYS[d] for d in parts.get("BYDAY", "").split(",") if d]
        interval = int(parts.get("INTERVAL", "1"))
    except (ValueError, KeyError):
        return rule
    freq = parts.get("FREQ")
    known = {"FREQ", "BYMONTH", "BYMONTHDAY", "BYDAY", "INTERVAL", "UNTIL", "COUNT", "WKST"}
    if freq not in ("YEARLY", "MONTHLY", "WEEKLY") or set(parts) - known or interval < 1:
        return rule
    zh = lang != "en"
    if zh:
        every = {"YEARLY": "每年", "MONTHLY": "每月", "WEEKLY": "每周"}[freq] if interval == 1 else \
            f"每{interval}" + {"YEARLY": "年", "MONTHLY": "个月", "WEEKLY": "周"}[freq]
        when = "、".join(str(m) for m in months) + "月" if months else ""
        when += "、".join("最后一天" if d == -1 else f"倒数第{-d}天" if d < 0 else f"{d}日" for d in days)
        when += "、".join("周" + w[0] for w in weekdays) if freq != "WEEKLY" else "、".join(w[0] for w in weekdays)
        return every + when
    unit = {"YEARLY": "year", "MONTHLY": "month", "WEEKLY": "week"}[freq]
    every = f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
    day_words = [("the last day" if d == -1 else f"the {-d}th-last day" if d < 0 else f"the {_ordinal(d)}")
                 for d in days]
    text = every
    if day_words:
        text += " on " + " and ".join(day_words)
    if months:
        text += (" of " if day_words else " in ") + ", ".join(_MONTHS_EN[m - 1] for m in months)
    if weekdays:
        text += " on " + ", ".join(w[1] for w in weekdays)
    return text


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
