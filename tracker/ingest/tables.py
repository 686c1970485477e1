"""Tables written as text: breakdown tables (序号/重点任务/牵头单位/责任单位/完成时限) and name lists
(序号/集聚区名称/所属领域), read from the folded text (normalise.fold).

A table is found by its header: a row of column words (任务, 工作内容, 牵头单位, 配合单位, 时间节点,
2025年 …), with or without 序号. Two layouts:

- one row a line, cells between | (what the file-format readers write: `| 序号 | 任务 | 牵头单位 |`,
  the header first, a merged cell's value repeated in every row it spans), or tabs, or runs of
  two or more spaces. An empty cell takes the value of the row above; `——` is a cell left empty.
- one cell a line (a web page's table flattened): the header's words one a line, then the cells
  one a line, a merged cell written only in the first row it spans. Rows are told apart by their
  look: a number (1, 一, (一)) or `—` opens a row; text lines are the category and the task;
  the unit lines and the deadline after them close it. A unit cell wrapped over two lines
  (区土方工作 / 专班, 区绿化市容局、 / 区农业农村委) is joined; when a row has more unit lines than
  unit columns, the first unit cell (continued while it ends with 、) is the first unit column's
  and the rest the last's. A cell a row lacks is the row above's (a merged cell).

Both layouts skip a header repeated at a page break and a row that only names a part of the
table (二 / 构建全链条全过程闭环管理体系).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .deadline_phrases import read_deadline
from .unit_lists import LEVEL_PREFIXES, QUANTIFIERS, names_a_body, split_units

_DELIMITED = re.compile(r"\s*\|\s*|\t+|\s{2,}")
_NUMBER = re.compile(r"^(?:\(?[一二三四五六七八九十]{1,3}\)?[、.]?|\d{1,3}[.、]?)$")
_EMPTY = re.compile(r"^[\u2014\u2015\u2013\-/\u3001\s]*$|^无$")  # ——, —, -, /, 无: a cell left empty
_ANNEX = re.compile(r"^附\s*件\s*\d*\s*[:.]?\s*$|^附\s*件\s*\d+")
_YEAR = re.compile(r"^(?P<year>(?:19|20)\d{2})\s*年")
_HEADER_LIMIT = 14
_SENTENCE_MARKS = "\u3002;:"  # 。;: — a unit cell holds none of them
_QUOTES = "\u201c\u201d\u300a\u300b\""  # “”《》" — nor quotes
_NAME_LIMIT = 20  # characters outside brackets: longer is a sentence, not a name

TASK_WORDS = ("任务", "工作内容", "工作措施", "主要内容", "具体措施", "重点工作", "事项", "措施", "内容", "举措")
LEAD_WORDS = ("牵头", "主责")
RESPONSIBLE_WORDS = ("责任单位", "责任部门", "配合", "参与", "协办", "责任处室", "实施单位", "支撑", "协同", "协助")
DEADLINE_WORDS = ("时限", "完成时间", "时间", "进度", "期限", "节点")
NAME_WORDS = ("名称", "名单", "项目", "单位名称")
UNIT_KINDS = ("lead", "responsible")


@dataclass
class Row:
    number: int
    start: int  # where the row's task cell starts in the text
    cells: dict[str, str] = field(default_factory=dict)  # column kind → cell ("" when merged)
    other: list[str] = field(default_factory=list)  # cells of columns of no known kind
    years: dict[int, str] = field(default_factory=dict)  # year column → its cell (2024年 | 2025年 …)


@dataclass
class TextTable:
    caption: str
    headers: list[str]
    kinds: list[str]  # per header: number, category, task, lead, responsible, deadline, year, name, other
    start: int
    end: int
    rows: list[Row] = field(default_factory=list)

    @property
    def is_breakdown(self) -> bool:
        return "task" in self.kinds and any(k in self.kinds for k in UNIT_KINDS)

    @property
    def is_name_list(self) -> bool:
        return not self.is_breakdown and "name" in self.kinds


def column_kind(header: str) -> str:
    header = re.sub(r"\s+", "", header)
    if header in ("序号", "编号", "序"):
        return "number"
    if any(w in header for w in LEAD_WORDS):
        return "lead"
    if any(w in header for w in RESPONSIBLE_WORDS):
        return "responsible"
    if _YEAR.match(header):
        return "year"
    if any(w in header for w in DEADLINE_WORDS):
        return "deadline"
    if any(w in header for w in TASK_WORDS):
        return "task"
    if any(w in header for w in NAME_WORDS):
        return "name"
    return "other"


def _kinds(headers: list[str]) -> list[str]:
    """Each header's kind; of several task columns (任务名称 | 任务内容, 重点任务 | 具体措施) the last
    is the task and the others are its category."""
    kinds = [column_kind(h) for h in headers]
    tasks = [i for i, k in enumerate(kinds) if k == "task"]
    for i in tasks[:-1]:
        kinds[i] = "category"
    return kinds


def _lines(text: str) -> list[tuple[int, str]]:
    out, position = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        out.append((position + (len(line) - len(line.lstrip())), stripped))
        position += len(line) + 1
    return out


def _caption(lines: list[tuple[int, str]], index: int) -> str:
    for _, line in reversed(lines[max(0, index - 4):index]):
        if line:
            return line
    return ""


def _is_empty(cell: str) -> bool:
    return bool(_EMPTY.match(cell))


def _is_deadline(cell: str) -> bool:
    if len(cell) > 24:
        return False
    return read_deadline(cell) is not None or read_deadline("到" + cell) is not None


def _is_units(cell: str) -> bool:
    """Whether a cell is a list of units: names of bodies, none of them a sentence."""
    if not cell or any(mark in cell for mark in _SENTENCE_MARKS + _QUOTES):
        return False
    if cell.endswith("\u3001") and _is_units(cell[:-1]):
        return True
    names = split_units(cell)
    return bool(names) and all(names_a_body(n) and len(re.sub(r"\(.*?\)", "", n)) <= _NAME_LIMIT for n in names)


def _fill(table: TextTable, row: Row, cells: dict[int, str], previous: Row | None) -> None:
    """Put a row's cells (by column index) in their columns; a cell missing or empty ("") is the
    row above's; one left empty on purpose (——) stays empty."""
    for index, kind in enumerate(table.kinds):
        value = cells.get(index)
        if value is None:
            continue
        if kind == "other":
            row.other.append(value)
        elif kind == "year":
            year = _YEAR.match(table.headers[index])
            if value and not _is_empty(value):
                row.years[int(year["year"])] = value
        elif kind != "number" and value:
            row.cells[kind] = "" if _is_empty(value) else value
    if previous is not None:
        for index, kind in enumerate(table.kinds):
            if kind in ("number", "other", "year", "task") or kind in row.cells:
                continue
            if previous.cells.get(kind):
                row.cells[kind] = previous.cells[kind]
    for kind in [k for k, v in row.cells.items() if not v]:
        del row.cells[kind]


