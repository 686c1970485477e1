"""Plan files: the reviewed, version-controlled truth of a plan (TOML), read, validated, written.

A plan file holds the plan's metadata, its sections, its tasks with stable keys, lead and
responsible units by name, deadlines and targets. Every error names the file and line.

    [plan]            key, title, document_number, issuer, jurisdiction, coordinator,
                      written_on, published_on, period_start, period_end, source, source_sha256,
                      approval ("closing": a lead's 已完成 waits for the coordinator's 销号, the
                      default when there is a coordinator; "none": it closes the task)
    [[sections]]      key = "3.1", title
    [[tasks]]         key = "3.1.2", section, text, lead = [...], responsible = [...],
                      inherited_responsible = [...], deadline, deadline_phrase, title
    [[targets]]       indicator, comparator, value, measure, year, due_on, task
    [reminders]       before = [7, 1], on_day, overdue_every, escalate_after (tracker/ladder.py)
    [[reporting]]     rule = "FREQ=MONTHLY;BYMONTHDAY=5", what, phrase, units = "active" | [...]
                      (tracker/reporting.py)

A deadline is a TOML date, the string "ongoing", an inline table {rrule = "FREQ=YEARLY;..."},
or absent (the plan's end).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, with_config
from typing_extensions import NotRequired, TypedDict

from . import tomlfile
from .clock import DEFAULT_TIMEZONE
from .errors import N_, Phrase, TrackerError
from .ladder import Ladder, read_ladder
from .reporting import Duty, read_duties

APPROVALS = ("closing", "none")
KEY_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*\Z")  # \Z: "key\n" is not a key
COMPARATORS = ("以上", "左右", "不低于", "不少于", "以内", "以下", "突破", "达到", "增长", "超过")


@dataclass
class Deadline:
    kind: str  # "date" | "rule" | "ongoing" | "plan_end"
    due_on: date | None = None
    rule: str | None = None
    phrase: str | None = None

    def to_json(self):
        """The shape of the reference labels: ISO date, {"rrule": ...}, "ongoing" or null."""
        if self.kind == "date":
            return self.due_on.isoformat()
        if self.kind == "rule":
            return {"rrule": self.rule}
        if self.kind == "ongoing":
            return "ongoing"
        return None


@dataclass
class Section:
    key: str
    title: str
    line: int = 0

    @property
    def parent_key(self) -> str | None:
        return self.key.rsplit(".", 1)[0] if "." in self.key else None


@dataclass
class Task:
    key: str
    text: str
    section: str | None = None
    title: str | None = None
    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    inherited_responsible: list[str] = field(default_factory=list)
    deadline: Deadline = field(default_factory=lambda: Deadline("plan_end"))
    line: int = 0

    @property
    def short_title(self) -> str:
        return self.title or derive_title(self.text)


@dataclass
class Target:
    indicator: str
    value: float | None = None
    comparator: str | None = None
    measure: str | None = None
    year: int | None = None
    due_on: date | None = None
    task: str | None = None
    line: int = 0


@dataclass
class PlanFile:
    key: str
    title: str
    jurisdiction: str
    document_number: str | None = None
    issuer: str | None = None
    coordinator: str | None = None
    written_on: date | None = None
    published_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    timezone: str = DEFAULT_TIMEZONE
    source: str | None = None
    source_sha256: str | None = None
    approval: str | None = None  # None: "closing" when the plan has a coordinator, else "none"
    sections: list[Section] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    reminders: Ladder | None = None  # the plan's own reminder ladder; None: the registry's or the default
    reporting: list[Duty] = field(default_factory=list)  # 报送: the plan's standing reporting duties
    path: Path | None = None


_CLAUSE_END = re.compile(r"[,。;:!?,;]")


def derive_title(text: str, limit: int = 24) -> str:
    """A task's short title: its first clause, cut at `limit` characters."""
    first = _CLAUSE_END.split(text, maxsplit=1)[0].strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"


# ---------------------------------------------------------------------- the schema
#
# One declared schema for a plan file: every field's type (strictly: a number is not text, a
# date with a time is not a date), its size (the database column's width) and its characters.
# Deadlines, unit-name lists and time zones have their own validators; what depends on the
# whole file (keys used twice, a section or task named but not defined, a rule's occurrences
# within the plan's period) is checked after.

