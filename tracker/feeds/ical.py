"""iCalendar feeds of deadlines, built with icalendar 7 and python-dateutil.

One all-day VEVENT per deadline (or a VTODO with `todo`), free time, no alarm unless asked.
The same data gives the same bytes: UIDs come from plan and task keys (never random, never
from the title or date), DTSTAMP and LAST-MODIFIED from when the task or the status last
changed, SEQUENCE from the task's count of date and title changes. icalendar's `new()`
constructors invent a random UID and the current time unless given both, so both are always
given, the calendar's own UID included.

Serialised events are kept in a per-process cache keyed by everything that goes into them, so
a feed rebuilt after one status update re-serialises that one task and reuses the rest.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import TRANSP, Alarm, Calendar, Event, Todo, vDuration, vRecur, vText

from .. import clock
from ..deadlines import FINISHED, describe_rule, is_overdue, next_due, occurrences
from ..errors import N_, TrackerError
from ..i18n import LANGUAGES, gettext_in, ngettext_in, role_label, status_label
from ..service.feeds import FeedDuty, FeedTask, PlanEntry, PlanFeed, UnitEntry, UnitFeed
from ..service.records import UnitStatus

PRODID = "-//tracker//action plan deadlines//ZH"
REFRESH = timedelta(hours=4)
_END = b"END:VCALENDAR\r\n"

# the feeds' words by name, worded from the one catalogue in the feed's language
_MESSAGES = {
    "deadlines": N_("action plan deadlines"), "tasks": N_("action plan tasks"), "plan_deadlines": N_("deadlines"),
    "overdue": N_("overdue"), "plan": N_("Plan"), "task": N_("Task"), "deadline": N_("Deadline"), "lead": N_("Lead"),
    "responsible": N_("Responsible"), "this_unit": N_("This unit"), "note": N_("Note"),
    "units": N_("Progress by unit"), "until": N_("until"), "plan_end": N_("end of the plan"),
    "ongoing": N_("ongoing"), "none": N_("none"),
    "unit_desc": N_("Deadlines of the action plan tasks {unit} ({jurisdiction}) leads or is responsible for. "
                    "Made by tracker, refreshed about every 4 hours."),
    "plan_desc": N_("Deadlines of every task of {title} ({number}) and each unit's progress. "
                    "Made by tracker, refreshed about every 4 hours."),
    "undated_events": N_("Tasks without a deadline (ongoing, {n}) are not in this calendar."),
    "undated_todos": N_("Ongoing tasks are to-dos without a due date."),
    "before": N_("{n} before the deadline"),
    "extended": N_("{before} \u2192 {after} (extension approved)"),
}


def _w(lang: str, key: str, **kwargs) -> str:
    text = gettext_in(lang, _MESSAGES[key])
    return text.format(**kwargs) if kwargs else text


def _label(lang: str, word: str) -> str:
    """计划：…, Plan: …"""
    return gettext_in(lang, N_("{label}: ")).format(label=word)


def _names(lang: str, names) -> str:
    return gettext_in(lang, N_(", ")).join(names)


def _aside(text: str, lang: str) -> str:
    """(…) after a word: full-width brackets run on in Chinese, English wants a space."""
    return gettext_in(lang, N_(" ({aside})")).format(aside=text)


@dataclass(frozen=True)
class FeedOptions:
    lang: str = "zh"
    todo: bool = False  # VTODO instead of VEVENT, for task-aware clients
    alarms: tuple[timedelta, ...] = ()  # reminders this long before the deadline
    task_url: str | None = None  # e.g. "https://oa.example.cn/tasks/{plan}/{task}"

    def __post_init__(self):
        if self.lang not in LANGUAGES:
            raise TrackerError(N_("unknown language {lang!r}; use zh or en"), lang=self.lang)
        if self.task_url:
            try:
                self.task_url.format(plan="p", task="t")
            except (KeyError, IndexError, ValueError) as exc:
                raise TrackerError(N_("task URL template {template!r} may use only {{plan}} and {{task}} ({error}: {exc})"),
                                   template=self.task_url, error=exc.__class__.__name__, exc=exc) from None

    @property
    def variant(self) -> str:
        return "/todo" if self.todo else ""


_ALARM = re.compile(r"(\d+)\s*([dhw])")
MAX_ALARM = timedelta(days=366)  # a reminder further ahead than a year is a typing slip


def parse_alarms(text: str | None) -> tuple[timedelta, ...]:
    """`7d,1d` → reminders 7 days and 1 day before; `12h` and `2w` work too, up to a year."""
    if not text:
        return ()
    found = []
    for part in text.split(","):
        match = _ALARM.fullmatch(part.strip().lower())
        if not match or not match[1].strip("0"):
            raise TrackerError(N_("alarm {alarm!r} is not like 7d, 12h or 2w (in --alarm {text!r})"),
                               alarm=part.strip()[:40], text=text[:80])
        digits, unit = match[1].lstrip("0"), match[2]
        n = int(digits) if len(digits) <= 6 else None  # more digits than that is beyond the bound anyway
        alarm = None if n is None else (timedelta(days=n) if unit == "d" else timedelta(hours=n) if unit == "h"
                                        else timedelta(weeks=n))
        if alarm is None or alarm > MAX_ALARM:
            raise TrackerError(N_("alarm {alarm!r} is more than a year before the deadline (in --alarm {text!r})"),
                               alarm=part.strip()[:40], text=text[:80])
        found.append(alarm)
    return tuple(sorted(set(found), reverse=True))


class EventCache:
    """Serialised events by everything that goes into them; least recently used go first."""

    def __init__(self, size: int = 20_000):
        self.size = size
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple, build) -> bytes:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        made = build()
        with self._lock:
            self._items[key] = made
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return made

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


NO_CACHE = EventCache(size=0)


# ---------------------------------------------------------------------- dates


@dataclass(frozen=True)
class _When:
    """When an entry falls due, as the feed shows it, on a given day."""

    start: date | None  # first (or only) day; None: no date (ongoing)
    until: date | None  # a rule's last day
    todo_due: date | None  # the next due day, for a VTODO
    overdue: bool
    overdue_since: datetime | None


def _when(task: FeedTask, status_done: bool, today: date) -> _When:
    if task.deadline_kind == "ongoing" or task.due_on is None:
        return _When(None, None, None, False, None)
    overdue = is_overdue(task.deadline_kind, task.due_on, "done" if status_done else None, today)
    since = None
    if overdue:
        # the day after the last due day began in the plan's time zone: when the entry changed
        day = task.due_on + timedelta(days=1)
        since = datetime.combine(day, time(), ZoneInfo(task.timezone)).astimezone(timezone.utc)
    if task.deadline_kind != "rule":
        return _When(task.due_on, None, task.due_on, overdue, since)
    first, upcoming = _rule_days(task.deadline_rule, task.plan_start, task.due_on, today)
    return _When(first, task.plan_end or task.due_on, upcoming, overdue, since)


@lru_cache(maxsize=4096)
def _rule_days(rule: str, plan_start: date | None, last: date, today: date) -> tuple[date, date | None]:
    """A rule's first day in the plan period and its next due day. Many tasks share a rule and a
    plan, and an unchanged entry still needs these to find itself in the cache: worth keeping."""
    first = occurrences(rule, plan_start or last, last)
    return (first[0] if first else last), next_due("rule", last, rule, today, plan_start)


def _stamp(task: FeedTask, statuses: tuple[UnitStatus, ...], when: _When) -> datetime:
    """The latest change to anything the entry shows: the task, a status, or it falling overdue."""
    moments = [task.changed_at] + [a.status_at for a in statuses if a.status_at] + \
        ([when.overdue_since] if when.overdue_since else [])
    return max(moments).replace(microsecond=0)


def _local_day(moment: datetime | None, tz: str) -> str:
    return clock.shown_day(moment, tz)


def _deadline_text(task: FeedTask, lang: str) -> str:
    if task.deadline_kind == "ongoing":
        return _w(lang, "ongoing")
    if task.deadline_kind == "rule":
        phrase = task.deadline_phrase or task.deadline_rule
        until = task.plan_end or task.due_on
        return phrase + _aside(f"{_w(lang, 'until')} {until.isoformat()}", lang) if until else phrase
    due = task.due_on.isoformat() if task.due_on else _w(lang, "none")
    if task.extended_from is not None:  # this unit's deadline, moved by an approved extension
        return _w(lang, "extended", before=task.extended_from.isoformat(), after=due)
    if task.deadline_kind == "plan_end":
        return due + _aside(_w(lang, "plan_end"), lang)
    return due + (_aside(task.deadline_phrase, lang) if task.deadline_phrase else "")


# ---------------------------------------------------------------------- text


def _mark(statuses: tuple[UnitStatus, ...], when: _When, lang: str) -> str | None:
    """Done, overdue or behind: what a glance at the calendar should tell."""
    if statuses and all(a.status in FINISHED for a in statuses):
        return status_label("pending_review" if any(a.status != "done" for a in statuses) else "done", lang)
    if when.overdue:
        return _w(lang, "overdue")
    if any(a.status == "behind" for a in statuses):
        return status_label("behind", lang)
    return None


def _headline(task: FeedTask, tag: str, mark: str | None, lang: str) -> str:
    tag = f"{tag}·{mark}" if mark else tag
    body = _label(lang, task.section) + task.title if task.section else task.title
    return f"[{tag}] {body}"


def _status_line(assignee: UnitStatus, tz: str, lang: str) -> str:
    text = status_label(assignee.status, lang)
    if assignee.percent is not None:
        text += f" {assignee.percent}%"
    if assignee.status_at:
        text += _aside(_local_day(assignee.status_at, tz), lang)
    return text


def _description(task: FeedTask, lang: str, tail: list[str]) -> str:
    plan = task.plan_title + (_aside(task.document_number, lang) if task.document_number else "")
    where = f"{task.key} {task.section}" if task.section else task.key
    lines = [task.text, "",
             _label(lang, _w(lang, "plan")) + plan,
             _label(lang, _w(lang, "task")) + where,
             _label(lang, _w(lang, "deadline")) + _deadline_text(task, lang),
             _label(lang, _w(lang, "lead")) + (_names(lang, task.lead) or _w(lang, "none"))]
    if task.responsible:
        lines.append(_label(lang, _w(lang, "responsible")) + _names(lang, task.responsible))
    return "\n".join(lines + tail)


# ---------------------------------------------------------------------- components


def _component(uid: str, task: FeedTask, when: _When, stamp: datetime, summary: str, description: str,
               categories: list[str], statuses: tuple[UnitStatus, ...], options: FeedOptions) -> bytes:
    url = options.task_url.format(plan=task.plan_key, task=task.key) if options.task_url else None
    common: dict[str, Any] = dict(uid=uid, stamp=stamp, last_modified=stamp, summary=summary, description=description,
                  categories=categories, sequence=task.sequence, url=url)
    component: Todo | Event
    if options.todo:
        component = Todo.new(end=when.todo_due, **common)
        codes = {a.status for a in statuses}
        if codes == {"done"}:
            component.status = "COMPLETED"
            component.add("completed", max((a.status_at for a in statuses if a.status_at), default=stamp))
        else:  # behind and ongoing are work in progress too
            component.status = "NEEDS-ACTION" if codes <= {"not_started"} else "IN-PROCESS"
        if len(statuses) == 1 and statuses[0].percent is not None:
            component.add("percent-complete", statuses[0].percent)
    else:
        component = Event.new(start=when.start, end=when.start + timedelta(days=1), transparency=TRANSP.TRANSPARENT,
                              **common)
        if when.until:
            rule = vRecur.from_ical(task.deadline_rule)
            if "UNTIL" not in rule and "COUNT" not in rule:
                rule["UNTIL"] = [when.until]
            component.add("rrule", rule)
        # Outlook reads its own properties for all-day and free time
        component.add("x-microsoft-cdo-alldayevent", "TRUE")
        component.add("x-microsoft-cdo-busystatus", "FREE")
    if options.alarms and (when.start if not options.todo else when.todo_due):
        for before in options.alarms:
            note = _aside(_w(options.lang, "before", n=_span(before, options.lang)), options.lang)
            alarm = Alarm.new_display(description=summary + note, trigger=-before)
            if options.todo:
                alarm["TRIGGER"].params["RELATED"] = "END"  # a to-do has a due date, not a start
            component.add_component(alarm)
    return _to_ical(component)


def _fold(line: str) -> bytes:
    """icalendar's folding (at most 74 octets a line, never splitting a character, and a backslash
    or caret escape not left at the end of a line), done on the UTF-8 bytes in slices rather than
    character by character: it was a third of the cost of a cold feed. Same bytes as icalendar's
    `_foldline` (a test compares the two)."""
    data = line.encode("utf-8")
    size = len(data)
    if size < _FOLD_AT:
        return data
    parts, start = [], 0
    while size - start >= _FOLD_AT:
        cut = start + _FOLD_AT - 1
        while data[cut] & 0xC0 == 0x80:  # not inside a character
            cut -= 1
        if data[cut - 1] in _ESCAPES and cut - 1 > start:
            cut -= 1
        parts.append(data[start:cut])
        start = cut
    parts.append(data[start:])
    return b"\r\n ".join(parts)


_FOLD_AT = 75
_ESCAPES = b"\\^"


def _to_ical(component) -> bytes:
    """`component.to_ical()`, with the faster folding."""
    return b"".join(_fold(line) + b"\r\n" for line in component.content_lines() if line)


def _span(delta: timedelta, lang: str) -> str:
    if delta.days and not delta.seconds:
        return ngettext_in(lang, "{n} day", "{n} days", delta.days).format(n=delta.days)
    hours = int(delta.total_seconds() // 3600)
    return ngettext_in(lang, "{n} hour", "{n} hours", hours).format(n=hours)


def _unit_entry(feed: UnitFeed, entry: UnitEntry, when: _When, options: FeedOptions) -> bytes:
    task, own, lang = entry.task, entry.own, options.lang
    uid = f"{task.plan_key}/{task.key}/{feed.code}{options.variant}@tracker"
    mark = _mark((own,), when, lang)
    tail = [_label(lang, _w(lang, "this_unit") + _aside(feed.unit, lang)) + _status_line(own, task.timezone, lang)]
    if own.note:
        tail.append(_label(lang, _w(lang, "note")) + own.note)
    categories = [role_label(own.role, lang), status_label(own.status, lang)]
    if mark and mark not in categories:
        categories.append(mark)
    return _component(uid, task, when, _stamp(task, (own,), when), _headline(task, categories[0], mark, lang),
                      _description(task, lang, tail), categories, (own,), options)


def _plan_entry(entry: PlanEntry, when: _When, options: FeedOptions) -> bytes:
    task, lang = entry.task, options.lang
    uid = f"{task.plan_key}/{task.key}{options.variant}@tracker"
    mark = _mark(entry.assignees, when, lang)
    # who leads it (or, where the plan names no lead, who carries it)
    units = task.lead or task.responsible
    tag = units[0] if units else _w(lang, "none")
    if len(units) > 1:
        tag = gettext_in(lang, N_("{unit} et al.")).format(unit=tag)
    tail = ["", _label(lang, _w(lang, "units")).rstrip()]
    for a in entry.assignees:
        line = "  " + _label(lang, a.unit + _aside(role_label(a.role, lang), lang)) + _status_line(a, task.timezone, lang)
        tail.append(line + (f" {a.note}" if a.note else ""))
    categories = [mark] if mark else []
    return _component(uid, task, when, _stamp(task, entry.assignees, when), _headline(task, tag, mark, lang),
                      _description(task, lang, tail), categories, entry.assignees, options)


def _duty_event(feed: UnitFeed, duty: FeedDuty, options: FeedOptions) -> bytes:
    """A reporting duty (报送) as one all-day event repeating on each of its dates until the plan ends."""
    lang = options.lang
    start = duty.plan_start or duty.changed_at.date()
    first = occurrences(duty.rule, start, duty.plan_end or start + timedelta(days=3660))
    day = first[0] if first else start
    what = duty.what or duty.phrase or describe_rule(duty.rule, lang)
    summary = gettext_in(lang, "[Report] {what}").format(what=what)
    lines = [gettext_in(lang, "Plan: {title} ({key})").format(title=duty.plan_title, key=duty.plan_key),
             gettext_in(lang, "Due: {rule}").format(rule=duty.phrase or describe_rule(duty.rule, lang)),
             gettext_in(lang, "A report counts for a date when it is made after the date before it, up to the date "
                              "itself: a status update on each of the unit's unfinished tasks of the plan, or the "
                              "plan's ledger returned.")]
    stamp = duty.changed_at.replace(microsecond=0)
    event = Event.new(uid=f"report/{duty.plan_key}/{duty.position}/{feed.code}{options.variant}@tracker",
                      stamp=stamp, last_modified=stamp, summary=summary, description="\n".join(lines),
                      categories=[gettext_in(lang, "report")], start=day, end=day + timedelta(days=1),
                      transparency=TRANSP.TRANSPARENT)
    rule = vRecur.from_ical(duty.rule)
    if duty.plan_end and "UNTIL" not in rule and "COUNT" not in rule:
        rule["UNTIL"] = [duty.plan_end]
    event.add("rrule", rule)
    event.add("x-microsoft-cdo-alldayevent", "TRUE")
    event.add("x-microsoft-cdo-busystatus", "FREE")
    return _to_ical(event)


# ---------------------------------------------------------------------- calendars


def _calendar(uid: str, name: str, description: str, body: list[bytes]) -> bytes:
    calendar = Calendar.new(prodid=PRODID, uid=uid, method="PUBLISH", calscale="GREGORIAN",
                            refresh_interval=REFRESH)
    # as TEXT, so commas and semicolons are escaped: icalendar's name/description setters write
    # NAME and the X-WR- twins unescaped
    for key, value in (("NAME", name), ("X-WR-CALNAME", name), ("DESCRIPTION", description),
                       ("X-WR-CALDESC", description)):
        calendar.add(key, vText(value))
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"  # RFC 7986 requires it; icalendar leaves it out
    calendar.add("x-published-ttl", vDuration(REFRESH))
    head = _to_ical(calendar)
    assert head.endswith(_END)
    return head[: -len(_END)] + b"".join(body) + _END


def _undated_note(undated: int, options: FeedOptions) -> str:
    """Say so when ongoing work is left out of an event feed (or kept as to-dos without a date)."""
    if not undated:
        return ""
    return " " + (_w(options.lang, "undated_todos") if options.todo else _w(options.lang, "undated_events", n=undated))


def unit_calendar(feed: UnitFeed, options: FeedOptions, today: date, cache: EventCache = NO_CACHE) -> bytes:
    lang = options.lang
    body, undated = [], 0
    for entry in feed.entries:
        when = _when(entry.task, entry.own.status in FINISHED, today)
        if when.start is None:
            undated += 1
            if not options.todo:  # events need a date; a to-do may go without
                continue
        key = ("unit", feed.unit, feed.jurisdiction, entry, options, when)
        body.append(cache.get(key, lambda e=entry, w=when: _unit_entry(feed, e, w, options)))
    if not options.todo:  # a duty recurs for the whole plan period: an event series, not a to-do
        for duty in feed.reporting:
            duty_key = ("duty", feed.code, duty, options)
            body.append(cache.get(duty_key, lambda d=duty: _duty_event(feed, d, options)))
    title = feed.unit + (_aside(role_label(feed.role, lang), lang) if feed.role else "")
    name = f"{title} · {_w(lang, 'tasks' if options.todo else 'deadlines')}"
    description = _w(lang, "unit_desc", jurisdiction=feed.jurisdiction, unit=feed.unit) + _undated_note(undated, options)
    role = f"/{feed.role}" if feed.role else ""
    return _calendar(f"unit/{feed.code}{role}{options.variant}@tracker", name, description, body)


def plan_calendar(feed: PlanFeed, options: FeedOptions, today: date, cache: EventCache = NO_CACHE) -> bytes:
    lang = options.lang
    body, undated = [], 0
    for entry in feed.entries:
        done = bool(entry.assignees) and all(a.status in FINISHED for a in entry.assignees)
        when = _when(entry.task, done, today)
        if when.start is None:
            undated += 1
            if not options.todo:
                continue
        key = ("plan", entry, options, when)
        body.append(cache.get(key, lambda e=entry, w=when: _plan_entry(e, w, options)))
    name = f"{feed.title} · {_w(lang, 'tasks' if options.todo else 'plan_deadlines')}"
    description = _w(lang, "plan_desc", title=feed.title, number=feed.document_number or feed.key) + \
        _undated_note(undated, options)
    return _calendar(f"plan/{feed.key}{options.variant}@tracker", name, description, body)
