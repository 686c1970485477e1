"""`tracker plan load`: read and validate the unit registry and plan files, then load them in
one transaction. Every file is checked before anything is written; any error leaves the
database exactly as it was."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..config import BUNDLED_PLANS
from ..errors import N_, Refusals, TrackerError
from ..planfile import plan_files_in, read_plan
from ..store.db import Database
from ..store.sync import PlanChanges, load_plan, sync_registry, validate_plan_units
from ..registry import Registry


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back after computing its changes."""


def _registry_for(registry_path: Path | None, plan_paths: list[Path]) -> Registry:
    if registry_path is None:
        beside = [p.parent / "units.toml" for p in plan_paths if (p.parent / "units.toml").exists()]
        registry_path = beside[0] if beside else BUNDLED_PLANS / "units.toml"
    if not registry_path.exists():
        raise TrackerError(N_("no unit registry (units.toml) beside the plan files or given on the command line"),
                           where=str(plan_paths[0]) if plan_paths else None)
    return Registry.load(registry_path)


def _no_progress(items: Sequence[Any], phase: str) -> Iterable[Any]:
    return items


def load_paths(db: Database, paths: list[Path], *, dry_run: bool = False,
               progress: Callable[[Sequence[Any], str], Iterable[Any]] = _no_progress) -> tuple[dict, list[PlanChanges]]:
    """Read and check every file, then load them all in one transaction. `progress(items,
    phase)` wraps the files as they are read (phase "read") and the plans as they are loaded
    ("load"): a front end's progress bar."""
    registry_path, plan_paths = plan_files_in(paths)
    registry = _registry_for(registry_path, plan_paths)
    plans, errors = [], []
    for path in progress(plan_paths, "read"):
        try:
            plans.append(read_plan(path))
        except TrackerError as exc:
            errors.append(exc)
    seen: dict[str, Path] = {}
    for plan in plans:
        errors.extend(validate_plan_units(plan, registry))
        if plan.key in seen:
            errors.append(TrackerError(N_("plan key {key!r} is also used by {other}"), where=str(plan.path), key=plan.key,
                                       other=seen[plan.key]))
        seen[plan.key] = plan.path
    if errors:
        raise Refusals(N_("nothing was loaded:"), errors)

    report: dict = {}
    changes: list[PlanChanges] = []
    try:
        with db.transaction() as session:
            report = sync_registry(session, registry)
            changes = [load_plan(session, plan, registry) for plan in progress(plans, "load")]
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report, changes


def load_bundled(db: Database) -> list[PlanChanges]:
    """First run of the embedded default: load the plans that ship with tracker."""
    if not (BUNDLED_PLANS / "units.toml").exists():
        return []
    return load_paths(db, [BUNDLED_PLANS])[1]