# a recurrence rule as the product supports it: deadlines are days, so DAILY at the finest
RULE_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
RULE_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYMONTH", "BYMONTHDAY", "BYDAY", "WKST")
MAX_OCCURRENCES = 4000  # a rule's occurrences (COUNT, or within the plan's period): daily for ten years
MAX_INTERVAL = 1000
MAX_PERIOD_YEARS = 100
NAME_LIMIT = 256  # a unit as written: the width of the alias column
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _int_part(value: str) -> int | None:
    return int(value) if re.fullmatch(r"[+-]?\d{1,6}", value) else None


@lru_cache(maxsize=1024)
def _rule_problem(rule: str) -> Phrase | None:
    """Why a deadline rule is not one the product supports; None if it is. Cached: a plan
    repeats a few rules thousands of times."""
    if any(c in rule for c in "\r\n") or not re.fullmatch(r"[^\x00-\x1f\x7f]*", rule):
        return Phrase(N_("the rule must be one line, without control characters"))
    if "DTSTART" in rule.upper():
        return Phrase(N_("the rule must not set DTSTART: the plan's period is its start"))
    parts: dict[str, str] = {}
    for part in rule.split(";"):
        name, equals, value = part.partition("=")
        name = name.strip().upper()
        if not equals or not name:
            return Phrase(N_("{part} is not NAME=VALUE"), part=repr(part[:40]))
        if name not in RULE_PARTS:
            return Phrase(N_("{part} is not supported in deadline rules (supported: {parts})"),
                part=name[:40], parts=", ".join(RULE_PARTS))
        if name in parts:
            return Phrase(N_("{part} is given twice"), part=name)
        parts[name] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq is None:
        return Phrase(N_("the rule needs FREQ=YEARLY, MONTHLY, WEEKLY or DAILY"))
    if freq not in ("SECONDLY", "MINUTELY", "HOURLY", *RULE_FREQUENCIES):
        return Phrase(N_("not a valid RRULE: {reason}"), reason=f"FREQ={freq[:20]}")
    if freq not in RULE_FREQUENCIES:
        return Phrase(N_("FREQ={freq} is not supported: deadlines recur YEARLY, MONTHLY, WEEKLY or DAILY at the finest"),
                      freq=freq[:20])
    if "COUNT" in parts:
        count = _int_part(parts["COUNT"])
        if count is None or not 1 <= count <= MAX_OCCURRENCES:
            return Phrase(N_("COUNT must be a whole number from 1 to {n}"), n=MAX_OCCURRENCES)
        if "UNTIL" in parts:
            return Phrase(N_("the rule may have COUNT or UNTIL, not both"))
    if "INTERVAL" in parts:
        interval = _int_part(parts["INTERVAL"])
        if interval is None or not 1 <= interval <= MAX_INTERVAL:
            return Phrase(N_("INTERVAL must be a whole number from 1 to {n}"), n=MAX_INTERVAL)
    if "UNTIL" in parts and not re.fullmatch(r"\d{8}(T\d{6}Z?)?", parts["UNTIL"]):
        return Phrase(N_("UNTIL must be a date like 20271231"))
    months = [_int_part(m) for m in parts.get("BYMONTH", "").split(",") if m] if "BYMONTH" in parts else []
    if "BYMONTH" in parts and (not months or any(m is None or not 1 <= m <= 12 for m in months)):
        return Phrase(N_("BYMONTH must list months from 1 to 12"))
    days = [_int_part(d) for d in parts.get("BYMONTHDAY", "").split(",") if d] if "BYMONTHDAY" in parts else []
    if "BYMONTHDAY" in parts and (not days or any(d is None or not 1 <= abs(d) <= 31 for d in days)):
        return Phrase(N_("BYMONTHDAY must list days from 1 to 31 (or -1 to -31, counted from the month's end)"))
    if days and not any(abs(d) <= _MONTH_DAYS[m - 1] for m in (months or range(1, 13)) if m for d in days if d):
        return Phrase(N_("the rule falls on no day: no month it names has that day"))
    if "BYDAY" in parts:
        limit = {"MONTHLY": 5, "YEARLY": 5 if months else 53}.get(freq, 0)
        for day in parts["BYDAY"].split(","):
            found = re.fullmatch(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)", day.strip())
            if not found or (found.group(1) and not 1 <= abs(int(found.group(1))) <= limit):
                return Phrase(N_("BYDAY must list weekdays (MO, TU, WE, TH, FR, SA, SU), numbered only in monthly "
                                 "or yearly rules"))
    if "WKST" in parts and parts["WKST"] not in _WEEKDAY_CODES:
        return Phrase(N_("WKST must be a weekday (MO, TU, WE, TH, FR, SA, SU)"))
    from dateutil.rrule import rrulestr

    try:
        rrulestr(rule, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError, OverflowError) as exc:
        return Phrase(N_("not a valid RRULE: {reason}"), reason=str(exc)[:100])
    return None


