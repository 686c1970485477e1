"""A task breakdown table (任务分解表) in a workbook → a plan file for review.

The main test lays seed 001's tasks out as an office would (the reviewed plan file is the
truth): a 重点任务 column merged over its measures, lead units merged where they repeat, unit
names written in their everyday forms, deadlines as phrases or date cells. The draft must hold
the same sections, tasks, units and deadlines as the reviewed plan file, and load."""

from __future__ import annotations

import json
from datetime import datetime

import openpyxl
import pytest
from openpyxl.styles import Alignment

from tracker.ledger.export import chinese_number
from tracker.planfile import read_plan
from tracker.registry import Registry

from .conftest import PLANS

QINGDAO = PLANS / "qingdao-2020-service-clusters.toml"
HEADER = ["序号", "重点任务", "具体措施", "牵头单位", "责任单位", "完成时限"]
# how offices write some of these units day to day; the registry knows them all
EVERYDAY = {"市发展改革委": "市发改委", "市工业和信息化局": "市工信局", "市商务局": "青岛市商务局"}


def deadline_cell(task):
    """What a person types in 完成时限: the plan's phrase, a date, or nothing (the plan's end)."""
    kind = task.deadline.kind
    if kind == "plan_end":
        return None
    if task.deadline.phrase:
        return task.deadline.phrase
    if kind == "date":
        return datetime.combine(task.deadline.due_on, datetime.min.time())
    return "长期坚持" if kind == "ongoing" else None


def units_cell(names, trailer=""):
    return "、".join(EVERYDAY.get(n, n) for n in names) + trailer if names else None


def merge_runs(ws, column, first_row, values):
    """Merge consecutive equal cells of a column, as offices do for a unit leading several rows."""
    start = first_row
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start - first_row] or values[i] is None:
            if i - 1 > start - first_row and values[start - first_row] is not None:
                ws.merge_cells(start_row=start, start_column=column, end_row=first_row + i - 1, end_column=column)
            start = first_row + i


def seed_001_workbook(path):
    plan = read_plan(QINGDAO)
    sections = {s.key: s.title for s in plan.sections}
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "任务分解"
    ws.append([f"《{plan.title}》重点任务分解表"])
    ws.merge_cells("A1:F1")
    ws.append([plan.document_number])
    ws.append(["序号", "重点\n任务", "具体措施", "牵头部门", "责任单位", "时间节点"])  # as offices label them
    ws.append(["三、重点任务"])
    ws.merge_cells("A4:F4")
    first = ws.max_row + 1
    key_tasks, leads = [], []
    for n, task in enumerate(plan.tasks, start=1):
        number = chinese_number(int(task.section.rsplit(".", 1)[1]))
        key_task = f"({number}){sections[task.section]}"
        # one list written with the words the text ingest strips
        trailer = "等按职责分工负责" if task.key == "3.2.1" else ""
        ws.append([n, key_task, task.text, units_cell(task.lead), units_cell(task.responsible, trailer),
                   deadline_cell(task)])
        key_tasks.append(key_task)
        leads.append(units_cell(task.lead))
    for row in ws.iter_rows(min_row=first):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    merge_runs(ws, 2, first, key_tasks)
    merge_runs(ws, 4, first, leads)
    # the layout really has merged key tasks and merged leads
    merged_columns = [r.min_col for r in ws.merged_cells.ranges if r.max_row > r.min_row]
    assert merged_columns.count(2) == 6 and merged_columns.count(4) >= 1  # 3.2 has one task: nothing to merge
    book.save(path)
    return plan


