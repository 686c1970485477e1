"""The options several commands share, defined once so each means the same thing everywhere:

- `-u/--unit NAME`: the unit a command is about (its name, short name or alias);
- `-j/--jurisdiction NAME`: that unit's jurisdiction, needed only when its name is used in
  several (市商务局); when the command also has `--plan`, the plan's jurisdiction settles it;
- `--plan KEY`: a plan by its key (`tracker plan list`);
- `--format FORMAT`: the output's format, `--json` kept as the alias of `--format json`;
- `-q/--quiet`: no progress bar and no notes, only the summary line (and errors).

Help texts are the catalogue's message ids (English), translated when --help is shown.
"""

from __future__ import annotations

import functools

import click

from ..i18n import N_

UNIT_HELP = N_("The unit: its name, short name or alias.")
JURISDICTION_HELP = N_("The unit's jurisdiction, needed when its name exists in several (市商务局); "
                       "with --plan, the plan's jurisdiction settles it.")
FORMAT_HELP = N_("The output's format.")
JSON_HELP = N_("Print JSON (the same as --format json).")
QUIET_HELP = N_("No progress bar and no notes: only the summary line (and errors).")


def unit(*, required: bool = False, help: str = UNIT_HELP, aliases: tuple[str, ...] = ()):
    """-u/--unit NAME, passed as `unit_name`."""
    return click.option("--unit", "-u", *aliases, "unit_name", required=required, metavar="UNIT", help=help)


def jurisdiction(*, required: bool = False, help: str = JURISDICTION_HELP):
    """-j/--jurisdiction NAME, passed as `jurisdiction`."""
    return click.option("--jurisdiction", "-j", "jurisdiction", required=required, metavar="JURISDICTION", help=help)


def unit_and_jurisdiction(*, required: bool = False, unit_help: str = UNIT_HELP,
                          jurisdiction_help: str = JURISDICTION_HELP, aliases: tuple[str, ...] = ()):
    """-u/--unit and -j/--jurisdiction, in that order in --help."""
    def decorate(command):
        command = jurisdiction(help=jurisdiction_help)(command)
        return unit(required=required, help=unit_help, aliases=aliases)(command)
    return decorate


def plan(*, required: bool = False, help: str = N_("The plan's key (tracker plan list).")):
    """--plan KEY, passed as `plan_key`."""
    return click.option("--plan", "plan_key", required=required, metavar="KEY", help=help)


quiet = click.option("--quiet", "-q", is_flag=True, help=QUIET_HELP)


def output_format(choices: tuple[str, ...] = ("text", "json"), default: str = "text", help: str = FORMAT_HELP):
    """--format CHOICE, passed as `fmt`, and (when json is a choice) --json, its alias: the
    command sees only `fmt`. --json with another --format is a usage error."""
    def decorate(command):
        if "json" in choices:
            @functools.wraps(command)
            def with_alias(*args, fmt: str | None, as_json: bool, **kwargs):
                if as_json:
                    if fmt not in (None, "json"):
                        raise click.UsageError(_both(fmt))
                    fmt = "json"
                return command(*args, fmt=fmt or default, **kwargs)

            wrapped = click.option("--json", "as_json", is_flag=True, help=JSON_HELP)(with_alias)
            # no default here, so --json can tell whether a --format was given too
            return click.option("--format", "fmt", type=click.Choice(choices), default=None, metavar=_metavar(choices),
                                help=help)(wrapped)
        return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                            metavar=_metavar(choices), help=help)(command)
    return decorate


def _metavar(choices: tuple[str, ...]) -> str:
    return "[" + "|".join(choices) + "]"


def _both(fmt: str) -> str:
    from ..i18n import _

    return _("--json is --format json; it cannot go with --format {format}").format(format=fmt)