# ---------------------------------------------------------------------- one row a line


def _cells(line: str) -> list[str]:
    """A delimited row's cells: split at | when the row has them, else at tabs, else at 2+ spaces."""
    line = line.strip()
    if "|" in line:
        return [c.strip() for c in line.strip("|").split("|")]
    if "\t" in line:
        return [c.strip() for c in line.split("\t")]
    return [c.strip() for c in re.split(r"\s{2,}", line)]


def _is_header(headers: list[str]) -> bool:
    if len(headers) < 2 or any(not h or len(h) > _HEADER_LIMIT for h in headers):
        return False
    kinds = _kinds(headers)
    breakdown = "task" in kinds and any(k in kinds for k in UNIT_KINDS)
    return breakdown or ("number" in kinds and len(headers) >= 3)


def _delimited_table(lines, index) -> TextTable | None:
    start, header_line = lines[index]
    headers = _cells(header_line)
    if not _is_header(headers):
        return None
    table = TextTable(_caption(lines, index), headers, _kinds(headers), start, start + len(header_line))
    previous = None
    for position, line in lines[index + 1:]:
        if not line:
            continue
        if set(line) <= set("|-:\u2014 "):
            continue  # a markdown rule line
        if not _DELIMITED.search(line):
            break
        cells = _cells(line)
        table.end = position + len(line)
        if cells == headers:
            continue  # the header again, at a page break
        written = [c for c, k in zip(cells, table.kinds) if c and not _is_empty(c) and k != "number"]
        if len(set(written)) <= 1 and len(cells) > 2 and "task" in table.kinds:
            continue  # a row naming a part of the table, spanning every column
        row = Row(len(table.rows) + 1, position)
        _fill(table, row, dict(enumerate(cells[: len(headers)])), previous)
        if table.is_breakdown and not row.cells.get("task"):
            continue
        if "task" in table.kinds:
            task_index = table.kinds.index("task")
            row.start = position + max(0, line.find(cells[task_index])) if task_index < len(cells) else position
        table.rows.append(row)
        previous = row
    return table if table.rows else None


