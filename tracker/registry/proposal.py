"""`tracker units propose`: the registry entries a plan needs and the registry does not have yet.

For every unit name the plan writes that does not resolve:
- a standard department (the catalogue knows it): one unit under its canonical name and full
  name; every other way the plan writes the same department becomes an alias of it
  (市发改委 and 市发展改革委 in one plan are one unit);
- a collective (各区政府, 各有关部门, 属地街镇): a group. "The relevant ones" (有关, 相关, 属地 …)
  get `choose = true`; groups of departments take the jurisdiction's departments as their
  candidates; groups of districts or towns get `members = []` for the office to fill in;
- anything else: an entry as written, its kind read from its ending, and listed as not matched,
  for a person to check: never a silent guess.
A jurisdiction the registry does not know is proposed too. The result extends the registry
file: what is there stays exactly as it is (comments and all), the new entries follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..clock import DEFAULT_TIMEZONE
from ..i18n import _
from ..planfile import PlanFile
from .catalogue import NATIONAL, Catalogue, level_of
from .units import Registry, Unit, normalise_name

_DISTRICT = re.compile(r"(?:街道|街镇|镇|乡|区政府|县政府|市政府|人民政府|区|县|旗)$")
_ZONE = re.compile(r"(?:管委会|管理委员会|开发区|园区|保税区|高新区|新区|示范区|经开区|自贸区|片区)$")
_AGENCY = re.compile(r"(?:分局|海关|支队|总队|分行|支行|调查队|监管局|供电公司)$")
_OF_DEPARTMENTS = re.compile(r"部门|单位|机关|成员")
_ANY_DEPARTMENT = re.compile(r"各(?:有关|相关)?(?:部门|单位|部门和单位|部门、单位|委办局)")
_OF_PROVINCES = re.compile(r"省级|省（区、市）|省\(区、市\)|省、自治区、直辖市")


@dataclass
class Entry:
    name: str
    kind: str  # department | district | zone | agency | group
    full_name: str | None = None
    aliases: list[str] = field(default_factory=list)
    members: list[str] | None = None  # groups: None = candidates of a kind, [] = to be filled in
    candidates: str | None = None
    choose: bool = False
    matched: bool = True  # the catalogue knew it
    tasks: list[str] = field(default_factory=list)


@dataclass
class Proposal:
    jurisdiction: str
    new_jurisdiction: bool
    units: list[Entry] = field(default_factory=list)
    groups: list[Entry] = field(default_factory=list)
    aliases: dict[str, list[str]] = field(default_factory=dict)  # an existing unit → aliases to add

    @property
    def unmatched(self) -> list[Entry]:
        return [e for e in self.units if not e.matched]

    @property
    def to_fill(self) -> list[Entry]:
        return [g for g in self.groups if g.members == [] and not g.choose]

    def __bool__(self) -> bool:
        return bool(self.new_jurisdiction or self.units or self.groups or self.aliases)


def written_names(plan: PlanFile) -> dict[str, list[str]]:
    """Every unit name the plan writes, in order, with the keys of the tasks that name it."""
    names: dict[str, list[str]] = {}
    if plan.coordinator:
        names.setdefault(plan.coordinator, [])
    for task in plan.tasks:
        for name in (*task.lead, *task.responsible, *task.inherited_responsible):
            keys = names.setdefault(name, [])
            if task.key not in keys:
                keys.append(task.key)
    return names


def _kind_of(name: str) -> str:
    if _ZONE.search(name):
        return "zone"
    if _AGENCY.search(name):
        return "agency"
    if _DISTRICT.search(name):
        return "district"
    return "department"


def propose(plan: PlanFile, registry: Registry | None, catalogue: Catalogue) -> Proposal:
    jurisdiction = plan.jurisdiction
    known = registry is not None and jurisdiction in registry.jurisdictions
    proposal = Proposal(jurisdiction, new_jurisdiction=not known)
    by_name: dict[str, Entry] = {}  # canonical name → its proposed entry

    def lookup(name: str) -> Unit | None:
        return registry.lookup(jurisdiction, name) if registry is not None and known else None

    def add_unit(entry: Entry) -> Entry:
        by_name[entry.name] = entry
        proposal.units.append(entry)
        return entry

    for written, tasks in written_names(plan).items():
        if lookup(written) is not None:
            continue
        if catalogue.is_group(written):
            group = by_name.get(written) or _group(written, jurisdiction, catalogue, add_unit, by_name, lookup)
            group.tasks.extend(t for t in tasks if t not in group.tasks)
            continue
        match = catalogue.match(written, jurisdiction)
        if match is None:
            entry = by_name.get(written) or add_unit(Entry(written, _kind_of(written), matched=False))
            entry.tasks.extend(t for t in tasks if t not in entry.tasks)
            continue
        existing = lookup(match.name) or lookup(match.full_name)
        if existing is not None:  # the department is registered under another of its names
            aliases = proposal.aliases.setdefault(existing.name, [])
            if written not in aliases:
                aliases.append(written)
            continue
        entry = by_name.get(match.name) or add_unit(Entry(match.name, match.kind, match.full_name))
        if written != entry.name and written != entry.full_name and written not in entry.aliases:
            entry.aliases.append(written)
        entry.tasks.extend(t for t in tasks if t not in entry.tasks)
    proposal.groups = [e for e in by_name.values() if e.kind == "group"]
    return proposal


def _group(written: str, jurisdiction: str, catalogue: Catalogue, add_unit, by_name: dict, lookup) -> Entry:
    group = Entry(written, "group", choose=catalogue.is_choice(written))
    by_name[written] = group
    if level_of(jurisdiction) == NATIONAL and _OF_PROVINCES.search(written):
        group.members = []
        for province in catalogue.provinces:
            government = f"{province}人民政府"
            if lookup(government) is None and government not in by_name:
                add_unit(Entry(government, "district", aliases=[f"{province}政府"]))
            group.members.append(government)
    elif _ANY_DEPARTMENT.fullmatch(normalise_name(written)) or (group.choose and _OF_DEPARTMENTS.search(written)):
        group.candidates = "department"  # 各部门, 各有关部门: the jurisdiction's departments
    elif group.choose:
        group.candidates = "district"  # 属地街镇, 相关街镇: one of the districts or towns
    else:
        group.members = []  # 各区政府, 各联席会议成员单位: the office lists them
    return group


# ---------------------------------------------------------------------- the registry file, extended


def _value(value) -> str:
    import tomlkit

    return tomlkit.item(value).as_string()


def _comment(text: str) -> str:
    return "\n".join(f"# {line}" for line in text.splitlines())


def render(proposal: Proposal, *, source: str) -> str:
    """The new entries as TOML, each with a comment saying what a person should check."""
    j = proposal.jurisdiction
    out = ["", _comment(_("—— {jurisdiction}: proposed by `tracker units propose` from {plan}. Check names, full "
                          "names and kinds, fill in the groups' members, then run `tracker units check`.").format(
        jurisdiction=j, plan=source)) + "\n"]
    if proposal.new_jurisdiction:
        out.append(f"[[jurisdictions]]\nname = {_value(j)}\ntimezone = {_value(DEFAULT_TIMEZONE)}\n")
    for entry in proposal.units:
        lines = []
        if not entry.matched:
            lines.append(_comment(_("not in the catalogue of standard departments: check the name, add its "
                                    "full_name, check its kind")))
        lines.append("[[units]]")
        lines.append(f"jurisdiction = {_value(j)}")
        lines.append(f"name = {_value(entry.name)}")
        if entry.full_name and entry.full_name != entry.name:
            lines.append(f"full_name = {_value(entry.full_name)}")
        if entry.aliases:
            lines.append(f"aliases = {_value(entry.aliases)}")
        lines.append(f"kind = {_value(entry.kind)}")
        out.append("\n".join(lines) + "\n")
    for group in proposal.groups:
        lines = []
        if group.members == [] and not group.choose:
            lines.append(_comment(_("fill in the members of {group} (each must be a unit listed in the "
                                    "registry)").format(group=group.name)))
        elif group.choose:
            lines.append(_comment(_("\"the relevant ones\": a person chooses the units of each task after loading")))
        lines += ["[[groups]]", f"jurisdiction = {_value(j)}", f"name = {_value(group.name)}"]
        if group.candidates:
            lines.append(f"candidates = {_value(group.candidates)}")
        if group.members is not None:
            lines.append(f"members = {_value(group.members)}")
        if group.choose:
            lines.append("choose = true")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out).rstrip("\n") + "\n"


def extend(existing: str | None, proposal: Proposal, *, source: str) -> str:
    """The registry file's text with the proposal added: existing entries keep every byte, but for
    the aliases a known unit gains (written into its own entry, tomlkit keeping the layout)."""
    text = existing or ""
    if proposal.aliases:
        import tomlkit

        document = tomlkit.parse(text)
        for table in document.get("units", []):
            if table.get("jurisdiction") == proposal.jurisdiction and table.get("name") in proposal.aliases:
                aliases = table.setdefault("aliases", tomlkit.array())
                for alias in proposal.aliases[table["name"]]:
                    if alias not in aliases:
                        aliases.append(alias)
        text = tomlkit.dumps(document)
    if proposal.units or proposal.groups or proposal.new_jurisdiction:
        text = text.rstrip("\n") + ("\n" if text.strip() else "") + render(proposal, source=source)
    return text.lstrip("\n")
