"""The one exception type users see: a clear message that names where the problem is."""


class TrackerError(Exception):
    """Bad input or a refused command. The CLI prints the message and exits non-zero."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class NotFound(TrackerError):
    """A unit, plan or task that does not exist."""


class PermissionDenied(TrackerError):
    """A liaison tried to update an assignment that is not theirs."""

    exit_code = 4


class NothingToUndo(TrackerError):
    """Undo asked for where there is no update, or the latest entry is itself an undo."""

    def __init__(self, message: str, *, already_undone: bool = False):
        self.already_undone = already_undone
        super().__init__(message)


class Conflict(TrackerError):
    """Someone else recorded an update since the caller last looked."""

    exit_code = 5

    def __init__(self, message: str, *, newer=None):
        self.newer = newer
        super().__init__(message)