# ---------------------------------------------------------------------- one cell a line


def _flattened_header(lines, index) -> tuple[list[str], int] | None:
    """The header's words from `index` on, one a line, and the index after them."""
    headers: list[str] = []
    i = index
    started_with_number = column_kind(lines[index][1]) == "number"
    while i < len(lines) and len(headers) <= 12:
        line = lines[i][1]
        if not line:
            i += 1
            continue
        if len(line) > _HEADER_LIMIT or _DELIMITED.search(line) or _NUMBER.match(line) or _is_empty(line):
            break
        if column_kind(line) == "other" and not started_with_number:
            break
        headers.append(line)
        i += 1
    if len(headers) < 3 or not _is_header(headers):
        return None
    return headers, i


def _repeats_header(lines, i, headers) -> int:
    """The index after the header written again from line i, else i."""
    j = i
    for header in headers:
        while j < len(lines) and not lines[j][1]:
            j += 1
        if j >= len(lines) or lines[j][1] != header:
            return i
        j += 1
    return j


def _classify(lines, i) -> str:
    line = lines[i][1]
    if _is_empty(line):
        return "empty"
    if _NUMBER.match(line):
        return "number"
    if _is_deadline(line):
        return "deadline"
    if _is_units(line):
        return "units"
    nxt = next((text for _, text in lines[i + 1:i + 3] if text), "")
    if len(line) <= 12 and line.startswith(LEVEL_PREFIXES + QUANTIFIERS) and 0 < len(nxt) <= 4 and _is_units(line + nxt):
        return "units"  # 区土方工作 / 专班: a name wrapped over two lines
    return "text"


def _flattened_rows(table: TextTable, lines, i) -> int:
    """Read rows from line i; the index where the table ends."""
    kinds = table.kinds
    tail_kinds = [k for k in kinds[kinds.index("task") + 1:]] if "task" in kinds else []
    unit_columns = [j for j, k in enumerate(kinds) if k in UNIT_KINDS and j > kinds.index("task")]
    deadline_column = next((j for j, k in enumerate(kinds) if k == "deadline"), None)
    category_column = next((j for j, k in enumerate(kinds) if k == "category"), None)
    task_column = kinds.index("task")
    prefix: list[tuple[int, str]] = []
    opened = False  # just after a row's number
    previous = None
    stray = 0
    while i < len(lines):
        position, line = lines[i]
        if not line:
            i += 1
            continue
        if _ANNEX.match(line):
            break
        after = _repeats_header(lines, i, table.headers)
        if after != i:
            prefix, i = [], after
            continue
        kind = _classify(lines, i)
        if kind == "number" or (kind == "empty" and not prefix):
            prefix, i, opened = [], i + 1, True
            continue
        if opened and not prefix:
            kind = "text"  # a row's first cell after its number is its task or category (建设平台)
        opened = False
        if kind == "text":
            prefix.append((position, line))
            i += 1
            stray += 1
            if stray > 4:  # text that no row closes: the table has ended
                break
            continue
        if not prefix:
            i += 1
            continue
        # the row's tail: its unit cells, cells left empty and its deadline
        tail: list[tuple[str, str]] = []
        while i < len(lines):
            if not lines[i][1]:
                i += 1
                continue
            kind = _classify(lines, i)
            if kind not in ("units", "empty", "deadline") or len(tail) > 2 * len(tail_kinds) + 2:
                break
            cell = lines[i][1]
            if kind == "units" and tail and tail[-1][0] == "units" and \
                    (tail[-1][1].endswith("\u3001") or not _is_units(tail[-1][1])):
                tail[-1] = ("units", tail[-1][1] + cell)  # a cell continued on the next line
            else:
                tail.append((kind, cell))
            i += 1
        cells = _row_cells(prefix, tail, task_column, category_column, unit_columns, deadline_column)
        row = Row(len(table.rows) + 1, prefix[-1][0] if len(prefix) == 1 or category_column is None
                  else prefix[min(1, len(prefix) - 1)][0])
        _fill(table, row, cells, previous)
        table.rows.append(row)
        table.end = lines[i - 1][0] + len(lines[i - 1][1])
        previous, prefix, stray = row, [], 0
    return i


