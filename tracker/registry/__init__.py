"""The unit registry: canonical units per jurisdiction, their aliases, groups with members, and
the matching of written names against them.

    names.py   name folding, the jurisdiction's prefix, closest-name suggestions (cheap to import)
    units.py   the registry read from plans/units.toml against its schema

Callers import from the package (`from tracker.registry import Registry`), not its modules. The
registry itself (and pydantic, which its schema needs) is imported on first use, so a command
that only matches names (`tracker tasks`) starts without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .names import closest_names, local_form, normalise_name

if TYPE_CHECKING:
    from .units import UNIT_KINDS, Liaison, Registry, Unit, UnknownUnit

_FROM_UNITS = ("UNIT_KINDS", "Liaison", "Registry", "Unit", "UnknownUnit")


def __getattr__(name: str) -> Any:
    if name in _FROM_UNITS:
        from . import units

        return getattr(units, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["UNIT_KINDS", "Liaison", "Registry", "Unit", "UnknownUnit", "closest_names", "local_form", "normalise_name"]
