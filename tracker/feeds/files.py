"""Writing feed files: atomically, and only when the bytes changed.

A calendar client or a web server reading a feed file mid-write would see half a calendar, so
each file is written beside its final name and moved into place with os.replace. Unchanged files
are left alone, so their modification times (and rsync, and HTTP caches in front) stay quiet.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ..errors import TrackerError

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str) -> str:
    """A file name from a unit or plan name: no path separators, nothing Windows refuses."""
    name = _UNSAFE.sub("_", text).strip(". ")
    return name or "_"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` unless it already holds exactly that; True when it wrote."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise TrackerError("is a folder, not a file", where=str(path)) from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except (FileExistsError, NotADirectoryError):
        raise TrackerError("cannot create the folder: a file is in the way", where=str(path.parent)) from None
    except PermissionError:
        raise TrackerError("permission denied", where=str(path.parent)) from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; a calendar is for sharing
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return True
