"""Loading plan files: idempotent by task key, history kept, bad input refused with nothing written."""

import shutil

import pytest
from sqlalchemy import func, select

from tracker.errors import TrackerError
from tracker.service.loading import load_paths
from tracker.planfile import read_plan
from tracker.store.models import Assignment, Plan, StatusUpdate, Task, Unit

from .conftest import PLANS, snapshot
from .recording import record

QINGDAO = "qingdao-2020-service-clusters"


def _copy_plans(tmp_path):
    target = tmp_path / "plans"
    shutil.copytree(PLANS, target, ignore=shutil.ignore_patterns("sources"))
    return target


def test_bundled_plans_load_with_every_unit_resolved(loaded_db):
    with loaded_db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Plan)) == 3
        assert session.scalar(select(func.count()).select_from(Task).join(Plan).where(Plan.key == QINGDAO)) == 24
        # 各区、市政府 leads 3.2.1: expanded to the ten district governments
        leads = session.execute(
            select(Unit.name, Assignment.source).join(Assignment.unit).join(Assignment.task).join(Task.plan)
            .where(Plan.key == QINGDAO, Task.key == "3.2.1", Assignment.role == "lead")).all()
        assert len(leads) == 10 and {s for _, s in leads} == {"expanded"}
        # 003's carry-forward group is inherited by every task
        inherited = session.scalar(
            select(func.count()).select_from(Assignment).join(Assignment.task).join(Task.plan)
            .where(Plan.key == "jilin-2021-cluster-upgrade", Assignment.source == "inherited"))
        assert inherited == 23


def test_load_twice_changes_nothing(loaded_db):
    before = snapshot(loaded_db.url)[1]
    _, changes = load_paths(loaded_db, [PLANS])
    assert not any(c.changed for c in changes)
    after = snapshot(loaded_db.url)[1]
    # only the plan's loaded_at moves
    assert {k: v for k, v in before.items() if k != "plan"} == {k: v for k, v in after.items() if k != "plan"}


def test_revised_plan_keeps_history_and_archives(db, tmp_path):
    from tracker import service

    plans = _copy_plans(tmp_path)
    load_paths(db, [plans])
    with db.transaction() as session:
        unit = service.find_unit(session, "市发改委", "青岛市")
        record(session, plan_key=QINGDAO, task_key="3.1.2", unit=unit, status="in_progress",
                              percent=40, note="规划编制中", by="王敏")
    path = plans / f"{QINGDAO}.toml"
    text = path.read_text(encoding="utf-8")
    # revise: a new deadline for 3.1.2, task 3.7.5 dropped, a unit added to 3.1.1
    text = text.replace('key = "3.1.2"\nsection = "3.1"\n', 'key = "3.1.2"\nsection = "3.1"\ndeadline = 2021-06-30\n')
    start = text.index('[[tasks]]\nkey = "3.7.5"')
    end = text.index("[[targets]]")
    text = text[:start] + text[end:]
    text = text.replace('lead = ["市自然资源和规划局"]\nresponsible = ["市发展改革委"]',
                        'lead = ["市自然资源和规划局"]\nresponsible = ["市发展改革委", "市财政局"]')
    path.write_text(text, encoding="utf-8")

    _, dry = load_paths(db, [plans], dry_run=True)
    qingdao = next(c for c in dry if c.plan == QINGDAO)
    assert qingdao.archived == ["3.7.5"] and set(qingdao.updated) == {"3.1.1", "3.1.2"}
    with db.reading() as session:  # the dry run wrote nothing
        assert not session.scalar(select(Task.archived).join(Plan).where(Plan.key == QINGDAO, Task.key == "3.7.5"))

    load_paths(db, [plans])
    with db.reading() as session:
        task = session.scalar(select(Task).join(Plan).where(Plan.key == QINGDAO, Task.key == "3.1.2"))
        assert str(task.due_on) == "2021-06-30" and task.sequence == 1
        assert session.scalar(select(Task.archived).join(Plan).where(Plan.key == QINGDAO, Task.key == "3.7.5"))
        history = session.scalars(select(StatusUpdate)).all()
        assert [(h.status, h.percent, h.note) for h in history] == [("in_progress", 40, "规划编制中")]
        rows = service.unit_tasks(session, service.find_unit(session, "市财政局", "青岛市"), plan_key=QINGDAO)
        assert "3.1.1" in [r.key for r in rows]


BAD_INPUTS = {
    "unknown unit": ('responsible = ["市发展改革委"]', 'responsible = ["市发展改革局"]', r"青岛市没有单位 '市发展改革局'.*市发展改革委"),
    "malformed date": ("period_end = 2022-12-31", 'period_end = "2022-13-45"', "period_end\uff1a应为日期"),  # file:line, the field, what it must be
    "duplicate key": ('key = "3.1.2"', 'key = "3.1.1"', "任务编号 '3.1.1' 重复"),
    "syntax error": ('title = "重点任务"', 'title = "重点任务', "TOML 语法错误"),
    "bad deadline": ('deadline_phrase = "力争到2022年"', 'deadline_phrase = "力争到2022年"\ndeadline = "soon"', None),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_plan_file_leaves_database_unchanged(case, loaded_db, tmp_path, tracker_cli):
    old, new, message = BAD_INPUTS[case]
    plans = _copy_plans(tmp_path)
    path = plans / f"{QINGDAO}.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    before = snapshot(loaded_db.url)
    result = tracker_cli("plan", "load", str(plans))
    assert result.exit_code != 0
    error = str(result.exception) if result.exception else result.output
    assert f"{QINGDAO}.toml:" in error  # names the file and line
    if message:
        import re
        assert re.search(message, error), error
    assert snapshot(loaded_db.url) == before


def test_error_names_the_line_of_the_unknown_unit(tmp_path):
    plans = _copy_plans(tmp_path)
    path = plans / f"{QINGDAO}.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line == 'responsible = ["市科技局", "市工业和信息化局"]')
    lines[number - 1] = 'responsible = ["市科技局", "市工业信息局"]'
    path.write_text("\n".join(lines), encoding="utf-8")
    from tracker.store.sync import validate_plan_units
    from tracker.registry import Registry

    errors = validate_plan_units(read_plan(path), Registry.load(plans / "units.toml"))
    assert [e.where for e in errors] == [f"{path}:{number}"]
    assert "市工业和信息化局" in str(errors[0])


def test_missing_file_is_an_error(db, tmp_path):
    with pytest.raises(TrackerError, match="没有这个文件或文件夹"):
        load_paths(db, [tmp_path / "nope.toml"])
