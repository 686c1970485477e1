"""A plan's ledger (台账) as a spreadsheet, laid out the way offices keep theirs.

One sheet, with a row for each section heading above its tasks: a ledger is filtered, sorted
and printed as one table and comes back as one file, and a plan's sections are often too small
(one to four tasks each in the Qingdao plan) to deserve a sheet of their own. Section rows are
not merged cells, so Excel's filter and sort keep working.

The .xlsx prints on A4 landscape: column widths add up to the printable width, text wraps, rows
are tall enough for their text, the header repeats on every page. The 状态 column is coloured
by the rule used everywhere (overdue red, due within 14 days yellow, done green) and offers the
statuses as a drop-down. The CSV holds the same rows, in UTF-8 with a BOM so Excel reads the
Chinese, and with formula-like text guarded (see cells.py).

The sheet's words are the catalogue's, in the ledger's language (Chinese, whatever --lang: the
file goes from office to office); its headers and title-block labels are the ledger's format
(columns.py), matched by name when the file comes back.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from .. import clock

from ..deadlines import traffic_light
from ..textwidth import width as display_width
from ..errors import N_, Phrase, Refusals, TrackerError
from ..i18n import STATUSES, C_, gettext_in, pgettext_in, status_label
from ..service.ledger import Ledger, LedgerRow
from . import columns as C
from .cells import CELL_LIMIT, csv_text, looks_like_formula
from ..atomic import write_atomically


# Column widths in Excel's units (one digit of the default font, 7 px; a Chinese character takes
# two). A column is 7w + 5 px wide; at 96 px per inch these add up to 276 mm, just inside the
# 277 mm of A4 landscape between 10 mm margins, so the sheet prints at 100%.
WIDTHS = {C.SEQ: 5, C.TASK_KEY: 8, C.TASK: 36, C.LEAD: 12, C.RESPONSIBLE: 16, C.DEADLINE: 11,
          C.STATUS: 8, C.PERCENT: 7, C.PROGRESS: 20, C.UPDATED: 11, C.AUTHOR: 7}
WRAPPED = (C.TASK, C.LEAD, C.RESPONSIBLE, C.DEADLINE, C.PROGRESS)
COLUMNS = (*C.EXPORT_COLUMNS, C.VERSION)  # the version column is hidden

# Excel's own Bad / Neutral / Good cell styles, which office users already read as red/yellow/green
FILLS = {"overdue": ("FFC7CE", "9C0006"), "due_soon": ("FFEB9C", "9C5700"), "done": ("C6EFCE", "006100")}
# the fonts of Chinese official documents, by the names Excel knows them
BODY_FONT, HEAD_FONT = "宋体", "黑体"
LEDGER_LANGUAGE = "zh"  # the language of the sheet's own words


def sheet_words(message: str | tuple[str, str], **fields) -> str:
    """A catalogue message in the ledger's language."""
    text = gettext_in(LEDGER_LANGUAGE, message)
    return text.format(**fields) if fields else text
LINE_HEIGHT = 13.5  # points per line of 10-point text


def urgency(row: LedgerRow) -> str | None:
    """done, overdue, due_soon or None: which colour the 状态 cell gets."""
    return traffic_light(row.status, row.overdue, row.days_left)


# ---------------------------------------------------------------------- the rows, format-free


@dataclass
class Line:
    kind: str  # title, subtitle, header, section, task
    values: list
    row: LedgerRow | None = None


# the numbering of a plan's headings: 三、 then （一） then 1. then （1）, and the numerals of the first two
SECTION_NUMBERING = ("{cn}、", "（{cn}）", "{n}.", "（{n}）")
_DIGITS, _TEN = "零一二三四五六七八九", "十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (section numbers stay below 100)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return (_DIGITS[tens] if tens > 1 else "") + _TEN + (_DIGITS[ones] if ones else "")


