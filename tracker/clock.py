"""Today, in one place, so every test and every command can pin it.

TRACKER_TODAY=YYYY-MM-DD pins the date for a whole command (tests, demos, reproducing last
week's digest). Code asks `today()` / `now()` and never calls date.today() itself.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"

_pinned: date | None = None


def pin(day: date | None) -> None:
    """Pin today's date for this process (None unpins)."""
    global _pinned
    _pinned = day


def today(tz: str = DEFAULT_TIMEZONE) -> date:
    """Today's calendar date in the plan's time zone."""
    if _pinned is not None:
        return _pinned
    env = os.environ.get("TRACKER_TODAY")
    if env:
        from .errors import N_, TrackerError

        try:
            return date.fromisoformat(env)
        except ValueError:
            raise TrackerError(N_("TRACKER_TODAY={env!r} is not a date like 2026-11-24"), env=env) from None
    return datetime.now(ZoneInfo(tz)).date()


def now() -> datetime:
    """The current instant, UTC. When today is pinned, noon of that day in Shanghai,
    so history written under a pinned clock sorts with the pinned date."""
    pinned = _pinned
    if pinned is None and os.environ.get("TRACKER_TODAY"):
        pinned = today()
    if pinned is not None:
        real = datetime.now(timezone.utc)
        local = datetime(pinned.year, pinned.month, pinned.day, 12, tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
        # keep the real time's seconds so successive updates under a pinned date still order
        return local.astimezone(timezone.utc).replace(
            minute=real.minute, second=real.second, microsecond=real.microsecond
        )
    return datetime.now(timezone.utc)


def utc(moment: datetime) -> datetime:
    """An instant in UTC. A naive one is taken as UTC: that is how instants are stored."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def local(moment: datetime, tz: str | None = None) -> datetime:
    """A stored instant as wall time in `tz` (the plan's or the jurisdiction's zone; never the
    machine's). Instants are stored in UTC, and a naive one is read as UTC."""
    return utc(moment).astimezone(ZoneInfo(tz or DEFAULT_TIMEZONE))


# how a person reads an instant, everywhere: the CLI, the TUI, the ledger, digests, feeds,
# doctor and refusals all go through shown()
SHOWN_FORMAT = "%Y-%m-%d %H:%M"


def shown(moment: datetime | None, tz: str | None = None, empty: str = "") -> str:
    """An instant as a person reads it: wall time in the plan's zone, to the minute
    (`2026-11-24 12:45`); `empty` when there is none."""
    if moment is None:
        return empty
    return local(moment, tz).strftime(SHOWN_FORMAT)


def shown_day(moment: datetime | None, tz: str | None = None, empty: str = "") -> str:
    """The calendar day of an instant in the plan's zone (`2026-11-24`)."""
    if moment is None:
        return empty
    return local(moment, tz).date().isoformat()