@lru_cache(maxsize=1024)
def _occurrences_over(rule: str, start: date, end: date) -> bool:
    """Whether the rule falls on more than MAX_OCCURRENCES days from start to end. The rule has
    passed _rule_problem, so dateutil finds each next day quickly (no impossible day to hunt)."""
    if (end - start).days < MAX_OCCURRENCES or "COUNT=" in rule.upper():
        return False  # at most one a day (no rule is finer), or COUNT is bounded already
    from dateutil.rrule import rrulestr

    recurrence: Any = rrulestr(rule, dtstart=datetime(start.year, start.month, start.day), cache=False)
    until = datetime(end.year, end.month, end.day, 23, 59)
    bounded = recurrence.replace(until=min(until, recurrence._until or until), count=None)
    try:
        return sum(1 for _day in islice(bounded, MAX_OCCURRENCES + 1)) > MAX_OCCURRENCES
    except (ValueError, OverflowError):  # past year 9999
        return False


def rule_span(plan: PlanFile) -> tuple[date, date]:
    """The days a plan's recurring deadlines fall within: its period, or (without one) from its
    writing (or this year's start) for five years."""
    start = plan.period_start or plan.written_on or date(date.today().year, 1, 1)
    end = plan.period_end or date(min(start.year + 5, 9999), 12, 31)
    return start, end


def effective_approval(plan: PlanFile) -> str:
    """What the plan's row holds: its `approval`, or by default "closing" when it has a coordinator."""
    return plan.approval or ("closing" if plan.coordinator else "none")


def _checked_rule(rule: str) -> str:
    problem = _rule_problem(rule)
    if problem is not None:
        raise tomlfile.refuse(Phrase(N_("deadline rule {rule}: {problem}"), rule=tomlfile.short(rule), problem=problem))
    return rule


def _deadline_problem(value: Any) -> Phrase:
    if isinstance(value, datetime):
        return Phrase(N_("must be a date like 2022-12-31, without a time of day"))
    return Phrase(N_("deadline must be a date like 2022-12-31, \"ongoing\" or {{rrule = \"...\"}}, not {value}"),
        value=tomlfile.short(value))


_TYPED = ConfigDict(strict=True, extra="forbid")
# a task's fields are checked as a TypedDict, not a model: 50,000 tasks in 0.1 s rather than 0.3 s
_Name = Annotated[str, tomlfile.line(NAME_LIMIT, required=True, strip=True)]
_Names = Annotated[list[_Name], Field(max_length=1000)] | _Name


@with_config(_TYPED)
class _RuleTable(TypedDict):
    rrule: Annotated[str, StringConstraints(strip_whitespace=True, max_length=256), AfterValidator(_checked_rule)]


_DeadlineValue = date | Literal["ongoing"] | _RuleTable | tomlfile.DateText


def _approval(value: str) -> str:
    if value not in APPROVALS:
        raise tomlfile.refuse(Phrase(N_("must be \"closing\" or \"none\", not {value}"), value=tomlfile.short(value)))
    return value


class _Table(BaseModel):
    model_config = _TYPED


