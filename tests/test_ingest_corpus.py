"""The plan reader on ten real published plans (../shared/corpus): every labelling rule of the
corpus README on fragments read from the files themselves (their bytes are the published ones,
full-width punctuation included), and the whole corpus scored through the real command.

Markers that find a fragment are plain Chinese words; the fragment itself comes from the file.
"""

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tracker.ingest.annotations import bracket_groups, parse_annotation
from tracker.ingest.deadline_phrases import read_deadline
from tracker.ingest.normalise import fold, normalise
from tracker.ingest.reader import read_text, to_json
from tracker.ingest.tables import find_tables
from tracker.ingest.unit_lists import split_units

from .conftest import SHARED

CORPUS = SHARED / "corpus"
FULL_WIDTH = {"\uff08", "\uff09", "\uff0c"}  # （），


def source(name: str) -> str:
    return (CORPUS / f"{name}.txt").read_text(encoding="utf-8")


def gold(name: str) -> list[dict]:
    return json.loads((CORPUS / f"{name}.gold.json").read_text(encoding="utf-8"))["tasks"]


def annotation(name: str, *markers: str) -> str:
    """The first bracketed annotation of a corpus file holding every marker, as published."""
    text = source(name)
    folded = fold(text)
    for start, end, _ in bracket_groups(folded):
        if all(m in text[start:end] for m in markers):
            return text[start + 1:end - 1]
    raise AssertionError(f"no annotation with {markers} in {name}")


def line(name: str, *markers: str) -> str:
    return next(li for li in source(name).split("\n") if all(m in li for m in markers))


def parsed(content: str):
    return parse_annotation(fold(content))


_documents: dict[str, dict] = {}


def read(name: str) -> dict:
    if name not in _documents:
        _documents[name] = to_json(read_text(source(name)), key=name)
    return _documents[name]


def task_at(name: str, ordinal: int) -> dict:
    return read(name)["tasks"][ordinal - 1]


def test_the_corpus_is_published_text_with_full_width_punctuation():
    """The fixtures are what the sites publish: if this fails, a copy lost its characters."""
    for path in CORPUS.glob("*.txt"):
        assert FULL_WIDTH <= set(path.read_text(encoding="utf-8")), path.name


# ---------------------------------------------------------------------- who leads (rules 1–6)


def test_rule_1_a_lead_only_where_the_text_says_so():
    found = parsed(annotation("sh_gas_2023", "牵头负责", "组织落实"))
    assert found.lead and found.responsible == ["各区政府"]
    found = parsed(annotation("sj_renewal_2025", "牵头单位", "支撑单位"))
    assert (found.lead, found.responsible) == (["经济技术开发区", "九里亭街道"], ["区规划资源局", "区建设管理委", "区经委"])


@pytest.mark.parametrize("name, rule_words", [
    ("gwy_agrimach_2018", "列第一位者为牵头单位"), ("gwy_bondedzone_2019", "排在第一位的部门为牵头部门")])
def test_rule_1_the_first_position_rule_holds_to_the_end_and_its_xia_tong_repeats_the_rule_not_the_units(
        name, rule_words):
    first = parsed(annotation(name, rule_words))
    assert first.first_is_lead and first.carry == []  # 下同: the rule again, not its units
    tasks = read(name)["tasks"]
    for mine, want in zip(tasks, gold(name)):
        assert (mine["lead"], mine["responsible"]) == (want["lead"], want["responsible"]), want["ordinal"]
        assert mine["inherited_responsible"] == []


def test_rule_2_a_bare_list_has_no_lead():
    found = parsed(annotation("cm_ruralroad_2021", "责任单位", "区审计局"))
    assert found.lead == [] and found.responsible == ["区交通委", "区财政局", "区审计局", "各乡镇政府"]
    sports = parsed(annotation("gwy_sportsevents_2018", "体育总局、民政部"))
    assert sports.lead == [] and sports.responsible[0] == "体育总局"


