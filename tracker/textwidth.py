"""Text for terminals: columns where a Chinese character takes two cells, and user data that
cannot act on the terminal.

Cells are padded by display width and cut with an ellipsis, never in the middle of a character.
Notes, names and task texts come from other people and from files; `printable` shows their
control and format characters (escape codes, bell, backspace, right-to-left overrides, line
separators) as visible escapes, so what reaches a terminal is what was written, not what it does.
Every output edge uses it: the CLI's lines and JSON, the text and Markdown digests, the TUI's
widgets. `says_nothing` tells a note that only looks written (zero-width spaces) from one that is.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


# Unicode categories that act on a terminal or on the order and shape of text rather than being
# text: controls, format characters (bidi overrides and isolates, zero-width spaces, the BOM),
# lone surrogates and the line/paragraph separators. Newline and tab are layout; the zero-width
# joiner and non-joiner are part of how emoji and some scripts are written.
_ACTING = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_KEPT = frozenset("\n\t\u200c\u200d")


def _escape(ch: str) -> str:
    # \uXXXX is readable and, inside a JSON string, decodes back to the same character
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def printable(text: str) -> str:
    """`text` with every character that would act on a terminal shown as a `\\uXXXX` escape."""
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text  # the common case, decided in C
    return "".join(_escape(ch) if ch not in _KEPT and unicodedata.category(ch) in _ACTING else ch for ch in text)


# letters that draw nothing (Hangul fillers, the braille blank, the Mongolian vowel separator)
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def says_nothing(text: str | None) -> bool:
    """True when `text` holds nothing a reader could see: empty, or only spaces, controls,
    format characters (zero-width spaces, joiners, bidi marks), combining marks with nothing to
    sit on, or letters that draw nothing."""
    # stops at the first visible character, so a real note costs a character or two
    return not text or all(ch in _INVISIBLE or unicodedata.category(ch)[0] in "ZCM" or ch.isspace() for ch in text)


@lru_cache(maxsize=8192)
def _cells(ch: str) -> int:
    # cached per character: a task list of 2,000 rows asks about the same few thousand characters
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1


def width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(map(_cells, text))


def _fit(text: str, cells: int) -> tuple[str, int]:
    text = " ".join(printable(text).split())
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
