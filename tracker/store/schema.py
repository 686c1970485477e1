"""The schema's revisions, read from the migration files themselves: the one place that knows
which migrations this version of tracker has and which is the newest.

Read with a regular expression, not by importing Alembic (or SQLAlchemy): `tracker tasks` checks
the database's revision before either is loaded, and every other command compares one row
against the head instead of loading Alembic to ask it. tests/test_schema.py checks that Alembic
agrees.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


@cache
def revisions() -> tuple[str, ...]:
    """Every migration, oldest first; empty when they do not form one line (two heads, a gap)."""
    parent_of: dict[str, str | None] = {}
    for path in VERSIONS.glob("*.py"):
        values = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        if "revision" in values:
            down = ast.literal_eval(values.get("down_revision", "None"))
            parent_of[ast.literal_eval(values["revision"])] = down if not isinstance(down, (tuple, list)) else None
    heads = set(parent_of) - set(parent_of.values())
    if len(heads) != 1:
        return ()
    line = [heads.pop()]
    while (parent := parent_of.get(line[-1])) is not None:
        line.append(parent)
    return tuple(reversed(line)) if len(line) == len(parent_of) else ()


def head() -> str | None:
    """The newest migration; None when the migrations do not form one line."""
    line = revisions()
    return line[-1] if line else None
