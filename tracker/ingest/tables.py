"""Tables written as text: breakdown tables (序号/重点任务/牵头单位/责任单位/完成时限) and name lists
(序号/集聚区名称/所属领域), as web copies print them.

Two layouts:
- one row a line, cells between | or tabs or runs of 2+ spaces; an empty cell is a merged cell
  and takes the value of the row above;
- one cell a line (a web page's table flattened): the headers after 序号, then each row as its
  number and its cells. A row with fewer cells than headers has merged cells; its cells fill
  the columns by their look (a deadline goes to the deadline column, units to the unit
  columns, in order) and the rest come from the row above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DELIMITED = re.compile(r"\s*\|\s*|\t+|\s{2,}")
_NUMBER = re.compile(r"^\d{1,3}[.、]?$")
_HEADER_LIMIT = 14

TASK_WORDS = ("任务", "工作内容", "工作措施", "主要内容", "具体措施", "重点工作", "事项", "措施")
LEAD_WORDS = ("牵头",)
RESPONSIBLE_WORDS = ("责任单位", "责任部门", "配合", "参与", "协办", "责任处室", "实施单位")
DEADLINE_WORDS = ("时限", "完成时间", "时间", "进度", "期限", "节点")
NAME_WORDS = ("名称", "名单", "项目", "单位名称")


@dataclass
class Row:
    number: int
    start: int  # where the row starts in the text
    cells: dict[str, str] = field(default_factory=dict)  # column kind → cell ("" when merged)
    other: list[str] = field(default_factory=list)  # cells of columns of no known kind


@dataclass
class TextTable:
    caption: str
    headers: list[str]
    kinds: list[str]  # per header: number, task, lead, responsible, deadline, name, other
    start: int
    end: int
    rows: list[Row] = field(default_factory=list)

    @property
    def is_breakdown(self) -> bool:
        return "task" in self.kinds and ("lead" in self.kinds or "responsible" in self.kinds)

    @property
    def is_name_list(self) -> bool:
        return not self.is_breakdown and "name" in self.kinds


def column_kind(header: str) -> str:
    if header == "序号" or header == "编号":
        return "number"
    if any(w in header for w in LEAD_WORDS):
        return "lead"
    if any(w in header for w in RESPONSIBLE_WORDS):
        return "responsible"
    if any(w in header for w in DEADLINE_WORDS):
        return "deadline"
    if any(w in header for w in TASK_WORDS):
        return "task"
    if any(w in header for w in NAME_WORDS):
        return "name"
    return "other"


def _lines(text: str) -> list[tuple[int, str]]:
    out, position = [], 0
    for line in text.split("\n"):
        out.append((position, line.strip()))
        position += len(line) + 1
    return out


def _caption(lines: list[tuple[int, str]], index: int) -> str:
    for _, line in reversed(lines[max(0, index - 4):index]):
        if line:
            return line
    return ""


def _fill(table: TextTable, row: Row, values: list[str], previous: Row | None) -> None:
    """Put a row's cells in their columns; merged (missing or empty) cells come from the row above."""
    kinds = [k for k in table.kinds if k != "number"]
    if len(values) < len(kinds):
        values = _place_short_row(kinds, values)
    for kind, value in zip(kinds, values):
        if kind == "other":
            row.other.append(value)
        elif value:
            row.cells[kind] = value
    if previous is not None:
        for kind in kinds:
            if kind != "other" and not row.cells.get(kind) and previous.cells.get(kind):
                row.cells[kind] = previous.cells[kind]


def _place_short_row(kinds: list[str], values: list[str]) -> list[str]:
    from .deadline_phrases import find_deadlines
    from .unit_lists import names_a_body, split_units

    placed = [""] * len(kinds)
    free = list(range(len(kinds)))
    for value in values:
        wanted = None
        if find_deadlines(value) and "deadline" in kinds:
            wanted = "deadline"
        elif all(names_a_body(n) for n in split_units(value) or ["-"]):
            wanted = next((kinds[i] for i in free if kinds[i] in ("lead", "responsible")), None)
        index = next((i for i in free if kinds[i] == wanted), None) if wanted else None
        if index is None:
            index = free[0] if free else None
        if index is None:
            break
        placed[index] = value
        free.remove(index)
    return placed


def _cells(line: str) -> list[str]:
    """A delimited row's cells: split at | when the row has them, else at tabs, else at 2+ spaces."""
    line = line.strip()
    if "|" in line:
        return [c.strip() for c in line.strip("|").split("|")]
    if "\t" in line:
        return [c.strip() for c in line.split("\t")]
    return [c.strip() for c in re.split(r"\s{2,}", line)]


def _delimited_table(lines, index) -> TextTable | None:
    start, header_line = lines[index]
    headers = [h for h in _cells(header_line) if h]
    if "序号" not in headers or len(headers) < 3:
        return None
    table = TextTable(_caption(lines, index), headers, [column_kind(h) for h in headers], start, start)
    previous = None
    for position, line in lines[index + 1:]:
        if not line:
            continue
        if set(line) <= set("|-:— "):
            continue  # a markdown rule line
        cells = _cells(line)
        if len(cells) < 2 or not _NUMBER.match(cells[0]):
            break
        row = Row(int(cells[0].rstrip(".、")), position)
        _fill(table, row, cells[1:len(headers)], previous)
        table.rows.append(row)
        table.end = position + len(line)
        previous = row
    return table if table.rows else None


def _flattened_table(lines, index) -> TextTable | None:
    start = lines[index][0]
    headers = ["序号"]
    i = index + 1
    while i < len(lines) and len(headers) <= 10:
        line = lines[i][1]
        i += 1
        if not line:
            continue
        if _NUMBER.match(line):
            i -= 1
            break
        if len(line) > _HEADER_LIMIT:
            return None
        headers.append(line)
    if len(headers) < 3 or i >= len(lines):
        return None
    table = TextTable(_caption(lines, index), headers, [column_kind(h) for h in headers], start, start)
    width = len(headers) - 1
    previous = None
    expected = 1
    while i < len(lines):
        position, line = lines[i]
        if not line:
            i += 1
            continue
        if line.rstrip(".、") != str(expected):
            break
        values, i = [], i + 1
        while i < len(lines) and len(values) < width:
            if lines[i][1]:
                if lines[i][1].rstrip(".、") == str(expected + 1) and values:
                    break
                values.append(lines[i][1])
            i += 1
        row = Row(expected, position)
        _fill(table, row, values, previous)
        table.rows.append(row)
        table.end = lines[i - 1][0] + len(lines[i - 1][1])
        previous = row
        expected += 1
    return table if table.rows else None


def find_tables(text: str) -> list[TextTable]:
    lines = _lines(text)
    tables: list[TextTable] = []
    index = 0
    while index < len(lines):
        position, line = lines[index]
        table = None
        if line == "序号":
            table = _flattened_table(lines, index)
        elif "序号" in line and _DELIMITED.search(line):
            table = _delimited_table(lines, index)
        if table is not None:
            tables.append(table)
            while index < len(lines) and lines[index][0] < table.end:
                index += 1
            continue
        index += 1
    return tables
