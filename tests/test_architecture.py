"""The architecture, checked: the import contracts in pyproject.toml hold, mypy passes, the
service hands out plain records and never an ORM object, and every headless module imports in a
fresh interpreter without Textual (and the ones `tracker tasks` and the plan reader run on,
without SQLAlchemy either).

Import-linter reads the code; the fresh interpreters show what importing a module really
loads, which is what a user waits for at start-up.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import typing
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

import tracker

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    """A console script installed beside this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: python -m pip install -e '.[test]'")
    return found


def test_import_contracts_hold():
    result = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "broken" not in result.stdout.split("Contracts:")[-1].split("\n")[0].replace("0 broken", "")


def test_mypy_passes():
    """At the level pyproject.toml sets ([tool.mypy]); the cache stays in .mypy_cache."""
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


# ---------------------------------------------------------------------- the service's boundary

# The two lookups the service's own modules query from: they hand back a row inside the service,
# and the test below checks that nothing outside it calls them.
INSIDE_ONLY = {"get_plan", "get_task"}


def _service_modules() -> list:
    import tracker.service as service
    return [service] + [importlib.import_module(m.name)
                        for m in pkgutil.iter_modules(service.__path__, "tracker.service.")]


def _hints(obj, module) -> dict:
    """`obj`'s resolved annotations, with the names the module imports only for type checking
    (`if TYPE_CHECKING:`, to break an import cycle) imported for the purpose."""
    namespace = dict(vars(module))
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            exec(compile(ast.Module(node.body, []), module.__file__, "exec"), namespace)
    return typing.get_type_hints(obj, namespace)


def _orm_classes(annotation) -> set[str]:
    """The ORM model classes an annotation names, however deep (list[X], X | None, dict[int, list[X]])."""
    from tracker.store.models import Base
    found = {annotation.__name__} if isinstance(annotation, type) and issubclass(annotation, Base) else set()
    for argument in typing.get_args(annotation):
        found |= _orm_classes(argument)
    return found


def _public(module):
    """A service module's public names: its own, and the store's it hands on (the backup's)."""
    for name, obj in vars(module).items():
        owner = getattr(obj, "__module__", None) or ""
        if not name.startswith("_") and (owner == module.__name__ or owner.startswith("tracker.store.")):
            yield name, obj, sys.modules[owner]


def test_the_service_returns_no_orm_object():
    """Every public function of tracker.service says what it returns, and none returns an ORM
    object (an expired one read after its session ended crashed the TUI's task detail), nor a
    record with one inside."""
    problems = []
    for module in _service_modules():
        for name, obj, owner in _public(module):
            if inspect.isfunction(obj) and name not in INSIDE_ONLY:
                hints = _hints(obj, owner)
                if "return" not in hints:
                    problems.append(f"{module.__name__}.{name} does not say what it returns")
                elif _orm_classes(hints["return"]):
                    problems.append(f"{module.__name__}.{name} returns {_orm_classes(hints['return'])}")
            elif dataclasses.is_dataclass(obj):
                problems += [f"{module.__name__}.{name}.{field} holds {_orm_classes(kind)}"
                             for field, kind in _hints(obj, owner).items() if _orm_classes(kind)]
    assert not problems, "\n".join(problems)


def test_the_records_are_frozen():
    """The service's records cannot be changed behind its back (a record may key a cache). The
    store's report of a plan load (PlanChanges), which `plan load` hands on, is built up as the
    load goes and is not one of them."""
    thawed = [f"{module.__name__}.{name}" for module in _service_modules() for name, obj, owner in _public(module)
              if owner is module and dataclasses.is_dataclass(obj) and isinstance(obj, type)
              and not obj.__dataclass_params__.frozen]  # type: ignore[attr-defined]
    assert not thawed


def test_the_row_lookups_stay_inside_the_service():
    calls = re.compile(r"\b(" + "|".join(sorted(INSIDE_ONLY)) + r")\b")
    outside = [f"{path.relative_to(ROOT)}: {calls.search(path.read_text(encoding='utf-8')).group(1)}"
               for path in (ROOT / "tracker").rglob("*.py")
               if "service" not in path.relative_to(ROOT).parts and calls.search(path.read_text(encoding="utf-8"))]
    assert not outside, outside