def test_rule_3_supporting_roles_are_responsible():
    assert parsed(annotation("cm_ruralroad_2021", "责任部门")).responsible == ["区交通委", "各乡镇政府"]
    assert parsed(annotation("sj_renewal_2025", "支撑单位：相关街镇")).responsible == ["相关街镇"]
    organised = parsed(annotation("sh_gas_2023", "市应急局、市市场监管局、市住房城乡建设管理委、市经济信息化委、各区政府组织落实"))
    assert organised.lead == [] and len(organised.responsible) == 5
    helping = parsed(annotation("sh_gas_2023", "按职责组织配合"))
    assert helping.responsible == ["市民政局"]


def test_rule_4_explicit_leads_beat_the_first_position_and_every_lead_group_leads():
    assert task_at("gwy_agrimach_2018", 16)["lead"] == ["农业农村部", "工业和信息化部"]
    two_groups = parsed(annotation("sh_gas_2023", "按职责牵头负责，各区政府组织落实"))
    assert len(two_groups.lead) == 8 and two_groups.responsible == ["各区政府"]
    joined_by_dun = parsed(annotation("sh_gas_2023", "市交通委牵头负责、各区政府组织落实"))
    assert (joined_by_dun.lead, joined_by_dun.responsible) == (["市交通委"], ["各区政府"])
    # a unit named as lead is not repeated among the responsible (a table row names it twice)
    first_row = read("qp_cdw_2025")["tasks"][0]
    assert "区规划资源局" in first_row["lead"] and "区规划资源局" not in first_row["responsible"]


def test_rule_6_units_come_from_the_annotation_never_from_the_narrative():
    task = task_at("sh_sponge_2024", 27)
    assert "牵头负责统筹协调" in task["text"] and task["lead"] == []


def test_several_annotations_in_one_paragraph_are_several_tasks():
    """A later task in a paragraph starts right after the annotation before it."""
    tasks = read("gwy_sportsevents_2018")["tasks"]
    later = [g for g in gold("gwy_sportsevents_2018") if "Second or later annotation" in g.get("note", "")]
    assert len(later) == 5
    for want in later:
        assert tasks[want["ordinal"] - 1]["text"].startswith(want["text_start"]), want["ordinal"]


# ---------------------------------------------------------------------- unit names (rules 7–10)


def test_rule_7_he_splits_only_between_whole_names():
    row = next(li for li in source("qp_cdw_2025").split("\n") if li.startswith("区数据局\u3001") and "和属地街镇" in li)
    assert split_units(row)[-2:] == ["区城管执法局", "属地街镇"]
    assert "工业和信息化部" in split_units(annotation("gwy_agrimach_2018", "列第一位者为牵头单位").split("\u3002")[0])
    assert "中央和国家机关工委" in parsed(annotation("gwy_consumption_2018", "中央统战部")).responsible


def test_rule_7_nothing_inside_brackets_is_split():
    assert "区委宣传部（区文明办、区政府新闻办、区委网信办）" in task_at("bs_garbage_2019", 29)["responsible"]


def test_rule_8_collectives_stay_one_unit():
    assert split_units("各区\u3001县级市") == ["各区\u3001县级市"]
    assert split_units("各区\uff08市\uff09") == ["各区(市)"]
    assert split_units("各有关部门和单位") == ["各有关部门和单位"]


def test_rule_9_tails_and_role_words_are_not_names():
    assert parsed(annotation("gwy_bondedzone_2019", "等有关部门负责")).responsible == ["海关总署", "商务部"]
    consumption = parsed(annotation("gwy_consumption_2018", "等和各省级人民政府负责"))
    assert consumption.responsible[-2:] == ["全国总工会", "各省级人民政府"]
    assert parsed(annotation("gwy_agrimach_2018", "各省级人民政府负责")).responsible == ["各省级人民政府"]


def test_rule_10_names_as_written_wrapped_names_joined_typos_kept():
    rows = read("qp_cdw_2025")["tasks"]
    assert rows[1]["lead"] == ["区土方工作专班"]  # 区土方工作 / 专班 over two lines
    assert "公安青浦区分局" in rows[21]["responsible"]  # the source's own spelling
    assert read("gwy_agrimach_2018")["tasks"][3]["responsible"][1] == "发展改革委"  # 市场监管总局 names no level


