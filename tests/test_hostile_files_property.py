"""Property (issue #14): a plan or registry file made structurally wrong in any one place (a value
of the wrong type, nested, too long, a key unknown) is refused with its file and line, as one
message and no traceback, and the database is left as it was."""

from __future__ import annotations

import copy
import math
import re
import shutil
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tracker.errors import TrackerError
from tracker.planfile import _toml_value
from tracker.service.loading import load_paths

from .conftest import PLANS, snapshot

PLAN = {
    "plan": {"key": "prop", "title": "测试计划", "jurisdiction": "青岛市", "coordinator": "市发展改革委",
             "period_start": date(2021, 1, 1), "period_end": date(2022, 12, 31)},
    "sections": [{"key": "1", "title": "一、重点任务"}],
    "tasks": [
        {"key": "1.1", "section": "1", "text": "第一项任务。", "lead": ["市发展改革委"], "deadline": date(2022, 6, 30)},
        {"key": "1.2", "section": "1", "text": "第二项任务。", "responsible": ["市商务局"],
         "deadline": {"rrule": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"}},
    ],
    "targets": [{"indicator": "集聚区", "comparator": "以上", "value": 15, "measure": "家", "year": 2022, "task": "1.1"}],
}

REGISTRY = {
    "jurisdictions": [{"name": "青岛市", "timezone": "Asia/Shanghai"}],
    "units": [{"jurisdiction": "青岛市", "name": "市发展改革委", "aliases": ["市发改委"]},
              {"jurisdiction": "青岛市", "name": "市商务局", "kind": "department"}],
    "groups": [{"jurisdiction": "青岛市", "name": "各相关部门", "candidates": "department", "choose": True}],
    "liaisons": [{"jurisdiction": "青岛市", "unit": "市商务局", "name": "王敏", "email": "wangmin@example.gov.cn"}],
}

# the wrong values, by what a field holds: another type, a nesting, a size past every column,
# characters no field takes (NUL)
numbers = st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(allow_nan=True, allow_infinity=True))
dates = st.dates()
datetimes = st.datetimes(min_value=datetime(1, 1, 1, 0, 0, 1))
scalars = st.one_of(numbers, st.booleans(), dates, datetimes)
inner = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)),
                     max_leaves=6)
nested = st.one_of(st.lists(inner, min_size=1, max_size=3),  # a list or a table, whatever is inside
                   st.dictionaries(st.sampled_from(["a", "b"]), inner, min_size=1, max_size=2))
deep = st.integers(min_value=2, max_value=60).map(lambda depth: "[" * depth + "]" * depth)  # written raw
bad_strings = st.sampled_from(["\x00", "前\x00后", "x" * 20_001, "soon"])
not_text = st.one_of(scalars, nested, deep, st.lists(st.text(max_size=3), max_size=2))
WRONG = {
    "text": st.one_of(not_text, st.sampled_from(["\x00", "前\x00后", "x" * 20_001])),
    "date": st.one_of(numbers, st.booleans(), datetimes, nested, deep, bad_strings),
    "number": st.one_of(st.booleans(), dates, datetimes, nested, deep, bad_strings,
                        st.sampled_from([math.nan, math.inf, -math.inf, 1e300])),
    "year": st.one_of(st.floats(), st.booleans(), dates, nested, deep, bad_strings,
                      st.integers(min_value=10_000), st.integers(max_value=999)),
    "names": st.one_of(numbers, st.booleans(), dates, datetimes, deep, bad_strings.filter(lambda v: v != "soon"),
                       st.lists(scalars, min_size=1, max_size=3), st.dictionaries(st.just("a"), scalars, min_size=1)),
    "deadline": st.one_of(numbers, st.booleans(), datetimes, nested, deep, bad_strings,
                          st.dictionaries(st.sampled_from(["rule", "rrule"]), scalars, min_size=1)),
    "bool": st.one_of(numbers, dates, nested, deep, bad_strings),
    "table": st.one_of(scalars, bad_strings, st.dictionaries(st.just("key"), scalars, min_size=1), deep),
    "extra": st.one_of(scalars, nested, st.text(max_size=5)),
}
KINDS = {
    "period_start": "date", "period_end": "date", "written_on": "date", "due_on": "date",
    "value": "number", "year": "year", "lead": "names", "responsible": "names", "aliases": "names",
    "members": "names", "deadline": "deadline", "choose": "bool", "extra_field": "extra",
}


def _wrong(place: tuple):
    table, index, field = place
    return WRONG["table"] if index == "whole" else WRONG[KINDS.get(field, "text")]


