"""Feed file names that every file system accepts."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str) -> str:
    """A file name from a unit or plan name: no path separators, nothing Windows refuses."""
    name = _UNSAFE.sub("_", text).strip(". ")
    return name or "_"