def test_names_and_texts_keep_the_published_characters():
    bs = task_at("bs_garbage_2019", 2)
    assert bs["lead"] == ["区委组织部\uff08区公务员局\uff09"]
    gas = task_at("sh_gas_2023", 1)
    assert gas["text"] in source("sh_gas_2023") and FULL_WIDTH & set(gas["text"])


# ---------------------------------------------------------------------- deadlines (rules 11–14)


def test_rule_11_deadlines_from_the_tasks_own_text():
    assert (task_at("sh_sponge_2024", 2)["deadline"], task_at("sh_sponge_2024", 2)["deadline_phrase"]) == \
        ("2025-12-31", "2025年底前")
    assert task_at("sh_gas_2023", 30)["deadline"] == "2025-12-31"  # “十四五”期间
    assert task_at("sh_gas_2023", 34)["deadline"] == "2025-12-31"  # the latest of 2024年底 and 2025年底
    assert [task_at("bs_garbage_2019", n)["deadline"] for n in (1, 2)] == ["2019-03-31", "2019-12-31"]  # cells


def test_rule_12_and_13_relative_and_recurring_deadlines():
    assert read_deadline("本意见印发之日起30日内", written_on=date(2021, 3, 1)).due_on == date(2021, 3, 31)
    assert read_deadline("2012年起5年内").due_on == date(2016, 12, 31)
    assert read_deadline("2023\u20142025年").due_on == date(2025, 12, 31)
    assert read_deadline("每年3月底前").rule == "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=-1"


def test_rule_14_what_is_not_a_deadline():
    assert task_at("sh_sponge_2024", 11)["deadline"] is None  # 3—5年一遇
    assert task_at("sh_sponge_2024", 1)["deadline"] is None  # 落实2030年…达标要求
    assert task_at("cm_ruralroad_2021", 5)["deadline"] is None  # 每年每公里5000元: a rate
    assert task_at("gwy_bondedzone_2019", 2)["deadline"] is None  # 自…之日起
    assert task_at("gwy_sportsevents_2018", 19)["deadline"] is None  # 持续推进 in the heading
    assert task_at("sj_renewal_2025", 2)["deadline"] is None  # 持续推进 as the task's verb
    assert read_deadline("自2022年起") is None


# ---------------------------------------------------------------------- tables copied from web pages


def test_a_web_table_one_cell_a_line_with_merged_categories_and_repeated_headers():
    tables = [t for t in find_tables(fold(normalise(source("qp_cdw_2025")))) if t.is_breakdown]
    [table] = tables
    assert table.kinds == ["number", "category", "task", "lead", "responsible"]
    assert len(table.rows) == len(gold("qp_cdw_2025"))
    assert [r.cells.get("category") for r in table.rows[3:5]] == ["落实建筑垃圾转运码头规划、建设和备案"] * 2
    assert "responsible" not in table.rows[3].cells  # ——: left empty, not the row above's


def test_a_web_table_with_a_deadline_column_and_unit_cells_over_several_lines():
    rows = read("bs_garbage_2019")["tasks"]
    assert (rows[8]["lead"], rows[8]["responsible"]) == (["各街镇（园区）"], ["区绿化市容局", "区农业农村委"])
    assert rows[20]["lead"] == ["区政府办公室", "区绿化市容局", "区规划资源局", "区重大办"]


# ---------------------------------------------------------------------- the whole corpus, through the command


def test_the_corpus_scores_above_its_floors_through_the_real_command():
    pairs = []
    for gold_file in sorted(CORPUS.glob("*.gold.json")):
        pairs += [str(gold_file).removesuffix(".gold.json") + ".txt", str(gold_file)]
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([sys.executable, str(CORPUS / "score.py"), "--min-lead", "0.97", "--min-resp", "0.97",
                             "--min-deadline", "0.95", *pairs], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    documents = re.findall(r"^(\S+\.txt): .*F1 lead ([\d.]+) resp ([\d.]+) deadline ([\d.]+)$", result.stdout, re.M)
    assert len(documents) == len(pairs) // 2 == 10
    for name, *scores in documents:
        assert all(float(s) >= 0.90 for s in scores), (name, scores)
