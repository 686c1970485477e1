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
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .clock import DEFAULT_TIMEZONE
from .errors import N_, TrackerError, toml_error
from .i18n import _
from .ladder import Ladder, read_ladder
from .reporting import Duty, read_duties

APPROVALS = ("closing", "none")
KEY_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
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


# ---------------------------------------------------------------------- reading


# Where a problem is: "file:line", or a function that finds it. Finding a value's line means
# scanning the file, so it is done only for the one value that is wrong, not for every value.
Where = str | Callable[[], str]


def _place(where: Where) -> str:
    return where() if callable(where) else where


_TABLES = {f"[[{name}]]": name for name in ("sections", "tasks", "targets", "reporting")}


class _Lines:
    """Finds the line a value was written on, so errors can name it (tomllib keeps no positions)."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.table_lines: dict[str, list[int]] = {name: [] for name in _TABLES.values()}
        for number, line in enumerate(self.lines, start=1):
            if "[[" in line and (name := _TABLES.get(line.strip())):
                self.table_lines[name].append(number)

    def table(self, name: str, index: int) -> int:
        found = self.table_lines[name]
        return found[index] if index < len(found) else 0

    def value(self, start: int, needle: str) -> int:
        """The first line at or after `start` that contains `needle`, within the same table."""
        for number in range(max(start, 1), len(self.lines) + 1):
            line = self.lines[number - 1]
            if number > start and line.strip().startswith("[["):
                break
            if needle in line:
                return number
        return start


def table_place(lines: _Lines, name: str, table: str) -> Callable[[str | None], str]:
    """file:line of a `[table]` (key None) or of one of its keys."""
    start = next((i + 1 for i, line in enumerate(lines.lines) if line.strip() == f"[{table}]"), 0)

    def where(key: str | None) -> str:
        if not start:
            return name
        return f"{name}:{lines.value(start, key) if key else start}"
    return where


def read_plan(path: str | Path) -> PlanFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TrackerError(N_("cannot read plan file: {reason}"), where=str(path), reason=exc.strerror) from None
    except UnicodeDecodeError:
        raise TrackerError(N_("not a UTF-8 text file"), where=str(path)) from None
    try:
        data = _parse_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(exc, str(path)) from None
    plan = _build(data, _Lines(text), str(path))
    plan.path = path
    return plan


def _parse_toml(text: str) -> dict:
    """TOML → dict. rtoml (Rust) reads a large plan about ten times faster than tomllib; when it
    refuses a file, tomllib reads it again so the error message and its line are tomllib's."""
    try:
        import rtoml
    except ImportError:  # an installation without the accelerator still reads every plan
        return tomllib.loads(text)
    try:
        return rtoml.loads(text)
    except rtoml.TomlParsingError:
        return tomllib.loads(text)


