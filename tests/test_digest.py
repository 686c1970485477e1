"""Weekly digests and the coordinator's report: each section's contents under a pinned clock,
the ranking, escaping, and a constant number of SQL statements whatever the number of tasks."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, select

from tracker import clock, service
from tracker.digest.build import plan_report, unit_digest
from tracker.digest.render import render_digest, render_report
from tracker.digest.weeks import Week
from tracker.errors import NotFound, TrackerError
from tracker.service.loading import load_paths
from tracker.service.digests import digest_unit

from .recording import record

DATA = Path(__file__).resolve().parent / "digest_data"
PLAN = "digest-test"
TODAY = date(2026, 11, 25)  # a Wednesday in 2026-W48 (Monday 23 November)
W48 = Week(2026, 48)

# (day, unit, task, status, percent, note, liaison): the plan's history, oldest first
HISTORY = [
    ("2026-04-10", "市商务局", "2.1", "done", None, "博览会已举办", "赵蕾"),  # 10 days late
    ("2026-06-15", "市发展改革委", "1.5", "done", None, None, "王敏"),  # on time
    ("2026-09-01", "市发展改革委", "1.6", "in_progress", 50, None, "王敏"),  # stale by 25 November
    ("2026-11-01", "市统计局", "1.3", "in_progress", 70, None, "孙悦"),
    ("2026-11-05", "市发展改革委", "1.4", "ongoing", None, "10月进展已报送", "王敏"),
    ("2026-11-10", "市发展改革委", "1.7", "ongoing", None, None, "李强"),
    ("2026-11-20", "市发展改革委", "1.3", "in_progress", 20, None, "王敏"),
    ("2026-11-23", "市商务局", "1.1", "in_progress", 30, "已提供招商数据", "赵蕾"),
    ("2026-11-24", "市发展改革委", "1.1", "in_progress", 60, "初稿已完成<script>alert('x')</script>", "王敏"),
    ("2026-11-24", "市财政局", "1.6", "in_progress", 10, "资金拨付中", "周平"),
]


def copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "digest_plans"
    shutil.copytree(DATA, target)
    return target


def record_history(db, history=HISTORY) -> None:
    """Each update recorded on its day (noon in Shanghai), in one transaction."""
    with db.transaction() as session:
        for day, unit_name, task, status, percent, note, by in history:
            clock.pin(date.fromisoformat(day))
            unit = service.find_unit(session, unit_name, "青岛市")
            record(session, plan_key=PLAN, task_key=task, unit=unit, status=status,
                                  percent=percent, note=note, by=by)
    clock.pin(None)


@pytest.fixture
def digest_db(db, tmp_path):
    load_paths(db, [copy_data(tmp_path)])
    record_history(db)
    return db


def digest_for(db, name, week=W48, today=TODAY):
    with db.reading() as session:
        return unit_digest(session, service.find_unit(session, name, "青岛市"), week, today)


def keys(lines):
    return [line.key for line in lines]


# ---------------------------------------------------------------------- sections


def test_headline_and_every_section_of_a_units_digest(digest_db):
    d = digest_for(digest_db, "市发改委")
    assert d.as_of == TODAY and str(d.week) == "2026-W48"
    h = d.headline
    assert (h.led, h.supported, h.done, h.overdue, h.due_soon) == (5, 2, 1, 1, 2)

    overdue, = d.overdue
    assert (overdue.key, overdue.days_overdue, overdue.lead, overdue.status, overdue.percent) == \
        ("1.1", 25, ["市发展改革委"], "in_progress", 60)

    assert [(t.key, t.days_left, t.due_on) for t in d.due_soon] == [
        ("1.2", 10, date(2026, 12, 5)), ("1.4", 10, date(2026, 12, 5))]
    assert d.due_soon[0].lead == ["市商务局"]

    # 序时进度: 1.2 has had 328 of 338 days (97%) at 0%; 1.3 328 of 545 (60%) at 20%
    assert [(t.key, t.percent or 0, t.expected_percent) for t in d.behind] == [("1.2", 0, 97), ("1.3", 20, 60)]

    recurring, = d.recurring
    assert (recurring.key, recurring.dates, recurring.deadline_phrase) == ("1.4", [date(2026, 12, 5)], "每月5日前")

    # never updated first, then the oldest; an overdue task is not repeated here
    assert [(t.key, t.last_update) for t in d.stale] == [("1.2", None), ("1.6", date(2026, 9, 1))]

    # on 1.1 (led) 市科技局 never reported; 市统计局 reported 1.3 on 1 November, recently enough
    missing, = d.missing_reports
    assert missing.key == "1.1" and [(u.unit, u.last_update) for u in missing.units] == [("市科技局", None)]

    assert [(u.key, u.unit, u.percent, u.author) for u in d.my_updates] == [("1.1", "市发展改革委", 60, "王敏")]
    # 市商务局 on a task we lead shows; 市财政局 on 1.6, which it leads and we support, does not
    assert [(u.key, u.unit, u.note) for u in d.partner_updates] == [("1.1", "市商务局", "已提供招商数据")]
    assert d.partner_updates[0].recorded_at.date() == date(2026, 11, 23)
    assert not d.nothing_due


def test_a_unit_with_nothing_due_gets_a_short_digest(digest_db):
    d = digest_for(digest_db, "市统计局")
    assert d.nothing_due and d.has_tasks and d.headline.supported == 1
    text = render_digest(d, "text")
    assert "本周没有超期、临近到期、进度滞后或需要跟进的任务。" in text
    for heading in ("■", "已超期\uff08", "两周内到期\uff08", "长期未更新"):
        assert heading not in text
    assert "no tasks" not in text

    idle = digest_for(digest_db, "市审计局")
    assert not idle.has_tasks and idle.nothing_due
    assert "本单位在已加载的计划中没有承担任务。" in render_digest(idle, "text")
    assert "This unit has no tasks in the loaded plans." in render_digest(idle, "html", "en")


def test_other_weeks_are_reckoned_from_their_own_days(digest_db):
    # last week is over: reckoned from its Sunday; its updates are the week's own
    last = digest_for(digest_db, "市发改委", Week(2026, 47))
    assert last.as_of == date(2026, 11, 22)
    assert [(u.key, u.recorded_at.date()) for u in last.my_updates] == [("1.3", date(2026, 11, 20))]
    assert last.overdue[0].days_overdue == 22
    # a week still to come is reckoned from its Monday and has no updates yet
    ahead = digest_for(digest_db, "市发改委", Week(2026, 51))
    assert ahead.as_of == date(2026, 12, 14) and not ahead.my_updates
    assert [t.key for t in ahead.overdue] == ["1.1", "1.2"]
    assert ahead.recurring[0].dates == [date(2027, 1, 5)]


def test_the_week_is_bounded_in_the_plans_time_zone(digest_db, monkeypatch):
    def at(instant, task, percent):
        monkeypatch.setattr(clock, "now", lambda: instant)
        with digest_db.transaction() as session:
            unit = service.find_unit(session, "市发改委", "青岛市")
            record(session, plan_key=PLAN, task_key=task, unit=unit, status="in_progress",
                                  percent=percent)

    at(datetime(2026, 11, 22, 15, 59, tzinfo=timezone.utc), "1.6", 51)  # Sunday 23:59 in Shanghai: W47
    at(datetime(2026, 11, 22, 16, 1, tzinfo=timezone.utc), "1.6", 52)  # Monday 00:01 in Shanghai: W48
    at(datetime(2026, 11, 29, 16, 1, tzinfo=timezone.utc), "1.6", 53)  # the next Monday: W49
    mine = digest_for(digest_db, "市发改委").my_updates
    assert [u.percent for u in mine] == [52, 60]
    assert mine[0].recorded_at.strftime("%Y-%m-%d %H:%M") == "2026-11-23 00:01"


def test_week_parsing_and_errors():
    assert Week.parse("2026-W48") == W48 == Week.parse(" 2026w48 ")
    assert (W48.monday, W48.sunday) == (date(2026, 11, 23), date(2026, 11, 29))
    assert str(Week.parse("2026-W1")) == "2026-W01"
    assert Week.containing(date(2027, 1, 1)) == Week(2026, 53)  # 2026 has 53 ISO weeks
    start, end = W48.window("Asia/Shanghai")
    assert start.astimezone(timezone.utc) == datetime(2026, 11, 22, 16, tzinfo=timezone.utc)
    assert (end - start).days == 7
    for bad, message in (("2026-48", "not an ISO week"), ("48", "not an ISO week"), ("2026-W00", "weeks 1 to 53"),
                         ("2025-W53", "2025 has weeks 1 to 52"), ("next week", "not an ISO week")):
        with pytest.raises(TrackerError) as refused:
            Week.parse(bad)
        assert message in refused.value.words("en")


def test_current_week_comes_from_the_pinned_clock(monkeypatch):
    monkeypatch.setenv("TRACKER_TODAY", "2026-11-29")
    assert Week.current() == W48
    clock.pin(date(2026, 11, 30))
    assert Week.current() == Week(2026, 49)


# ---------------------------------------------------------------------- the coordinator's report


def test_report_ranks_units_and_colours_them(digest_db):
    with digest_db.reading() as session:
        report = plan_report(session, PLAN, W48, TODAY)
    assert (report.tasks, report.done_tasks) == (8, 2)
    ranked = [(s.rank, s.unit, s.color, s.tasks, s.done, s.overdue, s.on_time_rate) for s in report.standings]
    assert ranked == [
        (1, "市统计局", "green", 1, 0, 0, None),
        (2, "市财政局", "yellow", 1, 0, 0, None),  # 1.6 at 10% with 44% of its period gone
        (3, "市发展改革委", "red", 7, 1, 1, 0.5),  # 1.5 done on time, 1.1 overdue
        (4, "市商务局", "red", 3, 1, 1, 0.0),  # 2.1 done ten days late, 1.1 overdue
        (5, "市科技局", "red", 1, 0, 1, 0.0),  # as late, but nothing done: ranks below 市商务局
    ]
    standing = {s.unit: s for s in report.standings}
    assert standing["市发展改革委"].last_update == date(2026, 11, 24)
    assert standing["市科技局"].last_update is None
    assert report.colors == {"green": 1, "yellow": 1, "red": 3}
    task, = report.overdue_tasks
    assert (task.key, task.days_overdue, task.lead, task.pending) == \
        ("1.1", 25, ["市发展改革委"], ["市发展改革委", "市商务局", "市科技局"])


def test_done_undone_and_done_again_counts_from_the_second_time(digest_db):
    record_history(digest_db, [("2026-07-01", "市发展改革委", "1.5", "in_progress", 90, "需补充材料", "王敏"),
                               ("2026-07-10", "市发展改革委", "1.5", "done", None, None, "王敏")])
    with digest_db.reading() as session:
        report = plan_report(session, PLAN, W48, TODAY)
    ndrc = next(s for s in report.standings if s.unit == "市发展改革委")
    assert (ndrc.due, ndrc.on_time) == (2, 0)  # 1.5 is now done after its deadline


def test_report_formats(digest_db):
    with digest_db.reading() as session:
        report = plan_report(session, PLAN, W48, TODAY)
    text = render_report(report, "text")
    assert text.startswith("【行动计划周报·协调】青岛市服务业提质行动方案 2026年第48周\n")
    lines = text.splitlines()
    ranking = [l.split()[:3] for l in lines[lines.index("■ 单位排名") + 2:][:5]]
    assert ranking == [["1", "绿", "市统计局"], ["2", "黄", "市财政局"], ["3", "红", "市发展改革委"],
                       ["4", "红", "市商务局"], ["5", "红", "市科技局"]]
    assert "未完成单位\uff1a市发展改革委、市商务局、市科技局" in text
    md = render_report(report, "md", "en")
    assert "| 1 | 🟢 green | 市统计局 | 1 | 0 | 0 | — | 2026-11-01 |" in md
    assert "| 3 | 🔴 red | 市发展改革委 | 7 | 1 | 1 | 50% | 2026-11-24 |" in md
    html = render_report(report, "html")
    assert "<td style=" in html and "● 红" in html and "青政办字〔2026〕1号" in html


def test_unknown_plan_is_an_error(digest_db):
    with digest_db.reading() as session, pytest.raises(NotFound, match="已有计划\uff1adigest-test") as refused:
        plan_report(session, "no-such-plan", W48, TODAY)
    assert refused.value.known == ("digest-test",)


# ---------------------------------------------------------------------- formats and escaping


def test_html_escapes_what_liaisons_wrote(digest_db):
    d = digest_for(digest_db, "市发改委")
    html = render_digest(d, "html")
    assert "<script>" not in html
    assert "初稿已完成&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert html.count("<table") >= 8 and 'style="' in html and "<style" not in html  # inline CSS only
    md = render_digest(d, "md")
    assert "<script>" not in md and "初稿已完成&lt;script&gt;" in md
    text = render_digest(d, "text")
    assert "初稿已完成<script>alert('x')</script>" in text  # plain text is shown as written


def test_markdown_cells_cannot_break_the_table(digest_db):
    record_history(digest_db, [("2026-11-25", "市发展改革委", "1.3", "in_progress", 25, "第一行|第二行\n第三行", "王敏")])
    md = render_digest(digest_for(digest_db, "市发改委"), "md")
    row = next(line for line in md.splitlines() if "第一行" in line)
    assert "第一行\\|第二行 第三行" in row and row.count(" | ") == 7


def test_text_digest_reads_as_a_page(digest_db):
    text = render_digest(digest_for(digest_db, "市发改委"), "text")
    assert text.startswith("【行动计划周报】市发展改革委 2026年第48周\n2026-11-23 至 2026-11-29 · 截至 2026-11-25")
    assert "概况\uff1a牵头任务 5项 · 配合任务 2项 · 已完成 1项 · 已超期 1项 · 两周内到期 2项" in text
    order = [text.index(h) for h in ("■ 已超期\uff081\uff09", "■ 序时进度滞后\uff082\uff09", "■ 两周内到期\uff082\uff09", "■ 近四周的周期性节点\uff081\uff09",
                                      "■ 长期未更新\uff0830天以上\uff09\uff082\uff09", "■ 配合单位未报送\uff0830天以上\uff09\uff081\uff09",
                                      "■ 本周更新\uff1a本单位\uff081\uff09", "■ 本周更新\uff1a本单位牵头任务的其他单位\uff081\uff09")]
    assert order == sorted(order)
    assert "截止\uff1a2026-10-31 · 超期\uff1a25天（已催办） · 牵头单位\uff1a市发展改革委 · 本单位状态\uff1a推进中 60%" in text
    assert "市科技局\uff08从未更新\uff09" in text


def test_english_digest(digest_db):
    text = render_digest(digest_for(digest_db, "市发改委"), "text", "en")
    assert text.startswith("[Action plan weekly] 市发展改革委 week 48 of 2026\n")
    assert "■ Overdue (1)" in text and "in progress 60%" in text and "市科技局 (never)" in text


# ---------------------------------------------------------------------- statement counts


def _plan_with(tasks: int) -> str:
    """A plan of `tasks` tasks spread over every kind of deadline, all led by 市发展改革委."""
    deadlines = ["2026-10-31", "2026-12-01", "2027-06-30", '{rrule = "FREQ=MONTHLY;BYMONTHDAY=5"}', '"ongoing"']
    partners = ["市商务局", "市科技局", "市财政局"]
    out = ['[plan]\nkey = "digest-test"\ntitle = "规模测试"\njurisdiction = "青岛市"\ncoordinator = "市发展改革委"\n'
           'period_start = 2026-01-01\nperiod_end = 2027-12-31\n']
    for i in range(tasks):
        out.append(f'[[tasks]]\nkey = "1.{i + 1}"\ntext = "任务{i + 1}。"\nlead = ["市发展改革委"]\n'
                   f'responsible = ["{partners[i % 3]}"]\ndeadline = {deadlines[i % 5]}\n')
    return "\n".join(out)


def _count_statements(db, work) -> int:
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with db.reading() as session:
        session.execute(select(1))  # the transaction is open before counting starts
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            work(session)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))])


@pytest.mark.parametrize("tasks", [5, 60])
def test_statements_per_digest_do_not_grow_with_tasks(db, tmp_path, tasks):
    folder = tmp_path / "scale"
    folder.mkdir()
    shutil.copy(DATA / "units.toml", folder / "units.toml")
    (folder / "plan.toml").write_text(_plan_with(tasks), encoding="utf-8")
    load_paths(db, [folder])
    updates = [("2026-11-24", "市发展改革委" if i % 2 else ("市商务局", "市科技局", "市财政局")[i % 3],
                f"1.{i + 1}", "in_progress", 10, "进展", None) for i in range(0, tasks, 3)]
    record_history(db, updates)
    with db.reading() as session:
        ndrc = digest_unit(session, service.find_unit(session, "市发改委", "青岛市"))
    digest_statements = _count_statements(db, lambda s: unit_digest(s, ndrc, W48, TODAY))
    report_statements = _count_statements(db, lambda s: plan_report(s, PLAN, W48, TODAY))
    with db.reading() as session:
        d = unit_digest(session, ndrc, W48, TODAY)
    assert d.headline.led == tasks and len(d.my_updates) + len(d.partner_updates) == len(updates)
    # a unit's own rows, its tasks' other units, the week's updates; the plan, its rows, its done
    # dates; and for each, the reporting duties (报送) that concern it (none here) and the requests
    # waiting for its decision (待审批)
    assert (digest_statements, report_statements) == (5, 5)


def test_html_is_well_formed(digest_db):
    """Every element the templates open is closed, in order: mail clients are unforgiving."""
    from html.parser import HTMLParser

    class Nesting(HTMLParser):
        VOID = {"meta", "br"}

        def __init__(self):
            super().__init__()
            self.open, self.errors = [], []

        def handle_starttag(self, tag, attrs):
            if tag not in self.VOID:
                self.open.append(tag)

        def handle_endtag(self, tag):
            if not self.open or self.open.pop() != tag:
                self.errors.append(tag)

    with digest_db.reading() as session:
        report = plan_report(session, PLAN, W48, TODAY)
    pages = [render_digest(digest_for(digest_db, name), "html") for name in ("市发改委", "市审计局")]
    for page in pages + [render_report(report, "html", "en")]:
        parser = Nesting()
        parser.feed(page)
        assert parser.errors == [] and parser.open == []


def test_a_placeholder_group_gets_no_digest_and_no_rank(loaded_db):
    """各相关部门 waits for a person to name the units: nobody to write to, nothing to rank."""
    from tracker.service.digests import units_with_assignments

    with loaded_db.reading() as session:
        names = {u.name for u in units_with_assignments(session, "吉林市")}
        report = plan_report(session, "jilin-2021-cluster-upgrade", Week(2022, 50), date(2022, 12, 14))
    assert "市委宣传部" in names and "各相关部门" not in names
    ranked = {s.unit for s in report.standings}
    assert "市委宣传部" in ranked and "各相关部门" not in ranked
    assert [s.rank for s in report.standings] == list(range(1, len(report.standings) + 1))


def test_a_past_week_shows_the_states_as_they_stood_then(digest_db):
    """2026-W47 ended before the updates of 24 November: its digest and report show what was
    recorded by its end, not what was recorded since."""
    last = digest_for(digest_db, "市发改委", Week(2026, 47))
    line = next(l for l in last.overdue if l.key == "1.1")
    assert (line.status, line.percent, line.last_update) == ("not_started", None, None)
    assert next(l for l in digest_for(digest_db, "市发改委").overdue if l.key == "1.1").percent == 60
    with digest_db.reading() as session:
        then = plan_report(session, PLAN, Week(2026, 47), TODAY)
        now = plan_report(session, PLAN, W48, TODAY)
    assert {s.unit: s.last_update for s in then.standings}["市财政局"] is None  # its first update: 24 November
    assert {s.unit: s.last_update for s in now.standings}["市财政局"] == date(2026, 11, 24)
    assert {s.unit: s.done for s in then.standings}["市发展改革委"] == 1  # 1.5, done in June
