"""`tracker plan parse SOURCE`: a published plan (web page, Word, PDF, spreadsheet or text) → a plan
draft (TOML) or its JSON.

Imports only click at import time; the readers load when the command runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from . import language
from ..errors import N_, TrackerError
from ..i18n import _, ngettext, npgettext
from ..atomic import write_file
from .context import echo


class NothingFound(TrackerError):
    """The text holds no annotated task and no target: nothing to draft."""

    exit_code = 3


def _registry(registry_path: Path | None, output: Path | None):
    from ..config import BUNDLED_PLANS
    from ..registry import Registry

    if registry_path is None:
        beside = output.parent / "units.toml" if output else None
        registry_path = beside if beside and beside.exists() else BUNDLED_PLANS / "units.toml"
        if not registry_path.exists():
            return None
    return Registry.load(registry_path)


def _plan_key(key: str | None, output: Path | None, source: Path) -> str:
    from ..planfile import KEY_PATTERN

    chosen = key or (output.stem if output else source.stem)
    if not KEY_PATTERN.match(chosen):
        raise TrackerError(N_("plan key {chosen!r} may hold only letters, digits, '.', '-' and '_'; pass --key"), chosen=chosen)
    return chosen


@language.command("parse")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the draft here (a plan file, FILE.toml) instead of printing it.")
@click.option("--format", "fmt", type=click.Choice(["json", "toml"]),
              help="json: tasks, targets and warnings; toml: a plan file. Default: toml with -o FILE.toml, else json.")
@click.option("--jurisdiction", "-j", help="The plan's jurisdiction (default: read from the text, e.g. 青岛市).")
@click.option("--key", help="The plan key (default: the -o file's name, else the source's).")
@click.option("--registry", "registry_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Unit registry to check names against (default: units.toml beside -o, else plans/units.toml).")
@click.option("--force", is_flag=True, help="Replace an existing -o file (it may hold a person's review).")
@click.pass_obj
def parse(app, source: Path, output: Path | None, fmt: str | None, jurisdiction: str | None, key: str | None,
          registry_path: Path | None, force: bool) -> None:
    """Read a published plan's text into a plan draft: tasks with lead and responsible units and
    deadlines, targets, and warnings for the person who reviews it."""
    from ..ingest.reader import read_text, to_json, to_plan_file

    lang = getattr(app, "lang", "zh")
    fmt = fmt or ("toml" if output is not None and output.suffix == ".toml" else "json")
    if output is not None and output.exists() and not force:
        raise TrackerError(N_("already exists; pass --force to replace it (it may hold a person's review)"),
                           where=str(output))
    from ..ingest.formats import read_document

    document = read_document(source)  # html, docx, pdf, xlsx, csv or text, told by content
    raw, text = document.raw, document.text
    for warning in document.warnings:
        echo("  " + _("note: {note}").format(note=warning), err=True)
    registry = _registry(registry_path, output)
    draft = read_text(text, registry=registry, jurisdiction=jurisdiction)
    if not draft.tasks and not draft.targets:
        raise NothingFound(N_("no annotated tasks (and no targets) found: is this an action plan? Nothing written."),
                           where=str(source))
    plan_key = _plan_key(key, output, source)
    relative_source = os.path.relpath(source, output.parent) if output is not None else str(source)

    if fmt == "json":
        content = json.dumps(to_json(draft, key=plan_key, source=relative_source, original=raw, lang=lang),
                             ensure_ascii=False, indent=2) + "\n"
    else:
        if not draft.jurisdiction:
            raise TrackerError(N_("cannot tell the jurisdiction from the text; pass --jurisdiction"), where=str(source))
        from ..planfile import dump_plan

        header = [_("Drafted by `tracker plan parse` from {source}. Review it against the source before loading: "
                    "tasks, units, deadlines and targets.").format(source=relative_source)]
        if draft.notes:
            header.append(_("To check:"))
            header.extend(f"- {note.text(lang)}" for note in draft.notes)
        content = dump_plan(to_plan_file(draft, key=plan_key, source=relative_source, original=raw), "\n".join(header))

    if output is None:
        echo(content, nl=False)
    else:
        write_file(output, content)
    summary = _(", ").join((
        npgettext("a database holds", "{n} task", "{n} tasks", len(draft.tasks)).format(n=len(draft.tasks)),
        ngettext("{n} target", "{n} targets", len(draft.targets)).format(n=len(draft.targets)),
        ngettext("{n} warning", "{n} warnings", len(draft.notes)).format(n=len(draft.notes))))
    echo(_("wrote {file}: {summary}").format(file=output, summary=summary) if output else summary, err=True)
    if output is not None or fmt == "toml":
        for note in draft.notes:
            echo("  " + _("note: {note}").format(note=note.text(lang)), err=True)
