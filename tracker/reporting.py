"""Reporting windows (报送): a plan's standing duties to report, like 每月5日前报送上月进展.

A plan file lists them under `[[reporting]]`:

    [[reporting]]
    rule = "FREQ=MONTHLY;BYMONTHDAY=5"     # when each report is due (an RRULE, as deadlines write them)
    what = "上月进展"                       # what is reported (optional)
    phrase = "每月5日前报送上月进展"         # the plan's own words (optional)
    units = "active"                       # who reports: "active" (every unit with an unfinished task
                                           # of the plan, the default) or a list of unit names

Each due date closes a window that opened the day after the one before it (the first opens
with the plan's period): a report made in the window counts for it. A unit has reported when
each of its assignments of the plan that were unfinished as the window opened has a status
update recorded in the window, or when it returned the plan's ledger (`tracker ledger
import-progress`) in the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.rrule import rrulestr

from .errors import TrackerError
from .i18n import N_

ACTIVE = "active"
FIELDS = ("rule", "what", "phrase", "units")


@dataclass(frozen=True)
class Duty:
    """One reporting duty of a plan file: `units` None means every unit with active tasks."""

    rule: str
    what: str | None = None
    phrase: str | None = None
    units: tuple[str, ...] | None = None
    line: int = 0


@dataclass(frozen=True)
class Window:
    opens: date
    closes: date  # the due date: reports made on it still count

    def __contains__(self, day: date) -> bool:
        return self.opens <= day <= self.closes


def _series(rule: str, start: date):
    return rrulestr(rule, dtstart=datetime(start.year, start.month, start.day), cache=False)


def window_on(rule: str, day: date, start: date | None = None) -> Window | None:
    """The window `day` falls in: it closes on the rule's first date on or after `day`, and
    opens the day after the date before that (or on `start`, the plan's first day). None when
    the rule has no date left."""
    origin = start or date(day.year - 2, 1, 1)
    series = _series(rule, origin)
    closes = series.after(datetime(day.year, day.month, day.day), inc=True)
    if closes is None:
        return None
    before = series.before(closes)
    opens = before.date() + timedelta(days=1) if before is not None else min(origin, closes.date())
    return Window(opens, closes.date())


def windows_between(rule: str, first: date, last: date, start: date | None = None) -> list[Window]:
    """Every window that closes within [first, last]."""
    origin = start or date(first.year - 2, 1, 1)
    series = _series(rule, origin)
    out, previous = [], series.before(datetime(first.year, first.month, first.day))
    for closes in series.between(datetime(first.year, first.month, first.day),
                                 datetime(last.year, last.month, last.day, 23, 59), inc=True):
        opens = previous.date() + timedelta(days=1) if previous is not None else min(origin, closes.date())
        out.append(Window(opens, closes.date()))
        previous = closes
    return out


def period(rule: str) -> str:
    """What a rule's window is called: month, quarter, half, year, week, or period."""
    parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
    freq, months = parts.get("FREQ"), [m for m in parts.get("BYMONTH", "").split(",") if m]
    if parts.get("INTERVAL", "1") != "1":
        return "period"
    if freq == "MONTHLY":
        return "month"
    if freq == "WEEKLY":
        return "week"
    if freq == "YEARLY":
        return {0: "year", 1: "year", 2: "half", 4: "quarter"}.get(len(months), "period")
    return "period"


def read_duties(entries: object, where: Callable[[int, str | None], str]) -> list[Duty]:
    """The `[[reporting]]` entries of a plan file; `where(index, key)` names the file and line."""
    if not isinstance(entries, list):
        raise TrackerError(N_("reporting must be written as [[reporting]] tables"), where=where(0, None))
    duties = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise TrackerError(N_("reporting must be written as [[reporting]] tables"), where=where(index, None))
        unknown = [key for key in entry if key not in FIELDS]
        if unknown:
            raise TrackerError(N_("[[reporting]] has no field {field}; the fields are {fields}"),
                               where=where(index, unknown[0]), field=unknown[0], fields=FIELDS)
        rule = entry.get("rule")
        if not isinstance(rule, str) or not rule.strip():
            raise TrackerError(N_("[[reporting]] needs rule = \"FREQ=MONTHLY;BYMONTHDAY=5\" (when each report is due)"),
                               where=where(index, "rule" if "rule" in entry else None))
        rule = rule.strip()
        try:
            _series(rule, date(2000, 1, 1)).after(datetime(2000, 1, 1))
        except (ValueError, TypeError) as exc:
            raise TrackerError(N_("[[reporting]] rule {rule} is not a valid RRULE: {problem}"), where=where(index, "rule"),
                               rule=rule, problem=str(exc)) from None
        for key in ("what", "phrase"):
            if key in entry and not isinstance(entry[key], str):
                raise TrackerError(N_("[[reporting]] {field} must be a text"), where=where(index, key), field=key)
        units = entry.get("units", ACTIVE)
        if units == ACTIVE:
            named = None
        elif isinstance(units, list) and units and all(isinstance(u, str) and u.strip() for u in units):
            named = tuple(u.strip() for u in units)
        else:
            raise TrackerError(N_("[[reporting]] units must be \"active\" (every unit with unfinished tasks) "
                                  "or a list of unit names"), where=where(index, "units"))
        duties.append(Duty(rule, entry.get("what"), entry.get("phrase"), named, 0))
    return duties