def _date(value, where: Where, what: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise TrackerError(N_("{what} must be a date like 2022-12-31, not {value!r}"), where=_place(where), what=what, value=value)


def _approval(value, coordinator: str | None, where: Where) -> str | None:
    """`approval`: whose 已完成 closes a task. "closing" needs a coordinator to approve."""
    if value is None:
        return None
    if value not in APPROVALS:
        raise TrackerError(_("approval must be \"closing\" or \"none\", not {value!r}").format(value=value),
                           where=_place(where))
    if value == "closing" and not coordinator:
        raise TrackerError(_("approval = \"closing\" needs a coordinator = \"...\" to approve"), where=_place(where))
    return value


def effective_approval(plan: PlanFile) -> str:
    """What the plan's row holds: its `approval`, or by default "closing" when it has a coordinator."""
    return plan.approval or ("closing" if plan.coordinator else "none")


def _names(value, where: Where, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    names = None
    if isinstance(value, list):
        try:
            names = [v.strip() for v in value]
        except AttributeError:  # a number, date, table… (TOML has no other kind with strip())
            pass
    if names is None or not all(names):
        raise TrackerError(N_("{what} must be a list of unit names"), where=_place(where), what=what)
    return names


@lru_cache(maxsize=1024)
def _rule_error(rule: str) -> str | None:
    """Why a deadline rule is not a valid RRULE, or None. Cached: plans repeat a few rules."""
    from dateutil.rrule import rrulestr

    try:
        rrulestr(rule, dtstart=date(2000, 1, 1))
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None


def parse_deadline(value, phrase: str | None, where: Where) -> Deadline:
    if value is None:
        return Deadline("plan_end", phrase=phrase)
    if isinstance(value, date):
        return Deadline("date", due_on=value, phrase=phrase)
    if value == "ongoing":
        return Deadline("ongoing", phrase=phrase)
    if isinstance(value, dict) and isinstance(value.get("rrule"), str):
        rule = value["rrule"].strip()
        problem = _rule_error(rule)
        if problem is not None:
            raise TrackerError(N_("deadline rule {rule!r} is not a valid RRULE: {problem}"), where=_place(where), rule=rule, problem=problem)
        return Deadline("rule", rule=rule, phrase=phrase)
    if isinstance(value, str):
        try:
            return Deadline("date", due_on=date.fromisoformat(value), phrase=phrase)
        except ValueError:
            pass
    raise TrackerError(N_('deadline must be a date like 2022-12-31, "ongoing" or {{rrule = "..."}}, not {value!r}'),
                       where=_place(where), value=value)


def _build(data: dict, lines: _Lines, name: str) -> PlanFile:
    meta = data.get("plan")
    if not isinstance(meta, dict):
        raise TrackerError(N_("missing the [plan] table"), where=name)
    meta_line = next((i + 1 for i, l in enumerate(lines.lines) if l.strip() == "[plan]"), 1)
    for required in ("key", "title", "jurisdiction"):
        if not isinstance(meta.get(required), str) or not meta[required].strip():
            raise TrackerError(N_('[plan] needs {required} = "..."'), where=f"{name}:{meta_line}", required=required)
    if not KEY_PATTERN.match(meta["key"]):
        raise TrackerError(N_("plan key {key!r} may hold only letters, digits, '.', '-' and '_'"),
                           where=f"{name}:{lines.value(meta_line, 'key')}", key=meta['key'])

    def at(field_name: str) -> str:
        return f"{name}:{lines.value(meta_line, field_name)}"

    plan = PlanFile(
        key=meta["key"], title=meta["title"], jurisdiction=meta["jurisdiction"],
        document_number=meta.get("document_number"), issuer=meta.get("issuer"),
        coordinator=meta.get("coordinator"),
        written_on=_date(meta.get("written_on"), at("written_on"), "written_on"),
        published_on=_date(meta.get("published_on"), at("published_on"), "published_on"),
        period_start=_date(meta.get("period_start"), at("period_start"), "period_start"),
        period_end=_date(meta.get("period_end"), at("period_end"), "period_end"),
        timezone=meta.get("timezone", DEFAULT_TIMEZONE),
        source=meta.get("source"), source_sha256=meta.get("source_sha256"),
    )
    if plan.period_start and plan.period_end and plan.period_end < plan.period_start:
        raise TrackerError(N_("period_end is before period_start"), where=at("period_end"))
    plan.approval = _approval(meta.get("approval"), plan.coordinator, lambda: at("approval"))
    if "reminders" in data:
        plan.reminders = read_ladder(data["reminders"], table_place(lines, name, "reminders"))
    if "reporting" in data:
        def reporting_at(index: int, key: str | None) -> str:
            line = lines.table("reporting", index)
            return f"{name}:{lines.value(line, key) if key else line}" if line else name
        plan.reporting = [replace(duty, line=lines.table("reporting", i))
                          for i, duty in enumerate(read_duties(data["reporting"], reporting_at))]

    section_keys: set[str] = set()
    for index, entry in enumerate(data.get("sections", [])):
        line = lines.table("sections", index)
        where = f"{name}:{line}"
        key = entry.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise TrackerError(N_('section key must be like "3.1", not {key!r}'), where=where, key=key)
        if key in section_keys:
            raise TrackerError(N_("duplicate section key {key!r}"), where=where, key=key)
        section_keys.add(key)
        plan.sections.append(Section(key, str(entry.get("title", "")), line))

    task_keys: set[str] = set()
    for index, entry in enumerate(data.get("tasks", [])):
        line = lines.table("tasks", index)
        where = f"{name}:{line}"
        key = entry.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise TrackerError(N_('task key must be like "3.1.2", not {key!r}'), where=where, key=key)
        if key in task_keys:
            raise TrackerError(N_("duplicate task key {key!r}"), where=f"{name}:{lines.value(line, key)}", key=key)
        task_keys.add(key)
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            raise TrackerError(N_('task {key}: text = "..." is required'), where=where, key=key)
        section = entry.get("section")
        if section is not None and section not in section_keys:
            raise TrackerError(N_("task {key}: unknown section {section!r}"), where=f"{name}:{lines.value(line, 'section')}", key=key, section=section)
        deadline = parse_deadline(entry.get("deadline"), entry.get("deadline_phrase"),
                                  lambda: f"{name}:{lines.value(line, 'deadline')}")
        plan.tasks.append(Task(
            key=key, text=text.strip(), section=section, title=entry.get("title"),
            lead=_names(entry.get("lead"), lambda: f"{name}:{lines.value(line, 'lead')}", "lead"),
            responsible=_names(entry.get("responsible"), lambda: f"{name}:{lines.value(line, 'responsible')}",
                               "responsible"),
            inherited_responsible=_names(entry.get("inherited_responsible"),
                                         lambda: f"{name}:{lines.value(line, 'inherited_responsible')}",
                                         "inherited_responsible"),
            deadline=deadline, line=line,
        ))

    for index, entry in enumerate(data.get("targets", [])):
        line = lines.table("targets", index)
        where = f"{name}:{line}"
        if not isinstance(entry.get("indicator"), str):
            raise TrackerError(N_('target needs indicator = "..."'), where=where)
        value = entry.get("value")
        if value is not None and not isinstance(value, (int, float)):
            raise TrackerError(N_("target value must be a number, not {value!r}"), where=f"{name}:{lines.value(line, 'value')}", value=value)
        task = entry.get("task")
        if task is not None and task not in task_keys:
            raise TrackerError(N_("target names unknown task {task!r}"), where=f"{name}:{lines.value(line, 'task')}", task=task)
        year = entry.get("year")
        if year is not None and not isinstance(year, int):
            raise TrackerError(N_("target year must be a number like 2022, not {year!r}"), where=f"{name}:{lines.value(line, 'year')}", year=year)
        plan.targets.append(Target(
            indicator=entry["indicator"], value=value, comparator=entry.get("comparator"),
            measure=entry.get("measure"), year=year,
            due_on=_date(entry.get("due_on"), lambda: f"{name}:{lines.value(line, 'due_on')}", "due_on"),
            task=task, line=line,
        ))
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
