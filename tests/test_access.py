"""The shared deployment (PostgreSQL only): liaisons connect as their own database roles, and the
database itself enforces who may write what, whatever the client sends.

Each test's roles carry its schema's unique name and are dropped afterwards (roles are the
cluster's). The server trusts local connections, so a role connects without its password here;
what is tested is what the database lets each role do once connected, and that a revoked role
cannot connect at all.
"""

from __future__ import annotations

from datetime import datetime, timezone

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tracker import service
from tracker.errors import PermissionDenied
from tracker.service import access
from tracker.store.db import Database

from .conftest import POSTGRES_URL, Cli
from .recording import record

JILIN = "jilin-2021-cluster-upgrade"
QINGDAO = "qingdao-2020-service-clusters"



class Shared:
    """A loaded tracker schema with access control on, and liaisons granted logins on it."""

    def __init__(self, db: Database):
        self.db = db
        with db.transaction() as session:
            self.group = access.enable(session)
        self.logins: list[str] = []

    def grant(self, name: str, unit: str, jurisdiction: str) -> access.Grant:
        with self.db.transaction() as session:
            made = access.grant(session, name, service.find_unit(session, unit, jurisdiction))
        self.logins.append(made.login)
        return made

    def url(self, login: str) -> str:
        return make_url(self.db.url).set(username=login, query={}).render_as_string(hide_password=False)

    def connect(self, login: str) -> Database:
        return Database(self.url(login))

    def raw(self, login: str) -> psycopg.Connection:
        return psycopg.connect(self.url(login).replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def drop_roles(self) -> None:
        with self.db.engine.begin() as conn:
            existing = set(conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:r)"),
                                        {"r": self.logins + [self.group]}).scalars())
            for role in [*self.logins, self.group]:
                if role in existing:
                    conn.execute(text(f'DROP OWNED BY "{role}"'))
                    conn.execute(text(f'DROP ROLE "{role}"'))


@pytest.fixture
def shared(loaded_db):
    if loaded_db.engine.dialect.name != "postgresql":
        pytest.skip("the shared deployment is PostgreSQL's")
    place = Shared(loaded_db)
    yield place
    place.drop_roles()


def _assignment(db, plan: str, task: str, unit: str, jurisdiction: str) -> int:
    with db.reading() as session:
        detail = service.task_detail(session, plan, task)
        target = service.find_unit(session, unit, jurisdiction)
        return next(a.assignment_id for a in detail.assignments if a.unit_id == target.id)


def _said(result) -> str:
    return result.output + str(result.exception or "")


def _history(db, plan: str, task: str):
    with db.reading() as session:
        return service.history(session, plan, task)


def test_a_liaisons_own_update_lands_under_its_own_name(shared):
    made = shared.grant("苏秀兰", "市统计局", "吉林市")
    assert made.password and made.connection_line == f"postgresql://{made.login}@127.0.0.1:5432/test"
    assert made.pgpass_line == f"127.0.0.1:5432:test:{made.login}:{made.password}"
    liaison = shared.connect(made.login)
    try:
        with liaison.transaction() as session:
            me = access.connected_liaison(session)
            assert (me.liaison, me.unit, me.jurisdiction) == ("苏秀兰", "市统计局", "吉林市")
            stats = service.find_unit(session, "市统计局", "吉林市")
            entry = record(session, plan_key=JILIN, task_key="5.3.1", unit=stats,
                                          status="in_progress", percent=40)
        assert entry.author == "苏秀兰"
    finally:
        liaison.dispose()
    (row,) = _history(shared.db, JILIN, "5.3.1")
    assert (row.author, row.percent) == ("苏秀兰", 40)


