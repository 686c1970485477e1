"""docs/benchmarks.md is read by people who have this repository and not our machine: no data
path of one machine, and only commands that exist in it."""

from __future__ import annotations

import re

from .conftest import ROOT

BENCHMARKS = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")


def test_benchmarks_name_no_machine_specific_path():
    found = re.findall(r"(?:/work/|/tmp/|/home/|/root/|127\.0\.0\.1)[^\s`)]*", BENCHMARKS)
    assert found == []


def test_benchmarks_name_only_commands_a_user_has():
    scripts = set(re.findall(r"python (bench/\w+\.py)", BENCHMARKS))
    modules = set(re.findall(r"python -m (bench\.\w+)", BENCHMARKS))
    assert scripts and modules
    missing = [s for s in scripts if not (ROOT / s).is_file()]
    missing += [m for m in modules if not (ROOT / (m.replace(".", "/") + ".py")).is_file()]
    assert missing == []
    for command in re.findall(r"`(tracker [^`]+)`", BENCHMARKS):
        from tracker.cli import cli

        name = command.split()[1]
        assert name in cli.list_commands(None), command
