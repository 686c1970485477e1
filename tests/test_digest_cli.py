"""`tracker digest` as a user types it: one unit, every unit, the report, .eml files, bad input."""

from __future__ import annotations

import email
import re
from email import policy

import pytest

from tracker.store.db import Database

from .conftest import snapshot
from .test_digest import copy_data, record_history

TODAY = "2026-11-25"


@pytest.fixture
def cli(tracker_cli, tmp_path):
    result = tracker_cli("plan", "load", str(copy_data(tmp_path)))
    assert result.exit_code == 0, result.output
    db = Database(tracker_cli.url)
    record_history(db)
    db.dispose()
    return tracker_cli


def test_one_units_digest_defaults_to_this_week(cli):
    result = cli("digest", "--unit", "市发改委", "-j", "青岛市", today=TODAY)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("【行动计划周报】市发展改革委 2026年第48周\n")
    assert "■ 已超期\uff081\uff09" in result.stdout
    # TRACKER_TODAY alone picks the week: the Sunday after is still week 48
    assert cli("digest", "-u", "市发改委", today="2026-11-29").stdout == \
        cli("digest", "-u", "市发改委", "--week", "2026-W48", today="2026-11-29").stdout


def test_formats_to_files(cli, tmp_path):
    for fmt in ("md", "html"):
        out = tmp_path / "out" / f"digest.{fmt}"
        result = cli("digest", "-u", "市发改委", "--week", "2026-W48", "--format", fmt, "-o", str(out), today=TODAY)
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert "市发展改革委" in out.read_text(encoding="utf-8")
    result = cli("--lang", "en", "digest", "-u", "市统计局", "--week", "2026-W48", today=TODAY)
    assert "Nothing overdue, due soon, behind schedule or waiting on anyone this week." in result.stdout


def test_every_units_digest_into_a_folder(cli, tmp_path):
    out = tmp_path / "week48"
    result = cli("digest", "--all", "--week", "2026-W48", "-o", str(out), today=TODAY)
    assert result.exit_code == 0, result.output
    # every unit with a task, and only those (市审计局 has none)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"青岛市-{name}-2026-W48.txt" for name in ("市发展改革委", "市商务局", "市科技局", "市财政局", "市统计局"))
    assert "生成周报" not in result.stderr  # no progress bar into a pipe (tests/test_progress.py)
    assert "已写入5份周报" in result.stdout
    stats = (out / "青岛市-市统计局-2026-W48.txt").read_text(encoding="utf-8")
    assert "本周没有超期、临近到期、进度滞后或需要跟进的任务。" in stats
    # one jurisdiction's units only; an unknown one is an error
    result = cli("digest", "--all", "-j", "青岛市", "-o", str(tmp_path / "qd"), today=TODAY)
    assert len(list((tmp_path / "qd").iterdir())) == 5
    result = cli("digest", "--all", "-j", "吉林市", "-o", str(tmp_path / "jl"), today=TODAY)
    assert result.exit_code != 0 and "未知地区 '吉林市'\uff1b已知地区\uff1a青岛市" in str(result.exception)
    assert "unknown jurisdiction '吉林市'; known: 青岛市" in result.exception.words("en")


def test_eml_for_every_unit_skips_units_without_addresses(cli, tmp_path):
    out = tmp_path / "mail"
    result = cli("digest", "--all", "--week", "2026-W48", "--format", "eml", "-o", str(out), today=TODAY,
                 env={"TRACKER_SMTP_FROM": "行动计划办公室 <tracker@example.org>"})
    assert result.exit_code == 0, result.output
    assert len(list(out.iterdir())) == 4
    assert "跳过 青岛市 市科技局\uff1a联络员没有邮箱" in result.stderr
    message = email.message_from_bytes((out / "青岛市-市发展改革委-2026-W48.eml").read_bytes(), policy=policy.default)
    assert message["Subject"] == "【行动计划周报】市发展改革委 2026年第48周"
    assert [a.addr_spec for a in message["To"].addresses] == ["wangmin@ndrc.example.org", "liqiang@ndrc.example.org"]
    assert [a.display_name for a in message["To"].addresses] == ["王敏", "李强"]
    assert message["From"].addresses[0].display_name == "行动计划办公室"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert "■ 已超期\uff081\uff09" in message.get_body(("plain",)).get_content()


def test_eml_for_a_unit_without_addresses_is_an_error(cli, tmp_path):
    result = cli("digest", "-u", "市科技局", "--format", "eml", "-o", str(tmp_path / "x.eml"), today=TODAY)
    assert result.exit_code != 0 and "没有登记邮箱的联络员" in str(result.exception)
    assert "no liaison with an email address" in result.exception.words("en")
    assert not (tmp_path / "x.eml").exists()


def test_coordinators_report(cli, tmp_path):
    result = cli("digest", "report", "--plan", "digest-test", "--week", "2026-W48", today=TODAY)
    assert result.exit_code == 0, result.output
    assert "1     绿    市统计局" in result.stdout
    out = tmp_path / "report.html"
    result = cli("--lang", "en", "digest", "report", "--plan", "digest-test", "--format", "html", "-o", str(out),
                 today=TODAY)
    assert result.exit_code == 0, result.output
    assert "● red" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("args, message", [
    (["--unit", "市发改委", "--week", "2026-48"], "not an ISO week like 2026-W48"),
    (["--unit", "市发改委", "--week", "2025-W53"], "2025 has weeks 1 to 52"),
    (["--unit", "市发展改革局"], "closest known names: 市发展改革委"),
    (["report", "--plan", "no-such-plan"], "known plans: digest-test"),
    (["report", "--plan", "digest-test", "--week", "W48"], "not an ISO week"),
    (["send", "--unit", "市发改委", "--week", "2026-W99"], "2026 has weeks 1 to 53"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(cli, args, message):
    before = snapshot(cli.url)
    result = cli("digest", *args, today=TODAY)
    assert result.exit_code != 0
    assert message in result.exception.words("en")  # the refusal's data, worded in either language
    assert not re.search("[A-Za-z]{3,} [a-z]{2,}", str(result.exception))  # and Chinese by default
    assert snapshot(cli.url) == before


@pytest.mark.parametrize("args, message", [
    ([], "请用 --unit 单位名 生成一个单位的周报"),
    (["--unit", "市发改委", "--all", "-o", "x"], "请用 --unit 单位名 生成一个单位的周报"),
    (["--all"], "请用 -o 指定文件夹"),
    (["--unit", "市发改委", "report", "--plan", "digest-test"], "请把选项写在 `digest report` 之后"),
    (["send"], "请用 --unit 单位名 或 --all"),
    (["report"], "缺少选项 '--plan'"),
])
def test_usage_errors(tracker_cli, args, message):
    result = tracker_cli("digest", *args, today=TODAY)
    assert result.exit_code == 2
    assert message in result.output


def test_long_sections_are_cut_and_counted(cli):
    result = cli("digest", "-u", "市发改委", "--week", "2026-W48", "--limit", "1", today=TODAY)
    assert result.exit_code == 0, result.output
    behind = result.stdout.split("■ 序时进度滞后\uff082\uff09")[1].split("■")[0]
    assert behind.count("  · [") == 1
    assert "……另有1项未列出\uff1b完整清单\uff1atracker digest --unit 市发展改革委 -j 青岛市 --limit 0" in behind
    everything = cli("digest", "-u", "市发改委", "--week", "2026-W48", "--limit", "0", today=TODAY).stdout
    assert everything.split("■ 序时进度滞后\uff082\uff09")[1].split("■")[0].count("  · [") == 2
    assert "未列出" not in everything
