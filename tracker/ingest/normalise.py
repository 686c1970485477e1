"""Web-copy noise out, so every reader sees plain simplified Chinese.

Published texts copied from the web come with pinyin glosses after characters (`發(fā)展`) and
in traditional characters; some use full-width digits and odd spaces. The plan file keeps the
original as its source (path and SHA-256); everything else reads the normalised text.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A gloss is one pinyin syllable with a tone mark (or ü) in brackets: (fā) (guān) (lǜ).
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
_GLOSS = re.compile(rf"[(\uff08][a-z]*[{_TONED}][a-z{_TONED}]*[)\uff09]")
# Odd spaces become plain ones; zero-width characters go. U+3000 (the ideographic space) stays in
# the text, where it is what was published, and is folded to a space on the matching copy.
_WIDTH = str.maketrans({"\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u200b": "", "\ufeff": ""})
# The Halfwidth and Fullwidth Forms block, U+FF01–FF5E, is ASCII U+0021–007E shifted by 0xFEE0;
# with U+3000 → space the fold is one character for one, so offsets in the folded copy are
# offsets in the text.
_FOLD = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}, "\u3000": " "})
_BULLET = re.compile(r"^[•●▪◆·]+")
# Control characters a web copy can carry (not line breaks or tabs, which tables use).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Traditional characters that never appear in simplified text: a cheap test before converting.
_TRADITIONAL_HINTS = set("發關於現務業區們來時會對這經與為問國學長開當實體點從說過進動還總應種樣將員產當門")


@lru_cache(maxsize=1)
def _converter():
    import opencc  # opencc-python-reimplemented: pure Python, loaded only when needed

    return opencc.OpenCC("t2s")


def strip_glosses(text: str) -> str:
    return _GLOSS.sub("", text)


def to_simplified(text: str) -> str:
    if not any(char in _TRADITIONAL_HINTS for char in text):
        return text
    return _converter().convert(text)


def fold(text: str) -> str:
    """The copy every pattern matches on: full-width forms (（）：，；．～０-９Ａ-Ｚ) as their ASCII
    twins and U+3000 as a space, one character for one, so a match's offsets hold in `text`."""
    return text.translate(_FOLD)


def normalise(text: str) -> str:
    """The text every reader works on: glosses stripped, simplified, lines stripped of
    indentation and bullets (line breaks kept: headings are lines). Full-width characters are
    kept as published: tasks quote the text; matching is done on `fold(text)`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", to_simplified(strip_glosses(text)).translate(_WIDTH))
    return "\n".join(_BULLET.sub("", line.strip()).strip() for line in text.split("\n"))