def test_the_boundary_check_sees_an_orm_return():
    """The check above would catch one: a function annotated with a model, nested or not."""
    from tracker.store.models import Plan, StatusUpdate
    from tracker.service.records import StatusUpdate as Record

    assert _orm_classes(dict[int, list[Plan | None]]) == {"Plan"}
    assert _orm_classes(StatusUpdate) == {"StatusUpdate"} and _orm_classes(list[Record]) == set()


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(tracker.__path__, "tracker.")]
    # alembic's env.py runs a migration when imported; it is only ever loaded by Alembic
    return sorted(n for n in names if not n.startswith("tracker.store.migrations"))


HEADLESS = [m for m in _modules() if not (m == "tracker.tui" or m.startswith("tracker.tui."))]

# What `tracker tasks` runs on (tracker/store/direct.py answers before SQLAlchemy is loaded),
# what `tracker plan parse` and `tracker plan` need, and the small core under everything.
LIGHT = [m for m in HEADLESS if m in {
    "tracker", "tracker.cli", "tracker.cli.main", "tracker.cli.context", "tracker.cli.parse", "tracker.cli.language",
    "tracker.cli.__main__",
    "tracker.store", "tracker.store.direct", "tracker.store.tasklist",
    "tracker.clock", "tracker.config", "tracker.errors", "tracker.i18n", "tracker.deadlines",
    "tracker.textwidth", "tracker.atomic", "tracker.planfile",
} or m.startswith(("tracker.ingest", "tracker.registry"))]

PROBE = """
import importlib, json, sys
before = set(sys.modules)
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))
"""


def _probe(module: str) -> set[str] | str:
    """Top-level packages importing `module` loads, in an interpreter of its own (or why it failed)."""
    if module.endswith(".__main__"):
        # importing it would run the command (`python -m`): it imports no more than its package
        module = module.removesuffix(".__main__")
    result = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        return f"import {module} failed:\n{result.stderr[-3000:]}"
    return set(json.loads(result.stdout))


@cache
def _all_imports() -> dict[str, set[str] | str]:
    # one fresh interpreter per module, a few at a time: the answers do not depend on each other
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return dict(zip(HEADLESS, pool.map(_probe, HEADLESS)))


def _imported_by(module: str) -> set[str]:
    loaded = _all_imports()[module]
    if isinstance(loaded, str):
        pytest.fail(loaded)
    return loaded


def test_every_module_is_checked():
    assert "tracker.service" in HEADLESS and "tracker.tui.app" not in HEADLESS
    assert {"tracker.store.direct", "tracker.cli.main", "tracker.registry"} <= set(LIGHT)
    assert "tracker.store.db" not in LIGHT


HEAVY = {"sqlalchemy", "alembic", "textual", "rich", "icalendar", "openpyxl", "jinja2", "starlette", "uvicorn",
         "psycopg"}


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_imports_without_textual(module):
    loaded = _imported_by(module)
    assert not loaded & {"textual", "rich"}, f"importing {module} loads {sorted(loaded & {'textual', 'rich'})}"
    if module in LIGHT:
        assert not loaded & HEAVY, f"importing {module} loads {sorted(loaded & HEAVY)}"


def test_the_command_line_writes_through_one_guarded_echo():
    """Whatever a command prints may carry someone's data (a note, a name, a line of a document
    being read): it goes out through tracker.cli.context.echo, which shows control and escape
    characters as escapes, never through click.echo directly."""
    import ast

    bare = []
    for path in sorted((ROOT / "tracker" / "cli").glob("*.py")):
        if path.name == "context.py":
            continue  # the guarded echo itself
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("echo", "secho") \
                    and isinstance(node.value, ast.Name) and node.value.id == "click":
                bare.append(f"{path.name}:{node.lineno}")
    assert bare == []
