"""Progress on long work: a bar on standard error when it is a terminal (TRACKER_PROGRESS=always
stands in for one here), nothing extra when piped, and with --quiet only the summary line."""

from __future__ import annotations

import csv

import pytest

from .conftest import PLANS

JILIN = "jilin-2021-cluster-upgrade"
FORCED = {"TRACKER_PROGRESS": "always"}
BAR = "\u2501"  # rich's bar


def _ok(result):
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def _no_bar(result):
    assert "\x1b" not in result.stdout + result.stderr and BAR not in result.stderr


def test_plan_load(tracker_cli):
    _ok(tracker_cli("plan", "load", str(PLANS)))
    piped = _ok(tracker_cli("plan", "load", str(PLANS)))
    _no_bar(piped)
    assert piped.stdout.splitlines()[-1] == "共3个计划\uff1a新增0个\uff0c有变化0个\uff0c无变化3个"
    assert _ok(tracker_cli("plan", "load", str(PLANS), env={"TRACKER_PROGRESS": "never"})).stdout == piped.stdout

    quiet = _ok(tracker_cli("plan", "load", "--quiet", str(PLANS), env=FORCED))
    assert quiet.stdout == piped.stdout.splitlines()[-1] + "\n" and quiet.stderr == ""

    shown = _ok(tracker_cli("plan", "load", str(PLANS), env=FORCED))
    assert shown.stdout == piped.stdout
    assert "读取计划文件" in shown.stderr and "载入计划" in shown.stderr and BAR in shown.stderr
    assert "3/3" in shown.stderr


def test_feed_export_all(tracker_cli, tmp_path):
    _ok(tracker_cli("plan", "load", str(PLANS)))
    piped = _ok(tracker_cli("feed", "export", "--all", "-o", str(tmp_path / "a")))
    _no_bar(piped)
    assert len(piped.stdout.splitlines()) == 1 and piped.stderr == ""
    quiet = _ok(tracker_cli("feed", "export", "--all", "-q", "-o", str(tmp_path / "b"), env=FORCED))
    assert quiet.stdout == piped.stdout.replace(str(tmp_path / "a"), str(tmp_path / "b")) and quiet.stderr == ""
    shown = _ok(tracker_cli("feed", "export", "--all", "-o", str(tmp_path / "c"), env=FORCED))
    assert shown.stdout == piped.stdout.replace(str(tmp_path / "a"), str(tmp_path / "c"))
    assert "写入日历" in shown.stderr and BAR in shown.stderr


def test_digest_all_and_send_all(tracker_cli, tmp_path):
    _ok(tracker_cli("plan", "load", str(PLANS)))
    week = ("--week", "2021-W23")
    piped = _ok(tracker_cli("digest", "--all", *week, "-o", str(tmp_path / "a")))
    _no_bar(piped)
    quiet = _ok(tracker_cli("digest", "--all", *week, "--quiet", "-o", str(tmp_path / "b"), env=FORCED))
    assert quiet.stdout == piped.stdout.replace(str(tmp_path / "a"), str(tmp_path / "b")) and quiet.stderr == ""
    shown = _ok(tracker_cli("digest", "--all", *week, "-o", str(tmp_path / "c"), env=FORCED))
    assert shown.stdout == piped.stdout.replace(str(tmp_path / "a"), str(tmp_path / "c"))
    assert "生成周报" in shown.stderr and BAR in shown.stderr
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(p.name for p in (tmp_path / "c").iterdir())

    send = ("digest", "send", "--all", "--dry-run", *week)
    piped = _ok(tracker_cli(*send))
    _no_bar(piped)
    summary = piped.stdout.splitlines()[-1]
    quiet = _ok(tracker_cli(*send, "--quiet", env=FORCED))
    assert quiet.stdout.splitlines()[-1] == summary and len(quiet.stdout.splitlines()) < len(piped.stdout.splitlines())
    assert quiet.stderr == ""
    shown = _ok(tracker_cli(*send, env=FORCED))
    assert shown.stdout == piped.stdout
    assert "准备周报" in shown.stderr and "发送周报" in shown.stderr and BAR in shown.stderr


def _returned_ledger(tracker_cli, tmp_path):
    _ok(tracker_cli("plan", "load", str(PLANS)))
    path = tmp_path / "ledger.csv"
    _ok(tracker_cli("ledger", "export", "--plan", JILIN, "-u", "市商务局", "-o", str(path), today="2021-06-01"))
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = next(i for i, row in enumerate(rows) if "任务编号" in row)
    key, status = rows[header].index("任务编号"), rows[header].index("状态")
    tasks = [row for row in rows[header + 1:] if len(row) > status and row[key].count(".") == 2]
    for row in tasks[:3]:
        row[status] = "推进中"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.mark.parametrize("mode", ["piped", "quiet", "terminal"])
def test_ledger_import_progress(tracker_cli, tmp_path, mode):
    path = _returned_ledger(tracker_cli, tmp_path)
    args = ["ledger", "import-progress", str(path), "-u", "市商务局", "--by", "邹全发"]
    result = _ok(tracker_cli(*args, *(["--quiet"] if mode == "quiet" else []),
                             env=FORCED if mode != "piped" else None, today="2021-06-02"))
    lines = result.stdout.splitlines()
    assert "3" in lines[-1] and "邹全发" in lines[-1]  # the summary: three updates, by whom
    if mode == "piped":
        _no_bar(result)
        assert len(lines) == 4 and result.stderr == ""  # a line per change, then the summary
    elif mode == "quiet":
        assert len(lines) == 1 and result.stderr == ""
    else:
        assert len(lines) == 4 and "记录进展" in result.stderr and BAR in result.stderr
