"""The one text layout every format reader writes, so the text reader reads them all alike.

- A paragraph is one line.
- A table is one row a line, `| cell | cell | cell |`, header row first. A merged cell's value
  stands in every row and column it spans; line breaks inside a cell are gone; a `|` inside a
  cell becomes `/`.
"""

from __future__ import annotations

import re

_SPACE = re.compile(r"[ \t\u00a0\u3000]+")
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_WIDE_OR_QUOTE = _WIDE + "\u2014\u2018-\u201d\u2026"
# A wrap next to a Chinese character (or a Chinese quote or dash) joins without a space.
_WRAP = re.compile(rf"(?<=[{_WIDE_OR_QUOTE}])[ \t]*\n[ \t]*|[ \t]*\n[ \t]*(?=[{_WIDE_OR_QUOTE}])")
# A piece of a cell that ends in one of these continues as running text; any other end is a
# list item (a unit name, a short phrase) set on a line of its own.
_RUNS_ON = "。；;，,、：:！？!?（(《“"
_LIST_ITEM = 30  # a piece longer than this is prose, however it ends


def clean_line(text: str) -> str:
    """One paragraph on one line. A line break beside a Chinese character is a wrap and goes
    (as browsers and word processors render it); one between two Latin words becomes a space;
    runs of spaces fold to one. Spaces the writer typed stay."""
    text = _WRAP.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _SPACE.sub(" ", text.replace("\n", " ").replace("\v", " ")).strip()


def join_pieces(pieces: list[str]) -> str:
    """A cell's paragraphs (or deliberate line breaks) as one line. Where the writer broke a
    list of short items (区绿化市容局 / 区城管执法局) each onto its own line, they are joined
    with 、 so they stay apart; prose broken into paragraphs is joined as it reads."""
    out = ""
    for piece in (clean_line(p) for p in pieces):
        if not piece:
            continue
        if out and out[-1] not in _RUNS_ON and len(_last_piece(out)) <= _LIST_ITEM and len(piece) <= _LIST_ITEM:
            out += "、"
        out += piece
    return out


def _last_piece(text: str) -> str:
    return re.split(r"[、。；;]", text)[-1]


def cell_text(text: str) -> str:
    return clean_line(text).replace("|", "/")


def pipe_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell_text(c) for c in cells) + " |"


def pipe_table(rows: list[list[str]]) -> list[str]:
    """Rows of cells (merged values already repeated) as lines; empty rows dropped, short rows
    padded so every row has the header's width."""
    rows = [r for r in rows if any(cell_text(c) for c in r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    return [pipe_row(r + [""] * (width - len(r))) for r in rows]


def is_data_table(rows: list[list[str]]) -> bool:
    """A table of data (two columns or more) rather than a frame laying out a page."""
    return any(len({c for c in r}) >= 2 for r in rows)


def lines_to_text(lines: list[str]) -> str:
    out = [line for line in (line.rstrip() for line in lines) if line.strip()]
    return "\n".join(out) + "\n" if out else ""