class _PlanMeta(_Table):
    key: Annotated[str, tomlfile.key(128)]
    title: Annotated[str, tomlfile.line(512, required=True)]
    jurisdiction: Annotated[str, tomlfile.line(64, required=True)]
    document_number: Annotated[str, tomlfile.line(128)] | None = None
    issuer: Annotated[str, tomlfile.line(256)] | None = None
    coordinator: Annotated[str, tomlfile.line(NAME_LIMIT, required=True)] | None = None
    written_on: tomlfile.Date | None = None
    published_on: tomlfile.Date | None = None
    period_start: tomlfile.Date | None = None
    period_end: tomlfile.Date | None = None
    timezone: tomlfile.TimeZone = DEFAULT_TIMEZONE
    source: Annotated[str, tomlfile.line(512)] | None = None
    source_sha256: Annotated[str, tomlfile.line(64)] | None = None
    approval: Annotated[str, AfterValidator(_approval)] | None = None  # None: "closing" when there is a coordinator


@with_config(_TYPED)
class _Section(TypedDict):
    key: Annotated[str, tomlfile.key(64)]
    title: NotRequired[Annotated[str, tomlfile.text()]]


@with_config(_TYPED)
class _Task(TypedDict):
    key: Annotated[str, tomlfile.key(64)]
    text: Annotated[str, tomlfile.text(required=True, strip=True)]
    section: NotRequired[Annotated[str, tomlfile.line(64)]]
    title: NotRequired[Annotated[str, tomlfile.line(256)]]
    lead: NotRequired[_Names]
    responsible: NotRequired[_Names]
    inherited_responsible: NotRequired[_Names]
    deadline: NotRequired[_DeadlineValue]
    deadline_phrase: NotRequired[Annotated[str, tomlfile.line(256)]]


class _Target(_Table):
    indicator: Annotated[str, tomlfile.line(256, required=True)]
    comparator: Annotated[str, tomlfile.line(16)] | None = None
    value: tomlfile.Number | None = None
    measure: Annotated[str, tomlfile.line(32)] | None = None
    year: tomlfile.Year | None = None
    due_on: tomlfile.Date | None = None
    task: Annotated[str, tomlfile.line(64)] | None = None


class _PlanSchema(_Table):
    plan: _PlanMeta
    sections: Annotated[list[_Section], Field(max_length=100_000)] = Field(default_factory=list)
    tasks: Annotated[list[_Task], Field(max_length=500_000)] = Field(default_factory=list)
    targets: Annotated[list[_Target], Field(max_length=100_000)] = Field(default_factory=list)
    # their fields are read by tracker/ladder.py and tracker/reporting.py, which name file and line too
    reminders: dict[str, Any] | None = None
    reporting: Annotated[list[dict[str, Any]], Field(max_length=1000)] = Field(default_factory=list)


_ARRAYS = ("sections", "tasks", "targets", "reporting")
# fields of several kinds (a union): one message for the field, not one per kind it could have been
_UNIONS = {
    "deadline": _deadline_problem, "lead": lambda v: Phrase(N_("must be a list of unit names")),
    "responsible": lambda v: Phrase(N_("must be a list of unit names")),
    "inherited_responsible": lambda v: Phrase(N_("must be a list of unit names")),
    **{name: tomlfile.date_problem for name in ("written_on", "published_on", "period_start", "period_end", "due_on")},
    "value": tomlfile.number_problem,
}


# ---------------------------------------------------------------------- reading


def read_plan(path: str | Path) -> PlanFile:
    """A plan file, checked against its schema; every refusal names the file, line and field."""
    path = Path(path)
    text = tomlfile.read_text(path, Phrase(N_("the plan file")))
    name = str(path)
    data = tomlfile.parse(text, name)
    lines = tomlfile.Lines(text)
    if not isinstance(data.get("plan"), dict) and "plan" not in data:
        raise tomlfile.problem_at(name, lines, [], Phrase(N_("missing the [plan] table")))
    schema = tomlfile.validate(_PlanSchema, data, name, lines, _ARRAYS, _UNIONS)
    plan = _build(schema, lines, name)
    plan.path = path
    return plan


