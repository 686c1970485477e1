"""What a feed holds, read back by independent parsers (icalendar, vobject with validation,
recurring-ical-events, dateutil, todoman), each at a client time zone near the plans and far away."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
import recurring_ical_events
import vobject
from dateutil.rrule import rrulestr
from hypothesis import given, settings, strategies as st
from icalendar import Calendar

from tracker import clock, service
from tracker.feeds.ical import EventCache, FeedOptions, parse_alarms, plan_calendar, unit_calendar
from tracker.service.loading import load_paths
from tracker.service import feeds as feeds_service
from tracker.service.feeds import FeedTask, UnitEntry, UnitFeed, unit_code
from tracker.service.records import UnitStatus

from .feeds_support import (
    CLIENT_ZONES, QINGDAO, YEARLY, client_timezone, physical_lines, plans_folder, synthetic_plan,
    yearly_plan_until,
)
from .recording import close, record

TODAY = date(2026, 11, 24)


def unit_bytes(db, name, jurisdiction=None, options=FeedOptions(), today=TODAY, role=None):
    with db.reading() as session:
        unit = service.find_unit(session, name, jurisdiction)
        return unit_calendar(feeds_service.unit_feed(session, unit.id, role), options, today)


def plan_bytes(db, key, options=FeedOptions(), today=TODAY):
    with db.reading() as session:
        return plan_calendar(feeds_service.plan_feed(session, key), options, today)


def validated(data: bytes):
    """vobject reads the whole calendar and validates every component."""
    parsed = vobject.readOne(data.decode("utf-8"), validate=True)
    parsed.validate()
    return parsed


@pytest.fixture(params=CLIENT_ZONES)
def client_zone(request):
    with client_timezone(request.param):
        yield request.param


def test_unit_feed_read_by_independent_parsers(loaded_db, client_zone):
    data = unit_bytes(loaded_db, "市发改委", "青岛市")
    calendar = Calendar.from_ical(data)
    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0" and calendar["CALSCALE"] == "GREGORIAN"
    assert str(calendar["X-WR-CALNAME"]) == str(calendar["NAME"]) == "市发展改革委 · 行动计划截止日期"
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT4H\r\n" in data and b"X-PUBLISHED-TTL:PT4H\r\n" in data
    events = calendar.walk("VEVENT")
    code = unit_code("青岛市", "市发展改革委")
    keys = ["3.1.1", "3.1.2", "3.2.1", "3.5.1", "3.5.2", "3.6.1", "3.6.3", "3.6.5", "3.7.1", "3.7.4", "3.7.5"]
    assert sorted(str(e["UID"]) for e in events) == sorted(f"{QINGDAO}/{k}/{code}@tracker" for k in keys)
    assert not calendar.walk("VALARM")  # none unless asked
    for event in events:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(start) is date and end == start + timedelta(days=1) == date(2023, 1, 1)
        assert event["TRANSP"] == "TRANSPARENT" and event.decoded("DTSTAMP").tzinfo is not None
        assert str(event["SUMMARY"]).startswith(("[牵头·已超期] ", "[责任·已超期] "))
    lead = next(e for e in events if str(e["UID"]).startswith(f"{QINGDAO}/3.1.2/"))
    assert str(lead["SUMMARY"]) == "[牵头·已超期] 实施规划引领行动\uff1a统筹考虑服务业集聚区空间布局"
    description = str(lead["DESCRIPTION"])
    assert "青政字〔2020〕30号" in description and "牵头单位\uff1a市发展改革委" in description
    assert "责任单位\uff1a市南区政府、市北区政府" in description and "本单位\uff08市发展改革委\uff09\uff1a未启动" in description

    parsed = validated(data)
    assert len(parsed.vevent_list) == len(keys)
    assert {e.dtstart.value for e in parsed.vevent_list} == {date(2022, 12, 31)}
    # recurring-ical-events sees each deadline on its day, whatever the client's zone
    days = recurring_ical_events.of(calendar).between(date(2022, 12, 1), date(2023, 2, 1))
    assert len(days) == len(keys) and {d.decoded("DTSTART") for d in days} == {date(2022, 12, 31)}


def test_yearly_rule_stops_at_the_plans_end(loaded_db, client_zone):
    """每年2月底前 in a plan that runs 2024-06-24 to 2027-12-31: three real last days of February."""
    data = unit_bytes(loaded_db, "市南区发展改革局")
    calendar = Calendar.from_ical(data)
    event, = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == date(2025, 2, 28)  # the first real occurrence in the period
    assert event["RRULE"].to_ical() == b"FREQ=YEARLY;UNTIL=20271231;BYMONTHDAY=-1;BYMONTH=2"
    expanded = recurring_ical_events.of(calendar).between(date(2024, 1, 1), date(2031, 1, 1))
    assert [e.decoded("DTSTART") for e in expanded] == [date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28)]
    assert all(e.decoded("DTEND") - e.decoded("DTSTART") == timedelta(days=1) for e in expanded)
    parsed = validated(data)
    assert [d.date() if isinstance(d, datetime) else d for d in parsed.vevent.getrruleset()] == \
        [date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28)]
    plan = Calendar.from_ical(plan_bytes(loaded_db, YEARLY))
    only, = plan.walk("VEVENT")
    assert str(only["UID"]) == f"{YEARLY}/3.1@tracker" and str(only["RRULE"].to_ical(), "ascii") == \
        "FREQ=YEARLY;UNTIL=20271231;BYMONTHDAY=-1;BYMONTH=2"


def test_yearly_rule_meets_a_leap_year(db, tmp_path, client_zone):
    """The same notice running to 2030: the last day of February 2028 is the 29th."""
    load_paths(db, [yearly_plan_until(tmp_path, "2030-12-31")])
    data = unit_bytes(db, "市南区发展改革局")
    calendar = Calendar.from_ical(data)
    expanded = recurring_ical_events.of(calendar).between(date(2024, 1, 1), date(2033, 1, 1))
    wanted = [date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29), date(2029, 2, 28),
              date(2030, 2, 28)]
    assert [e.decoded("DTSTART") for e in expanded] == wanted
    assert [e.decoded("DTEND") for e in expanded][3] == date(2028, 3, 1)
    event = calendar.walk("VEVENT")[0]
    # dateutil reading the same RRULE from the same start agrees
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=datetime(2025, 2, 28))
    assert [d.date() for d in rule] == wanted
    assert [d.date() if isinstance(d, datetime) else d for d in validated(data).vevent.getrruleset()] == wanted


def test_same_data_gives_the_same_bytes_at_any_client_zone(loaded_db):
    made = {}
    for zone in CLIENT_ZONES:
        with client_timezone(zone):
            made[zone] = (unit_bytes(loaded_db, "市发改委", "青岛市"), plan_bytes(loaded_db, QINGDAO),
                          unit_bytes(loaded_db, "市商务局", "青岛市", FeedOptions(todo=True, alarms=parse_alarms("7d"))))
    assert made[CLIENT_ZONES[0]] == made[CLIENT_ZONES[1]]
    assert unit_bytes(loaded_db, "市发改委", "青岛市") == made[CLIENT_ZONES[0]][0]
    assert b"DTSTAMP" in made[CLIENT_ZONES[0]][0] and b"uuid" not in made[CLIENT_ZONES[0]][0].lower()


def test_uids_are_the_same_in_another_database(loaded_db, tmp_path):
    from tracker.store.db import Database

    other = Database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    load_paths(other, [plans_folder(tmp_path)])
    try:
        def uids(db):
            return sorted(str(e["UID"]) for e in Calendar.from_ical(unit_bytes(db, "市商务局", "青岛市")).walk("VEVENT"))
        assert uids(loaded_db) == uids(other) and len(uids(other)) == 6
    finally:
        other.dispose()


def test_a_status_update_shows_and_stamps_the_entry(db, client_zone):
    from .conftest import PLANS

    loaded_db = db
    clock.pin(date(2021, 1, 10))
    load_paths(db, [PLANS])
    clock.pin(date(2022, 6, 1))
    with loaded_db.transaction() as session:
        unit = service.find_unit(session, "市发改委", "青岛市")
        entry = record(session, plan_key=QINGDAO, task_key="3.1.2", unit=unit, status="done",
                                      note="规划已印发", by="王磊")
    data = unit_bytes(loaded_db, "市发改委", "青岛市", today=date(2023, 3, 1))
    events = {str(e["UID"]).split("/")[1]: e for e in Calendar.from_ical(data).walk("VEVENT")}
    done = events["3.1.2"]
    assert str(done["SUMMARY"]).startswith("[牵头·已完成] ")
    assert "本单位\uff08市发展改革委\uff09\uff1a已完成 100%\uff082022-06-01\uff09" in str(done["DESCRIPTION"])
    assert "说明\uff1a规划已印发" in str(done["DESCRIPTION"])
    assert done.decoded("DTSTAMP") == done.decoded("LAST-MODIFIED") == entry.recorded_at.replace(microsecond=0)
    assert done["SEQUENCE"] == 0
    # the others became overdue when 2023-01-01 began in Qingdao: that moment stamps them
    other = events["3.1.1"]
    assert other.decoded("DTSTAMP") == datetime(2022, 12, 31, 16, tzinfo=timezone.utc)
    assert other.decoded("LAST-MODIFIED") == other.decoded("DTSTAMP")
    before = Calendar.from_ical(unit_bytes(loaded_db, "市发改委", "青岛市", today=date(2022, 12, 31)))
    assert not any("已超期" in str(e["SUMMARY"]) for e in before.walk("VEVENT"))


def test_reloading_a_changed_deadline_bumps_sequence_not_uid(db, tmp_path, client_zone):
    folder = plans_folder(tmp_path)
    clock.pin(date(2023, 1, 10))
    load_paths(db, [folder])
    today = date(2023, 3, 1)
    first = {str(e["UID"]): e for e in Calendar.from_ical(plan_bytes(db, "jilin-2021-cluster-upgrade", today=today)).walk("VEVENT")}
    path = folder / "jilin-2021-cluster-upgrade.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('deadline = 2023-12-31', 'deadline = 2024-06-30'), encoding="utf-8")
    clock.pin(date(2023, 2, 10))
    load_paths(db, [folder])
    second = {str(e["UID"]): e for e in Calendar.from_ical(plan_bytes(db, "jilin-2021-cluster-upgrade", today=today)).walk("VEVENT")}
    assert first.keys() == second.keys()
    moved = [uid for uid in first if first[uid].decoded("DTSTART") != second[uid].decoded("DTSTART")]
    assert moved == ["jilin-2021-cluster-upgrade/4.3.1@tracker"]
    assert (first[moved[0]]["SEQUENCE"], second[moved[0]]["SEQUENCE"]) == (0, 1)
    assert second[moved[0]].decoded("DTSTART") == date(2024, 6, 30)
    assert second[moved[0]].decoded("DTSTAMP") > first[moved[0]].decoded("DTSTAMP")
    unchanged = [uid for uid in first if uid not in moved]
    assert all(first[u].to_ical() == second[u].to_ical() for u in unchanged)


def test_ongoing_work_is_left_out_of_events_and_kept_as_todos(db, tmp_path, client_zone):
    load_paths(db, [synthetic_plan(tmp_path / "plans", "test-kinds", 6)])
    events = Calendar.from_ical(unit_bytes(db, "市发展改革委", "青岛市"))
    assert sorted(str(e["UID"]).split("/")[1] for e in events.walk("VEVENT")) == ["1.1", "1.2", "1.3", "1.5", "1.6"]
    assert "长期坚持等没有截止日期的任务\uff081项\uff09不列入日历" in str(events["X-WR-CALDESC"])
    by_key = {str(e["UID"]).split("/")[1]: e for e in events.walk("VEVENT")}
    assert by_key["1.2"].decoded("DTSTART") == date(2028, 12, 31)  # no deadline written: the plan's end
    assert "2028-12-31\uff08计划期末\uff09" in str(by_key["1.2"]["DESCRIPTION"])
    assert by_key["1.3"].decoded("DTSTART") == date(2025, 2, 28)
    todos = Calendar.from_ical(unit_bytes(db, "市发展改革委", "青岛市", FeedOptions(todo=True)))
    assert not todos.walk("VEVENT")
    by_key = {str(t["UID"]).split("/")[1]: t for t in todos.walk("VTODO")}
    assert sorted(by_key) == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"]
    assert "DUE" not in by_key["1.4"] and by_key["1.1"].decoded("DUE") == date(2026, 6, 30)
    assert by_key["1.3"].decoded("DUE") == date(2027, 2, 28)  # a rule's next occurrence after today
    assert all(str(t["UID"]).endswith("/todo@tracker") for t in todos.walk("VTODO"))
    validated(unit_bytes(db, "市发展改革委", "青岛市", FeedOptions(todo=True)))


def test_todo_feed_in_todoman(loaded_db, tmp_path, client_zone):
    """todoman, a real task client, reads the to-dos (one file per to-do, as vdirsyncer stores them)."""
    from click.testing import CliRunner
    from todoman.cli import cli as todo

    clock.pin(date(2022, 6, 1))
    with loaded_db.transaction() as session:
        unit = service.find_unit(session, "市商务局", "青岛市")
        close(session, plan_key=QINGDAO, task_key="3.3.2", unit=unit)  # 销号: the coordinator approved it
        record(session, plan_key=QINGDAO, task_key="3.4.1", unit=unit, status="in_progress", percent=40)
    data = unit_bytes(loaded_db, "市商务局", "青岛市", FeedOptions(todo=True), today=date(2022, 6, 1))
    vdir = tmp_path / "calendars" / "commerce"
    vdir.mkdir(parents=True)
    calendar = Calendar.from_ical(data)
    for index, item in enumerate(calendar.walk("VTODO")):
        single = Calendar()
        single.add("version", "2.0")
        single.add("prodid", "-//vdir//test//")
        single.add_component(item)
        (vdir / f"{index}.ics").write_bytes(single.to_ical())
    config = tmp_path / "todoman.py"
    config.write_text(f'path = "{tmp_path / "calendars" / "*"}"\ndate_format = "%Y-%m-%d"\ntime_format = "%H:%M"\n'
                      f'cache_path = "{tmp_path / "todoman.sqlite3"}"\n', encoding="utf-8")
    result = CliRunner().invoke(todo, ["--config", str(config), "--porcelain", "list", "--status", "ANY"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    listed = {item["summary"]: item for item in json.loads(result.output)}
    assert len(listed) == 6
    done = next(v for k, v in listed.items() if k.startswith("[牵头·已完成]") or k.startswith("[责任·已完成]"))
    assert done["completed"] is True and done["percent"] == 100
    going = next(v for v in listed.values() if v["percent"] == 40)
    assert going["completed"] is False
    # a date-only due date is midnight where the client is: read back, it is the same calendar day
    assert {datetime.fromtimestamp(v["due"]).date() for v in listed.values()} == {date(2022, 12, 31)}


def test_alarms_only_when_asked(loaded_db, client_zone):
    data = unit_bytes(loaded_db, "市统计局", options=FeedOptions(alarms=parse_alarms("7d,1d")))
    event, = Calendar.from_ical(data).walk("VEVENT")
    alarms = event.walk("VALARM")
    assert [a["TRIGGER"].to_ical() for a in alarms] == [b"-P7D", b"-P1D"]
    assert all(a["ACTION"] == "DISPLAY" and "截止前" in str(a["DESCRIPTION"]) for a in alarms)
    validated(data)
    todo = Calendar.from_ical(unit_bytes(loaded_db, "市统计局", options=FeedOptions(todo=True, alarms=parse_alarms("2d"))))
    alarm, = todo.walk("VALARM")
    assert alarm["TRIGGER"].params["RELATED"] == "END"


def test_plan_feed_shows_every_unit(loaded_db, client_zone):
    calendar = Calendar.from_ical(plan_bytes(loaded_db, "jilin-2021-cluster-upgrade", FeedOptions(lang="en")))
    assert str(calendar["X-WR-CALNAME"]) == "吉林市服务业集聚区提档升级工程实施方案 · deadlines"
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 23 and all(uid.startswith("jilin-2021-cluster-upgrade/") for uid in events)
    stats = events["jilin-2021-cluster-upgrade/5.3.1@tracker"]
    assert "市统计局 (responsible): not started" in str(stats["DESCRIPTION"])
    validated(plan_bytes(loaded_db, "jilin-2021-cluster-upgrade"))


# ---------------------------------------------------------------------- folding


CHARACTERS = st.text(alphabet=st.sampled_from(list("集聚区服务业发展改革委abc ,;:\\\"é𠀀😀〔〕(")), min_size=1, max_size=400)


def _feed(title: str, text: str) -> UnitFeed:
    changed = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    task = FeedTask(1, "plan-x", "测试计划" * 20, "测发〔2026〕1号", date(2026, 1, 1), date(2026, 12, 31),
                    "Asia/Shanghai", "1.1", title, "第一部分", text, 0, "date", date(2026, 5, 31), None, None, 0,
                    changed, ("市发展改革委",), ("市财政局",))
    own = UnitStatus(1, 1, 1, "市发展改革委", "lead", "in_progress", 30, changed, text[:200])
    return UnitFeed(1, "市发展改革委", None, "青岛市", None, [UnitEntry(task, own)])


@settings(max_examples=60, deadline=None)
@given(title=CHARACTERS, text=CHARACTERS)
def test_folding_never_splits_a_character(title, text):
    data = unit_calendar(_feed(title, text), FeedOptions(), date(2026, 1, 1))
    for line in physical_lines(data):
        assert len(line) <= 75
        line.decode("utf-8")  # each folded line is whole UTF-8 on its own
    event, = Calendar.from_ical(data).walk("VEVENT")
    assert str(event["SUMMARY"]) == f"[牵头] 第一部分\uff1a{title}"
    assert str(event["DESCRIPTION"]).startswith(text + "\n")
    assert vobject.readOne(data.decode("utf-8")).vevent.summary.value == f"[牵头] 第一部分\uff1a{title}"


def test_long_chinese_summary_and_description_fold_cleanly(client_zone):
    title = "实施规划引领行动将服务业集聚区发展纳入国土空间总体规划国民经济和社会发展规划及年度计划" * 3
    text = "、".join(["统筹考虑服务业集聚区空间布局,避免主导产业趋同或同质竞争"] * 12)
    data = unit_calendar(_feed(title, text), FeedOptions(), date(2026, 1, 1))
    lines = physical_lines(data)
    continued = [line for line in lines if line.startswith(b" ")]
    assert len(continued) > 20
    assert all(len(line) <= 75 and line.decode("utf-8") for line in lines)
    event = validated(data).vevent
    assert event.summary.value == f"[牵头] 第一部分\uff1a{title}" and event.description.value.startswith(text)


def test_event_cache_reuses_unchanged_entries(loaded_db):
    cache = EventCache()
    with loaded_db.reading() as session:
        unit = service.find_unit(session, "市商务局", "青岛市")
        feed = feeds_service.unit_feed(session, unit.id)
    cold = unit_calendar(feed, FeedOptions(), TODAY, cache)
    assert (cache.hits, cache.misses) == (0, 6)
    assert unit_calendar(feed, FeedOptions(), TODAY, cache) == cold and (cache.hits, cache.misses) == (6, 6)
    with loaded_db.transaction() as session:
        record(session, plan_key=QINGDAO, task_key="3.3.2", status="in_progress",
                              unit=service.find_unit(session, "市商务局", "青岛市"))
    with loaded_db.reading() as session:
        feed = feeds_service.unit_feed(session, feed.unit_id)
    warm = unit_calendar(feed, FeedOptions(), TODAY, cache)
    assert warm != cold and (cache.hits, cache.misses) == (11, 7)  # one entry serialised again
    assert warm == unit_calendar(feed, FeedOptions(), TODAY)  # the same bytes as without a cache


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:;,\\^ 1") + ["市", "局", "é", "😀", "\t"]), max_size=400))
def test_folding_gives_icalendars_bytes(line):
    # the feed folds long lines itself (in slices, not character by character): it must stay
    # byte for byte what icalendar writes, escapes at a fold included
    from icalendar.parser.string import _foldline

    from tracker.feeds.ical import _fold

    assert _fold(line) == _foldline(line).encode("utf-8")
