"""Progress on long work (`plan load` of many files, `feed export --all`, `digest --all`,
`digest send --all`, `ledger import-progress`): a rich bar on the terminal, on standard error,
and nothing at all when standard error is not a terminal (a pipe, a log, a test) or the
command was given `--quiet`. The command's summary line is its own business and always stays.

TRACKER_PROGRESS=always draws the bar even when standard error is no terminal (to see it in a
log, or to test it); TRACKER_PROGRESS=never never draws it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_ALWAYS = ("always", "1", "on", "yes")
_NEVER = ("never", "0", "off", "no")


def _console(quiet: bool):
    """The console to draw on, or None when no bar should be drawn."""
    if quiet:
        return None
    switch = os.environ.get("TRACKER_PROGRESS", "").strip().lower()
    if switch in _NEVER:
        return None
    from rich.console import Console

    console = Console(stderr=True, force_terminal=True if switch in _ALWAYS else None)
    return console if console.is_terminal else None


def shown(quiet: bool = False) -> bool:
    """Whether a bar would be drawn now."""
    return _console(quiet) is not None


@contextmanager
def steps(label: str, total: int | None, *, quiet: bool = False) -> Iterator[Callable[[], None]]:
    """A bar labelled `label` of `total` steps, for work that is not one loop: the block gets a
    function to call as each step is done. The bar goes when the block ends: the summary line
    the command prints next is what stays on the screen."""
    console = _console(quiet)
    if console is None:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # stdout is left alone: what a command prints while the bar runs is its output, not the bar's
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, redirect_stdout=False, redirect_stderr=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def track(items: Iterable[T], label: str, *, quiet: bool = False, total: int | None = None) -> Iterator[T]:
    """`items`, one by one, with a bar advancing as each is done (after the caller's loop body
    for it has run)."""
    if total is None and isinstance(items, Sized):
        total = len(items)
    with steps(label, total, quiet=quiet) as done:
        for item in items:
            yield item
            done()
