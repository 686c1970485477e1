"""A task breakdown table (任务分解表) → a plan file for a person to review.

Offices often receive a plan as a spreadsheet rather than a text: one row per task or measure,
with columns like 序号 / 重点任务 / 具体措施 / 牵头单位 / 责任单位 / 完成时限. Read here:

- Columns by their headers and the usual synonyms (columns.py); where there is no 牵头 column
  but both 责任单位 and 配合单位, 责任单位 is the lead.
- A merged cell holds its value for every row it spans (a lead unit written once for three
  measures); a cell reading 同上 repeats the one above.
- Sections: a row with only a heading (三、重点任务, (一)实施规划引领行动) opens a section,
  numbered as the heading numbers itself, so 三 → 3 and (一) under it → 3.1; where a table has
  both 重点任务 and 具体措施, each 重点任务 groups its measures as a section, and each measure is a
  task. A workbook with several such sheets makes each sheet a section. Task keys are the
  section's key and the task's place in it (3.1.2), the way plan files number them.
- Unit lists are split and cleaned by the text ingest's reader (tracker.ingest.unit_lists) and
  resolved against the unit registry; deadlines are read by the ingest's phrase reader
  (tracker.ingest.deadline_phrases); a real date cell is taken as it is.

The result is a PlanFile written with tracker.planfile.dump_plan. Unknown units are kept as
written and reported with their place and the closest known names, so the reviewer can fix the
file; `tracker plan load` refuses it until they are fixed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..errors import N_, TrackerError, UnknownJurisdiction
from ..i18n import _
from ..ingest.deadline_phrases import cn_number, read_deadline
from ..ingest.normalise import fold
from ..ingest.unit_lists import split_units
from ..planfile import KEY_PATTERN, Deadline, PlanFile, Section, Task
from ..registry import Registry
from . import columns as C
from .columns import field_of, header_key
from .reading import Header, Problems, Sheet, cell_text, find_header, open_sheets

DITTO = ("同上", "同左", "〃")
_DOCUMENT_NUMBER = re.compile(r"[\u4e00-\u9fff]+\s*[〔\[(][12]\d{3}[〕\])]\s*\d+\s*号")
_TITLE_SUFFIX = re.compile(r"(?:重点)?(?:任务|工作)?(?:分解|责任分工|分工)(?:方案|表|清单|台账)?$|台账$")
# heading numbering: 一、 → level 1, (一) → 2, 1. → 3, (1) → 4
_HEADINGS = (
    (1, re.compile(r"^(?P<n>[一二三四五六七八九十]+)\s*[、.．]\s*")),
    (2, re.compile(r"^[((]\s*(?P<n>[一二三四五六七八九十]+)\s*[))]\s*")),
    (3, re.compile(r"^(?P<n>\d{1,2})\s*[.、．](?!\d)\s*")),
    (4, re.compile(r"^[((]\s*(?P<n>\d{1,2})\s*[))]\s*")),
)
SHEET_LEVEL, GROUP_LEVEL = 0, 99  # a sheet of its own is above every heading; a 重点任务 group below


@dataclass
class Draft:
    plan: PlanFile
    # placed refusals, worded when shown (str(), or .words(lang))
    unknown_units: list[TrackerError] = field(default_factory=list)  # with the closest known names
    notes: list[TrackerError] = field(default_factory=list)  # deadlines not read, rows skipped, keys renumbered


@dataclass
class _Table:
    sheet: Sheet
    header: Header
    lead_cols: list[int]
    responsible_cols: list[int]
    inherit: dict[tuple[int, int], tuple[int, int]]  # a cell merged down → the cell holding the value


class _Sections:
    """Headings as they come, numbered into section keys the way plan files number them."""

    def __init__(self):
        self.sections: list[Section] = []
        self.stack: list[tuple[int, str]] = []  # (level, key) of the open headings
        self.children: dict[str | None, int] = {}
        self.task_counts: dict[str | None, int] = {}
        self.keys: set[str] = set()

    @property
    def current(self) -> str | None:
        return self.stack[-1][1] if self.stack else None

    def open(self, level: int, title: str, number: int | None = None) -> str:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        parent = self.current
        self.children[parent] = self.children.get(parent, 0) + 1
        n = number if number is not None else self.children[parent]
        key = f"{parent}.{n}" if parent else str(n)
        while key in self.keys:  # a heading numbered twice: keep the keys apart
            n += 1
            key = f"{parent}.{n}" if parent else str(n)
        self.children[parent] = max(self.children[parent], n)
        self.keys.add(key)
        self.sections.append(Section(key, title))
        self.stack.append((level, key))
        return key

    def next_task_key(self) -> str:
        section = self.current
        self.task_counts[section] = self.task_counts.get(section, 0) + 1
        n = self.task_counts[section]
        return f"{section}.{n}" if section else str(n)


def heading(text: str) -> tuple[int, int | None, str]:
    """(level, number, title) of a heading: 三、重点任务 → (1, 3, 重点任务), （二）… → (2, 2, …);
    matched on the folded cell (（ as "("), the title kept as written."""
    folded = fold(text)
    for level, pattern in _HEADINGS:
        match = pattern.match(folded)
        if match:
            try:
                return level, cn_number(match["n"]), text[match.end():].strip()
            except ValueError:
                break
    return 1, None, text.strip()


def read_breakdown(path: str | Path, *, jurisdiction: str, key: str, registry: Registry, title: str | None = None,
                   document_number: str | None = None, coordinator: str | None = None,
                   period_start: date | None = None, period_end: date | None = None) -> Draft:
    path = Path(path)
    if jurisdiction not in registry.jurisdictions:
        raise UnknownJurisdiction(jurisdiction, registry.jurisdictions)
    if not KEY_PATTERN.match(key):
        raise TrackerError(N_("plan key {key!r} may hold only letters, digits, '.', '-' and '_' (such as "
                              "qingdao-2020-service-clusters)"), key=key)
    tables = _tables(open_sheets(path), path.name)
    block = _title_block(tables[0])
    plan = PlanFile(
        key=key, title=title or _title_from(block) or path.stem, jurisdiction=jurisdiction,
        document_number=document_number or _first(_DOCUMENT_NUMBER.findall(block)),
        coordinator=registry.resolve(jurisdiction, coordinator).name if coordinator else None,
        period_start=period_start, period_end=period_end,
        source=path.name, source_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )
    draft = Draft(plan)
    reader = _Reader(draft, registry, jurisdiction)
    for table in tables:
        if len(tables) > 1:
            reader.sections.open(SHEET_LEVEL, table.sheet.name or path.stem)
        reader.read(table)
    plan.sections = reader.sections.sections
    if not plan.tasks:
        raise TrackerError(N_("the breakdown table holds no task rows"), where=path.name)
    return draft


def _tables(sheets: list[Sheet], name: str) -> list[_Table]:
    tables, problems = [], Problems()
    for sheet in sheets:
        header = find_header(sheet, C.MEASURE) or find_header(sheet, C.TASK)
        if header is None:
            continue
        lead_cols = list(header.columns.get(C.LEAD, []))
        responsible_cols = list(header.columns.get(C.RESPONSIBLE, []))
        supporting = [c for c in responsible_cols if header_key(header.titles[c]) in C.SUPPORTING]
        if not lead_cols and supporting and len(supporting) < len(responsible_cols):
            # 责任单位 | 配合单位: the unit held responsible leads, the others support
            lead_cols = [c for c in responsible_cols if c not in supporting]
            responsible_cols = supporting
        if not lead_cols and not responsible_cols:
            problems.add(sheet, header.row, None, N_('no "{lead}" or "{responsible}" column'),
                         lead=C.LEAD, responsible=C.RESPONSIBLE)
            continue
        # a cell merged down holds its value for every row it spans; merged across, the value
        # belongs to its first column (a heading over the whole row is not a unit or a deadline)
        inherit = {(r, min_col): (min_row, min_col) for min_row, min_col, max_row, _ in sheet.merged
                   for r in range(min_row + 1, max_row + 1)}
        tables.append(_Table(sheet, header, lead_cols, responsible_cols, inherit))
    if problems:
        raise problems.error(N_("the breakdown table's header has problems:"))
    if not tables:
        raise TrackerError(N_('no breakdown table header: it needs a "{task}" or "{measure}" column and a "{lead}" or '
                              '"{responsible}" column'), where=name,
                           task=C.TASK, measure=C.MEASURE, lead=C.LEAD, responsible=C.RESPONSIBLE)
    return tables


def _title_block(table: _Table) -> str:
    return "\n".join(cell_text(v) or "" for values in table.sheet.rows[:table.header.row - 1] for v in values
                     if isinstance(v, str)).strip()


def _title_from(block: str) -> str | None:
    """The plan's name from a title like 《…行动计划》重点任务分解表."""
    for line in block.splitlines():
        line = line.strip()
        if not line:
            continue
        quoted = re.search(r"《(.+?)》", line)
        if quoted:
            return quoted.group(1)
        if _DOCUMENT_NUMBER.fullmatch(line):
            continue
        return _TITLE_SUFFIX.sub("", line).strip() or line
    return None


