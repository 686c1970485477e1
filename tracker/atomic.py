"""Files written whole or not at all.

A calendar client, a mail merge or a person opening a ledger mid-write would see half a file,
so every file tracker writes is filled beside its final name and renamed into place; a failure
leaves the old file as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any
from pathlib import Path

from .errors import N_, TrackerError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: Path, write: Callable[[Path], Any]) -> Path:
    """Let `write` fill a temporary file beside `path`, then rename it into place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        os.close(handle)
    except (FileExistsError, NotADirectoryError):
        raise TrackerError(N_("cannot create the folder: a file is in the way"), where=str(path.parent)) from None
    except OSError as exc:
        raise TrackerError(N_("cannot write here: {reason}"), where=str(path.parent), reason=exc.strerror) from None
    try:
        write(Path(temporary))
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # as an ordinary new file, not mkstemp's owner-only
        os.replace(temporary, path)
    except IsADirectoryError:
        raise TrackerError(N_("is a folder, not a file"), where=str(path)) from None
    except OSError as exc:
        raise TrackerError(N_("cannot write: {reason}"), where=str(path), reason=exc.strerror) from None
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def write_file(path: Path, content: str | bytes) -> Path:
    """Write text (UTF-8) or bytes, whole or not at all."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    return write_atomically(path, lambda temporary: temporary.write_bytes(content))


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds exactly that, so unchanged files keep their
    modification times (and rsync and HTTP caches in front of them stay quiet). True if written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise TrackerError(N_("is a folder, not a file"), where=str(path)) from None
    write_file(path, data)
    return True
