"""A spreadsheet (.xlsx, .csv) → the text layout: each sheet's title rows as paragraphs, its
table as `| cell |` rows, merged cells repeated, 同上 (ditto) replaced by the value above, date
cells written as dates (2024年6月30日) the way a plan's text writes them.

Why through the text reader rather than `ledger import-plan`'s reader: `plan parse` then gives a
spreadsheet everything it gives a text (jurisdiction and metadata read from the title rows, the
JSON output, the notes, names matched against the catalogue for a city the registry does not
know yet), and every rule of the table reader holds for both.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from .layout import clean_line, pipe_table
from ...i18n import N_
from .sniff import UnreadableFile

DITTO = ("同上", "同左", "〃")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_line(str(value))


def _sheet_lines(rows: list[list[str]]) -> list[str]:
    """Rows before the table (one value, however many cells it is merged across: a title, a
    发文字号) are paragraphs; from the first row with two different values on, the table."""
    lines: list[str] = []
    for start, row in enumerate(rows):
        filled = [c for c in row if c]
        if len(set(filled)) >= 2:
            break
        if filled:
            lines.append(filled[0])
    else:
        return lines
    table: list[list[str]] = []
    for row in rows[start:]:
        row = [(table[-1][i] if table and i < len(table[-1]) and c in DITTO else c) for i, c in enumerate(row)]
        table.append(row)
    return lines + pipe_table(table)


def read_xlsx(raw: bytes, *, where: str) -> str:
    import openpyxl  # defusedxml, when installed, guards openpyxl's XML parsing

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
    except Exception as exc:  # a damaged zip, missing parts, malformed XML: all the same to the user
        detail = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
        raise UnreadableFile(N_("the workbook is damaged ({detail})"), where=where, detail=detail) from None
    lines: list[str] = []
    for ws in book.worksheets:
        rows = [[_text(v) for v in values] for values in ws.iter_rows(values_only=True)]
        for merged in ws.merged_cells.ranges:
            value = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else ""
            for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
                for c in range(merged.min_col - 1, min(merged.max_col, len(rows[r]))):
                    rows[r][c] = value
        if len(book.worksheets) > 1 and any(any(r) for r in rows):
            lines.append(ws.title)
        lines.extend(_sheet_lines(rows))
    return "\n".join(lines) + "\n" if lines else ""


def read_csv(text: str, *, where: str) -> str:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise UnreadableFile(N_("malformed CSV: {reason}"), where=where, reason=exc) from None
    lines = _sheet_lines([[_text(v) for v in record] for record in records])
    return "\n".join(lines) + "\n" if lines else ""