def _build(schema: _PlanSchema, lines: tomlfile.Lines, name: str) -> PlanFile:
    meta = schema.plan
    problems: list[tuple[str, str, tomlfile.Message]] = []

    def refuse(path: list, message: tomlfile.Message) -> None:
        problems.extend(tomlfile.problem_at(name, lines, path, message).problems)

    def day(value: date | str | None, path: list) -> date | None:
        if isinstance(value, str):  # written "2022-12-31": a date, if the calendar has it
            try:
                return date.fromisoformat(value)
            except ValueError:
                refuse(path, Phrase(N_("must be a date like 2022-12-31")))
                return None
        return value

    plan = PlanFile(
        key=meta.key, title=meta.title, jurisdiction=meta.jurisdiction,
        document_number=meta.document_number, issuer=meta.issuer, coordinator=meta.coordinator,
        written_on=day(meta.written_on, ["plan", "written_on"]),
        published_on=day(meta.published_on, ["plan", "published_on"]),
        period_start=day(meta.period_start, ["plan", "period_start"]),
        period_end=day(meta.period_end, ["plan", "period_end"]),
        timezone=meta.timezone, source=meta.source, source_sha256=meta.source_sha256, approval=meta.approval,
    )
    if plan.approval == "closing" and not plan.coordinator:
        refuse(["plan", "approval"], Phrase(N_("approval = \"closing\" needs a coordinator = \"...\" to approve")))
    if plan.period_start and plan.period_end:
        if plan.period_end < plan.period_start:
            refuse(["plan", "period_end"], Phrase(N_("period_end is before period_start")))
        elif plan.period_end.year - plan.period_start.year > MAX_PERIOD_YEARS:
            refuse(["plan", "period_end"], Phrase(N_("a plan's period may span at most {n} years"), n=MAX_PERIOD_YEARS))
    if schema.reminders is not None:
        plan.reminders = read_ladder(schema.reminders, lambda key: f"{name}:{lines.line(['reminders', key] if key else ['reminders'])}")
    if schema.reporting:
        # a reporting rule recurs as a deadline rule may (DAILY at the finest, bounded, one line)
        for index, duty in enumerate(schema.reporting):
            rule = duty.get("rule")
            problem = _rule_problem(rule.strip()) if isinstance(rule, str) and rule.strip() else None
            if problem is not None:
                refuse(["reporting", index, "rule"], problem)
        if not problems:
            def reporting_at(index: int, key: str | None) -> str:
                return f"{name}:{lines.line(['reporting', index, key] if key else ['reporting', index])}"
            plan.reporting = [replace(duty, line=lines.header("reporting", i) or 0)
                              for i, duty in enumerate(read_duties(schema.reporting, reporting_at))]

    section_keys: set[str] = set()
    header = lines.headers.get("[[sections]]", [])
    for index, heading in enumerate(schema.sections):
        key = heading["key"]
        if key in section_keys:
            refuse(["sections", index, "key"], Phrase(N_("duplicate section key {key}"), key=repr(key)))
        section_keys.add(key)
        plan.sections.append(Section(key, heading.get("title", ""), header[index] if index < len(header) else 0))

    span = rule_span(plan)
    task_keys: set[str] = set()
    header = lines.headers.get("[[tasks]]", [])
    for index, entry in enumerate(schema.tasks):
        key = entry["key"]
        if key in task_keys:
            refuse(["tasks", index, "key"], Phrase(N_("duplicate task key {key}"), key=repr(key)))
        task_keys.add(key)
        section = entry.get("section")
        if section is not None and section not in section_keys:
            refuse(["tasks", index, "section"], Phrase(N_("task {key}: unknown section {section}"),
                key=key, section=repr(section)))
        value = entry.get("deadline")
        phrase = entry.get("deadline_phrase")
        if value is None:
            deadline = Deadline("plan_end", phrase=phrase)
        elif value == "ongoing":
            deadline = Deadline("ongoing", phrase=phrase)
        elif isinstance(value, dict):
            deadline = Deadline("rule", rule=value["rrule"], phrase=phrase)
            if not problems and _occurrences_over(value["rrule"], *span):
                refuse(["tasks", index, "deadline"], Phrase(
                    N_("deadline rule {rule} falls on more than {n} days within the plan's period"),
                    rule=tomlfile.short(value["rrule"]), n=MAX_OCCURRENCES))
        else:
            deadline = Deadline("date", due_on=day(value, ["tasks", index, "deadline"]), phrase=phrase)
        names = [entry.get("lead", []), entry.get("responsible", []), entry.get("inherited_responsible", [])]
        lead, responsible, inherited = ([n] if isinstance(n, str) else n for n in names)
        plan.tasks.append(Task(
            key=key, text=entry["text"], section=section, title=entry.get("title"),
            lead=lead, responsible=responsible, inherited_responsible=inherited,
            deadline=deadline, line=header[index] if index < len(header) else 0,
        ))

    for index, target in enumerate(schema.targets):
        line = lines.header("targets", index) or 0
        if target.task is not None and target.task not in task_keys:
            refuse(["targets", index, "task"], Phrase(N_("target names unknown task {task}"), task=repr(target.task)))
        plan.targets.append(Target(
            indicator=target.indicator, value=target.value, comparator=target.comparator,
            measure=target.measure, year=target.year, due_on=day(target.due_on, ["targets", index, "due_on"]),
            task=target.task, line=line,
        ))
    if problems:
        raise tomlfile.SchemaErrors(problems)
    return plan


