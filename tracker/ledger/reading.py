"""Opening a spreadsheet someone sent back, and naming where in it a problem is.

A file is read by what it is, not by what it is called: a zip is a workbook (.xlsx, .xlsm), an
OLE file is an old .xls or an encrypted workbook (both refused with what to do instead), text
named .csv is CSV in UTF-8 (with or without BOM) or GB18030, which is what Excel on a Chinese
Windows saves. Every problem is reported as `ledger.xlsx 工作表「台账」第7行「完成进度」列: …`.

A returned file is a stranger's: a workbook is a zip, and a 1 MB one can unpack to gigabytes (a
zip bomb) or name a cell a million rows down. So the zip's directory is checked before anything
is parsed (the parts that would be parsed, unpacked together, and each one's packing ratio), and
the sheets are then read as a stream with rows, columns and each cell's length bounded, so what
is held in memory is at most what a ledger can hold.

Nothing here is worded when it is found: a refusal is a TrackerError with its data, a place is a
`Place` (catalogue phrases: 工作表「台账」, 第7行, 「完成进度」列), and every problem of a file is one
line of a `Refusals`, all worded in the language of the moment they are shown.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..archive import NotAZip, directory, megabytes, said, unpacking_problems
from ..errors import N_, Phrase, Refusals, TrackerError
from ..i18n import gettext_in, language, pgettext_in
from .cells import CELL_LIMIT, from_csv_text
from .columns import field_of

HEADER_SEARCH_ROWS = 15  # a header sits below at most a few title rows

# Bounds on a returned file. A ledger of the largest plan (a few thousand tasks, notes of up to
# 2,000 characters) is a few megabytes unpacked; Excel packs its XML at ten to thirty to one.
MAX_BYTES = 50 * 2**20  # a CSV file, or the parts of a workbook that are parsed, unpacked together
MAX_FILE_BYTES = 200 * 2**20  # a workbook's file, pictures and all (pictures are never opened)
MAX_ROWS = 20_000  # the last row that holds a value
MAX_COLUMNS = 200


@dataclass
class Sheet:
    """One worksheet (or a CSV file) as values, row 1 at index 0, column A at index 0."""

    file: str
    name: str | None  # None for CSV, which has no sheets
    rows: list[list] = field(default_factory=list)
    formats: list[list[str]] | None = None  # number formats, workbooks only
    formulas: set[tuple[int, int]] = field(default_factory=set)  # 1-based (row, column) of formula cells
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_row, min_col, max_row, max_col

    def value(self, row: int, column: int):
        """The value at 1-based (row, column), None outside the data."""
        if row - 1 < len(self.rows) and column - 1 < len(self.rows[row - 1]):
            return self.rows[row - 1][column - 1]
        return None

    def number_format(self, row: int, column: int) -> str:
        if self.formats and row - 1 < len(self.formats) and column - 1 < len(self.formats[row - 1]):
            return self.formats[row - 1][column - 1] or "General"
        return "General"

    def where(self, row: int | None = None, column: str | None = None) -> Place:
        return Place(self.file, self.name, row, column)


class Place(Phrase):
    """Where in a file a problem is, worded when shown: `ledger.xlsx 工作表「台账」第7行「完成进度」列`,
    `ledger.xlsx sheet "台账" row 7 column "完成进度"`. Each part is a catalogue phrase, and so is
    the way two parts go together (side by side in Chinese, a space apart in English)."""

    def __init__(self, file: str, sheet: str | None = None, row: int | None = None, column: str | None = None):
        super().__init__(N_("{file} {place}"), file=file, sheet=sheet, row=row, column=column)

    def words(self, lang: str | None = None) -> str:
        lang = lang or language()
        f = self.fields
        parts = [Phrase(N_('sheet "{sheet}"'), sheet=f["sheet"]) if f["sheet"] else None,
                 Phrase(N_("row {row}"), row=f["row"]) if f["row"] else None,
                 Phrase(N_('column "{column}"'), column=f["column"]) if f["column"] else None]
        place = None
        for part in filter(None, parts):
            text = part.words(lang)
            place = text if place is None else pgettext_in(lang, "place", "{place} {part}").format(place=place, part=text)
        return f["file"] if place is None else gettext_in(lang, self.message).format(file=f["file"], place=place)

    def __repr__(self) -> str:
        return f"Place({self.fields!r})"


class Problems:
    """Every problem found in a file, each a refusal placed in it, reported together."""

    def __init__(self):
        self.found: list[TrackerError] = []

    def add(self, sheet: Sheet, row: int | None, column: str | None, problem: str | TrackerError, **fields) -> None:
        """`problem` is a message id (N_) with its `fields`, or a refusal raised elsewhere (the
        service's rules), placed here."""
        refusal = problem if isinstance(problem, TrackerError) else TrackerError(problem, **fields)
        refusal.where = sheet.where(row, column)
        self.found.append(refusal)

    def __bool__(self) -> bool:
        return bool(self.found)

    def __len__(self) -> int:
        return len(self.found)

    def error(self, heading: str, **fields) -> Refusals:
        """The heading (N_) and one line per problem."""
        return Refusals(heading, self.found, **fields)


# ---------------------------------------------------------------------- opening


def open_sheets(path: str | Path) -> list[Sheet]:
    """Every sheet of a workbook, or the one table of a CSV file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _too_big(size, MAX_FILE_BYTES, path.name)
        data = path.read_bytes()
    except OSError as exc:
        raise TrackerError(N_("cannot read the file: {reason}"), where=str(path), reason=exc.strerror) from None
    if not data:
        raise TrackerError(N_("the file is empty"), where=path.name)
    if data.startswith(b"PK\x03\x04"):
        return _workbook_sheets(data, path.name)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TrackerError(N_("this is an old Excel file (.xls) or a password-protected workbook; save it as .xlsx "
                              "(without a password) in Excel and import that"), where=path.name)
    if path.suffix.lower() in (".csv", ".txt"):
        if len(data) > MAX_BYTES:  # every byte of a CSV file is read
            raise _too_big(len(data), MAX_BYTES, path.name)
        return [_csv_sheet(data, path.name)]
    raise TrackerError(N_("not a spreadsheet: give an .xlsx workbook or a .csv file"), where=path.name)


def _too_big(size: int, limit: int, name: str) -> TrackerError:
    return TrackerError(N_("the file is {size} MB, more than the {limit} MB a ledger may be; it was not read"),
                        where=name, size=megabytes(size), limit=megabytes(limit))


def check_archive(data: bytes, name: str) -> None:
    """Refuse a workbook whose parts would unpack past the bounds, from the zip's directory
    alone (tracker/archive.py): nothing is unpacked or parsed. Each bound passed is named."""
    try:
        reasons = unpacking_problems(directory(data), limit=MAX_BYTES, too_big=N_(
            "its parts unpack to {size} MB, more than the {limit} MB a ledger may hold"))
    except NotAZip as exc:
        raise _damaged(exc.detail, name) from None
    if reasons:
        raise TrackerError(N_("the workbook was not opened: {reasons} (a zip bomb, or not a ledger)"), where=name,
                           reasons=said(reasons))


def _damaged(detail: str, name: str) -> TrackerError:
    return TrackerError(N_("the workbook is damaged or not an Excel file ({detail})"), where=name, detail=detail)


def _too_long(problems: Problems, sheet: Sheet, row: int, column: str, n: int) -> None:
    problems.add(sheet, row, column, N_("the cell holds {n} characters, more than the {limit} a spreadsheet cell holds"),
                 n=f"{n:,}", limit=f"{CELL_LIMIT:,}")


def _too_many_rows(row: int, where) -> TrackerError:
    return TrackerError(N_("the sheet has values down to row {row}, past the {limit:,} rows a ledger may have; "
                           "nothing was read"), where=where, row=f"{row:,}", limit=MAX_ROWS)


def _too_many_columns(column, where) -> TrackerError:
    return TrackerError(N_("the sheet has values out to column {column}, past the {limit} columns a ledger may "
                           "have; nothing was read"), where=where, column=column, limit=MAX_COLUMNS)


_CUT = N_("cells longer than a spreadsheet cell holds; nothing was read:")


def _workbook_sheets(data: bytes, name: str) -> list[Sheet]:
    check_archive(data, name)
    import openpyxl  # defusedxml, when installed, guards openpyxl's XML parsing

    problems = Problems()
    try:
        # from bytes, so the file's extension does not matter; formulas are kept as written
        # (data_only=False) so a formula cell can be named rather than read as empty; read-only,
        # so the sheets are streamed (and bounded) rather than built whole
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            sheets = [_read_sheet(book, ws, name, problems) for ws in book.worksheets]
        finally:
            book.close()
    except TrackerError:
        raise
    except Exception as exc:  # a damaged zip, missing parts, malformed XML: all the same to the user
        detail = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
        raise _damaged(detail, name) from None
    if problems:
        raise problems.error(_CUT)
    return sheets


def _read_sheet(book, ws, name: str, problems: Problems) -> Sheet:
    """One worksheet as values, read row by row with openpyxl's own streaming reader (the one its
    read-only mode uses, used directly for the merged cells it also reads), every bound checked
    before a row is kept: only cells holding a value are kept, so an empty region costs nothing."""
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.utils import get_column_letter, range_boundaries
    from openpyxl.worksheet._reader import WorkSheetParser

    sheet = Sheet(name, ws.title, formats=[])
    kept: dict[int, dict[int, ReadOnlyCell]] = {}
    with ws._get_source() as source:
        parser = WorkSheetParser(source, ws._shared_strings, data_only=False, epoch=book.epoch,
                                 date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        for index, cells in parser.parse():
            cells = [c for c in cells if c["value"] is not None]
            if not cells:
                continue
            if index > MAX_ROWS:
                raise _too_many_rows(index, sheet.where())
            row = kept.setdefault(index, {})
            for c in cells:
                if c["column"] > MAX_COLUMNS:
                    raise _too_many_columns(get_column_letter(min(c["column"], 18278)), sheet.where(index))
                cell = ReadOnlyCell(ws, **c)
                if isinstance(cell.value, str) and len(cell.value) > CELL_LIMIT:
                    _too_long(problems, sheet, index, get_column_letter(c["column"]), len(cell.value))
                    continue
                row[c["column"]] = cell
        merged = parser.merged_cells.mergeCell if parser.merged_cells else []
    last = max(kept, default=0)
    for index in range(1, last + 1):
        cells = kept.get(index, {})
        width = max(cells, default=0)
        sheet.rows.append([cells[c].value if c in cells else None for c in range(1, width + 1)])
        sheet.formats.append([cells[c].number_format if c in cells else "General" for c in range(1, width + 1)])
        sheet.formulas.update((index, c) for c, cell in cells.items() if cell.data_type == "f")
    for merge in merged:
        min_col, min_row, max_col, max_row = range_boundaries(merge.ref)
        if min_row <= last and min_col <= MAX_COLUMNS:  # a range past the values adds nothing to them
            sheet.merged.append((min_row, min_col, min(max_row, last), min(max_col, MAX_COLUMNS)))
    return sheet


def _csv_sheet(data: bytes, name: str) -> Sheet:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TrackerError(N_("cannot tell the CSV file's encoding (UTF-8 or GBK expected)"), where=name)
    if "\x00" in text:
        raise TrackerError(N_("not a text CSV file (binary content)"), where=name)
    sheet, problems = Sheet(name, None), Problems()
    try:
        for index, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            values = [from_csv_text(v) if v.strip() else None for v in record]
            while values and values[-1] is None:
                values.pop()
            if values and index > MAX_ROWS:
                raise _too_many_rows(index, name)
            if len(values) > MAX_COLUMNS:
                raise _too_many_columns(len(values), sheet.where(index))
            for column, value in enumerate(values, start=1):
                if value is not None and len(value) > CELL_LIMIT:
                    _too_long(problems, sheet, index, str(column), len(value))
                    values[column - 1] = None
            sheet.rows.append(values)
    except csv.Error as exc:
        raise TrackerError(N_("malformed CSV: {reason}"), where=name, reason=str(exc)) from None
    if problems:
        raise problems.error(_CUT)
    while sheet.rows and not sheet.rows[-1]:
        sheet.rows.pop()
    return sheet


# ---------------------------------------------------------------------- headers


@dataclass
class Header:
    row: int  # 1-based
    columns: dict[str, list[int]]  # ledger column → 1-based columns bearing it
    titles: dict[int, str]  # 1-based column → the header as written

    def column(self, name: str) -> int | None:
        found = self.columns.get(name)
        return found[0] if found else None

    def title(self, name: str) -> str:
        """The header as the file writes it (进度, 完成进度(%)), for messages."""
        column = self.column(name)
        return self.titles[column] if column else name


def find_header(sheet: Sheet, must_have: str) -> Header | None:
    """The first row, among the top ones, that names the `must_have` column; None if none does."""
    for index, values in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, list[int]] = {}
        titles: dict[int, str] = {}
        for col, value in enumerate(values, start=1):
            name = field_of(value) if isinstance(value, str) else None
            if name:
                columns.setdefault(name, []).append(col)
                titles[col] = re.sub(r"\s+", "", value)
        if must_have in columns and len(columns) >= 2:
            return Header(index + 1, columns, titles)
    return None


def cell_text(value) -> str | None:
    """A cell as text: None for empty, numbers without a spurious `.0`."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None

