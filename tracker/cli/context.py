"""What the `tracker` sub-commands share: the App (settings, the database opened on first use),
the decorator that passes it, and small helpers for options and output.

Command modules import this, never the root group in tracker.cli.main, so loading a command on
first use cannot import the root in a cycle.
"""

from __future__ import annotations

import json

import click

from ..config import Settings
from ..textwidth import printable


class App:
    """What every command needs: settings, and the database opened on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._db = None

    @property
    def lang(self) -> str:
        return self.settings.lang

    @property
    def db(self):
        if self._db is None:
            from ..service.database import Database

            self._db = Database(self.settings.database_url)
            if self._db.created and self.settings.is_embedded_default:
                from ..service.loading import load_bundled

                load_bundled(self._db)
        return self._db

    def unit(self, session, name: str, jurisdiction: str | None = None, plan_key: str | None = None):
        """A unit named on the command line. A name several jurisdictions use (市商务局) needs
        --jurisdiction, unless the command names a plan: then the plan's jurisdiction settles it."""
        from ..errors import AmbiguousUnit
        from ..service import find_plan, find_unit

        try:
            return find_unit(session, name, jurisdiction)
        except AmbiguousUnit as exc:
            if jurisdiction or not plan_key:
                raise
            where = find_plan(session, plan_key).jurisdiction
            if where not in exc.jurisdictions:
                raise
            return find_unit(session, name, where)


pass_app = click.make_pass_decorator(App)

ROLE_CHOICE = click.Choice(["lead", "responsible"])


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """click.echo for anything that may carry user data (notes, names, task texts, a returned
    file's cells): escape codes, bells, backspaces and bidi overrides are shown as \\uXXXX
    escapes, never sent to the terminal as they are (tracker.textwidth.printable)."""
    click.echo(printable(text), err=err, nl=nl)


def echo_json(data) -> None:
    # JSON escapes C0 controls itself; printable escapes the rest (C1, bidi) the way JSON reads back
    echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
