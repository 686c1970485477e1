"""Returned ledgers made to hurt: notes past the bound, 滞后 with an invisible note, cells longer
than a spreadsheet cell holds, zip bombs, rows without a readable 数据版本. Each is refused with
its place, before anything is written (real .xlsx files, the real `tracker` command, both engines)."""

from __future__ import annotations

import pytest

from tracker.service import NOTE_LIMIT

from .formats_support import rebuilt

from .conftest import snapshot
from .test_ledger import JILIN, all_history, cli, commerce_ledger, import_progress, refused  # noqa: F401

KEYS = ["3.2.1", "3.5.1", "3.6.1", "3.7.1", "4.1.1"]


def test_a_note_past_the_bound_is_refused_at_its_cell(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "推进中")
    sheet.set("3.5.1", "进展情况", "长" * (NOTE_LIMIT + 1))
    sheet.save()
    text = refused(cli, sheet.path)
    assert (f"ledger.xlsx 工作表「台账」第{sheet.row_of('3.5.1')}行「进展情况」列：进展说明最多2,000个字"
            "\uff0c这条有2,001个字") in text
    sheet.set("3.5.1", "进展情况", "长" * NOTE_LIMIT)
    sheet.save()
    assert import_progress(cli, sheet.path).exit_code == 0


def test_behind_with_only_zero_width_spaces_is_refused(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.7.1", "状态", "滞后")
    sheet.set("3.7.1", "进展情况", "\u200b\u200b\u2060")
    sheet.save()
    text = refused(cli, sheet.path)
    assert f"第{sheet.row_of('3.7.1')}行「进展情况」列：状态为「滞后」时，须在进展情况中写明原因" in text


# ---------------------------------------------------------------------- zip bombs


@pytest.fixture
def load_calls(monkeypatch):
    """Every time openpyxl is asked to load a workbook (the real loader is still called)."""
    import openpyxl

    calls: list[dict] = []  # the test's own reading of the file it prepares is cleared before the import
    real = openpyxl.load_workbook

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    return calls


def test_a_zip_bomb_is_refused_before_it_is_parsed(cli, tmp_path, load_calls):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "推进中")
    sheet.save()
    bomb = rebuilt(sheet.path, tmp_path / "bomb.xlsx", padding=60 * 2**20)  # 60 MB of spaces
    assert bomb.stat().st_size < 2**20  # a small file...
    load_calls.clear()
    text = refused(cli, bomb)
    assert "bomb.xlsx\uff1a工作簿未打开\uff1a" in text
    assert "各部分解压后共60 MB\uff0c超过台账上限50 MB" in text  # ...that says which bound, and by how much
    assert "xl/worksheets/sheet1.xml解压后是压缩时的" in text and "超过办公软件压缩比的200倍" in text
    assert load_calls == []  # openpyxl never saw it


def test_the_packing_ratio_alone_is_a_reason(cli, tmp_path, load_calls):
    sheet = commerce_ledger(cli, tmp_path)
    bomb = rebuilt(sheet.path, tmp_path / "tight.xlsx", padding=3 * 2**20)
    load_calls.clear()
    text = refused(cli, bomb, "--lang", "en")
    assert "tight.xlsx: the workbook was not opened: its part xl/worksheets/sheet1.xml unpacks to" in text
    assert "more than the 200 times office programs pack" in text and "MB a ledger may hold" not in text
    assert load_calls == []


def test_the_unpacked_size_alone_is_a_reason(cli, tmp_path, load_calls, monkeypatch):
    import os

    from tracker.ledger import reading

    monkeypatch.setattr(reading, "MAX_BYTES", 2**20)  # the bound made small, so the file can be
    sheet = commerce_ledger(cli, tmp_path)
    noise = b"<!--" + os.urandom(800_000).hex().encode() + b"-->"  # packs at two to one: no bomb
    big = rebuilt(sheet.path, tmp_path / "big.xlsx", extra={"xl/notes.xml": noise})
    load_calls.clear()
    text = refused(cli, big)
    assert "big.xlsx\uff1a工作簿未打开\uff1a各部分解压后共1.6 MB\uff0c超过台账上限1.0 MB" in text
    assert "压缩比" not in text
    assert load_calls == []


def test_pictures_do_not_count_towards_the_bounds(cli, tmp_path, monkeypatch):
    """A photo of the stamped page pasted into the workbook is never parsed: it may be big."""
    import os

    from tracker.ledger import reading

    monkeypatch.setattr(reading, "MAX_BYTES", 2**20)
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "推进中")
    sheet.save()
    with_photo = rebuilt(sheet.path, tmp_path / "photo.xlsx", extra={"xl/media/image1.png": os.urandom(2**21)})
    result = import_progress(cli, with_photo)
    assert result.exit_code == 0, result.output
    assert "已记录1条进展" in result.output


@pytest.mark.parametrize("row, column, message", [
    (1_048_576, 1, "工作表「台账」\uff1a表中第1,048,576行有内容\uff0c超过台账上限20,000行"),
    (9, 16_384, "工作表「台账」第9行\uff1a表中第XFD列有内容\uff0c超过台账上限200列"),
])
def test_a_cell_far_out_is_refused_without_reading_the_space_before_it(cli, tmp_path, row, column, message):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "推进中")
    sheet.ws.cell(row, column).value = "远"
    sheet.save()
    assert message in refused(cli, sheet.path)