def test_seed_001_as_a_breakdown_table_gives_the_reviewed_plan(tracker_cli, tmp_path):
    reviewed = seed_001_workbook(tmp_path / "分解表.xlsx")
    out = tmp_path / "qingdao-2020-breakdown.toml"
    result = tracker_cli("ledger", "import-plan", str(tmp_path / "分解表.xlsx"), "--jurisdiction", "青岛市",
                         "-o", str(out), "--period-start", "2020-11-19", "--period-end", "2022-12-31")
    assert result.exit_code == 0, result.output
    assert "24项任务" in result.output
    draft = read_plan(out)
    assert draft.key == "qingdao-2020-breakdown"
    assert draft.title == reviewed.title and draft.document_number == "青政字〔2020〕30号"
    assert [(s.key, s.title) for s in draft.sections] == [(s.key, s.title) for s in reviewed.sections]
    registry = Registry.load(PLANS / "units.toml")

    def canonical(names):
        return [registry.resolve("青岛市", n).name for n in names]

    assert len(draft.tasks) == len(reviewed.tasks) == 24
    for got, want in zip(draft.tasks, reviewed.tasks):
        assert (got.key, got.section, got.text) == (want.key, want.section, want.text)
        assert got.lead == canonical(want.lead), got.key
        assert got.responsible == canonical(want.responsible), got.key
        assert got.deadline.to_json() == want.deadline.to_json(), got.key
    # and it loads as it stands
    result = tracker_cli("plan", "load", str(PLANS / "units.toml"), str(out))
    assert result.exit_code == 0, result.output
    tasks = json.loads(tracker_cli("tasks", "-u", "市发改委", "-j", "青岛市", "--plan", draft.key, "--json").output)
    assert [t["key"] for t in tasks if t["role"] == "lead"] == ["3.1.2", "3.5.1", "3.6.3", "3.6.5", "3.7.1", "3.7.4",
                                                                 "3.7.5"]


def write_table(path, rows, merges=(), title="《测试行动计划》任务分解表"):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "分解表"
    ws.append([title])
    for row in rows:
        ws.append(row)
    for merge in merges:
        ws.merge_cells(merge)
    book.save(path)
    return path


def import_plan(cli, path, *args):
    return cli("ledger", "import-plan", str(path), "-j", "青岛市", *args)


def test_unknown_units_are_named_with_their_place_and_closest_names(tracker_cli, tmp_path):
    path = write_table(tmp_path / "t.xlsx", [
        HEADER,
        [1, "招商", "引进项目", "市发展改革局", "市商务局、市招商局", "2022年底前"],
        [2, None, "建设平台", None, "市商务局", "2022年6月底前"],
    ], merges=["B3:B4", "D3:D4"])
    out = tmp_path / "draft.toml"
    result = import_plan(tracker_cli, path, "-o", str(out))
    assert result.exit_code != 0
    message = str(result.exception)
    assert "2个单位名称未能识别\uff08草稿已写出\uff0c修正后才能加载\uff09" in message
    # the merged lead is reported once, at the cell where it is written
    assert "t.xlsx 工作表「分解表」第3行「牵头单位」列：未知单位「市发展改革局」（青岛市）；最接近的已知名称：市发展改革委" in message
    assert message.count("市发展改革局") == 1
    assert "第3行「责任单位」列：未知单位「市招商局」（青岛市）；最接近的已知名称：市商务局" in message
    draft = read_plan(out)  # written for review, the unknown names as written
    assert [t.lead for t in draft.tasks] == [["市发展改革局"], ["市发展改革局"]]
    assert "请核对：" in out.read_text(encoding="utf-8")
    assert [t.deadline.to_json() for t in draft.tasks] == ["2022-12-31", "2022-06-30"]


def test_ditto_and_a_responsible_column_beside_a_supporting_one(tracker_cli, tmp_path):
    path = write_table(tmp_path / "t.xlsx", [
        ["序号", "工作任务", "责任单位", "配合单位", "完成时间"],
        [1, "编制集聚区发展规划", "市发改委", "各区、市政府", "每年2月底前"],
        [2, "建设公共服务平台", "同上", "市商务局", "长期坚持"],
    ])
    out = tmp_path / "test-plan.toml"
    result = import_plan(tracker_cli, path, "-o", str(out))
    assert result.exit_code == 0, result.output
    draft = read_plan(out)
    assert [(t.key, t.lead, t.responsible) for t in draft.tasks] == [
        ("1", ["市发展改革委"], ["各区、市政府"]), ("2", ["市发展改革委"], ["市商务局"])]
    assert [t.deadline.to_json() for t in draft.tasks] == [{"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"}, "ongoing"]
    assert draft.title == "测试行动计划"


