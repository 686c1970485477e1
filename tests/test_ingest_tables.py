"""Tables as the file-format readers hand them over (one row a line, `| cell | cell |`, the header
first, a merged cell's value repeated in every row and column it spans, `|` inside a cell
written `/`), and as web pages flatten them (one cell a line)."""

from tracker.ingest.normalise import fold
from tracker.ingest.reader import read_text, to_json
from tracker.ingest.tables import find_tables

COLON, COMMA, OPEN, CLOSE = "\uff1a", "\uff0c", "\uff08", "\uff09"  # ：，（）


def tasks_of(text: str) -> list[dict]:
    return to_json(read_text(text, jurisdiction="济南市"), key="t")["tasks"]


def rows(*cells: list[str]) -> str:
    return "".join("| " + " | ".join(row) + " |\n" for row in cells)


def test_the_header_is_found_by_its_column_words_without_a_number_column():
    text = "附件\n重点任务分工表\n" + rows(
        ["重点任务", "具体措施", "牵头单位", "配合单位", "完成时限"],
        ["推进平台建设", "建设一批公共服务平台", "市发展改革委", "市财政局" + COMMA + "市商务局", "2025年底前"],
        ["推进平台建设", "开展平台评估", "市统计局", "\u2014\u2014", "2025年6月"],
    )
    first, second = tasks_of(text)
    assert first["text"] == "建设一批公共服务平台" and second["text"] == "开展平台评估"
    assert (first["lead"], first["responsible"]) == (["市发展改革委"], ["市财政局", "市商务局"])
    assert first["deadline"] == "2025-12-31"
    assert second["responsible"] == [] and second["deadline"] == "2025-06-30"  # —— is a cell left empty


def test_a_header_repeated_at_a_page_break_and_a_row_naming_a_part_are_skipped():
    header = ["序号", "工作任务", "主要工作内容", "牵头单位", "配合单位"]
    part = ["二", "构建全链条管理体系", "构建全链条管理体系", "构建全链条管理体系", "构建全链条管理体系"]
    text = rows(header, ["1", "源头减量", "增加工程土方消纳要求", "区规划资源局", "区水务局"], header, part,
                ["2", "备案管理", "严格落实备案制度", "区绿化市容局", "区建设管理委"])
    [table] = find_tables(text)
    assert [r.cells["task"] for r in table.rows] == ["增加工程土方消纳要求", "严格落实备案制度"]
    assert [r.cells["category"] for r in table.rows] == ["源头减量", "备案管理"]


def test_year_columns_give_the_last_year_with_work_in_it():
    text = rows(["序号", "重点任务", "2024年", "2025年", "2026年计划", "责任单位"],
                ["1", "建设充电桩", "完成30%", "完成60%", "全部建成", "市发展改革委"],
                ["2", "改造老旧管网", "完成50%", "全部完成", "\u2014\u2014", "市城乡水务局"],
                ["3", "编制规划", "2024年6月底前完成", "", "", "市自然资源和规划局"])
    first, second, third = tasks_of(text)
    assert [first["deadline"], second["deadline"], third["deadline"]] == ["2026-12-31", "2025-12-31", "2024-06-30"]
    assert first["lead"] == [] and first["responsible"] == ["市发展改革委"]  # 责任单位 alone names no lead


def test_full_width_cells_and_brackets_in_names():
    name = "市交通运输局" + OPEN + "市港航局" + CLOSE
    text = rows(["序号", "任务内容", "牵头单位", "责任单位"],
                ["1", "推进港口建设" + COMMA + "完善集疏运体系", name, "各区县人民政府" + COMMA + "市财政局"])
    [task] = tasks_of(text)
    assert task["lead"] == [name] and task["responsible"] == ["各区县人民政府", "市财政局"]
    assert task["text"] == "推进港口建设" + COMMA + "完善集疏运体系"


def test_a_flattened_table_with_section_rows_empty_cells_and_a_wrapped_name():
    lines = ["序号", "工作任务", "主要工作内容", "牵头单位", "配合单位", "\u2014", "构建处置体系", "(一)", "推动源头减量",
             "在项目规划中增加土方消纳要求。", "区土方工作", "专班", "区水务局、区房管局", "开展码头规划、备案工作。", "区绿化市容局",
             "\u2014\u2014", "序号", "工作任务", "主要工作内容", "牵头单位", "配合单位", "(二)", "强化执法",
             "严查非法排放。", "\u2014\u2014", "属地街镇、区城管执法局和公安青浦分局"]
    [table] = find_tables(fold("\n".join(lines)))
    assert [r.cells.get("task") for r in table.rows] == ["在项目规划中增加土方消纳要求。", "开展码头规划、备案工作。", "严查非法排放。"]
    first, second, third = table.rows
    assert first.cells["lead"] == "区土方工作专班" and first.cells["category"] == "推动源头减量"
    assert second.cells["category"] == "推动源头减量" and "responsible" not in second.cells
    assert "lead" not in third.cells and third.cells["responsible"] == "属地街镇、区城管执法局和公安青浦分局"


def test_a_label_colon_in_full_width_is_a_label():
    text = "三、重点任务\n1.建设平台。建设一批平台。" + OPEN + "牵头单位" + COLON + "市发展改革委" + COMMA + "责任单位" + COLON + \
        "市财政局" + CLOSE + "\n"
    [task] = tasks_of(text)
    assert (task["lead"], task["responsible"]) == (["市发展改革委"], ["市财政局"])
