"""The unit registry: canonical units per jurisdiction, their aliases, and groups with members.

Read from `plans/units.toml`. Names resolve within a jurisdiction; an unknown name is an error
that lists the closest known names, never a silently created unit.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..clock import DEFAULT_TIMEZONE
from ..errors import N_, TrackerError, UnknownJurisdiction, UnknownUnit, toml_error
from ..i18n import _
from ..ladder import Ladder, read_ladder

UNIT_KINDS = ("department", "district", "zone", "agency", "group")

# Full-width and half-width forms the published texts mix freely: the Halfwidth and Fullwidth
# Forms block (U+FF01–FF5E, ASCII shifted by 0xFEE0, so （ → "(" and ， → ","), angle and book
# brackets (〈〉《》 U+3008–300B) as <>, small brackets (﹙﹚ U+FE59–FE5A) as ().
_FOLD = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
                       "\u3008": "<", "\u3009": ">", "\u300a": "<", "\u300b": ">", "\ufe59": "(", "\ufe5a": ")"})
_SPACE = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """The form names are compared in: brackets folded to half-width, whitespace removed."""
    return _SPACE.sub("", name.translate(_FOLD))


def local_form(folded: str, jurisdiction: str) -> str | None:
    """A name written with its jurisdiction in front, as that jurisdiction's own units are named
    (青岛市商务局 → 市商务局, 上海市松江区财政局 → 区财政局); None when it does not start so.
    The one statement of the rule: the registry, the service and `tracker tasks`' direct read
    all look names up this way, each only within that jurisdiction."""
    if not folded.startswith(jurisdiction) or folded == jurisdiction:
        return None
    return jurisdiction[-1] + folded[len(jurisdiction):]


def closest_names(name: str, names: dict[str, str], n: int = 3) -> list[str]:
    """The canonical names whose spellings are closest to `name`. Similarity is the characters
    in common over the longer of the two, so 市发展改革局 finds 市发展改革委 before
    莱西市发展改革局 (which merely contains it)."""
    folded = normalise_name(name)
    scored: dict[str, float] = {}
    for alias, canonical in names.items():
        common = sum(b.size for b in difflib.SequenceMatcher(None, folded, alias).get_matching_blocks())
        score = common / max(len(folded), len(alias), 1)
        if score >= 0.4 and score > scored.get(canonical, 0):
            scored[canonical] = score
    return sorted(scored, key=lambda c: -scored[c])[:n]


def _text(entry: dict, key: str) -> str | None:
    value = entry.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise TrackerError(_("unit {name}: {field} must be a text").format(name=entry.get("name"), field=key))
    return value.strip() if value else None


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


@dataclass
class Registry:
    jurisdictions: dict[str, str] = field(default_factory=dict)  # name → time zone
    units: dict[tuple[str, str], Unit] = field(default_factory=dict)  # (jurisdiction, name) → unit
    liaisons: list[Liaison] = field(default_factory=list)
    reminders: Ladder | None = None  # every plan's reminder ladder unless its file has its own
    source: Path | None = None
    _index: dict[tuple[str, str], str] = field(default_factory=dict)  # (jurisdiction, folded alias) → name

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: str | Path) -> Registry:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise toml_error(exc, str(path)) from None
        except OSError as exc:
            raise TrackerError(N_("cannot read the unit registry: {reason}"), where=str(path),
                               reason=exc.strerror) from None
        registry = cls(source=path)
        try:
            registry._read(data)
        except TrackerError as exc:
            raise exc.at(str(path)) from None
        if "reminders" in data:
            lines = path.read_text(encoding="utf-8").splitlines()
            start = next((i + 1 for i, line in enumerate(lines) if line.strip() == "[reminders]"), 0)

            def where(key: str | None) -> str:
                found = next((i + 1 for i, line in enumerate(lines[start:], start) if key and
                              line.strip().startswith(key)), start) if start else 0
                return f"{path}:{found}" if found else str(path)
            registry.reminders = read_ladder(data["reminders"], where)
        return registry

    def _read(self, data: dict) -> None:
        for entry in data.get("jurisdictions", []):
            self.jurisdictions[entry["name"]] = entry.get("timezone", DEFAULT_TIMEZONE)
        for entry in data.get("units", []):
            kind = entry.get("kind", "department")
            if kind not in UNIT_KINDS or kind == "group":
                raise TrackerError(N_("unit {name!r}: kind must be one of {kinds}"), name=entry.get("name"),
                                   kinds=UNIT_KINDS[:-1])
            self._add(Unit(entry["jurisdiction"], entry["name"], kind, entry.get("full_name"),
                           tuple(entry.get("aliases", ())), leader=_text(entry, "leader"),
                           leader_email=_text(entry, "leader_email")))
        for entry in data.get("groups", []):
            jurisdiction = entry["jurisdiction"]
            if "members" in entry:
                members = tuple(self.resolve(jurisdiction, m).name for m in entry["members"])
            else:
                kind = entry.get("candidates", "department")
                members = tuple(u.name for u in self.units.values() if u.jurisdiction == jurisdiction and u.kind == kind)
            self._add(Unit(jurisdiction, entry["name"], "group", entry.get("full_name"),
                           tuple(entry.get("aliases", ())), members, bool(entry.get("choose", False))))
        for entry in data.get("liaisons", []):
            unit = self.resolve(entry["jurisdiction"], entry["unit"])
            self.liaisons.append(Liaison(unit.jurisdiction, unit.name, entry["name"], entry.get("title"),
                                         entry.get("contact"), entry.get("email")))

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
        names = {alias: canonical for (j, alias), canonical in self._index.items() if j == jurisdiction}
        return closest_names(name, names, n)

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
