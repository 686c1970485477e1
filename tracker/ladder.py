"""The reminder ladder (催办): on which days a unit is reminded of a deadline, and from when the
plan's coordinating unit and the unit's leadership are told as well.

A ladder is a handful of rungs counted from a deadline: some days before it (7 and 1 by
default), the day itself, then every week while it is overdue; from `escalate_after` days
overdue (14 by default) each reminder goes to the coordinator and the unit's leader too. A plan
file writes its own under `[reminders]`, the registry (`plans/units.toml`) may set everyone's
default the same way, and otherwise the default below holds.

On any day one rung is current: the latest whose date has come. A run of `tracker remind
send` sends the current rung of each open assignment unless it went out already, so a day the
run was missed is caught up the next day with the rung that is current then, never two at once.
The digest's lights follow the same rungs (`light`): yellow from the first reminder before the
deadline, red once it is overdue, and 红牌 (escalated) from `escalate_after` days overdue.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import N_, TrackerError


FIELDS = ("before", "on_day", "overdue_every", "escalate_after")


@dataclass(frozen=True)
class Rung:
    """One step of the ladder for one deadline: `code` names it the same for every deadline
    (before-7, due, late-14), `on` is the day it comes, `days` counts from the deadline
    (negative: days left)."""

    code: str
    on: date
    days: int
    escalated: bool = False

    @property
    def late(self) -> bool:
        return self.days > 0


@dataclass(frozen=True)
class Ladder:
    before: tuple[int, ...] = (7, 1)  # days before the deadline
    on_day: bool = True
    overdue_every: int = 7  # days between reminders while overdue; 0: none but the escalation
    escalate_after: int = 14  # days overdue from which the coordinator and the leader are told

    @property
    def warn_days(self) -> int:
        """How many days before a deadline its light turns yellow: the first reminder's."""
        return max(self.before, default=0)

    def current(self, due: date, today: date) -> Rung | None:
        """The latest rung whose day has come, or None before the first."""
        late = (today - due).days
        if late > 0:
            steps = [k for k in range(self.overdue_every, late + 1, self.overdue_every)] if self.overdue_every else []
            if self.escalate_after <= late:
                steps.append(self.escalate_after)
            if steps:
                days = max(steps)
                return Rung(f"late-{days}", due + timedelta(days=days), days, days >= self.escalate_after)
        if late >= 0 and self.on_day:
            return Rung("due", due, 0)
        reached = [b for b in self.before if today >= due - timedelta(days=b)]
        if not reached:
            return None
        days = min(reached)
        return Rung(f"before-{days}", due - timedelta(days=days), -days)

    def light(self, due: date | None, today: date, done: bool) -> str | None:
        """green (done), yellow (a reminder before the deadline has come), red (overdue), escalated (red, and the coordinator has been told); None otherwise."""
        if done:
            return "green"
        if due is None:
            return None
        late = (today - due).days
        if late >= self.escalate_after:
            return "escalated"
        if late > 0:
            return "red"
        if -late <= self.warn_days:
            return "yellow"
        return None

    # ------------------------------------------------------------------ stored on the plan row

    def to_json(self) -> str:
        return json.dumps({"before": list(self.before), "on_day": self.on_day, "overdue_every": self.overdue_every,
                           "escalate_after": self.escalate_after}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Ladder:
        if not text:
            return DEFAULT
        data = json.loads(text)
        return cls(tuple(data["before"]), data["on_day"], data["overdue_every"], data["escalate_after"])


DEFAULT = Ladder()


def read_ladder(table: object, where: Callable[[str | None], str], base: Ladder = DEFAULT) -> Ladder:
    """A `[reminders]` table of a plan file or the registry, over `base` (what it leaves out
    stays as `base` has it). `where(key)` names the file and line of a key (None: the table)."""
    if not isinstance(table, dict):
        raise TrackerError(N_("[reminders] must be a table (before = [7, 1], on_day, overdue_every, escalate_after)"),
                           where=where(None))
    unknown = [key for key in table if key not in FIELDS]
    if unknown:
        raise TrackerError(N_("[reminders] has no field {field}; the fields are {fields}"),
                           where=where(unknown[0]), field=unknown[0], fields=", ".join(FIELDS))

    def days(key: str, value: object, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise TrackerError(N_("[reminders] {field} must be a whole number of days from {low} to {high}, not {value}"),
                               where=where(key), field=key, low=low, high=high,
                               value=json.dumps(value, default=str, ensure_ascii=False))
        return value

    before = base.before
    if "before" in table:
        value = table["before"]
        if not isinstance(value, list):
            raise TrackerError(N_("[reminders] before must be a list of days before the deadline, like [7, 1]"),
                               where=where("before"))
        before = tuple(sorted({days("before", v, 1, 366) for v in value}, reverse=True))
    on_day = base.on_day
    if "on_day" in table:
        if not isinstance(table["on_day"], bool):
            raise TrackerError(N_("[reminders] on_day must be true or false"), where=where("on_day"))
        on_day = table["on_day"]
    every = days("overdue_every", table["overdue_every"], 0, 366) if "overdue_every" in table else base.overdue_every
    escalate = days("escalate_after", table["escalate_after"], 1, 3660) if "escalate_after" in table \
        else base.escalate_after
    return Ladder(before, on_day, every, escalate)