def plan_files_in(paths: list[Path]) -> tuple[Path | None, list[Path]]:
    """Split command-line paths into the unit registry (units.toml) and plan files; folders are expanded."""
    registry: Path | None = None
    plans: list[Path] = []
    for path in paths:
        if path.is_dir():
            if (path / "units.toml").exists():
                registry = path / "units.toml"
            plans.extend(sorted(p for p in path.glob("*.toml") if p.name != "units.toml"))
        elif path.name == "units.toml":
            registry = path
        elif path.exists():
            plans.append(path)
        else:
            raise TrackerError(N_("no such file or folder"), where=str(path))
    return registry, plans


# ---------------------------------------------------------------------- writing


def _toml_string(value: str) -> str:
    # JSON's escapes are a subset of TOML basic-string escapes; keep Chinese readable.
    # JSON leaves DEL (U+007F) raw, which TOML forbids in a string.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value) -> str:
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} to TOML")


def _deadline_value(deadline: Deadline):
    if deadline.kind == "date":
        return deadline.due_on
    if deadline.kind == "rule":
        return {"rrule": deadline.rule}
    if deadline.kind == "ongoing":
        return "ongoing"
    return None


def dump_plan(plan: PlanFile, header: str | None = None) -> str:
    """The plan as a TOML plan file, laid out for people to review and diff."""
    out: list[str] = []
    if header:
        out.extend(f"# {line}".rstrip() for line in header.splitlines())
        out.append("")

    def emit(table: str, pairs: list[tuple[str, object]]) -> None:
        out.append(table)
        for k, v in pairs:
            if v is None or v == []:
                continue
            out.append(f"{k} = {_toml_value(v)}")
        out.append("")

    emit("[plan]", [
        ("key", plan.key), ("title", plan.title), ("document_number", plan.document_number),
        ("issuer", plan.issuer), ("jurisdiction", plan.jurisdiction), ("coordinator", plan.coordinator),
        ("written_on", plan.written_on), ("published_on", plan.published_on),
        ("period_start", plan.period_start), ("period_end", plan.period_end),
        ("timezone", plan.timezone if plan.timezone != DEFAULT_TIMEZONE else None),
        ("source", plan.source), ("source_sha256", plan.source_sha256), ("approval", plan.approval),
    ])
    if plan.reminders is not None:
        r = plan.reminders
        out.extend(["[reminders]", f"before = {_toml_value(list(r.before))}", f"on_day = {_toml_value(r.on_day)}",
                    f"overdue_every = {r.overdue_every}", f"escalate_after = {r.escalate_after}", ""])
    for duty in plan.reporting:
        emit("[[reporting]]", [("rule", duty.rule), ("what", duty.what), ("phrase", duty.phrase),
                               ("units", list(duty.units) if duty.units else "active")])
    for section in plan.sections:
        emit("[[sections]]", [("key", section.key), ("title", section.title)])
    for task in plan.tasks:
        emit("[[tasks]]", [
            ("key", task.key), ("section", task.section), ("title", task.title), ("text", task.text),
            ("lead", task.lead), ("responsible", task.responsible),
            ("inherited_responsible", task.inherited_responsible),
            ("deadline", _deadline_value(task.deadline)), ("deadline_phrase", task.deadline.phrase),
        ])
    for target in plan.targets:
        emit("[[targets]]", [
            ("indicator", target.indicator), ("comparator", target.comparator), ("value", target.value),
            ("measure", target.measure), ("year", target.year), ("due_on", target.due_on), ("task", target.task),
        ])
    return "\n".join(out).rstrip() + "\n"
