"""A returned ledger's progress, back into the tracker.

Rows are matched by 任务编号 and columns by their headers (synonyms welcome), so a ledger
whose columns were moved or renamed still reads. A row whose 状态, 完成进度 and 进展情况 differ
from what the unit last recorded becomes one status update through the service layer, which
keeps the rules (permissions, the note a 滞后 needs, optimistic concurrency); a row that
matches records nothing, so importing the same file twice records nothing the second time.

Everything is checked before anything is written, and every problem is reported with its sheet,
row and column; a changed row without a readable hidden 数据版本 (the version it was exported
with) is refused unless the user says the file's values win (--force). Any problem leaves the
database as it was, unless the caller asks for a partial import, which writes the rows without
problems and lists the others.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from .. import clock
from ..errors import N_, Phrase, Plural, TrackerError
from ..i18n import STATUSES, gettext_in, status_code, status_label
from ..planfile import KEY_PATTERN
from ..service import find_plan, find_unit, may_update, note_problem, record_status, unit_liaisons, validate_update
from ..service.access import connected_liaison
from ..service.ledger import ProgressState, progress_states
from ..service.reporting import record_ledger_return
from ..service.database import Database
from ..textwidth import says_nothing
from . import columns as C
from .reading import Header, Place, Problems, Sheet, cell_text, find_header, open_sheets

_PLAN_KEY = re.compile(C.PLAN_KEY + r"\s*[:\uff1a]\s*([0-9A-Za-z][0-9A-Za-z._-]*)")
_FOR_UNIT = re.compile(C.FOR_UNIT + r"\s*[:\uff1a]\s*(\S+)")


@dataclass
class Change:
    """One row that differs from what the unit last recorded: one status update."""

    task_key: str
    place: Place  # sheet and row, for the report
    before: ProgressState
    status: str
    percent: int | None
    note: str | None


@dataclass
class ImportResult:
    plan_key: str
    unit: str
    author: str | None
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    refused: list[TrackerError] = field(default_factory=list)  # problems of rows left out by a partial import


@dataclass
class _Source:
    """A sheet of the returned file that holds ledger rows, and where its columns are."""

    sheet: Sheet
    header: Header


def import_progress(db: Database, path: str | Path, *, unit_name: str, jurisdiction: str | None = None,
                    plan_key: str | None = None, by: str | None = None, dry_run: bool = False,
                    partial: bool = False, force: bool = False,
                    progress: Callable[[list[Change]], Iterable[Change]] = iter) -> ImportResult:
    """Record a returned ledger's changed rows as `unit_name`'s liaison (of `jurisdiction`,
    by default the plan's). `progress` wraps the changes as they are recorded (a bar).

    A unit's ledger (exported with --unit) holds that unit's own status on each row. A
    whole-plan ledger holds each task's lead's status: a lead may fill in its own rows, and the
    plan's coordinating unit any row; the other rows must come back as they went out.

    A changed row must carry the hidden 数据版本 it was exported with, so an update made in the
    tracker since then is not overwritten; `force` records changed rows whose version is empty,
    not a number or whose column is gone (a row whose version is stale is refused all the same)."""
    sources, title = _read(path)
    name = Path(path).name
    plan_key = _which_plan(title, plan_key, name)
    with (db.reading() if dry_run else db.transaction()) as session:
        plan = find_plan(session, plan_key)
        acting = find_unit(session, unit_name, jurisdiction or plan.jurisdiction)
        if title.unit:
            exported_for = find_unit(session, title.unit, plan.jurisdiction)
            if exported_for.id != acting.id:
                raise TrackerError(N_("this ledger was exported for {unit}, not for {acting}"), where=name,
                                   unit=exported_for.name, acting=acting.name)
        problems = Problems()
        states = progress_states(session, plan, None if title.whole_plan else acting)
        result = ImportResult(plan.key, acting.name, None)
        rows = _Rows(states, acting, plan.coordinator_id, title.whole_plan, problems, result, force)
        rows.timezone = plan.timezone
        for source in sources:
            rows.compare(source)
        if problems and not partial:
            raise problems.error(N_("{count} in the ledger; nothing was written:"),
                                 count=Plural("{n} problem", "{n} problems", n=len(problems)))
        result.refused = problems.found
        if not dry_run:  # a ledger returned, changed or not, is a report in its window (报送)
            record_ledger_return(session, plan_id=plan.id, unit_id=acting.id, changed=len(result.changes))
        if not result.changes:
            return result
        result.author = _author(session, acting, by)
        if dry_run:
            return result
        for change in progress(result.changes):
            record_status(session, assignment_id=change.before.assignment_id, acting_unit_id=acting.id,
                          status=change.status, percent=change.percent, note=change.note, by=result.author,
                          expected_version=change.before.version)
    return result


def _which_plan(title: _Title, given: str | None, name: str) -> str:
    if given and title.plan and given != title.plan:
        raise TrackerError(N_("this is the ledger of plan {plan}, not of {given}"), where=name,
                           plan=title.plan, given=given)
    if not (given or title.plan):
        raise TrackerError(N_("the file does not say which plan it is for (no {line} line above the header); "
                              "name it with --plan"), where=name,
                           line=lambda lang: gettext_in(lang, "{label}: ").format(label=C.PLAN_KEY).strip())
    return given or title.plan


def _author(session: Session, unit, by: str | None) -> str:
    """Who the updates are recorded as: --by, or (on the shared database) the connected liaison,
    or the unit's one liaison. record_status refuses a --by that is not the connection's."""
    if by and by.strip():
        return by.strip()
    me = connected_liaison(session)
    if me is not None:
        return me.liaison
    liaisons = unit_liaisons(session, unit.id)
    if len(liaisons) == 1:
        return liaisons[0]
    if liaisons:
        raise TrackerError(N_("{unit} has several liaisons ({names}); say who reports with --by"),
                           unit=unit.name, names=tuple(liaisons))
    raise TrackerError(N_("{unit} has no liaison on record; say who reports with --by"), unit=unit.name)


# ---------------------------------------------------------------------- reading the file


@dataclass
class _Title:
    """What the title block above the header says the file is."""

    plan: str | None
    unit: str | None  # exported for this unit
    whole_plan: bool  # every task, with its lead's status


def _read(path: str | Path) -> tuple[list[_Source], _Title]:
    """The sheets that hold ledger rows, and what their title block says."""
    sheets = open_sheets(path)
    sources, problems = [], Problems()
    plans, units, whole_plan = set(), set(), False
    for sheet in sheets:
        header = find_header(sheet, C.TASK_KEY)
        if header is None:
            continue  # a sheet of notes or instructions beside the ledger
        for name in (C.TASK_KEY, C.STATUS, C.PERCENT, C.PROGRESS, C.VERSION):
            if len(header.columns.get(name, [])) > 1:
                problems.add(sheet, header.row, None, N_('several columns mean "{name}": {titles}; keep one'),
                             name=name, titles=tuple(Phrase(N_('"{title}"'), title=header.titles[c])
                                                     for c in header.columns[name]))
        if C.STATUS not in header.columns:
            problems.add(sheet, header.row, None, N_('no "{name}" (status) column (also written {synonyms})'),
                         name=C.STATUS, synonyms=C.SYNONYMS[C.STATUS][1:3])
        for values in sheet.rows[:header.row - 1]:
            for value in values:
                if isinstance(value, str):
                    plans.update(_PLAN_KEY.findall(value))
                    units.update(_FOR_UNIT.findall(value))
                    whole_plan = whole_plan or any(words in value for words in C.WHOLE_PLAN_READ)
        sources.append(_Source(sheet, header))
    if not sources:
        sheet_names = tuple(Phrase(N_('"{title}"'), title=s.name) for s in sheets if s.name) or (Path(path).name,)
        raise TrackerError(N_('no "{name}" (task key) column in {sheets}: rows are matched by task key; fill in a '
                              "ledger exported by `tracker ledger export`"), where=Path(path).name,
                           name=C.TASK_KEY, sheets=sheet_names)
    if problems:
        raise problems.error(N_("the ledger's header has problems; nothing was written:"))
    if len(plans) > 1 or len(units) > 1:
        raise TrackerError(N_("the file names more than one plan or unit"), where=Path(path).name)
    if units and whole_plan:
        raise TrackerError(N_("the file says both one unit and the whole plan"), where=Path(path).name)
    return sources, _Title(next(iter(plans), None), next(iter(units), None), whole_plan)


class _Rows:
    """Compares a file's rows with what the database holds, collecting changes and problems."""

    def __init__(self, states: dict[str, ProgressState], acting, coordinator_id: int | None, whole_plan: bool,
                 problems: Problems, result: ImportResult, force: bool = False):
        self.force = force  # rows without a readable 数据版本 are recorded: the file's values win
        self.states, self.acting, self.coordinator_id = states, acting, coordinator_id
        self.whole_plan, self.problems, self.result = whole_plan, problems, result
        self.seen: dict[str, Place] = {}  # task key → where it first appeared, across sheets
        self.timezone = clock.DEFAULT_TIMEZONE  # the plan's: times in refusals are read in it

    def compare(self, source: _Source) -> None:
        sheet, header = source.sheet, source.header
        for row in range(header.row + 1, len(sheet.rows) + 1):
            key = cell_text(sheet.value(row, header.column(C.TASK_KEY)))
            if key is not None:  # rows without one are section headings, blank or remark rows
                self._row(sheet, header, row, key)

    def _row(self, sheet: Sheet, header: Header, row: int, key: str) -> None:
        acting, problems = self.acting.name, self.problems
        found = len(problems)

        def problem(column: str | None, message: str | TrackerError, **fields) -> None:
            problems.add(sheet, row, header.title(column) if column else None, message, **fields)

        percent_col, note_col, version_col = header.column(C.PERCENT), header.column(C.PROGRESS), header.column(C.VERSION)
        for column in (C.STATUS, C.PERCENT, C.PROGRESS):
            col = header.column(column)
            if col and (row, col) in sheet.formulas:
                problem(column, N_("the cell holds a formula; type the value itself"))
        state = self.states.get(key)
        if key in self.seen:
            problem(C.TASK_KEY, N_("task {key} appears twice (also at {place})"), key=key, place=self.seen[key])
        elif state is None:
            if KEY_PATTERN.match(key):
                problem(C.TASK_KEY, N_("the plan has no task {key!r}"), key=key)
            else:
                problem(C.TASK_KEY, N_("the plan has no task {key!r}; task keys look like 3.1.2"), key=key)
        elif state.archived:
            problem(C.TASK_KEY, N_("task {key} was removed from the plan"), key=key)
        elif not state.assigned and not self.whole_plan:
            problem(C.TASK_KEY, N_("{unit} is not assigned to task {key}, so it cannot report on it"),
                    unit=acting, key=key)
        self.seen.setdefault(key, sheet.where(row))
        status = _status(sheet.value(row, header.column(C.STATUS)), problem)
        percent = _percent(sheet, row, percent_col, problem) if percent_col else None
        note = _note(sheet.value(row, note_col)) if note_col else None
        if len(problems) > found or state is None or state.archived:
            return
        # a closing request waiting for the coordinator (待审核) is the lead's 已完成 as it stands
        recorded = "done" if state.status == "pending_review" else state.status
        if not percent_col:  # a ledger without the column leaves the percent as it was
            percent = state.percent if status == recorded else None
        if not note_col:
            note = state.note
        if status == "done" and percent is None:
            percent = 100  # as record_status does, so the comparison below sees what it would store
        if (status, percent, note) == (recorded, state.percent, state.note):
            self.result.unchanged += 1
            return
        if not state.assigned:
            problem(C.TASK_KEY, N_("task {key} has no unit to report for it"), key=key)
            return
        if not may_update(self.acting.id, state.unit_id, self.coordinator_id):
            problem(C.STATUS, N_("this row is {owner}'s progress: {unit} may not report it (only {owner} itself or "
                                 "the plan's coordinating unit may)"), owner=state.unit, unit=acting)
            return
        too_long = note_problem(note)
        if too_long:
            problem(C.PROGRESS, too_long)
            return
        try:
            validate_update(status, percent, note)
        except TrackerError as exc:
            if status == "behind":
                problem(C.PROGRESS, N_('a "{status}" status needs its reason and next steps written in the "{notes}" '
                                       "column"), status=lambda lang: status_label("behind", lang), notes=C.PROGRESS)
            else:
                problem(C.STATUS, exc)
            return
        version = cell_text(sheet.value(row, version_col)) if version_col else None
        if not (version and version.isdigit()) and not self.force:
            # without the version the file was exported with, a newer update cannot be told from
            # an old file: refused, unless the user says the file's values win
            why = (Phrase(N_("the hidden {column} column is missing"), column=C.VERSION) if not version_col else
                   Phrase(N_("the hidden {column} cell is empty"), column=C.VERSION) if version is None else
                   Phrase(N_("the hidden {column} cell holds \u201c{value}\u201d, not a number"), column=C.VERSION,
                          value=version))
            problem(C.VERSION if version_col else None, N_(
                "{why}, so an update made in the tracker after this ledger was exported cannot be told apart and "
                "would be overwritten; export a fresh ledger, or add --force if this file's values should win"), why=why)
            return
        if version and version.isdigit() and int(version) != state.version:
            percent_now = f" {state.percent}%" if state.percent is not None else ""
            problem(C.STATUS, N_("{who} updated this task at {when} after this ledger was exported (now {now}); export "
                                 "a fresh ledger and fill that in, so the newer update is not overwritten"),
                    who=state.author or state.unit, when=clock.shown(state.status_at, self.timezone),
                    now=lambda lang, status=state.status: status_label(status, lang) + percent_now)
            return
        self.result.changes.append(Change(key, sheet.where(row), state, status, percent, note))


def _choices(lang: str) -> list[str]:
    return [status_label(s, lang) for s in STATUSES]


def _status(value, problem) -> str | None:
    text = cell_text(value)
    if text is None:
        problem(C.STATUS, N_("no status; choose one of {choices}"), choices=_choices)
        return None
    code = status_code(text)
    if code is not None:
        return code
    problem(C.STATUS, N_("{text!r} is not a status; choose one of {choices}"), text=text, choices=_choices)
    return None


def _percent(sheet: Sheet, row: int, col: int, problem) -> int | None:
    """0–100 as typed: 60, 60%, "60%", 0.6 in a percent-formatted cell, 66.5 rounds to 67."""
    value = sheet.value(row, col)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, float)):
        number = float(value)
        # Excel stores 60% as 0.6 in a cell formatted as a percentage (not a literal "%")
        if "%" in re.sub(r'"[^"]*"|\\.', "", sheet.number_format(row, col)):
            number *= 100
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("%").strip()
        try:
            number = float(text)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        problem(C.PERCENT, N_("{value!r} is not a number from 0 to 100"), value=value)
        return None
    if not 0 <= number <= 100:
        problem(C.PERCENT, N_("{number} is outside 0\u2013100"), number=f"{number:g}")
        return None
    return int(Decimal(str(number)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _note(value) -> str | None:
    text = cell_text(value)
    if says_nothing(text):  # zero-width spaces alone are no note (and no reason for a 滞后)
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")
