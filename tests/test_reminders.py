"""Reminders that escalate (催办): the ladder's rungs, a month of daily `tracker remind send`
runs through a real SMTP server on loopback (which mails go out each day, none twice, a missed
day caught up with one rung), escalation to the coordinator and the unit's leader, and a
malformed ladder refused with its file and line."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from tracker.errors import TrackerError
from tracker.ladder import DEFAULT, Ladder, read_ladder
from tracker.planfile import read_plan
from tracker.service.reminders import reminders_sent
from tracker.store.db import Database

from .conftest import snapshot
from .test_digest_mail import Inbox, free_port, inbox  # noqa: F401  (the fixture)

DATA = Path(__file__).resolve().parent / "remind_data"
COMMERCE = "zhaolei@commerce.example.org"
LEADER = "liu@commerce.example.org"
STATS = "sunyue@stats.example.org"
FINANCE = "zhouping@finance.example.org"
NDRC = "wangmin@ndrc.example.org"


def days(first: str, last: str):
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    while day <= end:
        yield day
        day += timedelta(days=1)


# ---------------------------------------------------------------------- the ladder itself


def test_the_default_ladder_day_by_day():
    due = date(2026, 12, 1)
    codes = {}
    for day in days("2026-11-20", "2027-01-10"):
        rung = DEFAULT.current(due, day)
        codes[day.isoformat()] = rung.code if rung else None
    assert codes["2026-11-23"] is None
    assert codes["2026-11-24"] == codes["2026-11-29"] == "before-7"
    assert codes["2026-11-30"] == "before-1"
    assert codes["2026-12-01"] == codes["2026-12-07"] == "due"
    assert codes["2026-12-08"] == codes["2026-12-14"] == "late-7"
    assert codes["2026-12-15"] == "late-14" and DEFAULT.current(due, date(2026, 12, 15)).escalated
    assert not DEFAULT.current(due, date(2026, 12, 8)).escalated
    assert codes["2026-12-22"] == "late-21" and codes["2027-01-05"] == "late-35"


def test_a_ladder_of_its_own_escalates_on_its_day_even_between_weekly_rungs():
    ladder = Ladder(before=(14, 3), on_day=False, overdue_every=0, escalate_after=10)
    due = date(2026, 12, 1)
    assert ladder.current(due, date(2026, 11, 17)).code == "before-14"
    assert ladder.current(due, date(2026, 11, 28)).code == "before-3"
    assert ladder.current(due, date(2026, 12, 5)).code == "before-3"  # no rung on the day, none weekly
    rung = ladder.current(due, date(2026, 12, 11))
    assert (rung.code, rung.escalated) == ("late-10", True)
    assert Ladder(overdue_every=7, escalate_after=10).current(due, date(2026, 12, 16)).code == "late-14"


def test_the_lights_follow_the_rungs():
    due = date(2026, 12, 1)
    assert DEFAULT.light(due, date(2026, 11, 23), done=False) is None
    assert DEFAULT.light(due, date(2026, 11, 24), done=False) == "yellow"
    assert DEFAULT.light(due, date(2026, 12, 1), done=False) == "yellow"
    assert DEFAULT.light(due, date(2026, 12, 2), done=False) == "red"
    assert DEFAULT.light(due, date(2026, 12, 15), done=False) == "escalated"
    assert DEFAULT.light(due, date(2026, 12, 15), done=True) == "green"


@pytest.mark.parametrize("table, field, message", [
    ("before = [7, \"1\"]", "before", "before 必须是 1 到 366 之间的整天数，不能是 \"1\""),
    ("before = 7", "before", "before 必须是截止日前的天数列表"),
    ("overdue_every = -1", "overdue_every", "overdue_every 必须是 0 到 366 之间的整天数，不能是 -1"),
    ("escalate_after = 0", "escalate_after", "escalate_after 必须是 1 到 3660 之间的整天数"),
    ("on_day = \"yes\"", "on_day", "on_day 必须是 true 或 false"),
    ("every = 7", "every", "没有 every 这一项"),
])
def test_a_malformed_ladder_names_its_file_and_line(tmp_path, table, field, message):
    text = (DATA / "remind-test.toml").read_text(encoding="utf-8")
    head, tail = text.split("[[tasks]]", 1)
    path = tmp_path / "remind-test.toml"
    filler = "overdue_every = 7" if field == "on_day" else "on_day = true"
    path.write_text(head + "[reminders]\n" + filler + "\n" + table + "\n\n[[tasks]]" + tail, encoding="utf-8")
    with pytest.raises(TrackerError) as caught:
        read_plan(path)
    assert f"{path}:{head.count(chr(10)) + 3}\uff1a" in str(caught.value)
    assert message in str(caught.value)


def test_a_plan_files_ladder_reads_and_writes_back(tmp_path):
    from tracker.planfile import dump_plan

    text = (DATA / "remind-test.toml").read_text(encoding="utf-8")
    head, tail = text.split("[[tasks]]", 1)
    path = tmp_path / "p.toml"
    path.write_text(head + "[reminders]\nbefore = [1, 14, 3]\noverdue_every = 0\n\n[[tasks]]" + tail,
                    encoding="utf-8")
    plan = read_plan(path)
    assert plan.reminders == Ladder(before=(14, 3, 1), on_day=True, overdue_every=0, escalate_after=14)
    again = tmp_path / "again.toml"
    again.write_text(dump_plan(plan), encoding="utf-8")
    assert read_plan(again).reminders == plan.reminders
    assert read_ladder({}, lambda key: "x") == DEFAULT


def test_refused_ladder_leaves_the_database_as_it_was(tracker_cli, tmp_path):
    plans = tmp_path / "plans"
    shutil.copytree(DATA, plans)
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    before = snapshot(tracker_cli.url)
    path = plans / "remind-test.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("[[tasks]]", "[reminders]\nbefore = [7, 0]\n\n[[tasks]]", 1),
                    encoding="utf-8")
    result = tracker_cli("plan", "load", str(plans))
    assert result.exit_code != 0
    assert isinstance(result.exception, TrackerError)  # the command prints it as one line and exits 1
    assert f"{path}:" in str(result.exception) and "before" in str(result.exception)
    assert snapshot(tracker_cli.url) == before


# ---------------------------------------------------------------------- a month of runs


@pytest.fixture
def cli(tracker_cli, tmp_path):
    plans = tmp_path / "plans"
    shutil.copytree(DATA, plans)
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    token = tracker_cli("feed", "token", "--unit", "市商务局", "--base-url", "https://feeds.example.cn")
    assert token.exit_code == 0, token.output
    return tracker_cli


def remind(cli, inbox, day, *args):
    return cli("remind", "send", "--feed-url", "https://feeds.example.cn", *args, env=inbox.env, today=day)


# day → {recipient of the message: [(task, rung), ...]}; days not listed send nothing.
# 11-30 and 12-15 are missed: 12-01 sends only the day's rung, 12-16 the escalation.
EXPECTED = {
    "2026-11-24": {COMMERCE: [("1", "before-7")]},
    "2026-11-28": {FINANCE: [("5", "before-7")]},
    "2026-12-01": {COMMERCE: [("1", "due")]},
    "2026-12-03": {STATS: [("2", "before-7")], FINANCE: [("2", "before-7")]},
    "2026-12-04": {FINANCE: [("5", "before-1")]},
    "2026-12-05": {FINANCE: [("5", "due")]},
    "2026-12-08": {COMMERCE: [("1", "late-7")]},
    "2026-12-09": {STATS: [("2", "before-1")], FINANCE: [("2", "before-1")]},
    "2026-12-10": {STATS: [("2", "due")], FINANCE: [("2", "due")]},
    "2026-12-16": {COMMERCE: [("1", "late-14")]},
    "2026-12-17": {FINANCE: [("2", "late-7")]},
    "2026-12-22": {COMMERCE: [("1", "late-21")]},
    "2026-12-24": {FINANCE: [("2", "late-14")]},
    "2026-12-29": {COMMERCE: [("1", "late-28")], FINANCE: [("5", "before-7")]},
    "2026-12-31": {FINANCE: [("2", "late-21")]},
}
MISSED = {"2026-11-30", "2026-12-15"}


def test_a_month_of_daily_runs_sends_each_rung_once(cli, inbox):
    seen = 0
    for day in days("2026-11-20", "2026-12-31"):
        label = day.isoformat()
        if label in MISSED:
            continue
        if label == "2026-12-12":  # 市统计局 finishes task 2: its reminders stop, 市财政局's go on
            done = cli("status", "set", "2", "--plan", "remind-test", "--unit", "市统计局", "--status", "已完成",
                       "--by", "孙悦", today=label)
            assert done.exit_code == 0, done.output
        result = remind(cli, inbox, label)
        assert result.exit_code == 0, (label, result.output)
        arrived = inbox.messages[seen:]
        seen = len(inbox.messages)
        got = {}
        for _, recipients, message in arrived:
            liaison = next(r for r in recipients if r in (COMMERCE, STATS, FINANCE, NDRC))
            got[liaison] = [line for line in message.get_content().splitlines() if line[:1].isdigit()]
        expected = EXPECTED.get(label, {})
        assert set(got) == set(expected), (label, got)
        for liaison, items in expected.items():
            assert [line.split(" ", 2)[1] for line in got[liaison]] == [task for task, _ in items], (label, liaison)
        if expected:  # the same day again: nothing new
            again = remind(cli, inbox, label)
            assert again.exit_code == 0 and len(inbox.messages) == seen, (label, again.output)
            assert "今天没有需要发送的提醒" in again.output

    db = Database(cli.url)
    with db.reading() as session:
        sent = [(r.sent_on.isoformat(), r.unit, r.task_key, r.rung) for r in reminders_sent(session)]
    db.dispose()
    assert len(sent) == len(set(sent))
    wanted = sorted((day, task, rung) for day, by in EXPECTED.items() for items in by.values() for task, rung in items)
    assert sorted((day, task, rung) for day, _, task, rung in sent) == wanted
    assert ("2026-12-01", "市商务局", "1", "before-1") not in sent  # the missed day's rung is not sent late


def test_an_escalated_reminder_goes_to_the_leader_and_the_coordinator(cli, inbox):
    assert remind(cli, inbox, "2026-12-08").exit_code == 0  # the weekly one, to the unit alone
    (_, first_to, first), = [m for m in inbox.messages if COMMERCE in m[1]]
    assert first_to == [COMMERCE] and first["Cc"] is None
    assert first["Subject"] == "【督办提醒】市商务局：1项任务临近或超过完成时限"

    seen = len(inbox.messages)
    result = remind(cli, inbox, "2026-12-16")
    assert result.exit_code == 0, result.output
    (sender, recipients, message), = [m for m in inbox.messages[seen:] if COMMERCE in m[1]]
    assert sender == "tracker@example.org"
    assert sorted(recipients) == sorted([COMMERCE, LEADER, NDRC])
    assert [a.addr_spec for a in message["To"].addresses] == [COMMERCE, LEADER]
    assert [a.addr_spec for a in message["Cc"].addresses] == [NDRC]
    assert message["Subject"] == "【催办】市商务局：1项任务超期未完成"
    text = message.get_content()
    assert "1. 1 举办服务业博览会（牵头）" in text
    assert "完成时限：2026-12-01（超期15天）" in text
    assert "本单位最近更新：从未更新" in text
    assert "本提醒同时抄送市发展改革委、刘副局长" in text
    assert "本单位日历订阅地址：https://feeds.example.cn/feeds/<订阅令牌>/" in text
    assert "催办" in result.output and "超期14天，已上报" in result.output


def test_the_last_update_and_a_unit_without_a_feed(cli, inbox):
    update = cli("status", "set", "2", "--plan", "remind-test", "--unit", "市财政局", "--status", "推进中",
                 "--percent", "40", "--by", "周平", today="2026-12-01")
    assert update.exit_code == 0, update.output
    assert remind(cli, inbox, "2026-12-03").exit_code == 0
    finance, = inbox.to(FINANCE)
    text = finance.get_content()
    assert "本单位最近更新：2026-12-01（推进中 40%）" in text
    assert "完成时限：2026-12-10（还剩7天）" in text
    assert "本单位尚未开通日历订阅" in text and "tracker feed token --unit 市财政局 -j 青岛市" in text


def test_a_dry_run_sends_and_records_nothing(cli, inbox):
    before = snapshot(cli.url)
    result = remind(cli, inbox, "2026-12-16", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "试运行" in result.output and "将发送" in result.output and LEADER in result.output
    assert inbox.messages == [] and snapshot(cli.url) == before


def test_a_unit_without_addresses_is_tried_again_the_next_day(tracker_cli, inbox, tmp_path):
    plans = tmp_path / "plans"
    shutil.copytree(DATA, plans)
    registry = plans / "units.toml"
    registry.write_text(registry.read_text(encoding="utf-8").replace(f'email = "{COMMERCE}"\n', ""), encoding="utf-8")
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    result = remind(tracker_cli, inbox, "2026-11-24")
    assert result.exit_code == 0 and "联络员没有邮箱，跳过" in result.output
    registry.write_text(registry.read_text(encoding="utf-8").replace('name = "赵蕾"\n', f'name = "赵蕾"\nemail = "{COMMERCE}"\n'),
                        encoding="utf-8")
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    assert remind(tracker_cli, inbox, "2026-11-25").exit_code == 0
    assert len(inbox.to(COMMERCE)) == 1


def test_the_registrys_default_ladder_and_a_plans_own(tracker_cli, inbox, tmp_path):
    plans = tmp_path / "plans"
    shutil.copytree(DATA, plans)
    registry = plans / "units.toml"
    registry.write_text("[reminders]\nbefore = [10]\n\n" + registry.read_text(encoding="utf-8"), encoding="utf-8")
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    assert remind(tracker_cli, inbox, "2026-11-21").exit_code == 0  # ten days before 12-01
    assert len(inbox.to(COMMERCE)) == 1

    plan = plans / "remind-test.toml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("[[tasks]]", "[reminders]\nbefore = [3]\n\n[[tasks]]", 1),
                    encoding="utf-8")
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    assert remind(tracker_cli, inbox, "2026-11-27").exit_code == 0  # the plan's own: not yet
    assert len(inbox.to(COMMERCE)) == 1
    assert remind(tracker_cli, inbox, "2026-11-28").exit_code == 0
    assert len(inbox.to(COMMERCE)) == 2


def test_the_registrys_malformed_ladder_names_its_line(tracker_cli, tmp_path):
    plans = tmp_path / "plans"
    shutil.copytree(DATA, plans)
    registry = plans / "units.toml"
    registry.write_text("[reminders]\nbefore = [10]\nescalate_after = \"two weeks\"\n\n"
                        + registry.read_text(encoding="utf-8"), encoding="utf-8")
    result = tracker_cli("plan", "load", str(plans))
    assert result.exit_code != 0
    assert isinstance(result.exception, TrackerError)
    assert f"{registry}:3\uff1a" in str(result.exception) and "escalate_after" in str(result.exception)


def test_without_a_mail_server_it_says_what_to_set(cli):
    result = cli("remind", "send", today="2026-11-24")
    assert result.exit_code != 0 and isinstance(result.exception, TrackerError)
    assert "TRACKER_SMTP_HOST" in str(result.exception)


# ---------------------------------------------------------------------- the digest's lights


def test_the_reports_lights_and_marks_follow_the_plans_ladder(tracker_cli, tmp_path):
    from tracker import service
    from tracker.digest.build import plan_report, unit_digest
    from tracker.digest.render import render_report
    from tracker.digest.weeks import Week

    plans = tmp_path / "plans"
    shutil.copytree(DATA, plans)
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    # 市商务局 is on schedule with task 1 (no 序时进度 lag, not stale): only the ladder colours it
    update = tracker_cli("status", "set", "1", "--plan", "remind-test", "--unit", "市商务局", "--status", "推进中",
                         "--percent", "99", "--by", "赵蕾", today="2026-11-20")
    assert update.exit_code == 0, update.output
    db = Database(tracker_cli.url)

    def standing(day: str):
        today = date.fromisoformat(day)
        with db.reading() as session:
            report = plan_report(session, "remind-test", Week.containing(today), today)
        return report, next(s for s in report.standings if s.unit == "市商务局")

    assert standing("2026-11-23")[1].color == "green"
    assert standing("2026-11-24")[1].color == "yellow"  # the first rung (7 days before) has come
    report, commerce = standing("2026-12-14")
    assert (commerce.color, commerce.escalated, report.overdue_tasks[0].escalated) == ("red", 0, False)
    report, commerce = standing("2026-12-15")
    assert (commerce.color, commerce.escalated, report.overdue_tasks[0].escalated) == ("red", 1, True)
    assert "超期\uff1a14天（已催办）" in render_report(report, "text")
    with db.reading() as session:
        digest = unit_digest(session, service.find_unit(session, "市商务局", "青岛市"), Week.containing(date(2026, 12, 15)),
                             date(2026, 12, 15))
    assert [(line.key, line.escalated) for line in digest.overdue] == [("1", True)]

    plan = plans / "remind-test.toml"
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        "[[tasks]]", "[reminders]\nbefore = [3]\nescalate_after = 30\n\n[[tasks]]", 1), encoding="utf-8")
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    assert standing("2026-11-24")[1].color == "green"
    assert standing("2026-11-28")[1].color == "yellow"
    assert standing("2026-12-15")[1].escalated == 0
    db.dispose()