def _places(data: dict) -> list[tuple]:
    """Every place a value sits: (table, index or None, field)."""
    places: list[tuple] = []
    for table, body in data.items():
        if isinstance(body, dict):
            places.extend((table, None, f) for f in body)
        else:
            places.append((table, "whole", None))
            for index, entry in enumerate(body):
                places.extend((table, index, f) for f in entry)
                places.append((table, index, "extra_field"))
    return places


def _write(data: dict, raw: dict[tuple, str] | None = None) -> str:
    """TOML in the plan file's own layout; `raw` puts text in place of a value (deep nesting)."""
    raw = raw or {}
    out: list[str] = []
    for table, body in data.items():
        if (table,) in raw or not isinstance(body, (dict, list)) or \
                (isinstance(body, list) and body and not isinstance(body[0], dict)):
            out.insert(0, f"{table} = {raw.get((table,)) or _toml_value(body)}")
            continue
        entries = [body] if isinstance(body, dict) else body
        for index, entry in enumerate(entries):
            out.append(f"[{table}]" if isinstance(body, dict) else f"[[{table}]]")
            for field, value in entry.items():
                text = raw.get((table, index if isinstance(body, list) else None, field))
                out.append(f"{field} = {text if text is not None else _toml_value(value)}")
            out.append("")
    return "\n".join(out) + "\n"


def _spoil(data: dict, place: tuple, value) -> tuple[dict, dict]:
    table, index, field = place
    spoiled = copy.deepcopy(data)
    raw: dict[tuple, str] = {}
    if isinstance(value, str) and value.startswith("[") and value.endswith("]") and set(value) <= {"[", "]"}:
        raw_value, value = value, []
        raw[(table,) if index == "whole" else (table, index, field)] = raw_value
    if index == "whole":
        spoiled[table] = value
    elif index is None:
        spoiled[table][field] = value
    else:
        spoiled[table][index][field] = value
    return spoiled, raw


def _refused_with_place(db, folder, file) -> None:
    before = snapshot(db.url)
    with pytest.raises(TrackerError) as raised:
        load_paths(db, [folder])
    message = str(raised.value)
    assert re.search(rf"{re.escape(str(file))}:\d+[:\uff1a]", message), message
    assert snapshot(db.url) == before


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One database, loaded once, that every example tries to change (SQLite: the property is
    about the files; the engines' own refusals are held in test_hostile_files)."""
    from tracker.store.db import Database

    folder = tmp_path_factory.mktemp("db")
    db = Database(f"sqlite:///{folder / 'tracker.sqlite3'}")
    load_paths(db, [PLANS])
    yield db
    db.dispose()


def _check_plan(loaded, tmp_path_factory, place, value) -> None:
    spoiled, raw = _spoil(PLAN, place, value)
    folder = tmp_path_factory.mktemp("plans")
    shutil.copy(PLANS / "units.toml", folder / "units.toml")
    (folder / "prop.toml").write_text(_write(spoiled, raw), encoding="utf-8")
    _refused_with_place(loaded, folder, folder / "prop.toml")


def _check_registry(loaded, tmp_path_factory, place, value) -> None:
    spoiled, raw = _spoil(REGISTRY, place, value)
    folder = tmp_path_factory.mktemp("registry")
    (folder / "units.toml").write_text(_write(spoiled, raw), encoding="utf-8")
    _refused_with_place(loaded, folder, folder / "units.toml")


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
SLOW = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@FAST
@given(case=st.sampled_from(_places(PLAN)).flatmap(lambda place: st.tuples(st.just(place), _wrong(place))))
def test_a_plan_file_wrong_in_one_place_is_refused_where_it_is(loaded, tmp_path_factory, case):
    _check_plan(loaded, tmp_path_factory, *case)


@FAST
@given(case=st.sampled_from(_places(REGISTRY)).flatmap(lambda place: st.tuples(st.just(place), _wrong(place))))
def test_a_registry_wrong_in_one_place_is_refused_where_it_is(loaded, tmp_path_factory, case):
    _check_registry(loaded, tmp_path_factory, *case)


@pytest.mark.slow
@SLOW
@given(case=st.sampled_from(_places(PLAN)).flatmap(lambda place: st.tuples(st.just(place), _wrong(place))))
def test_many_plan_files_wrong_in_one_place(loaded, tmp_path_factory, case):
    _check_plan(loaded, tmp_path_factory, *case)


@pytest.mark.slow
@SLOW
@given(case=st.sampled_from(_places(REGISTRY)).flatmap(lambda place: st.tuples(st.just(place), _wrong(place))))
def test_many_registries_wrong_in_one_place(loaded, tmp_path_factory, case):
    _check_registry(loaded, tmp_path_factory, *case)
