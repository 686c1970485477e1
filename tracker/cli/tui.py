"""`tracker tui`: open the liaison's app. Textual is imported only when it runs."""

from __future__ import annotations

import sys

import click

from ..errors import TrackerError
from . import language, options
from .context import App, pass_app


@language.command()
@options.unit_and_jurisdiction(unit_help="Act as this unit (name, short name or alias).", aliases=("--as",),
                               jurisdiction_help="The unit's jurisdiction, when its name exists in several (市商务局).")
@click.option("--liaison", metavar="NAME", help="The liaison's name, recorded with each update.")
@pass_app
def tui(app: App, unit_name: str | None, jurisdiction: str | None, liaison: str | None) -> None:
    """The liaison's terminal app: your unit's tasks, their detail, and recording progress.

    On first start it asks which unit (and liaison) you are and remembers the answer."""
    from ..tui.identity import resolve
    from ..tui.text import tr

    db = app.db
    with db.reading() as session:
        start = resolve(session, as_unit=unit_name, jurisdiction=jurisdiction, liaison=liaison)
    # without a terminal Textual writes escape codes into a pipe and waits for keys that never come
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise TrackerError(tr("no_terminal", app.lang))
    from ..tui.app import TrackerApp

    tracker_app = TrackerApp(db, lang=app.lang, start=start)
    tracker_app.run()
    if tracker_app.return_code:
        sys.exit(tracker_app.return_code)
