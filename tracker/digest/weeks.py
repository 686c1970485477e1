"""ISO weeks (2026-W48), Monday first, in a plan's time zone: what a weekly digest covers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .. import clock
from ..errors import N_, TrackerError

_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        match = _WEEK.match(text.strip())
        if not match:
            raise TrackerError(N_("--week {text!r} is not an ISO week like 2026-W48"), text=text)
        year, number = int(match[1]), int(match[2])
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            weeks = date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
            raise TrackerError(N_("--week {text!r}: {year} has weeks 1 to {weeks}"), text=text, year=year, weeks=weeks) from None
        return cls(year, number)

    @classmethod
    def containing(cls, day: date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def current(cls, tz: str = clock.DEFAULT_TIMEZONE) -> Week:
        """This week in the plan's time zone, from the injectable clock (TRACKER_TODAY pins it)."""
        return cls.containing(clock.today(tz))

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def window(self, tz: str) -> tuple[datetime, datetime]:
        """Monday 00:00 to the next Monday 00:00 in the time zone `tz`."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.monday, time.min, zone)
        return start, datetime.combine(self.monday + timedelta(days=7), time.min, zone)

    def as_of(self, today: date) -> date:
        """The day a digest for this week is reckoned from: today while the week runs, its
        Sunday once it is over, its Monday when it is still to come."""
        return min(max(today, self.monday), self.sunday)