def test_another_units_row_is_refused_by_the_service_and_by_the_database(shared):
    made = shared.grant("苏秀兰", "市统计局", "吉林市")
    other = _assignment(shared.db, QINGDAO, "3.3.2", "市商务局", "青岛市")
    liaison = shared.connect(made.login)
    try:
        with pytest.raises(PermissionDenied, match="你以吉林市市统计局联络员苏秀兰的身份连接数据库"):
            with liaison.transaction() as session:
                record(session, plan_key=QINGDAO, task_key="3.3.2",
                                      unit=service.find_unit(session, "市商务局", "青岛市"), status="done",
                                      acting_unit=service.find_unit(session, "市商务局", "青岛市"))
    finally:
        liaison.dispose()
    with shared.raw(made.login) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO status_update (assignment_id, status, recorded_at, chain_hash) "
                         "VALUES (%s, 'done', now(), '')", (other,))
        # row-level security hides the row from an UPDATE: nothing is changed
        assert conn.execute("UPDATE assignment SET status = 'done' WHERE id = %s", (other,)).rowcount == 0
        for statement in ("UPDATE status_update SET note = 'x'", "DELETE FROM status_update",
                          "DELETE FROM assignment", "UPDATE assignment SET unit_id = unit_id",
                          "UPDATE plan SET title = 'x'", "SELECT * FROM feed_token"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert _history(shared.db, QINGDAO, "3.3.2") == []
    with shared.db.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM assignment WHERE id = :a"), {"a": other}).scalar() == "not_started"


def test_by_or_as_someone_else_is_refused(shared):
    made = shared.grant("苏秀兰", "市统计局", "吉林市")
    liaison = shared.connect(made.login)
    try:
        for kwargs, message in (({"by": "另一位联络员"}, "进度只能以此姓名记录"),
                                ({"acting_unit": "市发改委"}, "不能代表市发改委")):
            with pytest.raises(PermissionDenied, match=message):
                with liaison.transaction() as session:
                    stats = service.find_unit(session, "市统计局", "吉林市")
                    if "acting_unit" in kwargs:
                        kwargs = {"acting_unit": service.find_unit(session, kwargs["acting_unit"], "吉林市")}
                    record(session, plan_key=JILIN, task_key="5.3.1", unit=stats, status="done",
                                          **kwargs)
        with liaison.transaction() as session:  # repeating who one is, is fine
            record(session, plan_key=JILIN, task_key="5.3.1", by="苏秀兰",
                                  unit=service.find_unit(session, "市统计局", "吉林市"), status="in_progress")
    finally:
        liaison.dispose()
    assert [e.author for e in _history(shared.db, JILIN, "5.3.1")] == ["苏秀兰"]


def test_a_coordinator_may_act_on_its_plan_and_not_another(shared):
    made = shared.grant("王敏", "市发展改革委", "青岛市")
    liaison = shared.connect(made.login)
    try:
        with liaison.transaction() as session:
            entry = record(session, plan_key=QINGDAO, task_key="3.3.2", status="in_progress",
                                          unit=service.find_unit(session, "市商务局", "青岛市"))
        assert (entry.unit, entry.author) == ("市商务局", "王敏")
        with pytest.raises(PermissionDenied, match="不能更新市统计局在任务 5.3.1 上的进展"):
            with liaison.transaction() as session:
                record(session, plan_key=JILIN, task_key="5.3.1", status="done",
                                      unit=service.find_unit(session, "市统计局", "吉林市"))
    finally:
        liaison.dispose()
    jilin = _assignment(shared.db, JILIN, "5.3.1", "市统计局", "吉林市")
    with shared.raw(made.login) as conn:  # and the database says the same without the tracker
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO status_update (assignment_id, status, recorded_at, chain_hash) "
                         "VALUES (%s, 'done', now(), '')", (jilin,))
    assert _history(shared.db, JILIN, "5.3.1") == []
    assert [e.unit for e in _history(shared.db, QINGDAO, "3.3.2")] == ["市商务局"]


