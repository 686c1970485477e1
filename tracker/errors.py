"""The one exception type users see: a clear message that names where the problem is."""


class TrackerError(Exception):
    """Bad input or a refused command. The CLI prints the message and exits non-zero."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class NotFound(TrackerError):
    """A unit, plan or task that does not exist."""


class AmbiguousUnit(TrackerError):
    """A unit name that several jurisdictions use (市商务局): the caller must say which."""

    def __init__(self, name: str, jurisdictions: tuple[str, ...]):
        self.name = name
        self.jurisdictions = jurisdictions
        places = "、".join(jurisdictions)
        super().__init__(f"{name!r} exists in several jurisdictions ({places}); add --jurisdiction")


class DatabaseError(TrackerError):
    """The database refused or could not be reached (gone away, locked past the busy timeout,
    disk full). Raised at the store's edge in place of the driver's own error, so no front end
    needs to know which driver is underneath."""

    exit_code = 3

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"database: {reason}")


class PermissionDenied(TrackerError):
    """A liaison tried to update an assignment that is not theirs."""

    exit_code = 4


class NothingToUndo(TrackerError):
    """Undo asked for where there is no update, or the latest entry is itself an undo."""

    def __init__(self, message: str, *, already_undone: bool = False):
        self.already_undone = already_undone
        super().__init__(message)


class Conflict(TrackerError):
    """Someone else recorded an update since the caller last looked.

    `newer` is the latest history entry (who, when, what); `state` the assignment as it is now
    (status, percent, version): enough to show the newer update and base the next try on it."""

    exit_code = 5

    def __init__(self, message: str, *, newer=None, state=None):
        self.newer = newer
        self.state = state
        super().__init__(message)
