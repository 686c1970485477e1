"""`tracker units propose PLAN` and `tracker units check FILE`: the unit registry a new
jurisdiction's plan needs, proposed from the catalogue of standard departments, then checked.

Imports only click at import time; the registry and catalogue load when a command runs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from ..errors import TrackerError
from . import language
from .context import App, pass_app


def _say(app: App, zh: str, en: str) -> str:
    return zh if app.lang == "zh" else en


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
        click.echo(_say(app, f"{plan_path} 的单位都已在 {output} 中，无需补充。",
                        f"every unit of {plan_path} is in {output} already: nothing to add."))
        return
    source = os.path.relpath(plan_path, output.parent)
    text = extend(existing, proposal, source=source, lang=app.lang)
    _check_text(text, output)  # what is written must load: a proposal is never a broken file
    if dry_run:
        click.echo(text[len(existing or ""):] if not proposal.aliases else text, nl=False)
    else:
        write_file(output, text)
    _summary(app, proposal, output, dry_run)


def _check_text(text: str, output: Path) -> None:
    import tempfile

    from ..registry import Registry

    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / output.name
        probe.write_text(text, encoding="utf-8")
        try:
            Registry.load(probe)
        except TrackerError as exc:
            raise TrackerError(f"the proposal would not load ({exc}); nothing written", where=str(output)) from None


def _summary(app: App, proposal, output: Path, dry_run: bool) -> None:
    zh = app.lang == "zh"
    verb = _say(app, "将补充" if dry_run else "已补充", "would add" if dry_run else "added")
    matched = [e for e in proposal.units if e.matched]
    parts = [_say(app, f"{len(matched)} 个标准部门", f"{len(matched)} standard units"),
             _say(app, f"{len(proposal.groups)} 个组", f"{len(proposal.groups)} groups")]
    if proposal.new_jurisdiction:
        parts.insert(0, _say(app, f"地区 {proposal.jurisdiction}", f"jurisdiction {proposal.jurisdiction}"))
    click.echo(f"{output}: {verb} " + ("、".join(parts) if zh else ", ".join(parts)))
    for name, aliases in proposal.aliases.items():
        click.echo(_say(app, f"  {name} 增加别名：{'、'.join(aliases)}", f"  {name}: new aliases {', '.join(aliases)}"))
    if proposal.unmatched:
        click.echo(_say(app, f"标准部门目录中没有的 {len(proposal.unmatched)} 个名称（已按原文列入，请核对）：",
                        f"{len(proposal.unmatched)} names not in the catalogue (listed as written; check them):"))
        for entry in proposal.unmatched:
            click.echo(f"  {entry.name}  ({entry.kind})  " + _tasks(app, entry.tasks))
    for group in proposal.to_fill:
        click.echo(_say(app, f"请填写组 {group.name} 的成员", f"fill in the members of {group.name}") + "  "
                   + _tasks(app, group.tasks))
    choose = [g for g in proposal.groups if g.choose]
    if choose:
        click.echo(_say(app, "载入后需选定具体单位的组：", "groups whose units a person chooses after loading: ")
                   + "、".join(g.name for g in choose))
    if not dry_run:
        click.echo(_say(app, f"核对后运行：tracker units check {output}", f"review it, then: tracker units check {output}"))


def _tasks(app: App, keys: list[str]) -> str:
    if not keys:
        return ""
    shown = ", ".join(keys[:6]) + (" …" if len(keys) > 6 else "")
    return _say(app, f"（任务 {shown}）", f"(tasks {shown})")


@language.command("check")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def check(app: App, path: Path) -> None:
    """Check a unit registry file: its syntax and fields (with file and line), every group's members,
    names claimed twice."""
    from ..registry import Registry

    if not path.exists():
        raise TrackerError(_say(app, "没有这个文件", "no such file"), where=str(path))
    try:
        registry = Registry.load(path)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:  # a field missing or of the wrong type
        raise TrackerError(_say(app, f"单位名录格式有误：{exc!r}", f"malformed registry entry: {exc!r}"),
                           where=str(path)) from None
    problems = _group_problems(app, registry, path)
    if problems:
        raise TrackerError("\n  ".join([_say(app, "单位名录需要补充：", "the registry needs work:"), *problems]))
    groups = [u for u in registry.units.values() if u.is_group]
    click.echo(_say(app, f"{path}：{len(registry.jurisdictions)} 个地区，{len(registry.units) - len(groups)} 个单位，"
                         f"{len(groups)} 个组，{len(registry.liaisons)} 名联络员，无误。",
                    f"{path}: {len(registry.jurisdictions)} jurisdictions, {len(registry.units) - len(groups)} units, "
                    f"{len(groups)} groups, {len(registry.liaisons)} liaisons: all good."))


def _group_problems(app: App, registry, path: Path) -> list[str]:
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
            out.append(f"{path}:{line_of(group.name)}: " + _say(
                app, f"组 {group.name}（{group.jurisdiction}）没有成员：请在 members 中列出成员单位，或设 choose = true",
                f"group {group.name} ({group.jurisdiction}) has no members: list them in members, or set choose = true"))
    return out
