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
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..archive import NotAZip, megabytes, unpacking_problems
from ..errors import N_, TrackerError
from ..i18n import gettext_in
from .cells import CELL_LIMIT, from_csv_text
from .columns import field_of

HEADER_SEARCH_ROWS = 15  # a header sits below at most a few title rows

# Bounds on a returned file. A ledger of the largest plan (a few thousand tasks, notes of up to
# 2,000 characters) is a few megabytes unpacked; Excel packs its XML at ten to thirty to one.
MAX_BYTES = 50 * 2**20  # a CSV file, or the parts of a workbook that are parsed, unpacked together
MAX_FILE_BYTES = 200 * 2**20  # a workbook's file, pictures and all (pictures are never opened)
MAX_ROWS = 20_000  # the last row that holds a value
MAX_COLUMNS = 200


def tr(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


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

    def where(self, lang: str, row: int | None = None, column: str | None = None) -> str:
        if lang == "en":
            parts = [self.file] + ([f'sheet "{self.name}"'] if self.name else [])
            parts += [f"row {row}"] if row else []
            parts += [f'column "{column}"'] if column else []
            return " ".join(parts)
        out = self.file + (f" 工作表「{self.name}」" if self.name else " ")
        out += f"第{row}行" if row else ""
        out += f"「{column}」列" if column else ""
        return out.rstrip()


class Problems:
    """Every problem found in a file, each naming its place, reported together."""

    def __init__(self, lang: str):
        self.lang = lang
        self.lines: list[str] = []

    def add(self, sheet: Sheet, row: int | None, column: str | None, message: str) -> None:
        self.lines.append(f"{sheet.where(self.lang, row, column)}: {message}")

    def __bool__(self) -> bool:
        return bool(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def error(self, summary: str) -> TrackerError:
        return TrackerError(summary + "\n  " + "\n  ".join(self.lines))


# ---------------------------------------------------------------------- opening


def open_sheets(path: str | Path, lang: str = "zh") -> list[Sheet]:
    """Every sheet of a workbook, or the one table of a CSV file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _too_big(size, MAX_FILE_BYTES, path.name, lang)
        data = path.read_bytes()
    except OSError as exc:
        raise TrackerError(tr(lang, f"无法读取文件: {exc.strerror}", f"cannot read the file: {exc.strerror}"),
                           where=str(path)) from None
    if not data:
        raise TrackerError(tr(lang, "文件是空的", "the file is empty"), where=path.name)
    if data.startswith(b"PK\x03\x04"):
        return _workbook_sheets(data, path.name, lang)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TrackerError(tr(lang, "这是旧版 Excel 文件(.xls)或加了密码的工作簿,无法读取;"
                                    "请在 Excel 中“另存为”.xlsx 格式(不设密码)后再导入",
                              "this is an old Excel file (.xls) or a password-protected workbook; "
                              "save it as .xlsx (without a password) in Excel and import that"), where=path.name)
    if path.suffix.lower() in (".csv", ".txt"):
        if len(data) > MAX_BYTES:  # every byte of a CSV file is read
            raise _too_big(len(data), MAX_BYTES, path.name, lang)
        return [_csv_sheet(data, path.name, lang)]
    raise TrackerError(tr(lang, "不是电子表格文件:请提供 .xlsx 工作簿或 .csv 文件",
                          "not a spreadsheet: give an .xlsx workbook or a .csv file"), where=path.name)


def _too_big(size: int, limit: int, name: str, lang: str) -> TrackerError:
    return TrackerError(gettext_in(lang, "the file is {size} MB, more than the {limit} MB a ledger may be; "
                                         "it was not read").format(size=megabytes(size), limit=megabytes(limit)), where=name)


def check_archive(data: bytes, name: str, lang: str = "zh") -> None:
    """Refuse a workbook whose parts would unpack past the bounds, from the zip's directory
    alone (tracker/archive.py): nothing is unpacked or parsed. Each bound passed is named."""
    try:
        reasons = unpacking_problems(data, limit=MAX_BYTES, too_big=N_(
            "its parts unpack to {size} MB, more than the {limit} MB a ledger may hold"))
    except NotAZip as exc:
        raise TrackerError(tr(lang, f"工作簿已损坏或不是 Excel 文件,无法打开({exc.detail})",
                              f"the workbook is damaged or not an Excel file ({exc.detail})"), where=name) from None
    if reasons:
        raise TrackerError(gettext_in(lang, "the workbook was not opened: {reasons} (a zip bomb, or not a "
                                            "ledger)").format(reasons=gettext_in(lang, "; ").join(
                                                r.words(lang) for r in reasons)), where=name)


def _workbook_sheets(data: bytes, name: str, lang: str) -> list[Sheet]:
    check_archive(data, name, lang)
    import openpyxl  # defusedxml, when installed, guards openpyxl's XML parsing

    problems = Problems(lang)
    try:
        # from bytes, so the file's extension does not matter; formulas are kept as written
        # (data_only=False) so a formula cell can be named rather than read as empty; read-only,
        # so the sheets are streamed (and bounded) rather than built whole
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            sheets = [_read_sheet(book, ws, name, lang, problems) for ws in book.worksheets]
        finally:
            book.close()
    except TrackerError:
        raise
    except Exception as exc:  # a damaged zip, missing parts, malformed XML: all the same to the user
        detail = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
        raise TrackerError(tr(lang, f"工作簿已损坏或不是 Excel 文件,无法打开({detail})",
                              f"the workbook is damaged or not an Excel file ({detail})"), where=name) from None
    if problems:
        raise problems.error(gettext_in(lang, "cells longer than a spreadsheet cell holds; nothing was read:"))
    return sheets


def _read_sheet(book, ws, name: str, lang: str, problems: Problems) -> Sheet:
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
                raise TrackerError(gettext_in(lang, "the sheet has values down to row {row}, past the {limit:,} rows "
                                                    "a ledger may have; nothing was read")
                                   .format(row=f"{index:,}", limit=MAX_ROWS), where=sheet.where(lang))
            row = kept.setdefault(index, {})
            for c in cells:
                if c["column"] > MAX_COLUMNS:
                    raise TrackerError(gettext_in(lang, "the sheet has values out to column {column}, past the {limit} "
                                                        "columns a ledger may have; nothing was read")
                                       .format(column=get_column_letter(min(c["column"], 18278)), limit=MAX_COLUMNS),
                                       where=sheet.where(lang, index))
                cell = ReadOnlyCell(ws, **c)
                if isinstance(cell.value, str) and len(cell.value) > CELL_LIMIT:
                    problems.add(sheet, index, get_column_letter(c["column"]), gettext_in(
                        lang, "the cell holds {n} characters, more than the {limit} a spreadsheet cell holds")
                        .format(n=f"{len(cell.value):,}", limit=f"{CELL_LIMIT:,}"))
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


def _csv_sheet(data: bytes, name: str, lang: str) -> Sheet:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TrackerError(tr(lang, "CSV 文件编码无法识别(应为 UTF-8 或 GBK)",
                              "cannot tell the CSV file's encoding (UTF-8 or GBK expected)"), where=name)
    if "\x00" in text:
        raise TrackerError(tr(lang, "不是文本 CSV 文件(含有二进制内容)", "not a text CSV file (binary content)"),
                           where=name)
    sheet, problems = Sheet(name, None), Problems(lang)
    try:
        for index, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            values = [from_csv_text(v) if v.strip() else None for v in record]
            while values and values[-1] is None:
                values.pop()
            if values and index > MAX_ROWS:
                raise TrackerError(gettext_in(lang, "the sheet has values down to row {row}, past the {limit:,} rows "
                                                    "a ledger may have; nothing was read")
                                   .format(row=f"{index:,}", limit=MAX_ROWS), where=name)
            if len(values) > MAX_COLUMNS:
                raise TrackerError(gettext_in(lang, "the sheet has values out to column {column}, past the {limit} "
                                                    "columns a ledger may have; nothing was read")
                                   .format(column=len(values), limit=MAX_COLUMNS), where=sheet.where(lang, index))
            for column, value in enumerate(values, start=1):
                if value is not None and len(value) > CELL_LIMIT:
                    problems.add(sheet, index, str(column), gettext_in(
                        lang, "the cell holds {n} characters, more than the {limit} a spreadsheet cell holds")
                        .format(n=f"{len(value):,}", limit=f"{CELL_LIMIT:,}"))
                    values[column - 1] = None
            sheet.rows.append(values)
    except csv.Error as exc:
        raise TrackerError(tr(lang, f"CSV 格式错误: {exc}", f"malformed CSV: {exc}"), where=name) from None
    if problems:
        raise problems.error(gettext_in(lang, "cells longer than a spreadsheet cell holds; nothing was read:"))
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

