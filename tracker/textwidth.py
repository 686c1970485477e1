"""Text columns for terminals where a Chinese character takes two cells.

Cells are padded by display width and cut with an ellipsis, never in the middle of a character.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=8192)
def _cells(ch: str) -> int:
    # cached per character: a task list of 2,000 rows asks about the same few thousand characters
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1


def width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(map(_cells, text))


def _fit(text: str, cells: int) -> tuple[str, int]:
    text = " ".join(text.split())
    used = width(text)
    if used <= cells:
        return text, used
    out, used = [], 0
    for ch in text:
        w = _cells(ch)
        if used + w > cells - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…", used + 1


def fit(text: str, cells: int) -> str:
    """`text` cut to at most `cells` display cells, ending in … when cut."""
    return _fit(text, cells)[0]


def pad(text: str, cells: int) -> str:
    text, used = _fit(text, cells)
    return text + " " * (cells - used)


def table(headers: list[str], rows: list[list[str]], widths: list[int | None]) -> str:
    """Rows laid out in columns; a width of None lets that column take what it needs."""
    resolved = [w if w is not None else max([width(h) for h in [headers[i]]] + [width(r[i]) for r in rows])
                for i, w in enumerate(widths)]
    lines = ["  ".join(pad(h, w) for h, w in zip(headers, resolved)).rstrip()]
    lines += ["  ".join(pad(c, w) for c, w in zip(row, resolved)).rstrip() for row in rows]
    return "\n".join(lines)
