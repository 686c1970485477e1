"""The unit registry: canonical units per jurisdiction, their aliases, and groups with members.

Read from `plans/units.toml`. Names resolve within a jurisdiction; an unknown name is an error
that lists the closest known names, never a silently created unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .. import tomlfile
from ..clock import DEFAULT_TIMEZONE
from ..errors import N_, Phrase, TrackerError, UnknownJurisdiction, UnknownUnit
from ..ladder import Ladder, read_ladder
from .names import closest_names, local_form, normalise_name

UNIT_KINDS = ("department", "district", "zone", "agency", "group")



@dataclass(frozen=True)
class Unit:
    jurisdiction: str
    name: str
    kind: str
    full_name: str | None = None
    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # groups only: canonical member names
    choose: bool = False  # groups only: a person must choose among the members
    leader: str | None = None  # the unit's leadership contact (分管领导): escalated reminders go to them too
    leader_email: str | None = None

    @property
    def id(self) -> str:
        """The canonical id used in plan drafts and JSON output: `青岛市/市发展改革委`."""
        return f"{self.jurisdiction}/{self.name}"

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


@dataclass(frozen=True)
class Liaison:
    jurisdiction: str
    unit: str
    name: str
    title: str | None = None
    contact: str | None = None
    email: str | None = None


# ---------------------------------------------------------------------- the file's schema
# One declared schema for units.toml: every field's type, size (the database column's width)
# and characters; names and addresses a mail header will carry hold no line break or control
# character. Entries listed twice, unknown jurisdictions and members are checked after.

_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\.]+(\.[^\s@<>()\[\],;:\"\\.]+)+")


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value) or ".." in value or value.startswith(".") or ".@" in value:
        raise tomlfile.refuse(Phrase(N_("not an email address like name@example.gov.cn: {value}"),
            value=tomlfile.short(value)))
    return value


_Kind = Literal["department", "district", "zone", "agency"]
_Aliases = Annotated[list[Annotated[str, tomlfile.line(256, required=True)]], Field(max_length=1000)]


class _Entry(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _JurisdictionEntry(_Entry):
    name: Annotated[str, tomlfile.line(64, required=True)]
    timezone: tomlfile.TimeZone = DEFAULT_TIMEZONE


class _UnitEntry(_Entry):
    jurisdiction: Annotated[str, tomlfile.line(64, required=True)]
    name: Annotated[str, tomlfile.line(128, required=True)]
    full_name: Annotated[str, tomlfile.line(256, required=True)] | None = None
    aliases: _Aliases = Field(default_factory=list)
    kind: _Kind = "department"
    # the unit's leadership contact (分管领导), whom escalated reminders reach too
    leader: Annotated[str, tomlfile.line(64, required=True, strip=True)] | None = None
    leader_email: Annotated[str, tomlfile.line(256, strip=True), AfterValidator(_email)] | None = None


class _GroupEntry(_Entry):
    jurisdiction: Annotated[str, tomlfile.line(64, required=True)]
    name: Annotated[str, tomlfile.line(128, required=True)]
    full_name: Annotated[str, tomlfile.line(256, required=True)] | None = None
    aliases: _Aliases = Field(default_factory=list)
    members: Annotated[list[Annotated[str, tomlfile.line(256, required=True)]], Field(max_length=10_000)] | None = None
    candidates: _Kind = "department"
    choose: bool = False


class _LiaisonEntry(_Entry):
    jurisdiction: Annotated[str, tomlfile.line(64, required=True)]
    unit: Annotated[str, tomlfile.line(256, required=True)]
    name: Annotated[str, tomlfile.line(64, required=True, strip=True)]
    title: Annotated[str, tomlfile.line(128)] | None = None
    contact: Annotated[str, tomlfile.line(128)] | None = None
    email: Annotated[Annotated[str, tomlfile.line(256)], AfterValidator(_email)] | None = None


class _RegistrySchema(_Entry):
    jurisdictions: Annotated[list[_JurisdictionEntry], Field(max_length=10_000)] = Field(default_factory=list)
    units: Annotated[list[_UnitEntry], Field(max_length=200_000)] = Field(default_factory=list)
    groups: Annotated[list[_GroupEntry], Field(max_length=100_000)] = Field(default_factory=list)
    liaisons: Annotated[list[_LiaisonEntry], Field(max_length=200_000)] = Field(default_factory=list)
    reminders: dict[str, Any] | None = None  # every plan's reminder ladder: read by tracker/ladder.py


_ARRAYS = ("jurisdictions", "units", "groups", "liaisons")


@dataclass
class Registry:
    jurisdictions: dict[str, str] = field(default_factory=dict)  # name → time zone
    units: dict[tuple[str, str], Unit] = field(default_factory=dict)  # (jurisdiction, name) → unit
    liaisons: list[Liaison] = field(default_factory=list)
    reminders: Ladder | None = None  # every plan's reminder ladder unless its file has its own
    source: Path | None = None
    _index: dict[tuple[str, str], str] = field(default_factory=dict)  # (jurisdiction, folded alias) → name
    # closest-name suggestions already computed, and each jurisdiction's names to compare against
    _suggestions: dict[tuple[str, str, int], list[str]] = field(default_factory=dict, repr=False)
    _names_of: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: str | Path) -> Registry:
        """The registry file, checked against its schema: every refusal names the file, line and field."""
        path = Path(path)
        text = tomlfile.read_text(path, Phrase(N_("the unit registry")))
        name = str(path)
        data = tomlfile.parse(text, name)
        lines = tomlfile.Lines(text)
        schema = tomlfile.validate(_RegistrySchema, data, name, lines, _ARRAYS)
        registry = cls(source=path)
        registry._read(schema, lines, name)
        if schema.reminders is not None:
            registry.reminders = read_ladder(
                schema.reminders, lambda key: f"{name}:{lines.line(['reminders', key] if key else ['reminders'])}")
        return registry

    def _read(self, schema: _RegistrySchema, lines: tomlfile.Lines, file: str) -> None:
        problems: list[tuple[str, str, tomlfile.Message]] = []

        def refuse(path: list, message: tomlfile.Message) -> None:
            problems.extend(tomlfile.problem_at(file, lines, path, message).problems)

        first_line: dict[tuple, int] = {}

        def listed_twice(what: Phrase, key: tuple, path: list) -> bool:
            line = lines.line(path)
            if key in first_line:
                refuse(path, Phrase(N_("{what} {name} is listed twice (first on line {line})"),
                    what=what, name=repr(key[-1]), line=first_line[key]))
                return True
            first_line[key] = line
            return False

        for index, place in enumerate(schema.jurisdictions):
            if not listed_twice(Phrase(N_("jurisdiction")), ("jurisdiction", place.name), ["jurisdictions", index, "name"]):
                self.jurisdictions[place.name] = place.timezone

        def add(unit: Unit, path: list) -> None:
            if unit.jurisdiction not in self.jurisdictions:
                refuse([*path[:2], "jurisdiction"], Phrase(N_("unit {name} names an unknown jurisdiction {jurisdiction}"),
                    name=repr(unit.name), jurisdiction=repr(unit.jurisdiction)))
                return
            if listed_twice(Phrase(N_("unit")), ("unit", unit.jurisdiction, unit.name), [*path[:2], "name"]):
                return
            try:
                self._add(unit)
            except TrackerError as exc:
                refuse([*path[:2], "aliases"], exc)

        for index, entry in enumerate(schema.units):
            add(Unit(entry.jurisdiction, entry.name, entry.kind, entry.full_name, tuple(entry.aliases),
                     leader=entry.leader, leader_email=entry.leader_email), ["units", index])
        for index, group in enumerate(schema.groups):
            jurisdiction = group.jurisdiction
            members: tuple[str, ...] = ()
            if jurisdiction in self.jurisdictions:
                if group.members is not None:
                    try:
                        members = tuple(self.resolve(jurisdiction, m).name for m in group.members)
                    except TrackerError as exc:
                        refuse(["groups", index, "members"], exc)
                        continue
                else:
                    members = tuple(u.name for u in self.units.values()
                                    if u.jurisdiction == jurisdiction and u.kind == group.candidates)
            add(Unit(jurisdiction, group.name, "group", group.full_name, tuple(group.aliases), members, group.choose),
                ["groups", index])
        for index, liaison in enumerate(schema.liaisons):
            try:
                unit = self.resolve(liaison.jurisdiction, liaison.unit)
            except TrackerError as exc:
                refuse(["liaisons", index, "unit"], exc)
                continue
            if listed_twice(Phrase(N_("liaison")), ("liaison", unit.jurisdiction, unit.name, liaison.name),
                            ["liaisons", index, "name"]):
                continue
            self.liaisons.append(Liaison(unit.jurisdiction, unit.name, liaison.name, liaison.title, liaison.contact,
                                         liaison.email))
        if problems:
            raise tomlfile.SchemaErrors(problems)

    def _add(self, unit: Unit) -> None:
        if unit.jurisdiction not in self.jurisdictions:
            raise TrackerError(N_("unit {name!r} names an unknown jurisdiction {jurisdiction!r}"), name=unit.name,
                               jurisdiction=unit.jurisdiction)
        for alias in (unit.name, unit.full_name, *unit.aliases):
            if not alias:
                continue
            key = (unit.jurisdiction, normalise_name(alias))
            if key in self._index and self._index[key] != unit.name:
                raise TrackerError(N_("name {alias!r} in {jurisdiction} is claimed by both {first!r} and {second!r}"),
                                   alias=alias, jurisdiction=unit.jurisdiction, first=self._index[key],
                                   second=unit.name)
            self._index[key] = unit.name
        self.units[(unit.jurisdiction, unit.name)] = unit
        self._suggestions.clear()
        self._names_of.clear()

    # ------------------------------------------------------------------ resolution

    def lookup(self, jurisdiction: str, name: str) -> Unit | None:
        folded = normalise_name(name)
        # the jurisdiction's own prefix is often written out in full (青岛市商务局)
        candidates = [folded, local_form(folded, jurisdiction)]
        for candidate in filter(None, candidates):
            found = self._index.get((jurisdiction, candidate))
            if found:
                return self.units[(jurisdiction, found)]
        return None

    def resolve(self, jurisdiction: str, name: str, *, where: str | None = None) -> Unit:
        if jurisdiction not in self.jurisdictions:
            raise UnknownJurisdiction(jurisdiction, self.jurisdictions, where=where)
        unit = self.lookup(jurisdiction, name)
        if unit is None:
            raise UnknownUnit(name, jurisdiction, self.suggest(jurisdiction, name), where=where)
        return unit

    def suggest(self, jurisdiction: str, name: str, n: int = 3) -> list[str]:
        """The closest known names, computed once per distinct name: a plan of 120,000 tasks
        naming a few unknown units asks for the same few names over and over."""
        key = (jurisdiction, normalise_name(name), n)
        found = self._suggestions.get(key)
        if found is None:
            names = self._names_of.get(jurisdiction)
            if names is None:
                names = self._names_of[jurisdiction] = {
                    alias: canonical for (j, alias), canonical in self._index.items() if j == jurisdiction}
            found = self._suggestions[key] = closest_names(name, names, n)
        return list(found)

    def expand(self, unit: Unit) -> list[Unit]:
        """A group's members (candidates, for a choose-group); a unit stands for itself."""
        if not unit.is_group:
            return [unit]
        return [self.units[(unit.jurisdiction, m)] for m in unit.members]

    def jurisdictions_with(self, name: str) -> list[str]:
        """Every jurisdiction in which a name resolves (市商务局 → 青岛市, 吉林市)."""
        return [j for j in self.jurisdictions if self.lookup(j, name) is not None]

    def units_of(self, jurisdiction: str | None = None) -> list[Unit]:
        return [u for u in self.units.values() if jurisdiction is None or u.jurisdiction == jurisdiction]
