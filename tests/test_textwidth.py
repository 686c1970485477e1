"""Text for terminals: user data never acts on the terminal it is shown in."""

from __future__ import annotations

import json
import sys
import unicodedata

from tracker.textwidth import fit, printable


def test_every_acting_character_is_shown_as_an_escape_and_nothing_else_is():
    acting = {"Cc", "Cf", "Cs", "Zl", "Zp"}
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        shown = printable(ch)
        if ch in "\n\t\u200c\u200d" or unicodedata.category(ch) not in acting:
            assert shown == ch, hex(code)
        else:
            assert shown.startswith("\\u") and shown.isascii(), hex(code)


def test_escapes_read_back_as_the_same_text_inside_json():
    note = "已完成\x1b[31m\a\b\r\u202e\u2066\u200b\x85\U000e0001 数据\n下一步"
    shown = printable(json.dumps(note, ensure_ascii=False))
    assert shown.isprintable() and json.loads(shown) == note


def test_columns_are_cut_after_escaping():
    cell = fit("\x1b[2J清屏\u202e", 12)
    assert cell == "\\u001b[2J清…" and "\x1b" not in cell
