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
_GLOSS = re.compile(rf"[((][a-z]*[{_TONED}][a-z{_TONED}]*[))]")
_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                        "\u00a0": " ", "\u3000": " ", "\u2002": " ", "\u2003": " ", "\u200b": "", "\ufeff": ""})
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


def normalise(text: str) -> str:
    """The text every reader works on: glosses stripped, simplified, digits half-width,
    lines stripped of indentation and bullets (line breaks kept: headings are lines)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", to_simplified(strip_glosses(text)).translate(_WIDTH))
    return "\n".join(_BULLET.sub("", line.strip()).strip() for line in text.split("\n"))
