"""The `tracker` command line: main.py is the root group and the everyday commands, context.py
what sub-commands share; one module per command family (database, digest, feeds, ledger, parse,
tui), each imported only when its command runs."""

from .main import cli, main

__all__ = ["cli", "main"]
