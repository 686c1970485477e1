"""bench.run end to end on a small generated city: every measure runs and lands in the table."""

import sys

import pytest

from bench import run


@pytest.mark.slow
def test_bench_run_measures_every_command(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["bench.run"])
    run.main(["--scale", "small", "--runs", "1", "--load-runs", "1"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "SQLite" in line]
    measured = {line.split(" | ")[0].lstrip("| ").split(" (")[0].split(",")[0] for line in rows if "not measured" not in line}
    assert {"plan load", "task list", "status update", "one unit's feed", "all feeds", "one digest",
            "all digests", "TUI launch → first paint"} <= measured, out
    task_list = next(line for line in rows if line.startswith("| task list"))
    assert task_list.split(" | ")[5] == "4"  # statements: revision, unit, tasks, their units
    assert "213 units, 6 plans, 300 tasks" in out
