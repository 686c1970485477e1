"""Supervision (督办), both engines, on a pinned clock: a lead's 已完成 asks the plan's coordinating
unit to close the task (申请办结 → 销号 / 退回), a unit asks for a later deadline (延期申请), and only
the coordinator decides. What each step changes in task lists, feeds, the ledger and the
coordinator's ranking, and what bad input leaves behind: nothing."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from icalendar import Calendar
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tracker import service
from tracker.digest.build import plan_report
from tracker.digest.render import render_digest, render_report
from tracker.digest.weeks import Week
from tracker.errors import PermissionDenied, TrackerError
from tracker.service import supervision
from tracker.service.loading import load_paths

from .conftest import PLANS, snapshot
from .recording import record

QINGDAO = "qingdao-2020-service-clusters"
JILIN = "jilin-2021-cluster-upgrade"
TODAY = "2023-01-05"  # 3.3.2 (市商务局 leads it) was due 2022-12-31: five days overdue
AS_COORDINATOR = ("-u", "市发展改革委", "-j", "青岛市")


@pytest.fixture
def cli(tracker_cli):
    assert tracker_cli("plan", "load", str(PLANS)).exit_code == 0

    def run(*args, today=TODAY):
        return tracker_cli(*args, today=today)

    run.url = tracker_cli.url
    return run


def _said(result) -> str:
    return result.output + str(result.exception or "")


def _code(result) -> int:
    """The exit status `tracker` gives (its main turns a TrackerError into the error's own code)."""
    return result.exception.exit_code if isinstance(result.exception, TrackerError) else result.exit_code


def _commerce_row(cli, key="3.3.2", *extra):
    rows = json.loads(cli("tasks", "-u", "市商务局", "-j", "青岛市", "--json", *extra).output)
    return next((r for r in rows if r["key"] == key), None)


def _overdue_keys(cli) -> list[str]:
    return [r["key"] for r in json.loads(cli("tasks", "-u", "市商务局", "-j", "青岛市", "--overdue", "--json").output)]


def _ledger_status(cli, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.xlsx"
    assert cli("ledger", "export", "--plan", QINGDAO, "--unit", "市商务局", "-o", str(path)).exit_code == 0
    sheet = openpyxl.load_workbook(path)["台账"]
    return next(sheet.cell(r, 7).value for r in range(1, sheet.max_row + 1) if sheet.cell(r, 2).value == "3.3.2")


def _feed_summary(cli, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.ics"
    assert cli("feed", "export", "--unit", "市商务局", "-j", "青岛市", "--role", "lead", "-o", str(path)).exit_code == 0
    calendar = Calendar.from_ical(path.read_bytes())
    return next(str(e["summary"]) for e in calendar.walk("VEVENT") if "时尚消费" in str(e["summary"]))


def _digest_overdue(db) -> list[str]:
    from tracker.digest.build import unit_digest

    with db.reading() as session:
        digest = unit_digest(session, service.find_unit(session, "市商务局", "青岛市"), Week(2023, 1), date(2023, 1, 5))
    return [line.key for line in digest.overdue]


def _standing(db, unit="市商务局"):
    with db.reading() as session:
        report = plan_report(session, QINGDAO, Week(2023, 1), date(2023, 1, 5))
    found = next(s for s in report.standings if s.unit == unit)
    return found.done, found.overdue


def test_a_closing_cycle_request_return_request_again_approve(cli, db, tmp_path):
    assert "3.3.2" in _overdue_keys(cli) and "3.3.2" in _digest_overdue(db)
    assert _standing(db) == (0, 6)

    # 申请办结: the lead's 已完成 reads 待审核 and waits for the coordinator
    result = cli("status", "set", "3.3.2", "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市", "--status", "已完成",
                 "--note", "平台已建成", "--by", "赵蕾")
    assert result.exit_code == 0, _said(result)
    assert "待审核\uff1b办结申请 #1" in result.output
    row = _commerce_row(cli)
    assert (row["status"], row["status_label"], row["overdue"]) == ("pending_review", "待审核", False)
    assert "3.3.2" not in _overdue_keys(cli)  # the unit's part is done: waiting is the coordinator's
    assert _ledger_status(cli, tmp_path, "pending") == "待审核"
    assert _feed_summary(cli, tmp_path, "pending").startswith("[牵头·待审核]")
    assert _standing(db) == (1, 5) and "3.3.2" not in _digest_overdue(db)
    assert _report(db).awaiting_approval == 1
    listed = cli("review", "list", *AS_COORDINATOR)
    assert "#1" in listed.output and "申请办结" in listed.output and "平台已建成" in listed.output
    assert json.loads(cli("review", "list", *AS_COORDINATOR, "--json").output)[0]["task"] == "3.3.2"

    # 退回: back to 推进中, with the coordinator's reason; overdue again
    result = cli("review", "return", "1", *AS_COORDINATOR, "--reason", "缺少验收材料", "--by", "王敏")
    assert result.exit_code == 0, _said(result)
    assert "已退回\uff0c恢复为推进中\uff1a缺少验收材料" in result.output
    row = _commerce_row(cli)
    assert (row["status"], row["overdue"]) == ("in_progress", True)
    assert _ledger_status(cli, tmp_path, "returned") == "推进中"
    assert _feed_summary(cli, tmp_path, "returned").startswith("[牵头·已超期]")
    assert _standing(db) == (0, 6) and "3.3.2" in _digest_overdue(db)
    assert "没有待审批的申请" in cli("review", "list", *AS_COORDINATOR).output

    # asked again, through `request close`, and approved: 销号, the date recorded
    result = cli("request", "close", "3.3.2", "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市",
                 "--note", "验收材料已补充", "--by", "赵蕾", today="2023-01-09")
    assert result.exit_code == 0, _said(result)
    assert "办结申请 #2 已报市发展改革委" in result.output
    result = cli("review", "approve", "2", *AS_COORDINATOR, "--by", "王敏", today="2023-01-10")
    assert result.exit_code == 0, _said(result)
    assert "已于2023-01-10销号" in result.output
    row = _commerce_row(cli)
    assert (row["status"], row["status_label"], row["overdue"]) == ("done", "已完成", False)
    assert _ledger_status(cli, tmp_path, "closed") == "已完成"
    assert _feed_summary(cli, tmp_path, "closed").startswith("[牵头·已完成]")
    assert _standing(db) == (1, 5) and _report(db).awaiting_approval == 0

    # every request and decision is history: who, when, what, why
    lines = cli("history", "3.3.2", "--plan", QINGDAO).output.splitlines()
    told = [line.split()[0] + " " + line.split()[1] for line in lines]
    assert told == ["#1 2023-01-05", "申请 #1", "#2 2023-01-05", "审批 #1", "#3 2023-01-09", "申请 #2", "审批 #2"]
    assert "已退回  王敏  缺少验收材料" in lines[3] and "已销号  王敏" in lines[6]
    assert "申请办结  赵蕾  验收材料已补充" in lines[5]
    english = cli("--lang", "en", "history", "3.3.2", "--plan", QINGDAO).output
    assert "closing request" in english and "returned  王敏  缺少验收材料" in english
    entries = json.loads(cli("history", "3.3.2", "--plan", QINGDAO, "--json").output)
    # a return is the coordinator's 推进中 on the lead's row; each decision is told with its request
    assert [e["type"] for e in entries] == ["status", "request", "status", "status", "request"]
    closing = [e for e in entries if e["type"] == "request"]
    assert [(e["decision"], e["reason"], e["decided_by"]) for e in closing] == [
        ("returned", "缺少验收材料", "王敏"), ("approved", None, "王敏")]
    assert closing[1]["decided_at"].startswith("2023-01-10")


def test_a_supporting_units_done_and_the_coordinators_own_need_no_approval(cli):
    # 市商务局 supports 3.2.1 (led by the districts): its 已完成 is final
    result = cli("status", "set", "3.2.1", "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市", "--status", "已完成")
    assert result.exit_code == 0 and "已完成" in result.output
    assert _commerce_row(cli, "3.2.1")["status"] == "done"
    # the coordinating unit leads 3.1.2 itself: nobody else to approve it
    result = cli("status", "set", "3.1.2", "--plan", QINGDAO, "-u", "市发展改革委", "-j", "青岛市", "--status", "已完成")
    assert result.exit_code == 0 and "待审核" not in result.output
    assert "没有待审批的申请" in cli("review", "list", *AS_COORDINATOR).output
    # asking for approval where none is wanted is an error that says so
    result = cli("request", "close", "3.2.1", "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市")
    assert _code(result) == 2 and "只有牵头单位申请办结" in _said(result)


def test_a_plan_may_turn_approval_off(db, tmp_path, tracker_cli):
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "units.toml").write_text((PLANS / "units.toml").read_text(encoding="utf-8"), encoding="utf-8")
    source = (PLANS / f"{QINGDAO}.toml").read_text(encoding="utf-8")
    (plans / f"{QINGDAO}.toml").write_text(source.replace("[plan]\n", '[plan]\napproval = "none"\n', 1),
                                           encoding="utf-8")
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    result = tracker_cli("status", "set", "3.3.2", "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市",
                         "--status", "已完成", today=TODAY)
    assert result.exit_code == 0 and "待审核" not in result.output
    with db.reading() as session:
        assert service.find_plan(session, QINGDAO) is not None
        row = service.unit_tasks(session, service.find_unit(session, "市商务局", "青岛市"), today=date(2023, 1, 5))
    assert next(r for r in row if r.key == "3.3.2").status == "done"
    # and on again: the next 已完成 waits (a file with approval = "closing" says so outright)
    (plans / f"{QINGDAO}.toml").write_text(source.replace("[plan]\n", '[plan]\napproval = "closing"\n', 1),
                                           encoding="utf-8")
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    result = tracker_cli("status", "set", "3.4.1", "--plan", QINGDAO, "-u", "市市场监管局", "-j", "青岛市",
                         "--status", "已完成", today=TODAY)
    assert "待审核" in result.output


@pytest.mark.parametrize("value, message", [
    ('"sometimes"', 'plan.approval\uff1a只能是 "closing" 或 "none"'),
    ('"closing"\ncoordinator = ""', "需要 coordinator"),
])
def test_a_bad_approval_in_a_plan_file_names_its_line(tmp_path, tracker_cli, value, message):
    source = (PLANS / f"{QINGDAO}.toml").read_text(encoding="utf-8")
    if "coordinator" in value:
        source = source.replace('coordinator = "市发展改革委"\n', "")
        value = '"closing"'
    path = tmp_path / "plan.toml"
    path.write_text(source.replace("[plan]\n", f"[plan]\napproval = {value}\n", 1), encoding="utf-8")
    assert tracker_cli("init").exit_code == 0
    before_db = tracker_cli("plan", "list", "--json").output
    result = tracker_cli("plan", "load", str(PLANS / "units.toml"), str(path))
    assert _code(result) == 2
    assert f"{path}:" in _said(result) and message in _said(result)
    assert tracker_cli("plan", "list", "--json").output == before_db


def _ask_close(cli, today=TODAY):
    return cli("status", "set", "3.3.2", "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市", "--status", "已完成",
               today=today)


@pytest.mark.parametrize("args, message, code", [
    # a decision by a unit that is not the plan's coordinating unit
    (("review", "approve", "1", "-u", "市商务局", "-j", "青岛市"), "只有其牵头协调单位（市发展改革委）可以", 4),
    (("review", "return", "1", "--unit", "市财政局", "-j", "青岛市", "--reason", "x"), "不能审批", 4),
    (("review", "approve", "1"), "请用 -u 指明审批单位", 2),
    (("review", "list"), "请用 -u 指明审批单位", 2),
    # returning needs a reason; a closing request is not rejected; an unknown request
    (("review", "return", "1", *AS_COORDINATOR, "--reason", "  "), "需要说明理由", 2),
    (("review", "reject", "1", *AS_COORDINATOR, "--reason", "x"), "办结申请只能批准或退回", 2),
    (("review", "approve", "99", *AS_COORDINATOR), "没有编号为 #99 的申请", 2),
    # no status change while the request waits, by the lead or by the coordinator
    (("status", "set", "3.3.2", "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市", "--status", "推进中"),
     "正等待牵头协调单位审批", 2),
    (("status", "set", "3.3.2", "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市", "--status", "已完成",
      "--as", "市发展改革委"), "正等待牵头协调单位审批", 2),
    (("request", "close", "3.3.2", "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市"), "正等待", 2),
])
def test_refused_requests_and_decisions_write_nothing(cli, args, message, code):
    assert _ask_close(cli).exit_code == 0
    before = snapshot(cli.url)
    result = cli(*args)
    assert _code(result) == code, _said(result)
    assert message in _said(result)
    assert "Traceback" not in result.output
    assert snapshot(cli.url) == before


def test_a_request_on_a_closed_task_and_a_decision_made_twice(cli):
    assert _ask_close(cli).exit_code == 0
    assert cli("review", "approve", "1", *AS_COORDINATOR).exit_code == 0
    before = snapshot(cli.url)
    for args, message in (
            (("request", "close", "3.3.2", "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市"), "已办结"),
            (("review", "approve", "1", *AS_COORDINATOR), "已审批过"),
            (("review", "return", "1", *AS_COORDINATOR, "--reason", "再看看"), "已审批过")):
        result = cli(*args)
        assert result.exit_code != 0 and message in _said(result), _said(result)
    assert snapshot(cli.url) == before


def test_a_unit_asks_only_for_its_own_assignments(loaded_db):
    with loaded_db.transaction() as session:
        commerce = service.find_unit(session, "市商务局", "青岛市")
        finance = service.find_unit(session, "市财政局", "青岛市")
        assignment = service.find_assignment(session, QINGDAO, "3.3.2", commerce.id)
        with pytest.raises(PermissionDenied, match="不能代市商务局提出申请"):
            supervision.request_closing(session, assignment_id=assignment, acting_unit_id=finance.id)
        # the coordinator may record a lead's status, but asks nothing on its behalf either
        coordinator = service.find_unit(session, "市发展改革委", "青岛市")
        with pytest.raises(PermissionDenied):
            supervision.request_closing(session, assignment_id=assignment, acting_unit_id=coordinator.id)
        with pytest.raises(PermissionDenied):
            record(session, plan_key=QINGDAO, task_key="3.3.2", unit=commerce, acting_unit=finance, status="done")


def test_requests_and_decisions_are_append_only_on_both_engines(cli, db):
    assert _ask_close(cli).exit_code == 0
    assert cli("review", "return", "1", *AS_COORDINATOR, "--reason", "缺少验收材料").exit_code == 0
    for statement in ("UPDATE supervision_request SET note = 'x'", "DELETE FROM supervision_request",
                      "UPDATE supervision_decision SET reason = 'x'", "DELETE FROM supervision_decision"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))
    result = cli("doctor", "--json")
    report = json.loads(result.output)
    assert result.exit_code == 0, report  # the schema the migrations make, triggers and policies included
    assert (report["schema_differences"], report["problems"]) == ([], [])


def test_the_plan_files_approval_round_trips(tmp_path):
    from tracker.planfile import dump_plan, read_plan

    source = (PLANS / f"{QINGDAO}.toml").read_text(encoding="utf-8")
    path = tmp_path / "plan.toml"
    path.write_text(source.replace("[plan]\n", '[plan]\napproval = "none"\n', 1), encoding="utf-8")
    plan = read_plan(path)
    assert plan.approval == "none"
    again = tmp_path / "again.toml"
    again.write_text(dump_plan(plan), encoding="utf-8")
    assert read_plan(again).approval == "none"
    assert read_plan(PLANS / f"{QINGDAO}.toml").approval is None  # the default: "closing", for it has a coordinator


def test_loading_keeps_the_approval_of_each_plan(loaded_db):
    with loaded_db.reading() as session:
        approvals = {p.key: p.approval for p in service.list_plans(session)}
    assert approvals == {JILIN: "closing", QINGDAO: "closing", "qingdao-2024-municipal-clusters": "closing"}


# ---------------------------------------------------------------------- the shared deployment


@pytest.fixture
def shared(loaded_db):
    if loaded_db.engine.dialect.name != "postgresql":
        pytest.skip("the shared deployment is PostgreSQL's")
    from .test_access import Shared

    place = Shared(loaded_db)
    yield place
    place.drop_roles()


def test_on_the_shared_database_the_roles_ask_and_decide_only_what_they_may(shared):
    import psycopg

    lead = shared.grant("赵蕾", "市商务局", "青岛市")
    coordinator = shared.grant("王敏", "市发展改革委", "青岛市")
    other = shared.grant("周平", "市财政局", "青岛市")
    with shared.db.reading() as session:
        commerce = service.find_unit(session, "市商务局", "青岛市")
        mine = service.find_assignment(session, QINGDAO, "3.3.2", commerce.id)
        finance = service.find_unit(session, "市财政局", "青岛市")
        theirs = service.find_assignment(session, QINGDAO, "3.7.1", finance.id)

    database = shared.connect(lead.login)
    try:
        with database.transaction() as session:
            entry = record(session, plan_key=QINGDAO, task_key="3.3.2", unit=commerce, status="done", note="平台已建成",
                           by=None)
        with database.reading() as session:
            asked = supervision.request_by_id(session, entry.closing_request_id)
        assert (asked.author, asked.unit) == ("赵蕾", "市商务局")  # the insert trigger's, from the login
        with pytest.raises(PermissionDenied):  # the service says no before the database would
            with database.transaction() as session:
                supervision.decide(session, request_id=asked.id, acting_unit_id=None, decision="approved")
    finally:
        database.dispose()
    with shared.raw(lead.login) as conn:
        for statement, params in (
                ("INSERT INTO supervision_decision (request_id, decision, recorded_at) VALUES (%s, 'approved', now())",
                 (asked.id,)),
                ("INSERT INTO supervision_request (assignment_id, kind, due_on, recorded_at) "
                 "VALUES (%s, 'extension', '2030-01-01', now())", (theirs,))):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                conn.execute(statement, params)
        for statement in ("UPDATE assignment SET extended_due_on = '2030-01-01'", "UPDATE supervision_request SET note = 'x'",
                          "DELETE FROM supervision_decision", "UPDATE assignment SET request_hash = NULL"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    with shared.raw(other.login) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO supervision_decision (request_id, decision, recorded_at) "
                         "VALUES (%s, 'approved', now())", (asked.id,))

    database = shared.connect(coordinator.login)
    try:
        with database.transaction() as session:
            waiting = supervision.pending_for(session, supervision.deciding_unit(session, None))
            assert [r.id for r in waiting] == [asked.id]
            back = supervision.decide(session, request_id=asked.id, acting_unit_id=None, decision="returned",
                                      reason="缺少验收材料")
        assert (back.decision, back.decided_by, back.deciding_unit) == ("returned", "王敏", "市发展改革委")
    finally:
        database.dispose()
    with shared.db.reading() as session:
        assert service.assignment_state(session, mine).status == "in_progress"
        # the triggers chained what the logins wrote, with the author and time they stamped (migration 0006)
        from tracker.service.operations import broken_supervision

        assert broken_supervision(session) == (2, [])
        assert service.history(session, QINGDAO, "3.3.2")[-1].author == "王敏"

    # the lead asks again, and for more time on another task; the coordinator approves both
    database = shared.connect(lead.login)
    try:
        with database.transaction() as session:
            again = supervision.request_closing(session, assignment_id=mine, acting_unit_id=None, note="已补充")
            later = supervision.request_extension(
                session, assignment_id=service.find_assignment(session, QINGDAO, "3.5.3", commerce.id),
                acting_unit_id=None, due_on=date(2030, 6, 30), reason="项目延后", today=date(2022, 12, 20))
    finally:
        database.dispose()
    database = shared.connect(coordinator.login)
    try:
        with database.transaction() as session:
            for request in (again, later):
                supervision.decide(session, request_id=request.id, acting_unit_id=None, decision="approved")
    finally:
        database.dispose()
    with shared.db.reading() as session:
        assert service.assignment_state(session, mine).status == "done"
        moved = next(r for r in service.unit_tasks(session, commerce, today=date(2022, 12, 20)) if r.key == "3.5.3")
        assert (moved.due_on, moved.extended_from) == (date(2030, 6, 30), date(2022, 12, 31))


def test_a_returned_ledger_that_reads_pending_records_nothing(cli, tmp_path):
    assert _ask_close(cli).exit_code == 0
    path = tmp_path / "商务局.xlsx"
    assert cli("ledger", "export", "--plan", QINGDAO, "--unit", "市商务局", "-o", str(path)).exit_code == 0
    unchanged = ("status_update", "supervision_request", "supervision_decision", "assignment")
    before = {t: rows for t, rows in snapshot(cli.url)[1].items() if t in unchanged}
    result = cli("ledger", "import-progress", str(path), "--plan", QINGDAO, "--unit", "市商务局")
    assert result.exit_code == 0, _said(result)
    # (the file's return is recorded, as a report: 报送) but no update, and the request still waits
    assert {t: rows for t, rows in snapshot(cli.url)[1].items() if t in unchanged} == before


# ---------------------------------------------------------------------- 延期申请


def _extend(cli, to, reason="招商项目延后落地", today="2022-12-20", task="3.3.2"):
    return cli("request", "extend", task, "--plan", QINGDAO, "-u", "市商务局", "-j", "青岛市", "--to", to,
               "--reason", reason, "--by", "赵蕾", today=today)


def _feed_event(cli, tmp_path, name: str, today=TODAY):
    path = tmp_path / f"{name}.ics"
    assert cli("feed", "export", "--unit", "市商务局", "-j", "青岛市", "--role", "lead", "-o", str(path),
               today=today).exit_code == 0
    calendar = Calendar.from_ical(path.read_bytes())
    return next(e for e in calendar.walk("VEVENT") if "时尚消费" in str(e["summary"]))


def _ledger_deadline(cli, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.xlsx"
    assert cli("ledger", "export", "--plan", QINGDAO, "--unit", "市商务局", "-o", str(path)).exit_code == 0
    sheet = openpyxl.load_workbook(path)["台账"]
    value = next(sheet.cell(r, 6).value for r in range(1, sheet.max_row + 1) if sheet.cell(r, 2).value == "3.3.2")
    return value if isinstance(value, str) else value.date().isoformat()


def _report(db):
    with db.reading() as session:
        return plan_report(session, QINGDAO, Week(2023, 1), date(2023, 1, 5))


def test_an_extension_rejected_then_approved_and_what_it_moves(cli, db, tmp_path):
    result = _extend(cli, "2023-06-30")
    assert result.exit_code == 0, _said(result)
    assert "延期申请 #1（2022-12-31 → 2023-06-30）已报市发展改革委" in result.output
    # nothing moves while it waits
    assert _commerce_row(cli)["due_on"] == "2022-12-31" and "3.3.2" in _overdue_keys(cli)

    # rejected: the deadline stays, the task is overdue as before
    result = cli("review", "reject", "1", *AS_COORDINATOR, "--reason", "时限不能再推迟", "--by", "王敏",
                 today="2022-12-21")
    assert result.exit_code == 0, _said(result)
    assert "延期未批准\uff0c完成时限仍为 2022-12-31\uff1a时限不能再推迟" in result.output
    assert _commerce_row(cli)["due_on"] == "2022-12-31" and "3.3.2" in _overdue_keys(cli)
    assert _report(db).extended_tasks == 0
    overdue_before = next(s for s in _report(db).standings if s.unit == "市商务局").overdue

    # asked again and approved: the assignment's deadline moves, the plan's own is kept and shown
    assert _extend(cli, "2023-06-30", reason="已协调项目方，6月底前落地", today="2022-12-22").exit_code == 0
    result = cli("review", "approve", "2", *AS_COORDINATOR, "--by", "王敏", today="2022-12-23")
    assert result.exit_code == 0, _said(result)
    assert "完成时限 2022-12-31 → 2023-06-30\uff08已批准延期\uff09" in result.output
    row = _commerce_row(cli)
    assert (row["due_on"], row["extended_from"], row["overdue"], row["days_left"]) == \
        ("2023-06-30", "2022-12-31", False, 176)
    assert "3.3.2" not in _overdue_keys(cli)
    listed = cli("tasks", "-u", "市商务局", "-j", "青岛市", "--role", "lead").output
    assert "2022-12-31 → 2023-06-30\uff08已批准延期\uff09" in listed
    soon = json.loads(cli("tasks", "-u", "市商务局", "-j", "青岛市", "--due-within", "14", "--json",
                          today="2023-06-20").output)
    assert [r["key"] for r in soon] == ["3.3.2"]
    # only 市商务局's part moved: the districts supporting 3.3.2 keep the plan's deadline
    districts = json.loads(cli("tasks", "-u", "市南区政府", "-j", "青岛市", "--overdue", "--json").output)
    assert "3.3.2" in [r["key"] for r in districts]

    event = _feed_event(cli, tmp_path, "extended")
    assert event.decoded("dtstart") == date(2023, 6, 30)
    assert "2022-12-31 → 2023-06-30\uff08已批准延期\uff09" in str(event["description"])
    assert not str(event["summary"]).startswith("[牵头·已超期]")
    assert _ledger_deadline(cli, tmp_path, "extended") == "2022-12-31 → 2023-06-30\uff08已批准延期\uff09"
    report = _report(db)
    assert report.extended_tasks == 1
    assert next(s for s in report.standings if s.unit == "市商务局").overdue == overdue_before - 1
    text_report = cli("digest", "report", "--plan", QINGDAO, today="2023-01-05").output
    assert "已批准延期 1项" in text_report
    digest = cli("digest", "-u", "市商务局", "-j", "青岛市", "--week", "2023-W25", today="2023-06-20").output
    assert "2022-12-31 → 2023-06-30\uff08已批准延期\uff09" in digest

    lines = cli("history", "3.3.2", "--plan", QINGDAO).output
    assert "延期申请  2022-12-31 → 2023-06-30  赵蕾  招商项目延后落地" in lines
    assert "延期未批准  王敏  时限不能再推迟" in lines and "已批准延期  王敏" in lines
    english = cli("--lang", "en", "history", "3.3.2", "--plan", QINGDAO).output
    assert "extension request  2022-12-31 → 2023-06-30" in english and "extension rejected" in english


@pytest.mark.parametrize("to, reason, message", [
    ("2022-12-01", "来不及", "早于今天（2022-12-20）"),
    ("2022-12-31", "来不及", "不晚于现行时限（2022-12-31）"),
    ("2023-06-30", "  ", "需要说明理由"),
])
def test_a_bad_extension_is_refused_and_writes_nothing(cli, to, reason, message):
    before = snapshot(cli.url)
    result = _extend(cli, to, reason=reason)
    assert _code(result) == 2 and message in _said(result), _said(result)
    assert snapshot(cli.url) == before


def test_extensions_on_a_closed_or_ongoing_task_or_twice_are_refused(cli):
    assert _ask_close(cli, today="2022-12-20").exit_code == 0
    before = snapshot(cli.url)
    result = _extend(cli, "2023-06-30")
    assert _code(result) == 2 and "已办结或待审核" in _said(result)
    assert cli("review", "approve", "1", *AS_COORDINATOR, today="2022-12-20").exit_code == 0
    assert snapshot(cli.url) != before  # (the approval)
    before = snapshot(cli.url)
    result = _extend(cli, "2023-06-30")
    assert _code(result) == 2 and snapshot(cli.url) == before
    # a supporting unit asks for its own part too (市商务局 supports 3.4.1); once at a time
    result = _extend(cli, "2023-06-30", task="3.4.1")
    assert result.exit_code == 0 and "延期申请 #2" in result.output
    result = _extend(cli, "2023-08-31", task="3.4.1")
    assert _code(result) == 2 and "已有一项待审批的延期申请（#2）" in _said(result)
    result = cli("review", "return", "2", *AS_COORDINATOR, "--reason", "x", today="2022-12-20")
    assert _code(result) == 2 and "延期申请只能批准或不予批准" in _said(result)


def test_an_ongoing_deadline_is_not_extended(loaded_db):
    with loaded_db.transaction() as session:
        bureau = service.find_unit(session, "市南区发展改革局")
        task = next(r for r in service.unit_tasks(session, bureau, today=date(2025, 3, 1)))
        assert task.deadline_kind == "rule"
        with pytest.raises(TrackerError, match="只有具体日期的完成时限可以延期"):
            supervision.request_extension(session, assignment_id=task.assignment_id, acting_unit_id=None,
                                          due_on=date(2030, 1, 1), reason="来不及", today=date(2025, 3, 1))


# ---------------------------------------------------------------------- the coordinator's report: 待审批


def _waiting(db, unit=None, week=Week(2023, 1), limit=50):
    """(request id, days waiting) in the plan's report, or in `unit`'s digest; and the whole."""
    from tracker.digest.build import unit_digest

    with db.reading() as session:
        if unit is None:
            shown = plan_report(session, QINGDAO, week, date(2023, 1, 5), limit=limit)
        else:
            shown = unit_digest(session, service.find_unit(session, unit, "青岛市"), week, date(2023, 1, 5), limit)
    return [(w.request.id, w.days_waiting) for w in shown.waiting_requests], shown


def test_the_report_and_the_coordinators_digest_list_the_requests_waiting_oldest_first(cli, db):
    assert _extend(cli, "2023-06-30", today="2022-12-20").exit_code == 0  # #1
    assert _extend(cli, "2023-06-30", task="3.4.1", today="2022-12-22").exit_code == 0  # #2, its supporting part
    asked = cli("status", "set", "3.1.1", "--plan", QINGDAO, "-u", "市自然资源和规划局", "-j", "青岛市",
                "--status", "已完成", "--note", "已纳入总体规划", today="2023-01-03")  # #3: a closing request
    assert asked.exit_code == 0 and "办结申请 #3" in asked.output, _said(asked)
    rejected = cli("review", "reject", "2", *AS_COORDINATOR, "--reason", "配合部分按期完成", today="2023-01-04")
    assert rejected.exit_code == 0, _said(rejected)

    # the week of 5 January: #2 is decided and gone; #1 has waited 16 days, #3 two
    listed, report = _waiting(db)
    assert listed == [(1, 16), (3, 2)] and report.waiting_total == 2
    text = render_report(report, "text")
    assert "■ 待审批的申请\uff082\uff09" in text
    assert "#1 延期申请 [3.3.2]" in text and "市商务局 · 2022-12-20申请\uff0c已等待16天 · 2022-12-31 → 2023-06-30 · 招商项目延后落地" in text
    assert "#3 申请办结 [3.1.1]" in text and "市自然资源和规划局 · 2023-01-03申请\uff0c已等待2天 · 已纳入总体规划" in text
    assert text.index("#1 延期申请") < text.index("#3 申请办结") < text.index("■ 超期任务")
    english = render_report(report, "text", "en")
    assert "Requests awaiting your decision (2)" in english and "asked on 2022-12-20, waiting 16 d" in english
    assert "#3 申请办结" in render_report(report, "md") and "已等待16天" in render_report(report, "html")

    # capped like the other sections: the oldest listed, the rest counted, and how to see them all
    listed, report = _waiting(db, limit=1)
    assert listed == [(1, 16)] and report.waiting_total == 2
    assert "……另有1项未列出\uff1b完整清单\uff1atracker digest report --plan " + QINGDAO + " --limit 0" in \
        render_report(report, "text")
    said = cli("digest", "report", "--plan", QINGDAO, "--limit", "1", today="2023-01-05").output
    assert "#1 延期申请" in said and "#3 申请办结" not in said and "另有1项未列出" in said
    assert "#3 申请办结" in cli("digest", "report", "--plan", QINGDAO, "--limit", "0", today="2023-01-05").output

    # the coordinator's own digest lists them too; the units that asked see no such section
    listed, digest = _waiting(db, "市发展改革委")
    assert listed == [(1, 16), (3, 2)] and not digest.nothing_due
    assert "■ 待审批的申请\uff082\uff09" in render_digest(digest, "text")
    assert _waiting(db, "市商务局")[0] == [] and "待审批的申请" not in render_digest(_waiting(db, "市商务局")[1], "text")
    listed, digest = _waiting(db, "市发展改革委", limit=1)
    section = render_digest(digest, "text").split("■ 待审批的申请")[1].split("■")[0]
    assert listed == [(1, 16)] and "#1 延期申请" in section and "#3" not in section
    assert "……另有1项未列出\uff1b完整清单\uff1atracker digest --unit 市发展改革委 -j 青岛市 --limit 0" in section

    # a week that is over shows them as they stood at its end: #2 waited then, #3 was not asked yet
    listed, report = _waiting(db, week=Week(2022, 51))
    assert listed == [(1, 5), (2, 3)]  # reckoned from that week's Sunday, 25 December
    assert "待审批的申请" not in render_report(_waiting(db, week=Week(2022, 50))[1], "text")


def test_each_approved_extension_moves_the_calendar_event_again(cli, tmp_path):
    """RFC 5545: a changed event's SEQUENCE grows, or a calendar keeps the date it has. A second
    approved extension on the same assignment moves the event again, so SEQUENCE goes up again;
    a rejected one changes nothing."""
    def seen(name, today):
        event = _feed_event(cli, tmp_path, name, today=today)
        return event.decoded("dtstart"), event["sequence"], event.decoded("last-modified")

    start, sequence, _modified = seen("before", "2022-12-20")
    assert (start, sequence) == (date(2022, 12, 31), 0)

    assert _extend(cli, "2023-06-30", today="2022-12-20").exit_code == 0
    assert cli("review", "approve", "1", *AS_COORDINATOR, today="2022-12-21").exit_code == 0
    start, sequence, first = seen("once", "2022-12-21")
    assert (start, sequence) == (date(2023, 6, 30), 1)

    assert _extend(cli, "2023-09-30", reason="配套资金未到位", today="2022-12-22").exit_code == 0
    assert cli("review", "reject", "2", *AS_COORDINATOR, "--reason", "不再延期", today="2022-12-23").exit_code == 0
    assert seen("rejected", "2022-12-23") == (date(2023, 6, 30), 1, first)  # nothing moved: the same event

    assert _extend(cli, "2023-09-30", reason="配套资金未到位", today="2022-12-27").exit_code == 0
    assert cli("review", "approve", "3", *AS_COORDINATOR, today="2022-12-28").exit_code == 0
    start, sequence, second = seen("twice", "2022-12-28")
    assert (start, sequence) == (date(2023, 9, 30), 2) and second >= first
    event = _feed_event(cli, tmp_path, "described", today="2022-12-28")
    assert "2022-12-31 → 2023-09-30\uff08已批准延期\uff09" in str(event["description"])

    # the plan's own feed keeps the plan's deadline, and its SEQUENCE
    path = tmp_path / "plan.ics"
    assert cli("feed", "export", "--plan", QINGDAO, "-o", str(path), today="2022-12-28").exit_code == 0
    plan_event = next(e for e in Calendar.from_ical(path.read_bytes()).walk("VEVENT") if "时尚消费" in str(e["summary"]))
    assert (plan_event.decoded("dtstart"), plan_event["sequence"]) == (date(2022, 12, 31), 0)


# ---------------------------------------------------------------------- closing approval, held by the database


def _raw_refused(conn, statement: str, params=()):
    """A liaison's own write in SQL, as psql would send it: the database says no, by name."""
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        conn.execute(statement, params)
    assert refused.value.diag.constraint_name.startswith("tracker_closing_"), refused.value
    return str(refused.value)


def test_on_the_shared_database_a_lead_cannot_close_its_own_task_without_the_coordinator(shared):
    lead = shared.grant("赵蕾", "市商务局", "青岛市")
    supporting = shared.grant("钱进", "市科技局", "青岛市")
    coordinator = shared.grant("王敏", "市发展改革委", "青岛市")
    with shared.db.reading() as session:
        commerce = service.find_unit(session, "市商务局", "青岛市")
        science = service.find_unit(session, "市科技局", "青岛市")
        mine = service.find_assignment(session, QINGDAO, "3.3.2", commerce.id)
        theirs = service.find_assignment(session, QINGDAO, "3.3.3", science.id)
    untouched = ("assignment", "status_update", "supervision_request", "supervision_decision")

    def rows():
        return {t: r for t, r in snapshot(shared.db.url)[1].items() if t in untouched}

    before = rows()
    done_row = ("INSERT INTO status_update (assignment_id, status, percent, recorded_at) "
                "VALUES (%s, %s, 100, now())")
    with shared.raw(lead.login) as conn:  # psql, as the lead: every way to write 已完成 itself
        assert "销号" in _raw_refused(conn, "UPDATE assignment SET status = 'done', percent = 100 WHERE id = %s", (mine,))
        _raw_refused(conn, done_row, (mine, "done"))
        # nor 待审核 without a request (out of the overdue lists, with nothing to decide)
        assert "没有待审核的办结申请" in _raw_refused(
            conn, "UPDATE assignment SET status = 'pending_review' WHERE id = %s", (mine,))
        # in one transaction, the insert of a request first does not open the other door
        with conn.transaction():
            conn.execute("INSERT INTO supervision_request (assignment_id, kind, recorded_at) "
                         "VALUES (%s, 'closing', now())", (mine,))
            conn.execute("UPDATE assignment SET status = 'pending_review' WHERE id = %s", (mine,))
            _raw_refused(conn, "UPDATE assignment SET status = 'done' WHERE id = %s", (mine,))
    assert rows() == before  # the refused transaction left nothing

    # through the tracker: the lead files its request, and the database lets that through
    database = shared.connect(lead.login)
    try:
        with database.transaction() as session:
            entry = record(session, plan_key=QINGDAO, task_key="3.3.2", unit=commerce, status="done",
                           note="平台已建成", by=None)
        # an old client, or one that skips the rule: the database refuses, the store says it in our words
        waiting = rows()
        with pytest.raises(PermissionDenied) as refused:
            with database.transaction() as session:
                from tracker.service import _append
                from tracker.store.models import Assignment

                _append(session, session.get(Assignment, mine), commerce.id, status="in_progress", percent=50,
                        note=None, by=None, expected_version=None)
        assert refused.value.exit_code != 0
        assert str(refused.value) == ("数据库拒绝了这项更改：该任务的办结申请正在等待协调单位审核，"
                                      "由协调单位销号或退回（tracker review）")
        assert rows() == waiting
    finally:
        database.dispose()
    with shared.raw(lead.login) as conn:  # while it waits: nothing moves but the coordinator's decision
        _raw_refused(conn, "UPDATE assignment SET status = 'done' WHERE id = %s", (mine,))
        _raw_refused(conn, "UPDATE assignment SET status = 'in_progress', percent = 10 WHERE id = %s", (mine,))
        _raw_refused(conn, done_row, (mine, "done"))  # the request's 已完成 is recorded once
        _raw_refused(conn, done_row, (mine, "in_progress"))
    assert rows() == waiting

    # a supporting unit's own 已完成 needs no approval, in the tracker or in SQL
    database = shared.connect(supporting.login)
    try:
        with database.transaction() as session:
            assert record(session, plan_key=QINGDAO, task_key="3.3.3", unit=science, status="done",
                          by=None).status == "done"
    finally:
        database.dispose()
    with shared.raw(supporting.login) as conn:
        conn.execute("UPDATE assignment SET percent = 100, status = 'done' WHERE id = %s", (theirs,))

    # the coordinator's 销号 closes it
    database = shared.connect(coordinator.login)
    try:
        with database.transaction() as session:
            supervision.decide(session, request_id=entry.closing_request_id, acting_unit_id=None,
                               decision="approved")
    finally:
        database.dispose()
    with shared.db.reading() as session:
        assert service.assignment_state(session, mine).status == "done"
        assert service.assignment_state(session, theirs).status == "done"

    # reopened by the lead, it is closed again only by a new request
    database = shared.connect(lead.login)
    try:
        with database.transaction() as session:
            record(session, plan_key=QINGDAO, task_key="3.3.2", unit=commerce, status="in_progress", percent=90,
                   by=None)
        with pytest.raises(TrackerError, match="申请办结"):  # the tracker says so before the database would
            with database.transaction() as session:
                service.undo(session, assignment_id=mine, acting_unit_id=None)
    finally:
        database.dispose()
    with shared.raw(lead.login) as conn:
        _raw_refused(conn, "UPDATE assignment SET status = 'done' WHERE id = %s", (mine,))


def test_undoing_a_reopening_does_not_close_the_task_again_without_approval(loaded_db):
    """Both engines: the 已完成 an undo would bring back was the coordinator's to give; the lead asks
    again instead (the shared database refuses it too, migration 0007)."""
    with loaded_db.transaction() as session:
        commerce = service.find_unit(session, "市商务局", "青岛市")
        coordinator = service.find_unit(session, "市发展改革委", "青岛市")
        mine = service.find_assignment(session, QINGDAO, "3.3.2", commerce.id)
        entry = record(session, plan_key=QINGDAO, task_key="3.3.2", unit=commerce, status="done", note="平台已建成")
        supervision.decide(session, request_id=entry.closing_request_id, acting_unit_id=coordinator.id,
                           decision="approved")
        record(session, plan_key=QINGDAO, task_key="3.3.2", unit=commerce, status="in_progress", percent=90)
    before = snapshot(loaded_db.url)
    with pytest.raises(TrackerError, match="撤销这条更新会使任务3.3.2未经协调单位销号即办结") as refused:
        with loaded_db.transaction() as session:
            service.undo(session, assignment_id=mine, acting_unit_id=commerce.id)
    assert refused.value.exit_code != 0
    assert snapshot(loaded_db.url) == before
    with loaded_db.transaction() as session:  # asking again is the way back to 已完成
        again = service.record_status(session, assignment_id=mine, acting_unit_id=commerce.id, status="done")
        assert again.closing_request_id is not None
        assert service.assignment_state(session, mine).status == supervision.PENDING
