"""The architecture, checked: the import contracts in pyproject.toml hold, mypy passes, and
every headless module imports in a fresh interpreter without Textual (and the ones `tracker
tasks` and the plan reader run on, without SQLAlchemy either).

Import-linter reads the code; the fresh interpreters show what importing a module really
loads, which is what a user waits for at start-up.
"""

from __future__ import annotations

import json
import os
import pkgutil
import shutil
import subprocess
import sys
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
