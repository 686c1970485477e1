"""A Word document (.docx, python-docx) → its text: paragraphs in order with the numbers Word
draws for them (一、 （一） 1. as the list definitions say), tables as `| cell |` rows with
merged cells repeated. Headers, footers and page numbers are not the body, so they are not read.
"""

from __future__ import annotations

import io
import re

from .layout import clean_line, join_pieces, lines_to_text, pipe_table
from ...i18n import N_
from .sniff import UnreadableFile

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DIGITS = "零一二三四五六七八九"


def chinese_counting(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十: Word's chineseCounting."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    return str(n)  # lists of a hundred headings do not occur


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                           (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letter(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "ideographDigital"):
        return chinese_counting(n) if fmt != "ideographDigital" else "".join(_DIGITS[int(d)] for d in str(n))
    if fmt == "chineseLegalSimplified":
        return chinese_counting(n).translate(str.maketrans("一二三四五六七八九十百", "壹贰叁肆伍陆柒捌玖拾佰"))
    if fmt in ("ideographTraditional", "ideographZodiac"):
        stems = "甲乙丙丁戊己庚辛壬癸" if fmt == "ideographTraditional" else "子丑寅卯辰巳午未申酉戌亥"
        return stems[(n - 1) % len(stems)]
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "decimalFullWidth":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt == "lowerLetter":
        return _letter(n)
    if fmt == "upperLetter":
        return _letter(n).upper()
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    if fmt in ("bullet", "none"):
        return ""
    return str(n)  # decimal, decimalZero and the rest


class Numbering:
    """Word's list numbering: which number each numbered paragraph shows."""

    def __init__(self, document):
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # abstractNumId → ilvl → (fmt, text, start)
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId → (abstractNumId, start overrides)
        self.counters: dict[str, list[int | None]] = {}
        self.started: set[str] = set()
        self.styles = document.styles
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        for abstract in root.iter(f"{_W}abstractNum"):
            levels = {}
            for lvl in abstract.iter(f"{_W}lvl"):
                levels[int(lvl.get(f"{_W}ilvl", "0"))] = (_val(lvl, "numFmt", "decimal"), _val(lvl, "lvlText", ""),
                                                          int(_val(lvl, "start", "1") or 1))
            self.levels[abstract.get(f"{_W}abstractNumId")] = levels
        for num in root.iter(f"{_W}num"):
            abstract = num.find(f"{_W}abstractNumId")
            overrides = {}
            for override in num.iter(f"{_W}lvlOverride"):
                start = override.find(f"{_W}startOverride")
                if start is not None:
                    overrides[int(override.get(f"{_W}ilvl", "0"))] = int(start.get(f"{_W}val", "1"))
            if abstract is not None:
                self.nums[num.get(f"{_W}numId")] = (abstract.get(f"{_W}val"), overrides)

    def _num_pr(self, paragraph) -> tuple[str, int] | None:
        """(numId, ilvl) of the paragraph, its own or its style's (styles inherit from their base)."""
        p_pr = paragraph._p.pPr
        num_pr = p_pr.numPr if p_pr is not None else None
        style = paragraph.style
        while num_pr is None and style is not None:
            style_pr = style.element.pPr
            num_pr = style_pr.numPr if style_pr is not None else None
            style = style.base_style
        if num_pr is None or num_pr.numId is None:
            return None
        return str(num_pr.numId.val), int(num_pr.ilvl.val) if num_pr.ilvl is not None else 0

    def label(self, paragraph) -> str:
        found = self._num_pr(paragraph)
        if found is None or found[0] not in self.nums:
            return ""
        num_id, ilvl = found
        abstract, overrides = self.nums[num_id]
        levels = self.levels.get(abstract, {})
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract, [None] * 10)
        if num_id not in self.started:  # a list restarted with its own start values
            self.started.add(num_id)
            for level, start in overrides.items():
                if level < len(counters):
                    counters[level] = start - 1
        start = overrides.get(ilvl, levels[ilvl][2])
        counters[ilvl] = (counters[ilvl] if counters[ilvl] is not None else start - 1) + 1
        for deeper in range(ilvl + 1, len(counters)):
            counters[deeper] = None

        def number(match: re.Match) -> str:
            level = int(match.group(1)) - 1
            fmt, _, first = levels.get(level, ("decimal", "", 1))
            value = counters[level] if level < len(counters) and counters[level] is not None else first
            return format_number(value, fmt)

        fmt, text, _ = levels[ilvl]
        return "" if fmt == "bullet" else re.sub(r"%(\d)", number, text)


def _val(element, child: str, default: str) -> str:
    found = element.find(f"{_W}{child}")
    return found.get(f"{_W}val", default) if found is not None else default


def read_docx(raw: bytes, *, where: str) -> str:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # a damaged zip or missing parts: all the same to the user
        detail = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
        raise UnreadableFile(N_("the Word file is damaged and cannot be opened ({detail})"), where=where,
                             detail=detail) from None
    numbering = Numbering(document)
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table(block, numbering))
        else:
            lines.append(clean_line(numbering.label(block) + block.text))
    return lines_to_text(lines)


def _cell(cell, numbering: Numbering) -> str:
    return join_pieces([numbering.label(p) + p.text for p in cell.paragraphs])


def _table(table, numbering: Numbering) -> list[str]:
    rows: list[list[str]] = []
    seen: dict = {}  # a merged cell's <w:tc> → its text, read once (numbers counted once)
    for row in table.rows:
        cells = [""] * row.grid_cols_before
        for cell in row.cells:
            key = cell._tc
            if key not in seen:
                seen[key] = _cell(cell, numbering)
            cells.append(seen[key])
        rows.append(cells + [""] * row.grid_cols_after)
    if max((len(set(r)) for r in rows), default=0) < 2:
        return [line for r in rows for line in r if line]  # one column: a frame, not a table
    return pipe_table(rows)
