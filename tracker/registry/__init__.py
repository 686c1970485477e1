"""The unit registry: canonical units per jurisdiction, their aliases, groups with members, and
the matching of written names against them.

    units.py   the registry read from plans/units.toml, name folding and closest-name suggestions

Callers import from the package (`from tracker.registry import Registry`), not its modules.
"""

from .units import (
    UNIT_KINDS, Liaison, Registry, Unit, UnknownUnit, closest_names, local_form, normalise_name,
)

__all__ = ["UNIT_KINDS", "Liaison", "Registry", "Unit", "UnknownUnit", "closest_names", "local_form", "normalise_name"]