def section_label(key: str, title: str) -> str:
    """A heading numbered as the plan numbers it (SECTION_NUMBERING)."""
    depth = key.count(".")
    last = key.rsplit(".", 1)[-1]
    if not last.isdigit() or depth > 3:
        return f"{key} {title}"
    n = int(last)
    return SECTION_NUMBERING[depth].format(cn=chinese_number(n), n=n) + title


def deadline_value(row: LedgerRow):
    """A date when the task has one; words for ongoing work and recurring deadlines."""
    if row.deadline_kind == "ongoing":
        return row.deadline_phrase or status_label("ongoing", LEDGER_LANGUAGE)
    if row.deadline_kind == "rule":
        phrase = row.deadline_phrase or sheet_words(N_("recurring"))
        return sheet_words(N_("{phrase}, next {date}"), phrase=phrase, date=f"{row.due_on:%Y-%m-%d}") \
            if row.due_on else phrase
    if row.extended_from is not None:  # the original kept and shown beside the approved one
        return sheet_words(N_("{before} → {after} (extension approved)"), before=f"{row.extended_from:%Y-%m-%d}",
                           after=f"{row.final_due_on:%Y-%m-%d}")
    return row.final_due_on


def local_time(moment: datetime | None, timezone: str) -> datetime | None:
    """Spreadsheets hold no time zones: the plan's local wall time, without one."""
    if moment is None:
        return None
    return clock.local(moment, timezone).replace(tzinfo=None, microsecond=0)


def lines(ledger: Ledger) -> list[Line]:
    title = sheet_words(N_("{title}: progress ledger of the key tasks"), title=ledger.title)
    label = gettext_in(LEDGER_LANGUAGE, "{label}: ")
    scope = (label.format(label=C.FOR_UNIT) + ledger.unit if ledger.unit else
             sheet_words(N_("{scope} (each status as the lead unit reports it)"), scope=C.WHOLE_PLAN))
    subtitle = "    ".join(p for p in (ledger.document_number, label.format(label=C.PLAN_KEY) + ledger.plan_key, scope,
                                       sheet_words(C_("ledger title", "as of {date}"), date=f"{ledger.today:%Y-%m-%d}")) if p)
    units = gettext_in(LEDGER_LANGUAGE, ", ")
    out = [Line("title", [title]), Line("subtitle", [subtitle]), Line("header", list(COLUMNS))]
    shown: list[str] = []  # the section chain of the previous task
    for seq, row in enumerate(ledger.rows, start=1):
        chain = _section_chain(ledger, row.section_key)
        for depth, key in enumerate(chain):
            if depth >= len(shown) or shown[depth] != key:
                out.append(Line("section", [section_label(key, ledger.sections[key].title)]))
        shown = chain
        out.append(Line("task", [
            seq, row.task_key, row.text, units.join(row.lead), units.join(row.responsible), deadline_value(row),
            status_label(row.status, LEDGER_LANGUAGE), row.percent, row.note, local_time(row.status_at, ledger.timezone),
            row.author, row.version,
        ], row))
    return out


def _section_chain(ledger: Ledger, key: str | None) -> list[str]:
    chain: list[str] = []
    while key and key in ledger.sections and key not in chain:
        chain.insert(0, key)
        key = ledger.sections[key].parent_key
    return chain


# ---------------------------------------------------------------------- writing


