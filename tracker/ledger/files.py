"""Files written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import TrackerError


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Let `write` fill a file beside `path`, then rename it into place: no one ever sees half
    a ledger, and a failure leaves the old file as it was."""
    if not path.parent.exists():
        raise TrackerError("no such folder", where=str(path.parent))
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tracker-", suffix=path.suffix)
    os.close(handle)
    try:
        write(Path(temporary))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's owner-only
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