def test_sheets_become_sections(tracker_cli, tmp_path):
    book = openpyxl.Workbook()
    for i, name in enumerate(["招商引资", "平台建设"]):
        ws = book.active if i == 0 else book.create_sheet()
        ws.title = name
        ws.append(HEADER)
        ws.append([1, None, f"{name}措施一", "市商务局", None, "2022年底前"])
        ws.append([2, None, f"{name}措施二", "市科技局", None, "2021年" if i else 2021])
    book.save(tmp_path / "t.xlsx")
    out = tmp_path / "sheets.toml"
    result = import_plan(tracker_cli, tmp_path / "t.xlsx", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "注意" not in result.output
    draft = read_plan(out)
    assert [(s.key, s.title) for s in draft.sections] == [("1", "招商引资"), ("2", "平台建设")]
    assert [t.key for t in draft.tasks] == ["1.1", "1.2", "2.1", "2.2"]
    assert [t.deadline.to_json() for t in draft.tasks] == ["2022-12-31", "2021-12-31"] * 2


def test_an_unreadable_deadline_is_kept_for_the_reviewer(tracker_cli, tmp_path):
    path = write_table(tmp_path / "t.xlsx", [HEADER, [1, None, "开展培训", "市商务局", None, "视情况而定"]])
    result = import_plan(tracker_cli, path, "--key", "k")
    assert result.exit_code == 0, result.output
    assert "t.xlsx 工作表「分解表」第3行「完成时限」列：读不出完成时限「视情况而定」" in result.output
    assert 'deadline_phrase = "视情况而定"' in result.output


@pytest.mark.parametrize("rows, message", [
    ([["名称", "地址"], ["甲", "乙"]], "没有找到任务分解表的表头"),
    ([["序号", "重点任务", "完成时限"], [1, "任务", "2022年"]], "第2行：缺少「牵头单位」或「责任单位」列"),
    ([HEADER], "分解表中没有任务行"),
])
def test_tables_that_cannot_be_read_are_refused(tracker_cli, tmp_path, rows, message):
    path = write_table(tmp_path / "t.xlsx", rows)
    out = tmp_path / "draft.toml"
    result = import_plan(tracker_cli, path, "-o", str(out))
    assert result.exit_code != 0
    assert message in str(result.exception)
    assert not out.exists()


def test_a_reviewed_plan_file_is_not_overwritten(tracker_cli, tmp_path):
    path = write_table(tmp_path / "t.xlsx", [HEADER, [1, None, "开展培训", "市商务局", None, "2022年"]])
    out = tmp_path / "reviewed.toml"
    out.write_text("# reviewed\n", encoding="utf-8")
    result = import_plan(tracker_cli, path, "-o", str(out))
    assert result.exit_code != 0 and "--force" in str(result.exception)
    assert out.read_text(encoding="utf-8") == "# reviewed\n"
    assert import_plan(tracker_cli, path, "-o", str(out), "--force").exit_code == 0
    assert read_plan(out).key == "reviewed"


def test_not_a_spreadsheet(tracker_cli, tmp_path):
    path = tmp_path / "分解表.xlsx"
    path.write_text("一、重点任务", encoding="utf-8")
    result = import_plan(tracker_cli, path, "--key", "k")
    assert result.exit_code != 0 and "分解表.xlsx\uff1a不是电子表格文件" in str(result.exception)


def test_full_width_cells_and_headings_as_published(tracker_cli, tmp_path):
    """Offices paste published text into their tables: ，between names and （二） headings."""
    comma, open_, close = "\uff0c", "\uff08", "\uff09"
    path = write_table(tmp_path / "t.xlsx", [
        HEADER,
        ["三、重点任务", None, None, None, None, None],
        [f"{open_}二{close}实施平台支撑行动", None, None, None, None, None],
        [1, None, "建设公共服务平台", f"市发展改革委{comma}市财政局", f"各区{chr(0x3001)}市政府", "2022年底前"],
    ])
    out = tmp_path / "fw.toml"
    result = import_plan(tracker_cli, path, "-o", str(out))
    assert result.exit_code == 0, result.output
    draft = read_plan(out)
    [task] = draft.tasks
    assert task.lead == ["市发展改革委", "市财政局"] and task.responsible == ["各区、市政府"]
    assert task.section == "3.2" and [s.title for s in draft.sections] == ["重点任务", "实施平台支撑行动"]
