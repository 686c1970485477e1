"""Who is at the keyboard: the unit (and liaison) the app acts as, and remembering it; and the
keys the liaison has remapped.

A liaison is asked once; the answer is kept in `tui.toml` under the user's config folder
(platformdirs' user_config_dir("tracker"); TRACKER_CONFIG_DIR moves it, for tests and for
several liaisons sharing one account). The same file may hold a [keymap] table, binding id →
keys, e.g. `"tasks.update" = "e,ctrl+u"` (the ids are listed in tracker/tui/text.py BINDINGS and
on the help screen). Nothing here imports Textual.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import AmbiguousUnit, NotFound, TrackerError, UnknownJurisdiction

CONFIG_FILE = "tui.toml"


@dataclass(frozen=True)
class Identity:
    unit_id: int
    unit: str
    jurisdiction: str
    liaison: str | None = None
    # the database knows who this is (a liaison's own login on the shared PostgreSQL): not to be changed
    connected: bool = False


@dataclass(frozen=True)
class Ask:
    """No identity yet: ask, starting from `query` (an ambiguous or remembered name)."""

    query: str = ""
    jurisdiction: str | None = None
    liaison: str | None = None
    notice: str | None = None  # why we ask again, e.g. a remembered unit this database lacks


def config_dir() -> Path:
    override = os.environ.get("TRACKER_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("tracker", appauthor=False))


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


def _read_config() -> tuple[dict, str | None]:
    path = config_path()
    if not path.exists():
        return {}, None
    import tomlkit

    try:
        return tomlkit.parse(path.read_text(encoding="utf-8")).unwrap(), None
    except Exception as exc:  # TOML syntax error, unreadable bytes
        return {}, f"{path}: {exc}"


def remembered() -> tuple[dict, str | None]:
    """The remembered answer as {unit, jurisdiction, liaison}, and a problem reading it, if any.
    A broken file is not fatal: the app asks again and says why."""
    path = config_path()
    data, problem = _read_config()
    if problem or not data:
        return {}, problem
    if not isinstance(data.get("unit"), str) or not data["unit"].strip():
        return {}, f"{path}: no unit name in it"
    return {k: data[k] for k in ("unit", "jurisdiction", "liaison") if isinstance(data.get(k), str)}, None


def keymap() -> tuple[dict[str, str], str | None]:
    """The liaison's own keys from tui.toml's [keymap] (binding id → "key" or "key1,key2"), and
    a problem with it, if any: an unknown binding id or a value that is not a key string is
    named, and the rest still applies."""
    from .text import BINDINGS

    data, problem = _read_config()
    table = data.get("keymap", {})
    if problem or not table:
        return {}, problem
    if not isinstance(table, dict):
        return {}, f"{config_path()}: [keymap] must be a table of binding id = \"keys\""
    mapping, wrong = {}, []
    for binding_id, keys in table.items():
        if binding_id in BINDINGS and isinstance(keys, str) and keys.strip():
            mapping[binding_id] = ",".join(k.strip() for k in keys.split(",") if k.strip())
        else:
            wrong.append(binding_id)
    if wrong:
        return mapping, (f"{config_path()}: [keymap] {', '.join(wrong)}: unknown binding id or no key; "
                         f"known ids: {', '.join(BINDINGS)}")
    return mapping, None


def remember(identity: Identity) -> Path:
    """Write the identity into tui.toml, keeping what else the file holds (the [keymap])."""
    import tomlkit

    path = config_path()
    doc = tomlkit.document()
    try:
        if path.exists():
            doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    except Exception:  # a broken file is replaced by a good one
        doc = tomlkit.document()
    if not doc.body:
        doc.add(tomlkit.comment("The unit and liaison `tracker tui` acts as; delete this file to be asked again."))
    doc["unit"] = identity.unit  # tomlkit keeps plain keys ahead of the [keymap] table
    doc["jurisdiction"] = identity.jurisdiction
    if identity.liaison:
        doc["liaison"] = identity.liaison
    elif "liaison" in doc:
        del doc["liaison"]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    tmp.replace(path)  # a crash mid-write leaves the old answer, never half a file
    return path


def resolve(session, *, as_unit: str | None, jurisdiction: str | None, liaison: str | None) -> Identity | Ask:
    """The identity to start with: the connection's own on the shared database (--as and
    --liaison may only repeat it), else --as (with --jurisdiction), then the remembered answer.

    An unknown --as or --jurisdiction is an error (TrackerError) the command reports before any
    screen opens; a name in several jurisdictions, or nothing to go on, asks."""
    from ..service import find_unit
    from ..service.access import acting_identity, connected_liaison

    me = connected_liaison(session)
    if me is not None:
        acting_identity(session, find_unit(session, as_unit, jurisdiction).id if as_unit else None, liaison)
        return Identity(me.unit_id, me.unit, me.jurisdiction, me.liaison, connected=True)

    if as_unit:
        try:
            unit = find_unit(session, as_unit, jurisdiction)
        except AmbiguousUnit:  # several jurisdictions have it: let the liaison pick one
            return Ask(query=as_unit, liaison=liaison)
        saved, _ = remembered()
        if liaison is None and saved.get("unit") == unit.name and saved.get("jurisdiction") == unit.jurisdiction:
            liaison = saved.get("liaison")
        return Identity(unit.id, unit.name, unit.jurisdiction, liaison)
    if jurisdiction:
        from ..service.tui import jurisdiction_names

        if jurisdiction not in (known := jurisdiction_names(session)):
            raise UnknownJurisdiction(jurisdiction, known)
    saved, problem = remembered()
    if problem:
        return Ask(jurisdiction=jurisdiction, liaison=liaison, notice=problem)
    if not saved:
        return Ask(jurisdiction=jurisdiction, liaison=liaison)
    try:
        unit = find_unit(session, saved["unit"], saved.get("jurisdiction"))
    except TrackerError as exc:  # remembered from another database
        return Ask(query=saved["unit"], liaison=liaison, notice=str(exc))
    return Identity(unit.id, unit.name, unit.jurisdiction, liaison or saved.get("liaison"))
