"""The spreadsheet ledger: export, a person editing it in a spreadsheet program (openpyxl
here), and the returned progress coming back in, or being refused with its sheet, row, column."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date

import openpyxl
import pytest

from tracker import clock, service
from tracker.ledger.export import urgency
from tracker.service.ledger import ledger

from .conftest import PLANS, snapshot

RETURNS = ("ledger_return",)  # a returned ledger is a report (报送), changed rows or not


def returned(url: str) -> list[tuple[str, int]]:
    """The ledgers returned so far: (unit, rows that recorded an update)."""
    from sqlalchemy import select

    from tracker.store.db import Database
    from tracker.store.models import LedgerReturn, Unit

    db = Database(url)
    with db.reading() as session:
        rows = session.execute(select(Unit.name, LedgerReturn.changed).join(Unit, Unit.id == LedgerReturn.unit_id)
                               .order_by(LedgerReturn.id)).all()
    db.dispose()
    return [tuple(row) for row in rows]

JILIN = "jilin-2021-cluster-upgrade"
QINGDAO = "qingdao-2020-service-clusters"
COMMERCE_TASKS = ["3.2.1", "3.5.1", "3.6.1", "3.7.1", "4.1.1"]  # 吉林市 市商务局's tasks in the Jilin plan


@pytest.fixture
def cli(tracker_cli):
    result = tracker_cli("plan", "load", str(PLANS))
    assert result.exit_code == 0, result.output
    return tracker_cli


def export(cli, path, *args, today="2021-06-01"):
    result = cli("ledger", "export", "-o", str(path), *args, today=today)
    assert result.exit_code == 0, result.output
    return path


def history_count(cli, plan, key):
    result = cli("history", key, "--plan", plan, "--json")
    assert result.exit_code == 0, result.output
    return len(json.loads(result.output))


def all_history(cli, plan, keys):
    return {k: history_count(cli, plan, k) for k in keys}


class Ledger:
    """A returned workbook as a person edits it: cells found by the header and the task key."""

    def __init__(self, path):
        self.path = path
        self.book = openpyxl.load_workbook(path)
        self.ws = self.book["台账"]
        self.header_row = next(r for r in range(1, 10) if self.ws.cell(r, 2).value == "任务编号")
        self.columns = {self.ws.cell(self.header_row, c).value: c for c in range(1, self.ws.max_column + 1)}

    def keys(self):
        return [self.ws.cell(r, self.columns["任务编号"]).value for r in range(self.header_row + 1, self.ws.max_row + 1)
                if self.ws.cell(r, self.columns["任务编号"]).value]

    def row_of(self, key):
        return next(r for r in range(self.header_row + 1, self.ws.max_row + 1)
                    if self.ws.cell(r, self.columns["任务编号"]).value == key)

    def cell(self, key, column):
        return self.ws.cell(self.row_of(key), self.columns[column])

    def set(self, key, column, value):
        self.cell(key, column).value = value

    def save(self, path=None):
        self.book.save(path or self.path)
        return path or self.path


def commerce_ledger(cli, tmp_path):
    return Ledger(export(cli, tmp_path / "ledger.xlsx", "--plan", JILIN, "--unit", "市商务局"))


def import_progress(cli, path, *args, unit="市商务局", today="2021-06-02"):
    return cli("ledger", "import-progress", str(path), "--unit", unit, *args, today=today)


# ---------------------------------------------------------------------- round trip


def test_round_trip_records_exactly_the_changed_rows_once(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    assert sheet.keys() == COMMERCE_TASKS
    # as a person would: pick a status from the drop-down, type a percent, write a note
    sheet.set("3.5.1", "状态", "推进中")
    sheet.set("3.5.1", "完成进度", 40)
    sheet.set("3.5.1", "进展情况", "已完成选址论证")
    sheet.set("3.6.1", "状态", "推进中")
    sheet.cell("3.6.1", "完成进度").value = 0.8  # typed as 80% in Excel: a fraction in a percent cell
    sheet.cell("3.6.1", "完成进度").number_format = "0%"
    sheet.set("3.7.1", "状态", "已完成")
    sheet.save()
    before = all_history(cli, JILIN, COMMERCE_TASKS)

    result = import_progress(cli, sheet.path)
    assert result.exit_code == 0, result.output
    assert "已记录3条进展\uff08填报人 邹全发\uff09\uff0c2行无变化" in result.output
    after = all_history(cli, JILIN, COMMERCE_TASKS)
    assert {k: after[k] - before[k] for k in COMMERCE_TASKS} == {"3.2.1": 0, "3.5.1": 1, "3.6.1": 1, "4.1.1": 0, "3.7.1": 1}
    entry = json.loads(cli("history", "3.5.1", "--plan", JILIN, "--json").output)[-1]
    assert (entry["unit"], entry["status"], entry["percent"], entry["note"], entry["author"]) == \
        ("市商务局", "in_progress", 40, "已完成选址论证", "邹全发")
    rows = {r["key"]: r for r in json.loads(cli("tasks", "-u", "市商务局", "-j", "吉林市", "--json").output)}
    assert (rows["3.6.1"]["status"], rows["3.6.1"]["percent"]) == ("in_progress", 80)
    assert (rows["3.7.1"]["status"], rows["3.7.1"]["percent"]) == ("done", 100)

    state = snapshot(cli.url, ignore=RETURNS)
    returns = returned(cli.url)
    again = import_progress(cli, sheet.path)
    assert again.exit_code == 0, again.output
    assert "已记录0条进展\uff0c5行无变化" in again.output
    assert snapshot(cli.url, ignore=RETURNS) == state  # nothing but the ledger's return (报送) is recorded
    assert returned(cli.url) == returns + [("市商务局", 0)]


def test_a_fresh_export_shows_what_was_imported(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.5.1", "状态", "滞后")
    sheet.set("3.5.1", "进展情况", "用地指标未落实,6月底前报市政府协调")
    sheet.save()
    assert import_progress(cli, sheet.path, "--by", "王敏").exit_code == 0
    fresh = commerce_ledger(cli, tmp_path)
    assert fresh.cell("3.5.1", "状态").value == "滞后"
    assert fresh.cell("3.5.1", "进展情况").value == "用地指标未落实,6月底前报市政府协调"
    assert fresh.cell("3.5.1", "填报人").value == "王敏"
    assert fresh.cell("3.5.1", "最近更新").value.date() == date(2021, 6, 2)


def test_columns_are_found_by_their_usual_names_wherever_they_are(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    ws, row = sheet.ws, sheet.header_row
    # an office renames headers to its own habits and moves 状态 to the far right
    ws.cell(row, sheet.columns["牵头单位"]).value = "牵头部门"
    ws.cell(row, sheet.columns["完成时限"]).value = "时间节点"
    ws.cell(row, sheet.columns["完成进度"]).value = "进度(%)"
    ws.cell(row, sheet.columns["进展情况"]).value = "工作\n进展"
    status_col = sheet.columns["状态"]
    ws.insert_cols(ws.max_column + 1)
    far = ws.max_column + 1
    for r in range(row, ws.max_row + 1):
        ws.cell(r, far).value = ws.cell(r, status_col).value
        ws.cell(r, status_col).value = None
    ws.cell(row, far).value = "完成状态"
    ws.cell(sheet.row_of("4.1.1"), far).value = "推进中"
    ws.cell(sheet.row_of("4.1.1"), sheet.columns["进展情况"]).value = "已召开推进会"
    sheet.save()
    result = import_progress(cli, sheet.path)
    assert result.exit_code == 0, result.output
    assert "已记录1条进展" in result.output
    entry = json.loads(cli("history", "4.1.1", "--plan", JILIN, "--json").output)[-1]
    assert (entry["status"], entry["note"]) == ("in_progress", "已召开推进会")


def test_dry_run_prints_the_changes_and_writes_nothing(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "推进中")
    sheet.set("3.2.1", "完成进度", 30)
    sheet.save()
    before = snapshot(cli.url)
    result = import_progress(cli, sheet.path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "试运行" in result.output and "3.2.1  未启动 → 推进中 30%" in result.output
    assert "将记录1条进展" in result.output
    assert snapshot(cli.url) == before


def test_the_coordinator_may_not_pass_off_another_units_ledger(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "推进中")
    sheet.save()
    before = snapshot(cli.url)
    result = import_progress(cli, sheet.path, unit="市科技局")
    assert result.exit_code != 0
    assert "这份台账是为市商务局导出的" in str(result.exception)
    assert snapshot(cli.url) == before


def test_a_unit_with_several_liaisons_must_say_who_reports(cli, tmp_path):
    sheet = Ledger(export(cli, tmp_path / "ndrc.xlsx", "--plan", JILIN, "--unit", "市发改委"))
    key = sheet.keys()[0]
    sheet.set(key, "状态", "推进中")
    sheet.save()
    before = snapshot(cli.url)
    result = import_progress(cli, sheet.path, unit="市发改委")
    assert result.exit_code != 0
    assert "有多名联络员（张立新、刘慧），请用 --by 指明填报人" in str(result.exception)
    assert snapshot(cli.url) == before
    assert import_progress(cli, sheet.path, "--by", "刘慧", unit="市发改委").exit_code == 0
    assert json.loads(cli("history", key, "--plan", JILIN, "--json").output)[-1]["author"] == "刘慧"


def test_the_coordinator_returns_a_whole_plan_ledger_for_each_rows_lead(cli, tmp_path):
    sheet = Ledger(export(cli, tmp_path / "all.xlsx", "--plan", QINGDAO))
    sheet.set("3.1.1", "状态", "推进中")  # led by 市自然资源和规划局
    sheet.set("3.3.2", "状态", "已完成")  # led by 市商务局
    sheet.set("3.5.5", "完成进度", 20)  # led first by 市商务局
    sheet.save()
    result = import_progress(cli, sheet.path, "--by", "周强", unit="市发展改革委")
    assert result.exit_code == 0, result.output
    assert "3.1.1  市自然资源和规划局  未启动 → 推进中" in result.output
    assert "已记录3条进展\uff08填报人 周强\uff09\uff0c21行无变化" in result.output
    entry = json.loads(cli("history", "3.1.1", "--plan", QINGDAO, "--json").output)[-1]
    assert (entry["unit"], entry["role"], entry["author"]) == ("市自然资源和规划局", "lead", "周强")
    assert "已记录0条进展" in import_progress(cli, sheet.path, "--by", "周强", unit="市发展改革委").output


def test_a_lead_may_fill_in_only_its_own_rows_of_a_whole_plan_ledger(cli, tmp_path):
    sheet = Ledger(export(cli, tmp_path / "all.xlsx", "--plan", QINGDAO))
    sheet.set("3.3.2", "状态", "推进中")  # its own
    sheet.save()
    result = import_progress(cli, sheet.path, "--by", "李青")
    assert result.exit_code == 0, result.output
    assert "已记录1条进展\uff08填报人 李青\uff09\uff0c23行无变化" in result.output
    sheet.set("3.1.1", "状态", "推进中")  # 市自然资源和规划局's
    sheet.save()
    text = refused(cli, sheet.path, "--by", "李青")
    assert (f"第{sheet.row_of('3.1.1')}行「状态」列：此行是市自然资源和规划局的进展，市商务局不能代为填报"
            in text)


# ---------------------------------------------------------------------- refusals


def refused(cli, path, *args, unit="市商务局"):
    """Import a bad ledger: it must fail, name the place, and leave the database as it was."""
    before = snapshot(cli.url)
    result = import_progress(cli, path, *args, unit=unit)
    assert result.exit_code != 0, result.output
    assert snapshot(cli.url) == before
    return str(result.exception)


@pytest.mark.parametrize("column, value, message", [
    ("任务编号", "9.9.9", "「任务编号」列：计划中没有任务编号「9.9.9」"),
    ("任务编号", "3.1.1", "「任务编号」列：市商务局不是任务 3.1.1 的牵头或责任单位"),
    ("状态", "完成了", "「状态」列：「完成了」不是可用的状态；请从下拉列表中选择：未启动、推进中、已完成、滞后、长期坚持"),
    ("状态", None, "「状态」列：状态为空"),
    ("完成进度", 120, "「完成进度」列：120超出范围；完成进度应在0到100之间"),
    ("完成进度", -5, "「完成进度」列：-5超出范围"),
    ("完成进度", "八成", "「完成进度」列：「八成」不是数字"),
    ("状态", "=IF(TRUE,\"推进中\")", "「状态」列：单元格是公式"),
])
def test_each_bad_cell_is_named_by_sheet_row_and_column(cli, tmp_path, column, value, message):
    sheet = commerce_ledger(cli, tmp_path)
    # the good rows in the same file are not written either
    sheet.set("3.2.1", "状态", "推进中")
    row = sheet.row_of("4.1.1")
    sheet.set("4.1.1", column, value)
    sheet.save()
    text = refused(cli, sheet.path)
    assert f"ledger.xlsx 工作表「台账」第{row}行{message}" in text, text
    assert "未写入任何数据" in text


def test_behind_without_a_note_names_the_progress_column(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.7.1", "状态", "滞后")
    sheet.save()
    text = refused(cli, sheet.path)
    assert f"第{sheet.row_of('3.7.1')}行「进展情况」列：状态为「滞后」时，须在进展情况中写明原因" in text


def test_a_task_key_twice_is_refused(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    first, second = sheet.row_of("3.2.1"), sheet.row_of("3.5.1")
    sheet.set("3.5.1", "任务编号", "3.2.1")
    sheet.save()
    text = refused(cli, sheet.path)
    assert f"第{second}行「任务编号」列：任务编号 3.2.1 重复（已见于 ledger.xlsx 工作表「台账」第{first}行）" in text


def test_an_update_made_after_the_export_is_not_overwritten(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    result = cli("status", "set", "4.1.1", "--plan", JILIN, "--unit", "市商务局", "-j", "吉林市", "--status", "推进中",
                 "--percent", "50", "--by", "邹全发", today="2021-06-01")
    assert result.exit_code == 0, result.output
    sheet.set("4.1.1", "状态", "已完成")
    sheet.save()
    text = refused(cli, sheet.path)
    assert f"第{sheet.row_of('4.1.1')}行「状态」列：导出这份台账之后，邹全发已于" in text
    assert "已于 2021-06-01 12:" in text  # the pinned day's noon, in the plan's zone (04:xx in UTC)
    assert "（现为推进中 50%）" in text


def test_every_problem_is_listed_at_once(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "好")
    sheet.set("3.5.1", "完成进度", 101)
    sheet.set("3.6.1", "任务编号", "8.8")
    sheet.save()
    text = refused(cli, sheet.path)
    assert "台账有3处问题，未写入任何数据" in text
    for key, column in (("3.2.1", "状态"), ("3.5.1", "完成进度")):
        assert f"第{sheet.row_of(key)}行「{column}」列" in text


def test_partial_writes_the_good_rows_and_lists_the_rest(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "推进中")
    sheet.set("3.5.1", "完成进度", 250)
    sheet.set("3.6.1", "状态", "已完成")
    sheet.save()
    before = all_history(cli, JILIN, COMMERCE_TASKS)
    result = import_progress(cli, sheet.path, "--partial")
    assert result.exit_code != 0  # something was left out: a script must notice
    assert "已记录2条进展" in result.output
    assert f"第{sheet.row_of('3.5.1')}行「完成进度」列：250超出范围" in str(result.exception)
    after = all_history(cli, JILIN, COMMERCE_TASKS)
    assert [k for k in COMMERCE_TASKS if after[k] != before[k]] == ["3.2.1", "3.6.1"]


def test_a_missing_status_column_is_refused(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.ws.delete_cols(sheet.columns["状态"])
    sheet.save()
    text = refused(cli, sheet.path)
    assert f"ledger.xlsx 工作表「台账」第{sheet.header_row}行：缺少「状态」列" in text


def test_a_sheet_without_task_keys_is_refused(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.ws.delete_cols(sheet.columns["任务编号"])
    sheet.save()
    assert "没有找到「任务编号」列（「台账」）" in refused(cli, sheet.path)


def test_files_that_are_not_spreadsheets_are_refused(cli, tmp_path):
    good = export(cli, tmp_path / "good.xlsx", "--plan", JILIN, "--unit", "市商务局")
    text_file = tmp_path / "notes.xlsx"
    text_file.write_text("进展情况: 已完成", encoding="utf-8")
    assert "notes.xlsx\uff1a不是电子表格文件" in refused(cli, text_file)
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(good.read_bytes()[:2000])
    assert "cut.xlsx\uff1a工作簿已损坏或不是 Excel 文件" in refused(cli, truncated)
    broken = tmp_path / "broken.xlsx"  # a sound zip whose worksheet XML is damaged
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    assert "broken.xlsx\uff1a工作簿已损坏" in refused(cli, broken)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    assert "old.xls\uff1a这是旧版 Excel 文件（.xls）" in refused(cli, old)
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert "empty.xlsx\uff1a文件是空的" in refused(cli, empty)
    assert "无法读取文件" in refused(cli, tmp_path / "missing.xlsx")


def test_the_plan_is_taken_from_the_file_or_given(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.ws["A2"].value = None  # the title block with the 计划编号 was deleted
    sheet.set("3.2.1", "状态", "推进中")
    sheet.save()
    assert "请用 --plan 指明计划" in refused(cli, sheet.path)
    # the same keys in another plan are other tasks: Qingdao has no 4.1.1
    assert "计划中没有任务编号「4.1.1」" in refused(cli, sheet.path, "--plan", QINGDAO)
    result = import_progress(cli, sheet.path, "--plan", JILIN)
    assert result.exit_code == 0, result.output


def test_english_messages(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "完成进度", 300)
    sheet.set("3.5.1", "状态", "完成了")
    sheet.set("3.7.1", "状态", None)
    sheet.save()
    result = cli("--lang", "en", "ledger", "import-progress", str(sheet.path), "--unit", "市商务局")
    assert result.exit_code != 0
    text = str(result.exception)
    assert text.startswith("3 problems in the ledger; nothing was written:")
    assert f'ledger.xlsx sheet "台账" row {sheet.row_of("3.2.1")} column "完成进度": 300 is outside 0–100' in text
    assert "'完成了' is not a status; choose one of not started, in progress, done, behind, ongoing" in text
    # the ledger's own names (its sheet, its headers, what was typed) are quoted data; no sentence is Chinese
    words = re.sub(r'"[^"]*"|\'[^\']*\'', "", text)
    assert not re.search("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", words), words


# ---------------------------------------------------------------------- the exported file


def test_export_layout_prints_on_a4_landscape_with_a_frozen_header(cli, tmp_path):
    path = export(cli, tmp_path / "all.xlsx", "--plan", QINGDAO, today="2022-12-20")
    ws = openpyxl.load_workbook(path)["台账"]
    assert ws["A1"].value == "青岛市加快现代服务业集聚区发展行动计划(2020—2022年)重点任务推进台账"
    assert "青政字〔2020〕30号" in ws["A2"].value and "计划编号：qingdao-2020-service-clusters" in ws["A2"].value
    assert "截至：2022-12-20" in ws["A2"].value
    header = [ws.cell(3, c).value for c in range(1, 13)]
    assert header == ["序号", "任务编号", "重点任务", "牵头单位", "责任单位", "完成时限", "状态", "完成进度", "进展情况",
                      "最近更新", "填报人", "数据版本"]
    assert ws.freeze_panes == "A4"
    assert ws.column_dimensions["L"].hidden
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$3:$3"
    # Excel draws a column of width w as 7w + 5 pixels, 96 to the inch: the columns fit between the margins
    printed_mm = sum(7 * ws.column_dimensions[c].width + 5 for c in "ABCDEFGHIJK") * 25.4 / 96
    margins_mm = (ws.page_margins.left + ws.page_margins.right) * 25.4
    assert printed_mm <= 297 - margins_mm
    assert ws["C6"].alignment.wrap_text
    # section rows above their tasks, numbered as the plan numbers them
    assert [ws.cell(r, 1).value for r in (4, 5)] == ["三、重点任务", "（一）实施规划引领行动"]
    assert ws["B6"].value == "3.1.1" and ws["D6"].value == "市自然资源和规划局"
    keys = [ws.cell(r, 2).value for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value]
    assert len(keys) == 24 and keys[:3] == ["3.1.1", "3.1.2", "3.2.1"]
    # the plan wrote 各区、市政府: the ledger says so rather than listing ten governments
    row = 4 + next(i for i, r in enumerate(ws.iter_rows(min_row=4, values_only=True)) if r[1] == "3.1.2")
    assert ws.cell(row, 5).value == "各区、市政府"
    assert ws.cell(row, 6).value.date() == date(2022, 12, 31) and ws.cell(row, 6).number_format == "yyyy-mm-dd"


def test_status_drop_down_lists_the_statuses(cli, tmp_path):
    ws = openpyxl.load_workbook(export(cli, tmp_path / "all.xlsx", "--plan", QINGDAO))["台账"]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1
    assert lists[0].formula1 == '"未启动,推进中,已完成,滞后,长期坚持"'
    assert str(lists[0].sqref) == f"G6:G{ws.max_row}"


def test_status_colours_follow_the_overdue_rule(cli, tmp_path):
    cli("status", "set", "3.3.2", "--plan", QINGDAO, "--unit", "市商务局", "-j", "青岛市", "--status", "已完成")

    def fills(today):
        ws = openpyxl.load_workbook(export(cli, tmp_path / f"{today}.xlsx", "--plan", QINGDAO, "--unit", "市商务局",
                                           today=today))["台账"]
        return {ws.cell(r, 2).value: ws.cell(r, 7).fill.fgColor.rgb[-6:] if ws.cell(r, 7).fill.fill_type else None
                for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value}

    assert fills("2022-06-01") == {"3.2.1": None, "3.3.2": "C6EFCE", "3.4.1": None, "3.5.1": None, "3.5.3": None,
                                   "3.5.5": None}
    assert set(fills("2022-12-20").values()) == {"FFEB9C", "C6EFCE"}  # due within 14 days: yellow
    after = fills("2023-01-01")
    assert after.pop("3.3.2") == "C6EFCE" and set(after.values()) == {"FFC7CE"}  # overdue: red; done stays green


def test_urgency_is_the_rule_used_everywhere(loaded_db):
    clock.pin(date(2022, 12, 25))
    with loaded_db.reading() as session:
        rows = ledger(session, QINGDAO).rows
        commerce = service.find_unit(session, "市商务局", "青岛市")
        mine = {r.key: r for r in service.unit_tasks(session, commerce)}
        own = ledger(session, QINGDAO, commerce).rows
    assert all(urgency(r) == "due_soon" for r in rows if r.deadline_kind in ("date", "plan_end"))
    for row in own:  # the ledger's overdue and days-left are the task list's
        assert (row.overdue, row.days_left, row.status) == \
            (mine[row.task_key].overdue, mine[row.task_key].days_left, mine[row.task_key].status)


def test_the_whole_plan_shows_the_first_leads_status(cli, tmp_path):
    # 3.5.5 is led by 市商务局、市地方金融监管局、市卫生健康委: the first named speaks for it
    cli("status", "set", "3.5.5", "--plan", QINGDAO, "--unit", "市地方金融监管局", "-j", "青岛市", "--status", "推进中")
    cli("status", "set", "3.5.5", "--plan", QINGDAO, "--unit", "市商务局", "-j", "青岛市", "--status", "已完成",
        "--note", "综合性服务业集聚区已获批", "--by", "李青")
    sheet = Ledger(export(cli, tmp_path / "all.xlsx", "--plan", QINGDAO))
    assert sheet.cell("3.5.5", "牵头单位").value == "市商务局、市地方金融监管局、市卫生健康委"
    # the lead's 已完成 waits for the coordinator's 销号 (申请办结), then reads 已完成
    assert (sheet.cell("3.5.5", "状态").value, sheet.cell("3.5.5", "完成进度").value) == ("待审核", 100)
    assert cli("review", "approve", "1", "-u", "市发展改革委", "-j", "青岛市").exit_code == 0
    sheet = Ledger(export(cli, tmp_path / "closed.xlsx", "--plan", QINGDAO))
    assert (sheet.cell("3.5.5", "状态").value, sheet.cell("3.5.5", "完成进度").value) == ("已完成", 100)
    assert (sheet.cell("3.5.5", "进展情况").value, sheet.cell("3.5.5", "填报人").value) == ("综合性服务业集聚区已获批", "李青")


def test_the_ledger_query_takes_the_same_statements_for_any_plan(loaded_db):
    from sqlalchemy import event

    from tracker.service.ledger import progress_states

    seen = []
    event.listen(loaded_db.engine, "before_cursor_execute", lambda *args: seen.append(1))
    counts = {}
    for plan in (QINGDAO, JILIN, "qingdao-2024-municipal-clusters"):
        with loaded_db.reading() as session:  # a fresh session each time: nothing cached
            before = len(seen)
            table = ledger(session, plan, today=date(2022, 1, 1))
            counts[plan] = (len(seen) - before, len(table.rows))
        with loaded_db.reading() as session:
            found = service.get_plan(session, plan)
            before = len(seen)
            progress_states(session, found, None)
            counts[plan] += (len(seen) - before,)
    assert len({rows for _, rows, _ in counts.values()}) == 3  # three plans of different sizes
    assert len({(query, states) for query, _, states in counts.values()}) == 1, counts
    query, _, states = counts[QINGDAO]
    assert query <= 7 and states <= 4, counts


# ---------------------------------------------------------------------- CSV and formula injection


def test_csv_is_utf8_with_bom(cli, tmp_path):
    path = export(cli, tmp_path / "ledger.csv", "--plan", QINGDAO)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.splitlines()[2].startswith("序号,任务编号,重点任务,牵头单位,责任单位,完成时限,状态,完成进度,进展情况")
    assert '1,3.1.1,"将服务业集聚区发展纳入国土空间总体规划' in text


DANGEROUS = ["=HYPERLINK(\"http://example.com\",\"点此\")", "+1+2", "-3%的差距已补齐", "@SUM(A1:A2)"]


@pytest.mark.parametrize("note", DANGEROUS)
def test_formula_like_notes_stay_text_in_xlsx(cli, tmp_path, note):
    cli("status", "set", "3.2.1", "--plan", JILIN, "--unit", "市商务局", "-j", "吉林市", "--status", "推进中",
        "--note", note, "--by", "邹全发")
    path = export(cli, tmp_path / "ledger.xlsx", "--plan", JILIN, "--unit", "市商务局")
    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()  # no formula anywhere
    sheet = Ledger(path)
    cell = sheet.cell("3.2.1", "进展情况")
    assert (cell.value, cell.data_type, cell.quotePrefix) == (note, "s", True)
    state = snapshot(cli.url, ignore=RETURNS)
    result = import_progress(cli, path)  # and it comes back as it went out: nothing changed
    assert result.exit_code == 0 and "已记录0条进展" in result.output, result.output
    assert snapshot(cli.url, ignore=RETURNS) == state


@pytest.mark.parametrize("note", DANGEROUS)
def test_formula_like_notes_are_guarded_in_csv(cli, tmp_path, note):
    cli("status", "set", "3.2.1", "--plan", JILIN, "--unit", "市商务局", "-j", "吉林市", "--status", "推进中",
        "--note", note, "--by", "邹全发")
    path = export(cli, tmp_path / "ledger.csv", "--plan", JILIN, "--unit", "市商务局")
    import csv

    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    row = next(r for r in rows if len(r) > 1 and r[1] == "3.2.1")
    assert row[8] == "'" + note
    assert not any(field.startswith(("=", "+", "-", "@")) for r in rows for field in r)
    state = snapshot(cli.url, ignore=RETURNS)
    result = import_progress(cli, path)
    assert result.exit_code == 0 and "已记录0条进展" in result.output, result.output
    assert snapshot(cli.url, ignore=RETURNS) == state


def test_a_csv_saved_by_excel_in_gbk_imports(cli, tmp_path):
    path = export(cli, tmp_path / "ledger.csv", "--plan", JILIN, "--unit", "市商务局")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("2,3.5.1,"):
            lines[i] = line.replace(",未启动,", ",推进中,")
    gbk = tmp_path / "returned.csv"
    gbk.write_bytes("\r\n".join(lines).encode("gb18030"))
    result = import_progress(cli, gbk)
    assert result.exit_code == 0, result.output
    assert "3.5.1  未启动 → 推进中" in result.output and "已记录1条进展" in result.output