def test_the_recorded_author_and_time_are_the_connections_whatever_the_client_sends(shared):
    made = shared.grant("苏秀兰", "市统计局", "吉林市")
    own = _assignment(shared.db, JILIN, "5.3.1", "市统计局", "吉林市")
    with shared.db.reading() as session:
        someone = service.find_unit(session, "市发改委", "吉林市").id
    with shared.raw(made.login) as conn:
        before = conn.execute("SELECT now()").fetchone()[0]
        conn.execute("INSERT INTO status_update (assignment_id, status, author, recorded_by_unit_id, recorded_at, "
                     "chain_hash) VALUES (%s, 'done', '冒名者', %s, '2020-01-01', 'forged')", (own, someone))
    (row,) = _history(shared.db, JILIN, "5.3.1")
    assert row.author == "苏秀兰" and row.recorded_at >= before
    with shared.db.engine.connect() as conn:
        stored = conn.execute(text("SELECT recorded_by_unit_id, chain_hash FROM status_update")).one()
    assert stored[0] != someone and stored[1] != "forged"
    assert row.recorded_at > datetime(2020, 1, 2, tzinfo=timezone.utc)


def test_a_revoked_role_cannot_connect(shared):
    made = shared.grant("苏秀兰", "市统计局", "吉林市")
    with shared.raw(made.login) as conn:
        assert conn.execute("SELECT session_user").fetchone()[0] == made.login
    with shared.db.transaction() as session:
        assert access.revoke(session, "苏秀兰", service.find_unit(session, "市统计局", "吉林市")) == [made.login]
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        shared.raw(made.login).close()
    with shared.db.reading() as session:
        (record,) = access.logins(session)
    assert record.revoked_at is not None and not record.role_exists


def test_doctor_sees_access_on_and_a_role_with_more_rights_than_it_should_have(shared):
    made = shared.grant("苏秀兰", "市统计局", "吉林市")
    with shared.db.reading() as session:
        report = access.report(session)
    assert (report.enabled, report.logins, report.excess) == (True, 1, [])
    with shared.db.engine.begin() as conn:
        conn.execute(text(f'GRANT DELETE ON status_update TO "{made.login}"'))
        conn.execute(text(f'GRANT UPDATE (unit_id) ON assignment TO "{made.login}"'))
    with shared.db.reading() as session:
        assert access.report(session).excess == [(made.login, "UPDATE on assignment"),
                                                 (made.login, "DELETE on status_update")]


# ---------------------------------------------------------------------- as the administrator and a liaison run it


def test_the_commands_an_administrator_and_a_liaison_run(shared, tracker_cli):
    assert tracker_cli("access", "enable").exit_code == 0  # again: nothing changes
    result = tracker_cli("access", "grant", "苏秀兰", "--unit", "市统计局", "-j", "吉林市")
    assert result.exit_code == 0, result.output
    login = result.output.split("数据库角色 ")[1].split()[0]
    shared.logins.append(login)
    assert f"postgresql://{login}@127.0.0.1:5432/test" in result.output and "只显示这一次" in result.output
    again = tracker_cli("access", "grant", "苏秀兰", "--unit", "市统计局", "-j", "吉林市")
    assert again.exit_code != 0 and "如需新建" in _said(again)
    listed = tracker_cli("access", "list")
    assert login in listed.output and "有效" in listed.output

    me = Cli(shared.url(login))
    done = me("status", "set", "5.3.1", "--plan", JILIN, "--unit", "市统计局", "-j", "吉林市", "--status", "推进中",
              "--percent", "20")
    assert done.exit_code == 0, done.output
    for extra, message in ((["--by", "另一位联络员"], "not 另一位联络员"),
                           (["--as", "市发改委"], "you cannot act as 市发改委")):
        refused = me("--lang", "en", "status", "set", "5.3.1", "--plan", JILIN, "--unit", "市统计局", "-j", "吉林市",
                     "--status", "已完成", *extra)
        assert isinstance(refused.exception, PermissionDenied)  # exit code 4 when run as `tracker`
        assert "connected as 苏秀兰 of 市统计局" in _said(refused) and message in _said(refused)
    assert [(e.author, e.percent) for e in _history(shared.db, JILIN, "5.3.1")] == [("苏秀兰", 20)]

    doctor = tracker_cli("doctor")
    assert doctor.exit_code == 0, doctor.output
    assert "访问控制\uff1a已开启\uff0c1个联络员角色" in doctor.output

    assert tracker_cli("access", "revoke", "苏秀兰", "--unit", "市统计局", "-j", "吉林市").exit_code == 0
    assert "已收回" in tracker_cli("access", "list").output
    gone = me("tasks", "--unit", "市统计局", "-j", "吉林市")
    assert gone.exit_code != 0 and "does not exist" in _said(gone)


