"""The handle on one database that front ends open (by URL) and hand to the service's use cases.

Front ends never import the store: they hold a Database, open it with `reading()` or
`transaction()`, and pass what that yields to the functions of tracker.service, which own every
query. The handle itself is the store's (tracker/store/db.py).
"""

from ..store.db import Database, database_error, shown_url

__all__ = ["Database", "database_error", "shown_url"]
