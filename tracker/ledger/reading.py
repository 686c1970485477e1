"""Opening a spreadsheet someone sent back, and naming where in it a problem is.

A file is read by what it is, not by what it is called: a zip is a workbook (.xlsx, .xlsm), an
OLE file is an old .xls or an encrypted workbook (both refused with what to do instead), text
named .csv is CSV in UTF-8 (with or without BOM) or GB18030, which is what Excel on a Chinese
Windows saves. Every problem is reported as `ledger.xlsx 工作表「台账」第7行「完成进度」列: …`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import TrackerError
from .cells import from_csv_text
from .columns import field_of

HEADER_SEARCH_ROWS = 15  # a header sits below at most a few title rows


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
        return [_csv_sheet(data, path.name, lang)]
    raise TrackerError(tr(lang, "不是电子表格文件:请提供 .xlsx 工作簿或 .csv 文件",
                          "not a spreadsheet: give an .xlsx workbook or a .csv file"), where=path.name)


def _workbook_sheets(data: bytes, name: str, lang: str) -> list[Sheet]:
    import openpyxl  # defusedxml, when installed, guards openpyxl's XML parsing

    try:
        # from bytes, so the file's extension does not matter; formulas are kept as written
        # (data_only=False) so a formula cell can be named rather than read as empty
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # a damaged zip, missing parts, malformed XML: all the same to the user
        detail = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
        raise TrackerError(tr(lang, f"工作簿已损坏或不是 Excel 文件,无法打开({detail})",
                              f"the workbook is damaged or not an Excel file ({detail})"), where=name) from None
    sheets = []
    for ws in book.worksheets:
        sheet = Sheet(name, ws.title, formats=[])
        for cells in ws.iter_rows():
            sheet.rows.append([c.value for c in cells])
            sheet.formats.append([c.number_format for c in cells])
            for c in cells:
                if c.data_type == "f":
                    sheet.formulas.add((c.row, c.column))
        sheet.merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
        sheets.append(sheet)
    return sheets


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
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise TrackerError(tr(lang, f"CSV 格式错误: {exc}", f"malformed CSV: {exc}"), where=name) from None
    sheet = Sheet(name, None)
    sheet.rows = [[from_csv_text(v) if v.strip() else None for v in record] for record in records]
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

