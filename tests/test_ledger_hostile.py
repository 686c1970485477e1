"""Returned ledgers made to hurt: notes past the bound, 滞后 with an invisible note, cells longer
than a spreadsheet cell holds, zip bombs, rows without a readable 数据版本. Each is refused with
its place, before anything is written (real .xlsx files, the real `tracker` command, both engines)."""

from __future__ import annotations

from tracker.service import NOTE_LIMIT

from .conftest import snapshot
from .test_ledger import JILIN, all_history, cli, commerce_ledger, import_progress, refused  # noqa: F401

KEYS = ["3.2.1", "3.5.1", "3.6.1", "3.7.1", "4.1.1"]


def test_a_note_past_the_bound_is_refused_at_its_cell(cli, tmp_path):
    sheet = commerce_ledger(cli, tmp_path)
    sheet.set("3.2.1", "状态", "推进中")
    sheet.set("3.5.1", "进展情况", "长" * (NOTE_LIMIT + 1))
    sheet.save()
    text = refused(cli, sheet.path)
    assert (f"ledger.xlsx 工作表「台账」第{sheet.row_of('3.5.1')}行「进展情况」列: 进展说明最多2,000个字"
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
    assert f"第{sheet.row_of('3.7.1')}行「进展情况」列: 状态为「滞后」时,须在进展情况中写明原因" in text
