"""The ledger's columns, the other names offices give them, and the title block's words.

Returned ledgers are matched by header, never by position: a column moved, renamed to a usual
synonym (牵头部门 for 牵头单位, 时间节点 for 完成时限) or given a remark in brackets
(完成进度(%)) is still found.
"""

from __future__ import annotations

import re

from ..registry import normalise_name

# the export's columns, in the conventional order
SEQ, TASK_KEY, TASK, LEAD, RESPONSIBLE, DEADLINE = "序号", "任务编号", "重点任务", "牵头单位", "责任单位", "完成时限"
STATUS, PERCENT, PROGRESS, UPDATED, AUTHOR = "状态", "完成进度", "进展情况", "最近更新", "填报人"
# a breakdown table's column for the concrete measures under a key task
MEASURE = "具体措施"
# a hidden column: the version of the status each row was exported with, so an update made in
# the tracker after the export is not silently overwritten by the returned file
VERSION = "数据版本"

# the title block above the header says what the file is, so it can come back on its own
# (each label followed by a colon, full-width or not: 计划编号：qingdao-2020-service-clusters)
PLAN_KEY, FOR_UNIT, WHOLE_PLAN = "计划编号", "填报单位", "范围：全部任务"
WHOLE_PLAN_READ = (WHOLE_PLAN, "范围:全部任务")  # as ledgers exported before the colon was full-width say it

EXPORT_COLUMNS = (SEQ, TASK_KEY, TASK, LEAD, RESPONSIBLE, DEADLINE, STATUS, PERCENT, PROGRESS, UPDATED, AUTHOR)

SYNONYMS: dict[str, tuple[str, ...]] = {
    SEQ: ("序号", "序", "编次"),
    TASK_KEY: ("任务编号", "任务代码", "任务号", "编号"),
    TASK: ("重点任务", "主要任务", "工作任务", "任务内容", "重点工作", "任务名称", "任务"),
    MEASURE: ("具体措施", "工作措施", "具体举措", "主要措施", "措施", "工作举措", "具体任务"),
    LEAD: ("牵头单位", "牵头部门", "牵头责任单位", "牵头", "主责单位", "主责部门"),
    RESPONSIBLE: ("责任单位", "责任部门", "配合单位", "配合部门", "协同单位", "参与单位"),
    DEADLINE: ("完成时限", "时间节点", "完成时间", "时限", "完成期限", "时间安排", "时间要求", "完成时限要求"),
    STATUS: ("状态", "完成状态", "推进状态", "进展状态", "当前状态", "任务状态"),
    PERCENT: ("完成进度", "进度", "完成比例", "完成率", "完成百分比"),
    PROGRESS: ("进展情况", "工作进展", "推进情况", "进展", "完成情况", "工作推进情况", "进展说明"),
    UPDATED: ("最近更新", "更新时间", "填报时间"),
    AUTHOR: ("填报人", "联络员"),
    VERSION: ("数据版本",),
}
# where a table has both a 责任单位 and a 配合单位 column and no 牵头 column, 责任单位 is the lead
SUPPORTING = ("配合单位", "配合部门", "协同单位", "参与单位")

_BRACKETED = re.compile(r"[(\[【].*?[)\]】]")
_NAMES = {name: field for field, names in SYNONYMS.items() for name in names}


def header_key(text) -> str:
    """A header cell as compared: whitespace and line breaks gone, brackets and their remarks
    dropped (完成进度(%) → 完成进度), a trailing colon dropped."""
    if text is None:
        return ""
    folded = normalise_name(str(text))
    return _BRACKETED.sub("", folded).rstrip(":")


def field_of(text) -> str | None:
    """The ledger column a header names, or None."""
    return _NAMES.get(header_key(text))
