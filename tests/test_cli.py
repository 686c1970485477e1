"""The `tracker` command as a user types it."""

import json
import os
import subprocess
import sys

from .conftest import PLANS, ROOT, snapshot

QINGDAO = "qingdao-2020-service-clusters"


def test_load_list_and_tasks(tracker_cli):
    result = tracker_cli("plan", "load", str(PLANS))
    assert result.exit_code == 0, result.output
    assert "新计划 qingdao-2020-service-clusters" in result.output
    # the tasks a person must give units to: one line a plan, the list on request
    assert "\u6ce8\u610f\uff1ajilin-2021-cluster-upgrade 有32项任务需要有人选定承担单位" in result.output
    assert "5.4.1" not in result.output and "needs" not in result.output
    verbose = tracker_cli("plan", "load", "--verbose", str(PLANS))
    assert "jilin-2021-cluster-upgrade 5.4.1\uff1a需要有人从各相关部门的10个单位中选定承担单位" in verbose.output
    english = tracker_cli("--lang", "en", "plan", "load", str(PLANS))
    assert "note: 32 tasks of jilin-2021-cluster-upgrade need a person to choose their units" in english.output
    result = tracker_cli("plan", "list", "--json")
    assert [p["key"] for p in json.loads(result.output)] == [
        "jilin-2021-cluster-upgrade", QINGDAO, "qingdao-2024-municipal-clusters"]
    result = tracker_cli("tasks", "--unit", "市发改委", "--jurisdiction", "青岛市", today="2022-12-01")
    assert result.exit_code == 0, result.output
    assert "3.1.2" in result.output and "共11项" in result.output
    result = tracker_cli("tasks", "--unit", "市发展改革委", "-j", "青岛市", "--role", "lead", "--json", today="2023-01-02")
    rows = json.loads(result.output)
    assert [r["key"] for r in rows] == ["3.1.2", "3.5.1", "3.6.3", "3.6.5", "3.7.1", "3.7.4", "3.7.5"]
    first = rows[0]
    assert first["plan"] == QINGDAO and first["lead"] == ["市发展改革委"] and first["deadline"] == "2022-12-31"
    assert first["overdue"] is True and first["status"] == "not_started" and len(first["responsible"]) == 10


def test_english_output(tracker_cli):
    tracker_cli("plan", "load", str(PLANS))
    result = tracker_cli("--lang", "en", "tasks", "-u", "市统计局", today="2022-01-01")
    assert "not started" in result.output and "1 task\n" in result.output


def test_status_set_and_history(tracker_cli):
    tracker_cli("plan", "load", str(PLANS))
    result = tracker_cli("status", "set", "5.3.1", "--plan", "jilin-2021-cluster-upgrade", "--unit", "市统计局",
                         "--status", "推进中", "--percent", "60", "--note", "指标体系已印发", "--by", "苏秀兰")
    assert result.exit_code == 0, result.output
    assert "推进中 60%" in result.output
    result = tracker_cli("history", "5.3.1", "--plan", "jilin-2021-cluster-upgrade", "--json")
    entry, = json.loads(result.output)
    assert (entry["unit"], entry["status"], entry["percent"], entry["author"]) == ("市统计局", "in_progress", 60, "苏秀兰")


def test_refused_status_update_writes_nothing(tracker_cli):
    tracker_cli("plan", "load", str(PLANS))
    before = snapshot(tracker_cli.url)
    for args in (["--unit", "市统计局", "--status", "滞后"],  # no note
                 ["--unit", "市统计局", "--status", "完成了"],  # unknown status
                 ["--unit", "市统计局", "--status", "推进中", "--percent", "120"],
                 ["--unit", "市财政局", "--status", "推进中"],  # not assigned
                 ["--unit", "市统计局", "--as", "市财政局", "--status", "推进中"]):  # not its own
        result = tracker_cli("status", "set", "5.3.1", "--plan", "jilin-2021-cluster-upgrade", *args)
        assert result.exit_code != 0
    assert snapshot(tracker_cli.url) == before


def test_unknown_unit_suggests(tracker_cli):
    tracker_cli("plan", "load", str(PLANS))
    result = tracker_cli("tasks", "--unit", "市发展改革局", "-j", "青岛市")
    assert result.exit_code != 0
    assert "市发展改革委" in str(result.exception)


def _run(args, env):
    return subprocess.run([sys.executable, "-m", "tracker.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_first_run_of_the_embedded_default_loads_the_bundled_plans(tmp_path):
    """`tracker` on a fresh machine: creates the SQLite file in the data folder, loads plans/."""
    env = {**os.environ, "TRACKER_DATA_DIR": str(tmp_path / "data"), "TRACKER_TODAY": "2022-06-01"}
    env.pop("TRACKER_DB", None)
    result = _run([], env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "tracker.sqlite3").exists()
    assert QINGDAO in result.stdout
    result = _run(["tasks", "--unit", "市大数据局"], env)
    assert "3.3.3" in result.stdout


def test_errors_exit_non_zero_with_a_message(tmp_path):
    env = {**os.environ, "TRACKER_DATA_DIR": str(tmp_path / "data")}
    result = _run(["--db", f"sqlite:///{tmp_path}/x.db", "tasks", "--unit", "市商务局"], env)
    assert result.returncode == 2
    assert result.stderr.startswith("错误\uff1a未知单位 '市商务局'"), result.stderr
    result = _run(["--db", "nonsense://", "plan", "list"], env)
    assert result.returncode == 2 and "错误" in result.stderr