# ---------------------------------------------------------------------- cells longer than a cell holds


def test_a_cell_longer_than_a_spreadsheet_holds_is_refused_on_import(cli, tmp_path):
    import zipfile

    from openpyxl.utils import get_column_letter

    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.5.1", "进展情况", "PLACEHOLDER")
    sheet.save()
    row, column = sheet.row_of("3.5.1"), get_column_letter(sheet.columns["进展情况"])
    crafted = tmp_path / "crafted.xlsx"  # openpyxl itself would cut the text: the XML is written by hand
    with zipfile.ZipFile(sheet.path) as src, zipfile.ZipFile(crafted, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data.replace(b"PLACEHOLDER", "长".encode() * 40_000))
    text = refused(cli, crafted)
    assert f"crafted.xlsx 工作表「台账」第{row}行「{column}」列：单元格有40,000个字\uff0c超过电子表格单元格的上限32,767个字" \
        in text


def test_a_csv_cell_longer_than_a_spreadsheet_holds_is_refused(cli, tmp_path):
    from .test_ledger import export

    path = export(cli, tmp_path / "ledger.csv", "--plan", JILIN, "--unit", "市商务局")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("2,3.5.1,"))
    lines[index] = lines[index].replace(",未启动,", ",推进中,,\"" + "长" * 40_000 + "\",", 1)
    returned = tmp_path / "returned.csv"
    returned.write_text("\n".join(lines), encoding="utf-8-sig")
    text = refused(cli, returned)
    assert f"returned.csv 第{index + 1}行「9」列：单元格有40,000个字" in text


def test_export_refuses_a_cell_longer_than_a_spreadsheet_holds(cli, tmp_path):
    from .conftest import behind_the_back
    from tracker.store.db import Database

    result = cli("status", "set", "3.5.1", "--plan", JILIN, "--unit", "市商务局", "-j", "吉林市", "--status", "推进中",
                 "--note", "短", "--by", "邹全发")
    assert result.exit_code == 0, result.output
    db = Database(cli.url)
    behind_the_back(db, "UPDATE status_update SET note = :note", note="长" * 40_000)  # stored before the bound
    db.dispose()
    for name in ("ledger.xlsx", "ledger.csv"):
        result = cli("ledger", "export", "--plan", JILIN, "--unit", "市商务局", "-o", str(tmp_path / name))
        assert result.exit_code != 0
        assert "台账未导出\uff1a电子表格会截断以下单元格" in str(result.exception)
        assert "任务3.5.1的「进展情况」列\uff1a40,000个字\uff0c超过电子表格单元格的上限32,767个字" in str(result.exception)
        assert not (tmp_path / name).exists()


# ---------------------------------------------------------------------- 数据版本


def test_a_row_without_a_readable_version_is_refused_unless_forced(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "推进中")
    sheet.set("3.2.1", "数据版本", None)  # emptied
    sheet.set("3.5.1", "状态", "已完成")
    sheet.set("3.5.1", "数据版本", "新")  # not a number
    sheet.set("3.6.1", "数据版本", None)  # unchanged rows need no version
    sheet.save()
    text = refused(cli, sheet.path)
    assert "台账有2处问题，未写入任何数据" in text
    assert (f"第{sheet.row_of('3.2.1')}行「数据版本」列：隐藏的「数据版本」单元格是空的\uff0c"
            "无法判断导出这份台账之后是否有人在系统中更新过此任务") in text
    assert f"第{sheet.row_of('3.5.1')}行「数据版本」列：隐藏的「数据版本」单元格中是「新」\uff0c不是数字" in text
    assert "如确认以本文件为准\uff0c请加 --force" in text
    before = all_history(cli, JILIN, KEYS)
    result = import_progress(cli, sheet.path, "--force")
    assert result.exit_code == 0, result.output
    assert "已记录2条进展" in result.output
    after = all_history(cli, JILIN, KEYS)
    assert [k for k in KEYS if after[k] != before[k]] == ["3.2.1", "3.5.1"]


def test_a_deleted_version_column_is_refused_unless_forced(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "推进中")
    sheet.set("4.1.1", "状态", "推进中")
    sheet.ws.delete_cols(sheet.columns["数据版本"])
    sheet.save()
    text = refused(cli, sheet.path, "--lang", "en")
    for key in ("3.2.1", "4.1.1"):
        assert f'ledger.xlsx sheet "台账" row {sheet.row_of(key)}: the hidden 数据版本 column is missing' in text
    assert "add --force if this file's values should win" in text
    assert import_progress(cli, sheet.path, "--force").exit_code == 0


def test_force_does_not_overwrite_a_newer_update_the_file_can_see(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    result = cli("status", "set", "4.1.1", "--plan", JILIN, "--unit", "市商务局", "-j", "吉林市", "--status", "推进中",
                 "--percent", "50", "--by", "邹全发", today="2021-06-01")
    assert result.exit_code == 0, result.output
    sheet.set("4.1.1", "状态", "已完成")
    sheet.save()
    assert "导出这份台账之后，邹全发已于" in refused(cli, sheet.path, "--force")