def export(ledger: Ledger, path: str | Path) -> Path:
    """Write the ledger to `path`; .xlsx or .csv by its suffix. Written whole or not at all."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise TrackerError(N_("the ledger is written as .xlsx or .csv; name the output file accordingly"),
                           where=str(path))
    _check_cells(ledger)
    write = write_xlsx if suffix == ".xlsx" else write_csv
    return write_atomically(path, lambda temporary: write(ledger, temporary))


def _check_cells(ledger: Ledger) -> None:
    """Refuse a ledger with text longer than a cell holds (a note stored before notes were
    bounded, a plan's text): cut, it would come back cut, and the cut would be recorded."""
    found = []
    for line in lines(ledger):
        for name, value in zip(COLUMNS, line.values):
            if isinstance(value, str) and len(_ILLEGAL.sub("", value)) > CELL_LIMIT:
                where = (Phrase(N_("task {key}, column {column}"), key=line.row.task_key, column=name) if line.row
                         else Phrase(N_("the title rows")))
                found.append(TrackerError(N_("{n} characters, more than the {limit} a spreadsheet cell holds"),
                                          where=where, n=f"{len(value):,}", limit=f"{CELL_LIMIT:,}"))
    if found:
        raise Refusals(N_("the ledger was not exported: a spreadsheet would cut these cells short"), found)


def write_csv(ledger: Ledger, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        for line in lines(ledger):
            writer.writerow([_csv_value(v) for v in line.values])


def _csv_value(value) -> str:
    if isinstance(value, datetime):
        return value.strftime(clock.SHOWN_FORMAT)  # already the plan's wall time (local_time)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return csv_text(value)


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XML cannot hold


def _set(cell, value) -> None:
    """Put a value in a cell; text always stays text, whatever it starts with."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        cell.value = value
        cell.data_type = "s"  # openpyxl would take "=…" for a formula and "#N/A" for an error
        if looks_like_formula(value):
            cell.quotePrefix = True  # Excel keeps it text when someone edits the cell
        return
    cell.value = value


class _Styles:
    """The workbook's fonts, fills, borders and alignments, made once."""

    def __init__(self):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        thin = Side(style="thin", color="808080")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.body = Font(name=BODY_FONT, size=10)
        self.heading = Font(name=HEAD_FONT, size=10)
        self.title = Font(name=HEAD_FONT, size=16)
        self.wrapped = Alignment(wrap_text=True, vertical="top")
        self.centred = Alignment(horizontal="center", vertical="top", wrap_text=True)
        self.header = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.middle = Alignment(vertical="center")
        self.grey = PatternFill("solid", fgColor="D9D9D9")
        self.light = PatternFill("solid", fgColor="F2F2F2")
        self.urgency = {name: (PatternFill("solid", fgColor=fill), Font(name=BODY_FONT, size=10, color=font))
                        for name, (fill, font) in FILLS.items()}


def write_xlsx(ledger: Ledger, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = pgettext_in(LEDGER_LANGUAGE, "sheet name", "ledger")
    table = lines(ledger)
    styles = _Styles()
    header_row = first = last = 0
    for r, line in enumerate(table, start=1):
        if line.kind == "task":
            _task_row(ws, r, line, styles)
            first, last = first or r, r
        else:
            _other_row(ws, r, line, styles)
            header_row = r if line.kind == "header" else header_row
    _columns(ws, header_row, max(last, header_row))
    _page_setup(ws)
    if first:
        _status_rules(ws, first, last)
    book.properties.title = table[0].values[0]
    book.properties.creator = "tracker"
    book.save(path)


def _other_row(ws, r: int, line: Line, styles: _Styles) -> None:
    """The title, the line under it, the header, a section heading."""
    width = len(C.EXPORT_COLUMNS)
    first = ws.cell(r, 1)
    if line.kind == "header":
        for c, name in enumerate(line.values, start=1):
            cell = ws.cell(r, c)
            _set(cell, name)
            cell.font, cell.fill, cell.border, cell.alignment = styles.heading, styles.grey, styles.border, styles.header
        ws.row_dimensions[r].height = 24
        return
    _set(first, line.values[0])
    if line.kind == "section":
        # not merged and not wrapped: the heading flows over the empty cells to its right, and
        # Excel can still sort and filter the table
        for c in range(1, width + 1):
            ws.cell(r, c).fill, ws.cell(r, c).border = styles.light, styles.border
        first.font, first.alignment = styles.heading, styles.middle
        ws.row_dimensions[r].height = 18
        return
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    if line.kind == "title":
        first.font, first.alignment = styles.title, styles.header
        ws.row_dimensions[r].height = 30
    else:
        first.font, first.alignment = styles.body, styles.middle
        ws.row_dimensions[r].height = 20


def _task_row(ws, r: int, line: Line, styles: _Styles) -> None:
    heights = [1]
    for c, (name, value) in enumerate(zip(COLUMNS, line.values), start=1):
        cell = ws.cell(r, c)
        _set(cell, value)
        cell.font, cell.border = styles.body, styles.border
        cell.alignment = styles.wrapped if name in WRAPPED else styles.centred
        if name in WRAPPED and isinstance(value, str):
            heights.append(_lines_needed(value, WIDTHS[name]))
    ws.cell(r, COLUMNS.index(C.DEADLINE) + 1).number_format = "yyyy-mm-dd"
    ws.cell(r, COLUMNS.index(C.UPDATED) + 1).number_format = "yyyy-mm-dd"
    ws.cell(r, COLUMNS.index(C.PERCENT) + 1).number_format = '0"%"'
    colour = urgency(line.row)
    if colour:
        status = ws.cell(r, COLUMNS.index(C.STATUS) + 1)
        status.fill, status.font = styles.urgency[colour]
    # Excel does not grow rows to fit wrapped text it did not type itself: size them here
    ws.row_dimensions[r].height = max(heights) * LINE_HEIGHT + 4


def _columns(ws, header_row: int, last_row: int) -> None:
    from openpyxl.utils import get_column_letter

    for c, name in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = WIDTHS.get(name, 6)
    ws.column_dimensions[get_column_letter(COLUMNS.index(C.VERSION) + 1)].hidden = True
    last_col = get_column_letter(len(C.EXPORT_COLUMNS))
    ws.freeze_panes = f"A{header_row + 1}"
    ws.auto_filter.ref = f"A{header_row}:{last_col}{last_row}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:{last_col}{last_row}"


def _status_rules(ws, first: int, last: int) -> None:
    """The drop-down of statuses, the 0–100 check on 完成进度, and green as soon as 已完成 is picked."""
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    def cells(name: str) -> str:
        letter = get_column_letter(COLUMNS.index(name) + 1)
        return f"{letter}{first}:{letter}{last}"

    labels = [status_label(s, LEDGER_LANGUAGE) for s in STATUSES]
    choices = ",".join(labels)  # Excel's list: comma-separated, whatever the language
    statuses = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=False, showDropDown=False,
                              showErrorMessage=True, errorTitle=C.STATUS,
                              error=sheet_words(N_("choose one from the list: {choices}"),
                                                choices=gettext_in(LEDGER_LANGUAGE, ", ").join(labels)),
                              promptTitle=C.STATUS, prompt=sheet_words(N_("choose one from the drop-down list")),
                              showInputMessage=True)
    statuses.add(cells(C.STATUS))
    percent = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True,
                             showErrorMessage=True, errorTitle=C.PERCENT,
                             error=sheet_words(N_("type a number from 0 to 100")))
    percent.add(cells(C.PERCENT))
    ws.add_data_validation(statuses)
    ws.add_data_validation(percent)
    # a status changed to 已完成 in Excel turns green at once, over the fill it was exported with
    fill, font = FILLS["done"]
    ws.conditional_formatting.add(cells(C.STATUS), CellIsRule(
        operator="equal", formula=[f'"{status_label("done", LEDGER_LANGUAGE)}"'],
        fill=PatternFill("solid", fgColor=fill, bgColor=fill), font=Font(color=font)))


def _lines_needed(text: str, column_width: float) -> int:
    per_line = max(column_width - 1, 2)  # display cells per line, less the cell's padding
    return sum(max(1, math.ceil(display_width(part) / per_line)) for part in text.splitlines() or [""])


def _page_setup(ws) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    # one page wide, as many tall as it takes; the widths above already fit, this only guards
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = sheet_words(N_("page &P of &N"))  # Excel's codes: this page, the pages