def _first(found: list[str]) -> str | None:
    return found[0].replace(" ", "") if found else None


class _Reader:
    """Reads the rows of each table into the draft's sections and tasks."""

    def __init__(self, draft: Draft, registry: Registry, jurisdiction: str):
        self.draft, self.registry, self.jurisdiction = draft, registry, jurisdiction
        self.sections = _Sections()
        self.keys: set[str] = set()
        self.reported: set[tuple] = set()

    def read(self, table: _Table) -> None:
        sheet, header = table.sheet, table.header
        measure_col, task_col = header.column(C.MEASURE), header.column(C.TASK)
        seq_col, key_col, deadline_col = header.column(C.SEQ), header.column(C.TASK_KEY), header.column(C.DEADLINE)
        unit_cols = set(table.lead_cols) | set(table.responsible_cols) | ({deadline_col} if deadline_col else set())
        above: dict[int, object] = {}
        group = None
        width = max((len(r) for r in sheet.rows), default=0)
        for row in range(header.row + 1, len(sheet.rows) + 1):
            values = {c: self._value(table, row, c, above) for c in range(1, width + 1)}
            own = {c: v for c, v in values.items() if (row, c) not in table.inherit and cell_text(v)}
            above = values
            if not own or (set(own) == {seq_col} and _is_number(own[seq_col])):
                continue  # blank, or a number alone
            if all(field_of(v) for v in own.values() if isinstance(v, str)) and len(own) > 1:
                continue  # the header again, as tables printed over several pages repeat it
            if self._is_heading(table, row, own, values, unit_cols, measure_col):
                level, number, title = heading(cell_text(next(iter(own.values()))))
                self.sections.open(level, title, number)
                group = None
                continue
            measure = cell_text(values.get(measure_col)) if measure_col else None
            text = measure or cell_text(values.get(task_col))
            if not text:
                self._note(sheet, row, header.title(C.MEASURE if measure_col else C.TASK),
                           N_("this row has units or a deadline but no task text; skipped"))
                continue
            if measure and task_col:
                key_task = cell_text(values.get(task_col))
                if key_task and key_task != group:
                    _, number, title = heading(key_task)
                    self.sections.open(GROUP_LEVEL, title, number)
                    group = key_task
            self.draft.plan.tasks.append(Task(
                key=self._task_key(sheet, row, cell_text(values.get(key_col)) if key_col else None, header),
                text=text, section=self.sections.current,
                lead=self._units(table, row, table.lead_cols, values),
                responsible=self._units(table, row, table.responsible_cols, values),
                deadline=self._deadline(sheet, row, header, values.get(deadline_col) if deadline_col else None),
            ))

    @staticmethod
    def _is_heading(table: _Table, row: int, own: dict[int, object], values: dict[int, object], unit_cols: set[int],
                    measure_col: int | None) -> bool:
        """A row with one piece of text and no units or deadline, which is not a measure on its
        own (a measure whose units come from merged cells above has no units of its own)."""
        if len(own) != 1 or any(cell_text(values[c]) for c in unit_cols):
            return False
        (col,) = own
        spans = any(r0 == row and c0 == col and c1 > c0 for r0, c0, _, c1 in table.sheet.merged)
        return spans or col != measure_col

    def _value(self, table: _Table, row: int, col: int, above: dict[int, object]):
        """A cell's value: its merged range's, or the row above's for 同上."""
        source = table.inherit.get((row, col), (row, col))
        value = table.sheet.value(*source)
        if isinstance(value, str) and value.strip() in DITTO:
            return above.get(col)
        return value

    def _task_key(self, sheet: Sheet, row: int, written: str | None, header: Header) -> str:
        key = written if written and KEY_PATTERN.match(written) and written not in self.keys else None
        if written and key is None:
            self._note(sheet, row, header.title(C.TASK_KEY), N_("task key {key!r} is not valid or repeats; numbered anew"),
                       key=written)
        key = key or self.sections.next_task_key()
        while key in self.keys:
            key = self.sections.next_task_key()
        self.keys.add(key)
        return key

    def _units(self, table: _Table, row: int, cols: list[int], values: dict[int, object]) -> list[str]:
        names: list[str] = []
        for col in cols:
            text = cell_text(values.get(col))
            if not text:
                continue
            for written in split_units(text, is_name=lambda n: self.registry.lookup(self.jurisdiction, n) is not None):
                unit = self.registry.lookup(self.jurisdiction, written)
                name = unit.name if unit else written
                if unit is None:
                    self._unknown(table, row, col, written)
                if name not in names:
                    names.append(name)
        return names

    def _unknown(self, table: _Table, row: int, col: int, written: str) -> None:
        place = table.inherit.get((row, col), (row, col))  # a merged cell is reported once, where it is written
        if (table.sheet.name, place, written) in self.reported:
            return
        self.reported.add((table.sheet.name, place, written))
        closest = self.registry.suggest(self.jurisdiction, written)
        where = table.sheet.where(place[0], table.header.titles.get(col))
        if closest:
            found = TrackerError(N_("unknown unit {name!r} in {jurisdiction}; closest known names: {names}"),
                                 where=where, name=written, jurisdiction=self.jurisdiction, names=tuple(closest))
        else:
            found = TrackerError(N_("unknown unit {name!r} in {jurisdiction}; nothing close in the unit registry"),
                                 where=where, name=written, jurisdiction=self.jurisdiction)
        self.draft.unknown_units.append(found)

    def _deadline(self, sheet: Sheet, row: int, header: Header, value) -> Deadline:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return Deadline("date", due_on=value)
        text = cell_text(value)
        if not text:
            return Deadline("plan_end")
        if re.fullmatch(r"(?:19|20)\d\d", text):
            text += "年"  # a year typed as a number
        plan = self.draft.plan

        def read(phrase: str) -> Deadline | None:
            return read_deadline(phrase, period_start=plan.period_start, period_end=plan.period_end)

        # A 完成时限 cell is a deadline by definition, so a bare 2021年 or 2021年6月, which running
        # text would not commit to, means "by" then.
        found = read(text) or read("到" + text)
        if found is None:
            self._note(sheet, row, header.title(C.DEADLINE),
                       N_("cannot read the deadline {text!r}; taken as the plan's end for now, please check"), text=text)
            return Deadline("plan_end", phrase=text)
        if found.phrase and found.phrase.startswith("到") and not text.startswith("到"):
            found.phrase = found.phrase[1:]
        return found

    def _note(self, sheet: Sheet, row: int, column: str | None, message: str, **fields) -> None:
        self.draft.notes.append(TrackerError(message, where=sheet.where(row, column), **fields))


def _is_number(value) -> bool:
    text = cell_text(value)
    return bool(text) and re.fullmatch(r"\d+[.、]?", text) is not None


def draft_header(draft: Draft, source: str) -> str:
    """The comment at the top of the written plan file: where it came from, what to check (in
    the language of the command)."""
    lines = [f"{draft.plan.title}", _("Drafted from {source} by {command}: review before loading.").format(
        source=source, command="`tracker ledger import-plan`")]
    if draft.plan.period_end is None:
        lines.append(_("Tasks without a deadline of their own are due at the plan's end: set {field}.").format(
            field="period_end"))
    if draft.unknown_units or draft.notes:
        lines.append(_("To check:"))
        lines += [f"  {line}" for line in draft.unknown_units + draft.notes]
    return "\n".join(lines)