def test_the_app_opens_as_the_connected_liaison_whatever_tui_toml_says(shared, tmp_path, monkeypatch):
    from tracker.tui.identity import Identity, remember, resolve

    monkeypatch.setenv("TRACKER_CONFIG_DIR", str(tmp_path / "config"))
    with shared.db.reading() as session:
        commerce = service.find_unit(session, "市商务局", "青岛市")
        remember(Identity(commerce.id, "市商务局", "青岛市", "别人"))
    made = shared.grant("苏秀兰", "市统计局", "吉林市")
    liaison = shared.connect(made.login)
    try:
        with liaison.reading() as session:
            start = resolve(session, as_unit=None, jurisdiction=None, liaison=None)
            assert (start.unit, start.jurisdiction, start.liaison, start.connected) == ("市统计局", "吉林市", "苏秀兰", True)
            assert resolve(session, as_unit="市统计局", jurisdiction="吉林市", liaison="苏秀兰") == start
            with pytest.raises(PermissionDenied, match="不能代表市商务局"):
                resolve(session, as_unit="市商务局", jurisdiction="青岛市", liaison=None)
    finally:
        liaison.dispose()


def test_access_control_is_the_shared_deployments(loaded_db, tracker_cli):
    if loaded_db.engine.dialect.name != "sqlite":
        pytest.skip("the embedded file's answer")
    result = tracker_cli("access", "enable")
    assert result.exit_code != 0 and "内嵌 SQLite 文件只受文件读写权限保护" in _said(result)
    assert "access control: the embedded SQLite file, protected only" in tracker_cli("--lang", "en", "doctor").output


def test_grant_before_enable_and_a_taken_role_name_are_refused(loaded_db, tracker_cli):
    if loaded_db.engine.dialect.name != "postgresql":
        pytest.skip("the shared deployment is PostgreSQL's")
    before = tracker_cli("--lang", "en", "access", "grant", "苏秀兰", "--unit", "市统计局", "-j", "吉林市")
    assert before.exit_code != 0 and "run `tracker access enable` first" in _said(before)
    place = Shared(loaded_db)
    try:
        taken = tracker_cli("--lang", "en", "access", "grant", "苏秀兰", "--unit", "市统计局", "-j", "吉林市",
                            "--login", "postgres")
        assert taken.exit_code != 0 and "a database role named postgres exists already" in _said(taken)
        with loaded_db.reading() as session:
            assert access.logins(session) == []
    finally:
        place.drop_roles()


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_the_app_as_a_liaisons_own_role_keeps_its_unit(shared, tmp_path, monkeypatch):
    from tracker.tui.app import TrackerApp
    from tracker.tui.identity import resolve
    from tracker.tui.screens.tasks import TasksScreen

    from .tui_helpers import message, settle

    monkeypatch.setenv("TRACKER_CONFIG_DIR", str(tmp_path / "config"))
    made = shared.grant("苏秀兰", "市统计局", "吉林市")
    liaison = shared.connect(made.login)
    try:
        with liaison.reading() as session:
            start = resolve(session, as_unit=None, jurisdiction=None, liaison=None)
        app = TrackerApp(liaison, start=start)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, TasksScreen)  # no unit prompt
            assert "市统计局" in app.whoami() and "苏秀兰" in app.whoami()
            app.action_change_unit()
            await settle(pilot)
            assert isinstance(app.screen, TasksScreen) and "不能更换单位" in message(app)
    finally:
        liaison.dispose()
