"""Written unit names as the registry compares them: folded (full-width brackets to half-width,
whitespace removed), without the jurisdiction's own prefix, and the closest known ones.

Cheap to import (no schema, no pydantic): `tracker tasks`' direct read matches names with these
before any registry is loaded.
"""

from __future__ import annotations

import difflib
import re

# Full-width and half-width forms the published texts mix freely: the Halfwidth and Fullwidth
# Forms block (U+FF01–FF5E, ASCII shifted by 0xFEE0, so （ → "(" and ， → ","), angle and book
# brackets (〈〉《》 U+3008–300B) as <>, small brackets (﹙﹚ U+FE59–FE5A) as ().
_FOLD = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
                       "\u3008": "<", "\u3009": ">", "\u300a": "<", "\u300b": ">", "\ufe59": "(", "\ufe5a": ")"})
_SPACE = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """The form names are compared in: brackets folded to half-width, whitespace removed."""
    return _SPACE.sub("", name.translate(_FOLD))


def local_form(folded: str, jurisdiction: str) -> str | None:
    """A name written with its jurisdiction in front, as that jurisdiction's own units are named
    (青岛市商务局 → 市商务局, 上海市松江区财政局 → 区财政局); None when it does not start so.
    The one statement of the rule: the registry, the service and `tracker tasks`' direct read
    all look names up this way, each only within that jurisdiction."""
    if not folded.startswith(jurisdiction) or folded == jurisdiction:
        return None
    return jurisdiction[-1] + folded[len(jurisdiction):]


def closest_names(name: str, names: dict[str, str], n: int = 3) -> list[str]:
    """The canonical names whose spellings are closest to `name`. Similarity is the characters
    in common over the longer of the two, so 市发展改革局 finds 市发展改革委 before
    莱西市发展改革局 (which merely contains it)."""
    folded = normalise_name(name)
    scored: dict[str, float] = {}
    for alias, canonical in names.items():
        common = sum(b.size for b in difflib.SequenceMatcher(None, folded, alias).get_matching_blocks())
        score = common / max(len(folded), len(alias), 1)
        if score >= 0.4 and score > scored.get(canonical, 0):
            scored[canonical] = score
    return sorted(scored, key=lambda c: -scored[c])[:n]
