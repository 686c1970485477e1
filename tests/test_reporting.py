"""Reporting windows (报送) over a quarter, on both engines with a pinned clock: which units must
report in each window, which have (a status update on each unfinished task, or the plan's
ledger returned), what the digest, the coordinator's report and the unit's calendar feed say,
and a malformed duty refused with its file and line."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events

from tracker import service
from tracker.digest.build import plan_report, unit_digest
from tracker.digest.render import render_digest, render_report
from tracker.digest.weeks import Week
from tracker.errors import TrackerError
from tracker.planfile import read_plan
from tracker.reporting import Window, window_on, windows_between
from tracker.service.reporting import plan_reports, unit_reports
from tracker.store.db import Database

from .conftest import snapshot

DATA = Path(__file__).resolve().parent / "reporting_data"
PLAN = "report-test"
MONTHLY = "FREQ=MONTHLY;BYMONTHDAY=5"
QUARTERLY = "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=25"


def test_windows_close_on_each_date_and_open_the_day_after_the_one_before():
    start = date(2026, 1, 1)
    assert window_on(MONTHLY, date(2026, 11, 20), start) == Window(date(2026, 11, 6), date(2026, 12, 5))
    assert window_on(MONTHLY, date(2026, 12, 5), start) == Window(date(2026, 11, 6), date(2026, 12, 5))
    assert window_on(MONTHLY, date(2026, 12, 6), start) == Window(date(2026, 12, 6), date(2027, 1, 5))
    assert window_on(MONTHLY, date(2026, 1, 3), start) == Window(date(2026, 1, 1), date(2026, 1, 5))  # the first
    assert window_on(QUARTERLY, date(2026, 10, 1), start) == Window(date(2026, 9, 26), date(2026, 12, 25))
    yearly = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=20"
    assert window_on(yearly, date(2026, 12, 21), start) == Window(date(2026, 12, 21), date(2027, 12, 20))
    assert [w.closes.isoformat() for w in windows_between(MONTHLY, date(2026, 10, 1), date(2026, 12, 31), start)] == [
        "2026-10-05", "2026-11-05", "2026-12-05"]


@pytest.fixture
def cli(tracker_cli, tmp_path):
    plans = tmp_path / "plans"
    shutil.copytree(DATA, plans)
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    return tracker_cli


def status(cli, task, unit, day, label="推进中", percent="10"):
    result = cli("status", "set", task, "--plan", PLAN, "--unit", unit, "--status", label, "--percent", percent,
                 today=day)
    assert result.exit_code == 0, result.output


def return_ledger(cli, tmp_path, unit, day):
    path = tmp_path / f"{unit}.xlsx"
    exported = cli("ledger", "export", "--plan", PLAN, "--unit", unit, "-o", str(path), today=day)
    assert exported.exit_code == 0, exported.output
    returned = cli("ledger", "import-progress", str(path), "--unit", unit, today=day)
    assert returned.exit_code == 0, returned.output


def the_quarter(cli, tmp_path):
    """October to December 2026: who reports what, when."""
    status(cli, "3", "市商务局", "2026-06-01", "已完成", "100")  # its last task of the plan but one: done
    status(cli, "1", "市商务局", "2026-10-10")
    status(cli, "2", "市统计局", "2026-10-20")
    return_ledger(cli, tmp_path, "市财政局", "2026-11-20")  # nothing changed in it: a report all the same
    status(cli, "1", "市商务局", "2026-12-05", percent="20")  # on the window's last day: still in time


def states(db, day: str) -> dict[str, dict[str, bool]]:
    with db.reading() as session:
        reports = plan_reports(session, PLAN, date.fromisoformat(day))
    return {r.duty.phrase: {u.unit: u.reported for u in r.units} for r in reports}


def test_who_has_reported_over_a_quarter(cli, tmp_path):
    the_quarter(cli, tmp_path)
    db = Database(cli.url)
    monthly, quarterly = "每月5日前报送上月进展", "每季度末月25日前报送季度进展"
    # the window that closed on 5 November: 市财政局 had sent nothing
    assert states(db, "2026-11-05") == {monthly: {"市商务局": True, "市统计局": True, "市财政局": False},
                                        quarterly: {"市统计局": True}}
    # the one that closed on 5 December: 市财政局's returned ledger counts, 市统计局 said nothing
    assert states(db, "2026-12-05")[monthly] == {"市商务局": True, "市统计局": False, "市财政局": True}
    # a new window: nobody yet; the quarter's window still holds 市统计局's October update
    assert states(db, "2026-12-10") == {monthly: {"市商务局": False, "市统计局": False, "市财政局": False},
                                        quarterly: {"市统计局": True}}
    # after the quarter's date, its next window opens empty
    assert states(db, "2026-12-26")[quarterly] == {"市统计局": False}

    with db.reading() as session:
        stats = service.find_unit(session, "市统计局", "青岛市")
        mine = unit_reports(session, stats.id, date(2026, 11, 20))
    assert [(r.duty.phrase, r.window.closes.isoformat(), r.units[0].reported) for r in mine] == [
        (monthly, "2026-12-05", False), (quarterly, "2026-12-25", True)]
    db.dispose()


def the_first_quarter(cli):
    """January to March 2027, judged only after all of it is recorded: whatever happened later
    must not change what a window that is over says."""
    status(cli, "1", "市商务局", "2027-01-20", percent="30")  # of its two tasks, only one
    status(cli, "2", "市统计局", "2027-01-20", percent="30")
    status(cli, "1", "市商务局", "2027-02-20", percent="50")
    status(cli, "3", "市商务局", "2027-02-20", percent="80")  # both, this time
    status(cli, "2", "市统计局", "2027-03-10", "已完成", "100")  # its last task: done in March's window
    status(cli, "3", "市商务局", "2027-03-12", "已完成", "100")  # and 1 not updated


def test_who_has_reported_is_judged_on_the_updates_inside_each_window(cli):
    the_first_quarter(cli)
    db = Database(cli.url)
    monthly = "每月5日前报送上月进展"
    january, february, march = (states(db, day)[monthly] for day in ("2027-02-05", "2027-03-05", "2027-04-05"))
    # 市统计局 updated in January but not in February; its March 已完成 is a report too. Judged on
    # today's statuses, its task being done now, it would not be asked to report at all.
    assert (january["市统计局"], february["市统计局"], march["市统计局"]) == (True, False, True)
    # 市商务局 had two unfinished tasks in January and updated one: 未报, though the other is done now
    assert (january["市商务局"], february["市商务局"], march["市商务局"]) == (False, True, False)
    assert (january["市财政局"], february["市财政局"], march["市财政局"]) == (False, False, False)
    with db.reading() as session:
        report = plan_reports(session, PLAN, date(2027, 2, 5))[0]
        stats = service.find_unit(session, "市统计局", "青岛市")
        its_february = unit_reports(session, stats.id, date(2027, 3, 1))
        its_april = unit_reports(session, stats.id, date(2027, 4, 20))
    commerce = next(u for u in report.units if u.unit == "市商务局")
    assert (commerce.updated, commerce.active) == (1, 2)
    assert [(r.duty.phrase, r.units[0].reported) for r in its_february] == [
        (monthly, False), ("每季度末月25日前报送季度进展", True)]  # the quarter's window holds January's update
    # once its task was done before a window opened, nothing is asked of it there
    assert [r.duty.phrase for r in its_april] == ["每季度末月25日前报送季度进展"]
    assert its_april[0].units[0].active == 0
    db.dispose()


def test_the_digest_and_the_report_list_who_has_not_reported(cli, tmp_path):
    the_quarter(cli, tmp_path)
    db = Database(cli.url)
    today = date(2026, 12, 4)
    with db.reading() as session:
        report = plan_report(session, PLAN, Week.containing(today), today)
        finance = unit_digest(session, service.find_unit(session, "市财政局", "青岛市"), Week.containing(today), today)
        stats = unit_digest(session, service.find_unit(session, "市统计局", "青岛市"), Week.containing(today), today)
    db.dispose()
    text = render_report(report, "text")
    assert "■ 报送情况" in text
    assert "每月5日前报送上月进展（2026-11-06 至 2026-12-05）：未报：市统计局（3家中1家未报）" in text
    assert "每季度末月25日前报送季度进展（2026-09-26 至 2026-12-25）：全部已报（1家）" in text
    assert "市统计局" in render_report(report, "md") and "报送情况" in render_report(report, "html")
    assert "[report-test] 每月5日前报送上月进展（2026-11-06 至 2026-12-05）：已报" in render_digest(finance, "text")
    said = render_digest(stats, "text")
    assert "每月5日前报送上月进展（2026-11-06 至 2026-12-05）：未报（1项任务中已更新0项）" in said
    assert "报送情况" in render_digest(stats, "md") and "未报" in render_digest(stats, "html")
    english = render_report(report, "text", "en")
    assert "not reported: 市统计局 (1 of 3)" in english


def test_each_window_is_a_recurring_event_in_the_units_calendar(cli, tmp_path):
    result = cli("feed", "export", "--unit", "市统计局", "-o", str(tmp_path / "stats.ics"), today="2026-11-20")
    assert result.exit_code == 0, result.output
    calendar = icalendar.Calendar.from_ical((tmp_path / "stats.ics").read_bytes())
    reports = [e for e in recurring_ical_events.of(calendar).between(date(2026, 10, 1), date(2027, 1, 1))
               if str(e["SUMMARY"]).startswith("[报送]")]
    assert sorted((e.start.isoformat(), str(e["SUMMARY"])) for e in reports) == [
        ("2026-10-05", "[报送] 上月进展"), ("2026-11-05", "[报送] 上月进展"), ("2026-12-05", "[报送] 上月进展"),
        ("2026-12-25", "[报送] 每季度末月25日前报送季度进展")]
    series = [e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]).startswith("[报送]")]
    assert len(series) == 2 and all("RRULE" in e for e in series)
    assert "每月5日前报送上月进展" in str(series[0]["DESCRIPTION"])
    last = recurring_ical_events.of(calendar).between(date(2027, 12, 1), date(2028, 12, 31))
    assert [e.start.isoformat() for e in last if str(e["SUMMARY"]) == "[报送] 上月进展"] == ["2027-12-05"]  # the plan's end

    # 市商务局 is not named by the quarterly duty: only the monthly one
    result = cli("feed", "export", "--unit", "市商务局", "-o", str(tmp_path / "commerce.ics"), today="2026-11-20")
    calendar = icalendar.Calendar.from_ical((tmp_path / "commerce.ics").read_bytes())
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT") if str(e["SUMMARY"]).startswith("[报送]")] == [
        "[报送] 上月进展"]


@pytest.mark.parametrize("entry, needle, message", [
    ('rule = "FREQ=SOMETIMES"', "rule", "不是有效的 RRULE"),
    ('phrase = "每月5日前"', None, "需要 rule"),
    ('rule = "FREQ=MONTHLY;BYMONTHDAY=5"\nunits = "all"', "units", "units 必须是"),
    ('rule = "FREQ=MONTHLY;BYMONTHDAY=5"\nwho = "active"', "who", "没有 who 这一项"),
])
def test_a_malformed_duty_names_its_file_and_line(tmp_path, entry, needle, message):
    text = (DATA / "report-test.toml").read_text(encoding="utf-8")
    path = tmp_path / "p.toml"
    path.write_text(text.replace("[[tasks]]", f"[[reporting]]\n{entry}\n\n[[tasks]]", 1), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    table = [i for i, line in enumerate(lines, 1) if line == "[[reporting]]"][2]
    line = next(i for i, l in enumerate(lines, 1) if i > table and l.startswith(needle)) if needle else table
    with pytest.raises(TrackerError) as caught:
        read_plan(path)
    assert f"{path}:{line}\uff1a" in str(caught.value) and message in str(caught.value)


def test_a_duty_naming_an_unknown_unit_loads_nothing(cli, tmp_path):
    before = snapshot(cli.url)
    plans = tmp_path / "plans"
    plan = plans / "report-test.toml"
    plan.write_text(plan.read_text(encoding="utf-8").replace('units = ["市统计局"]', 'units = ["市统计厅"]'),
                    encoding="utf-8")
    result = cli("plan", "load", str(plans))
    assert result.exit_code != 0 and isinstance(result.exception, TrackerError)
    assert f"{plan}:19\uff1a" in str(result.exception) and "市统计厅" in str(result.exception)
    assert snapshot(cli.url) == before


def test_duties_read_back_and_reload_without_change(cli, tmp_path):
    from tracker.planfile import dump_plan

    plan = read_plan(DATA / "report-test.toml")
    assert [(d.rule, d.units) for d in plan.reporting] == [(MONTHLY, None), (QUARTERLY, ("市统计局",))]
    again = tmp_path / "again.toml"
    again.write_text(dump_plan(plan), encoding="utf-8")
    assert [(d.rule, d.what, d.phrase, d.units) for d in read_plan(again).reporting] == \
        [(d.rule, d.what, d.phrase, d.units) for d in plan.reporting]
    before = snapshot(cli.url, ignore=("plan",))  # loaded_at moves; the duties stay as they were
    assert cli("plan", "load", str(tmp_path / "plans")).exit_code == 0
    assert snapshot(cli.url, ignore=("plan",)) == before


# ---------------------------------------------------------------------- proposed by the reader


def test_the_reader_proposes_the_duties_a_plan_states(tracker_cli, tmp_path):
    source = (Path(__file__).resolve().parent.parent / "plans" / "sources" / "001_d092825c701ddcfa.txt")
    text = source.read_text(encoding="utf-8").replace(
        "    四、组织保障\n",
        "    四、组织保障\n    各责任单位每月5日前报送上月进展；每季度末月25日前报送季度工作总结；"
        "每年12月20日前报送年度总结。市统计局要建立每月例会制度、通报制度。\n", 1)
    published = tmp_path / "plan.txt"
    published.write_text(text, encoding="utf-8")
    draft = tmp_path / "draft.toml"
    result = tracker_cli("plan", "parse", str(published), "-o", str(draft))
    assert result.exit_code == 0, result.output
    duties = read_plan(draft).reporting
    assert [(d.rule, d.what, d.phrase, d.units) for d in duties] == [
        (MONTHLY, "上月进展", "每月5日前报送上月进展", None),
        (QUARTERLY, "季度工作总结", "每季度末月25日前报送季度工作总结", None),
        ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=20", "年度总结", "每年12月20日前报送年度总结", None),
    ]  # 例会制度、通报制度 is no duty to report
    assert "读出3项定期报送要求" in result.output + (result.stderr or "")