def _row_cells(prefix, tail, task_column, category_column, unit_columns, deadline_column) -> dict[int, str]:
    cells: dict[int, str] = {}
    texts = [text for _, text in prefix]
    first_is_content = len(texts[0]) > 24 or texts[0].endswith(("\u3002", ";"))
    if category_column is not None and len(texts) > 1 and not first_is_content:
        cells[category_column] = texts[0]
        texts = texts[1:]
    cells[task_column] = "".join(texts)
    free = list(unit_columns)
    for kind, cell in tail:
        if kind == "deadline" and deadline_column is not None and deadline_column not in cells:
            cells[deadline_column] = cell
        elif free:
            cells[free.pop(0)] = "" if kind == "empty" else cell
        elif unit_columns and kind == "units":
            last = unit_columns[-1]
            cells[last] = (cells.get(last) + "\u3001" if cells.get(last) else "") + cell
        elif kind == "empty" and deadline_column is not None and deadline_column not in cells:
            cells[deadline_column] = ""
    for column in unit_columns + ([deadline_column] if deadline_column is not None else []):
        if cells.get(column) == "":
            cells[column] = "\u2014\u2014"  # left empty on purpose: not the row above's
    return cells


def _flattened_table(lines, index) -> TextTable | None:
    found = _flattened_header(lines, index)
    if found is None:
        return None
    headers, i = found
    start = lines[index][0]
    table = TextTable(_caption(lines, index), headers, _kinds(headers), start, start)
    if table.is_breakdown:
        _flattened_rows(table, lines, i)
    else:
        _listed_rows(table, lines, i)
    return table if table.rows else None


def _listed_rows(table: TextTable, lines, i) -> None:
    """A flattened table with no unit column (a name list): each row its number and its cells."""
    width = len(table.headers) - 1
    previous = None
    expected = 1
    while i < len(lines):
        position, line = lines[i]
        if not line:
            i += 1
            continue
        if line.rstrip(".\u3001") != str(expected):
            break
        values: list[str] = []
        i += 1
        while i < len(lines) and len(values) < width:
            if lines[i][1]:
                if lines[i][1].rstrip(".\u3001") == str(expected + 1) and values:
                    break
                values.append(lines[i][1])
            i += 1
        row = Row(expected, position)
        _fill(table, row, dict(enumerate(values, start=1)), previous)
        table.rows.append(row)
        table.end = lines[i - 1][0] + len(lines[i - 1][1])
        previous = row
        expected += 1


def find_tables(text: str) -> list[TextTable]:
    lines = _lines(text)
    tables: list[TextTable] = []
    index = 0
    while index < len(lines):
        _, line = lines[index]
        table = None
        if line and len(line) <= _HEADER_LIMIT and not _DELIMITED.search(line) and \
                column_kind(line) in ("number", "task", "category"):
            table = _flattened_table(lines, index)
        elif line and _DELIMITED.search(line):
            table = _delimited_table(lines, index)
        if table is not None:
            tables.append(table)
            while index < len(lines) and lines[index][0] < table.end:
                index += 1
            continue
        index += 1
    return tables
