"""`tracker units propose PLAN` and `tracker units check FILE`: the unit registry a new
jurisdiction's plan needs, proposed from the catalogue of standard departments, then checked.

Imports only click at import time; the registry and catalogue load when a command runs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from ..errors import N_, TrackerError
from ..i18n import _, ngettext
from . import language
from .context import App, echo, pass_app


@language.command("propose")
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="The registry file to extend (default: units.toml beside the plan; created if missing).")
@click.option("--dry-run", is_flag=True, help="Print the entries that would be added; write nothing.")
@pass_app
def propose(app: App, plan_path: Path, output: Path | None, dry_run: bool) -> None:
    """Propose the unit registry entries a plan needs: its jurisdiction, units (canonical and full
    names from the catalogue of standard departments, other spellings as aliases) and groups,
    added to the registry file for a person to review."""
    from ..atomic import write_file
    from ..planfile import read_plan
    from ..registry import Registry
    from ..registry.catalogue import catalogue
    from ..registry.proposal import extend, propose as make_proposal

    output = output or plan_path.parent / "units.toml"
    plan = read_plan(plan_path)
    existing = None
    registry = None
    if output.exists():
        registry = Registry.load(output)  # a registry edited into nonsense is refused here, nothing written
        existing = output.read_text(encoding="utf-8")
    proposal = make_proposal(plan, registry, catalogue())
    if not proposal:
        echo(_("every unit of {plan} is in {file} already: nothing to add.").format(plan=plan_path, file=output))
        return
    source = os.path.relpath(plan_path, output.parent)
    text = extend(existing, proposal, source=source)
    _check_text(text, output)  # what is written must load: a proposal is never a broken file
    if dry_run:
        echo(text[len(existing or ""):] if not proposal.aliases else text, nl=False)
    else:
        write_file(output, text)
    _summary(proposal, output, dry_run)


def _check_text(text: str, output: Path) -> None:
    import tempfile

    from ..registry import Registry

    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / output.name
        probe.write_text(text, encoding="utf-8")
        try:
            Registry.load(probe)
        except TrackerError as exc:
            raise TrackerError(N_("the proposal would not load ({exc}); nothing written"), where=str(output), exc=exc) from None


def _summary(proposal, output: Path, dry_run: bool) -> None:
    parts = [ngettext("{n} standard unit", "{n} standard units", n).format(n=n)
             for n in [len([e for e in proposal.units if e.matched])]]
    parts.append(ngettext("{n} group", "{n} groups", len(proposal.groups)).format(n=len(proposal.groups)))
    if proposal.new_jurisdiction:
        parts.insert(0, _("jurisdiction {name}").format(name=proposal.jurisdiction))
    message = _("{file}: would add {what}") if dry_run else _("{file}: added {what}")
    echo(message.format(file=output, what=_(", ").join(parts)))
    for name, aliases in proposal.aliases.items():
        echo("  " + _("{unit}: new aliases {aliases}").format(unit=name, aliases=_(", ").join(aliases)))
    if proposal.unmatched:
        n = len(proposal.unmatched)
        echo(ngettext("{n} name is not in the catalogue of standard departments (listed as written; check it):",
                            "{n} names are not in the catalogue of standard departments (listed as written; check "
                            "them):", n).format(n=n))
        for entry in proposal.unmatched:
            echo(f"  {entry.name}  ({entry.kind})  " + _tasks(entry.tasks))
    for group in proposal.to_fill:
        echo(_("fill in the members of {group}").format(group=group.name) + "  " + _tasks(group.tasks))
    choose = [g.name for g in proposal.groups if g.choose]
    if choose:
        echo(_("groups whose units a person chooses after loading: {groups}").format(groups=_(", ").join(choose)))
    if not dry_run:
        echo(_("review it, then run: tracker units check {file}").format(file=output))


def _tasks(keys: list[str]) -> str:
    if not keys:
        return ""
    shown = ", ".join(keys[:6]) + (" …" if len(keys) > 6 else "")
    return _("(tasks {keys})").format(keys=shown)


@language.command("check")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def check(app: App, path: Path) -> None:
    """Check a unit registry file: its syntax and fields (with file and line), every group's members,
    names claimed twice."""
    from ..registry import Registry

    if not path.exists():
        raise TrackerError(_("no such file"), where=str(path))
    try:
        registry = Registry.load(path)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:  # a field missing or of the wrong type
        raise TrackerError(_("malformed registry entry: {reason}").format(reason=repr(exc)), where=str(path)) from None
    problems = _group_problems(registry, path)
    if problems:
        raise TrackerError("\n  ".join([_("the registry needs work:"), *problems]))
    groups = [u for u in registry.units.values() if u.is_group]
    counts = [ngettext("{n} jurisdiction", "{n} jurisdictions", n).format(n=n) for n in [len(registry.jurisdictions)]]
    counts += [ngettext("{n} unit", "{n} units", n).format(n=n) for n in [len(registry.units) - len(groups)]]
    counts += [ngettext("{n} group", "{n} groups", n).format(n=n) for n in [len(groups)]]
    counts += [ngettext("{n} liaison", "{n} liaisons", n).format(n=n) for n in [len(registry.liaisons)]]
    echo(_("{file}: {counts}; all good.").format(file=path, counts=_(", ").join(counts)))


def _group_problems(registry, path: Path) -> list[str]:
    """A group that stands for no unit and is not chosen from: its tasks would reach nobody."""
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(name: str) -> int:
        pattern = re.compile(r'^\s*name\s*=\s*["\']' + re.escape(name) + r'["\']')
        header = 0
        for number, line in enumerate(lines, start=1):
            if line.strip() == "[[groups]]":
                header = number
            elif header and pattern.match(line):
                return header
        return 0

    out = []
    for group in registry.units.values():
        if group.is_group and not group.members and not group.choose:
            out.append(f"{path}:{line_of(group.name)}: " + _(
                "group {group} ({jurisdiction}) has no members: list them in members, or set choose = true").format(
                group=group.name, jurisdiction=group.jurisdiction))
    return out
