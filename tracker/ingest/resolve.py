"""A draft's unit names against the unit registry: canonical ids, groups expanded, the groups a
person must choose from flagged, unknown names reported with the closest known ones.
Nothing is ever created here: an unknown name stays unknown until a person fixes the draft
or the registry."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..registry import Registry


@dataclass
class Resolution:
    name: str
    unit_id: str | None = None  # 青岛市/市发展改革委
    member_ids: list[str] = field(default_factory=list)  # what an assignment to it becomes
    choose: bool = False  # 各相关…: a person chooses among the members
    suggestions: list[str] = field(default_factory=list)  # for an unknown name


class Resolver:
    def __init__(self, registry: Registry | None, jurisdiction: str | None):
        self.registry = registry
        self.jurisdiction = jurisdiction
        self.usable = registry is not None and jurisdiction in registry.jurisdictions
        self._cache: dict[str, Resolution] = {}

    def is_name(self, name: str) -> bool:
        if self.usable:
            return self.registry.lookup(self.jurisdiction, name) is not None
        if self.jurisdiction:  # a jurisdiction the registry does not know yet: the standard departments
            from ..registry.catalogue import catalogue

            return catalogue().recognises(name, self.jurisdiction)
        return False

    def resolve(self, name: str) -> Resolution:
        if name in self._cache:
            return self._cache[name]
        found = Resolution(name)
        if self.usable:
            unit = self.registry.lookup(self.jurisdiction, name)
            if unit is None:
                found.suggestions = self.registry.suggest(self.jurisdiction, name)
            else:
                found.unit_id = unit.id
                found.choose = unit.choose
                found.member_ids = [unit.id] if unit.choose else [m.id for m in self.registry.expand(unit)]
        self._cache[name] = found
        return found

    def ids(self, names: list[str]) -> list[str]:
        """Canonical ids of the units the names stand for: a group's members, a choose-group itself."""
        out: list[str] = []
        for name in names:
            for unit_id in self.resolve(name).member_ids:
                if unit_id not in out:
                    out.append(unit_id)
        return out
