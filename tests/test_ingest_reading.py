"""Reading plan texts written for these tests, one style or rule at a time."""

from datetime import date

import pytest

from tracker.errors import TrackerError
from tracker.ingest.annotations import parse_annotation
from tracker.ingest.metadata import read_metadata
from tracker.ingest.normalise import fold, normalise
from tracker.ingest.reader import read_text, to_json
from tracker.ingest.structure import read_structure
from tracker.ingest.tables import find_tables
from tracker.registry import Registry

from .conftest import PLANS


@pytest.fixture(scope="module")
def registry():
    return Registry.load(PLANS / "units.toml")


def tasks_of(text: str, registry=None, jurisdiction="青岛市") -> list[dict]:
    return to_json(read_text(text, registry=registry, jurisdiction=jurisdiction), key="t")["tasks"]


def plan_of(text: str, registry=None, jurisdiction="青岛市") -> dict:
    return to_json(read_text(text, registry=registry, jurisdiction=jurisdiction), key="t")


# ---------------------------------------------------------------------- annotation styles


@pytest.mark.parametrize("content, lead, responsible", [
    ("牵头单位:市发改委,责任单位:市财政局、市商务局", ["市发改委"], ["市财政局", "市商务局"]),
    ("牵头单位:市发改委,责任单位:市财政局、市商务局", ["市发改委"], ["市财政局", "市商务局"]),
    ("牵头单位:市税务局,市科技局、市财政局,责任单位:各区、市政府", ["市税务局", "市科技局", "市财政局"], ["各区、市政府"]),
    ("责任单位:市发改委、市交通局按职责分工负责", [], ["市发改委", "市交通局"]),
    ("牵头单位:市发改委;配合单位:市财政局", ["市发改委"], ["市财政局"]),
    ("牵头部门:市发改委;责任部门:市财政局;配合部门:市统计局", ["市发改委"], ["市财政局", "市统计局"]),
    ("市发改委牵头,市财政局配合", ["市发改委"], ["市财政局"]),
    ("市发改委牵头,市财政局、市统计局参与", ["市发改委"], ["市财政局", "市统计局"]),
    ("市发改委、市财政局负责", [], ["市发改委", "市财政局"]),
    ("市发改委指导", [], ["市发改委"]),  # README rule 3: 指导 is not 牵头
    ("市发改委牵头,各区市政府落实,市统计局指导", ["市发改委"], ["各区市政府", "市统计局"]),
    ("市民营经济局,市税务局牵头,市财政局配合", ["市民营经济局", "市税务局"], ["市财政局"]),
    ("市发改委牵头负责", ["市发改委"], []),
    ("责任单位:市交通委(科信处、宣传处)", [], ["市交通委(科信处、宣传处)"]),
])
def test_annotation_styles(content, lead, responsible):
    found = parse_annotation(content)
    assert (found.lead, found.responsible) == (lead, responsible)


@pytest.mark.parametrize("content", [
    "以下简称“上合示范区”", "2020-2022年", "市", "派出机构或下辖平台公司", "青发改规〔2022〕4号", "RCEP",
    "含市本级", "", "负责", "牵头", "一", "详见附件",
])
def test_brackets_that_are_not_annotations(content):
    assert parse_annotation(content) is None


def test_full_and_half_width_brackets_and_a_deadline_inside_the_annotation():
    text = ("三、重点任务\n(一)平台。建设平台(牵头单位:市发改委;责任单位:市财政局)。"
            "开展评估(市统计局牵头,市财政局配合,2022年6月底前完成)。\n")
    first, second = tasks_of(text)
    assert (first["lead"], first["responsible"]) == (["市发改委"], ["市财政局"])
    assert first["text"] == "建设平台"
    assert second["text"] == "开展评估"
    assert second["deadline"] == "2022-06-30" and second["deadline_phrase"] == "2022年6月底前"


def test_several_tasks_share_one_heading_and_text_between_annotations():
    text = ("三、重点任务\n(一)实施规划引领行动。第一项工作。(牵头单位:市发改委)第二项工作,第二句。"
            "(牵头单位:市商务局)\n(二)实施招商行动。第三项工作。(市科技局负责)\n")
    tasks = tasks_of(text)
    assert [(t["key"], t["section"], t["text"]) for t in tasks] == [
        ("3.1.1", "三.1", "第一项工作。"), ("3.1.2", "三.1", "第二项工作,第二句。"), ("3.2.1", "三.2", "第三项工作。")]
    assert [t["ordinal"] for t in tasks] == [1, 2, 3]


# ---------------------------------------------------------------------- document-level rules


def test_carry_forward_inside_an_annotation_reaches_this_and_every_later_task():
    text = ("一、任务\n(一)甲。做甲事。(责任单位:市发改委,以下均需各区、市政府负责,不再单独列出)\n"
            "(二)乙。做乙事。(责任单位:市商务局)\n(三)丙。做丙事。(牵头单位:各区、市政府)\n")
    a, b, c = tasks_of(text)
    assert a["inherited_responsible"] == b["inherited_responsible"] == ["各区、市政府"]
    assert (a["responsible"], b["responsible"]) == (["市发改委"], ["市商务局"])
    assert c["lead"] == ["各区、市政府"] and c["inherited_responsible"] == []  # named: not inherited twice


def test_xia_tong_carries_the_units_just_named_to_later_tasks():
    text = ("一、任务\n(一)甲。做甲事。(市发改委牵头,市统计局配合,下同)\n(二)乙。做乙事。(市商务局牵头)\n")
    a, b = tasks_of(text)
    assert a["responsible"] == ["市统计局"] and a["inherited_responsible"] == []
    assert b["inherited_responsible"] == ["市统计局"]


def test_bu_zai_zuo_fen_gong_carries_the_units_just_named():
    text = "一、任务\n(一)甲。做甲事。(各区、市政府负责,以下不再做分工)\n(二)乙。做乙事。(市商务局牵头)\n"
    a, b = tasks_of(text)
    assert a["responsible"] == ["各区、市政府"]
    assert b["inherited_responsible"] == ["各区、市政府"]


def test_carry_forward_written_in_the_running_text_counts_from_where_it_stands():
    text = ("一、任务\n(一)甲。做甲事。(市发改委牵头)\n以下各项任务均需各区、市政府负责落实,不再单独列出。\n"
            "(二)乙。做乙事。(市商务局牵头)\n")
    a, b = tasks_of(text)
    assert a["inherited_responsible"] == [] and b["inherited_responsible"] == ["各区、市政府"]


def test_first_listed_unit_leads_from_the_rule_on():
    text = ("一、任务\n(一)甲。做甲事。(市发改委、市财政局负责)\n"
            "各项任务中列第一位者为牵头单位。\n"
            "(二)乙。做乙事。(市发改委、市财政局负责)\n(三)丙。做丙事。(牵头单位:市商务局,责任单位:市统计局)\n")
    a, b, c = tasks_of(text)
    assert a["lead"] == [] and a["responsible"] == ["市发改委", "市财政局"]  # before the rule: no lead invented
    assert b["lead"] == ["市发改委"] and b["responsible"] == ["市财政局"]
    assert c["lead"] == ["市商务局"] and c["responsible"] == ["市统计局"]  # an explicit lead stays


def test_first_listed_rule_inside_an_annotation_applies_to_it():
    [task] = tasks_of("一、任务\n(一)甲。做甲事。(市发改委、市财政局按职责分工负责,列第一位者为牵头单位)\n")
    assert task["lead"] == ["市发改委"] and task["responsible"] == ["市财政局"]


# ---------------------------------------------------------------------- structure


def test_headings_of_every_level_become_sections():
    text = "一、总体要求\n正文。\n二、重点任务\n(一)平台建设\n1.建设平台\n(1)第一步。做第一步。\n(2)第二步\n1、另一种写法\n"
    headings = read_structure(normalise(text)).headings
    assert [(h.key, h.label, h.title) for h in headings] == [
        ("1", "一", "总体要求"), ("2", "二", "重点任务"), ("2.1", "二.1", "平台建设"), ("2.1.1", "二.1.1", "建设平台"),
        ("2.1.1.1", "二.1.1.1", "第一步"), ("2.1.1.2", "二.1.1.2", "第二步"),
        ("2.1.1-2", "二.1.1", "另一种写法")]  # numbering starts again: the key stays unique


def test_a_task_under_a_numbered_heading_line_gets_its_key():
    text = "二、重点任务\n(一)平台建设\n1.建设平台。建设一批平台。(牵头单位:市发改委)\n2.开展评估。每季度评估。(市统计局负责)\n"
    a, b = tasks_of(text)
    assert (a["key"], a["section"], a["text"]) == ("2.1.1.1", "二.1.1", "建设一批平台。")
    assert (b["key"], b["deadline"]) == ("2.1.2.1", {"rrule": "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"})


def test_decimal_numbers_and_years_are_not_headings():
    headings = read_structure("1.8万人就业。\n2022年,总数达到12个。\n").headings
    assert headings == []


def test_annex_is_not_part_of_the_numbered_structure():
    structure = read_structure("一、任务\n正文\n附件:1.名单\n2.另一个名单\n")
    assert [h.key for h in structure.headings] == ["1"]


# ---------------------------------------------------------------------- tables


def test_breakdown_table_with_merged_cells(registry):
    text = ("附件\n重点任务分工表\n序号 | 重点任务 | 牵头单位 | 责任单位 | 完成时限\n"
            "1 | 建设公共服务平台 | 市发展改革委 | 市财政局、市商务局 | 2022年底前\n"
            "2 | 开展招商活动 |  | 市商务局 | \n"
            "3 | 制定服务标准 | 市市场监管局 | 各区、市政府 | 每年\n"
            "4 | 推进信用建设 | 市发展改革委 |  | 长期\n")
    out = plan_of(text, registry)
    tasks = out["tasks"]
    assert [(t["key"], t["section"], t["text"]) for t in tasks] == [
        ("annex1.1", "附件1", "建设公共服务平台"), ("annex1.2", "附件1", "开展招商活动"),
        ("annex1.3", "附件1", "制定服务标准"), ("annex1.4", "附件1", "推进信用建设")]
    assert tasks[1]["lead"] == ["市发展改革委"] and tasks[1]["deadline"] == "2022-12-31"  # merged from above
    assert tasks[2]["deadline"] == {"rrule": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"}
    assert tasks[3]["responsible"] == ["各区、市政府"] and tasks[3]["deadline"] == "ongoing"
    assert out["plan"]["sections"] == [{"key": "annex1", "label": "附件1", "title": "重点任务分工表"}]


def test_flattened_table_one_cell_a_line():
    text = ("序号\n\n重点任务\n\n牵头单位\n\n配合单位\n\n完成时限\n\n"
            "1\n\n建设平台\n\n市发改委\n\n市财政局\n\n2022年6月底前\n\n"
            "2\n\n开展评估\n\n市统计局\n\n2022年底前\n")
    [table] = find_tables(normalise(text))
    assert table.is_breakdown
    first, second = table.rows
    assert first.cells == {"task": "建设平台", "lead": "市发改委", "responsible": "市财政局", "deadline": "2022年6月底前"}
    # a short row: its cells go by their look, the rest from the row above
    assert second.cells == {"task": "开展评估", "lead": "市统计局", "responsible": "市财政局", "deadline": "2022年底前"}


def test_name_list_becomes_targets():
    text = "附件\n2023年度重点项目名单\n序号\t项目名称\t所属区市\n1\t甲项目\t市南区\n2\t乙项目\t崂山区\n"
    out = plan_of(text)
    assert out["tasks"] == []
    assert [(t["indicator"], t["year"]) for t in out["targets"]] == [
        ("2023年度重点项目:甲项目(市南区)", 2023), ("2023年度重点项目:乙项目(崂山区)", 2023)]


# ---------------------------------------------------------------------- sentences, metadata, noise


def test_without_annotations_a_sentence_naming_its_unit_and_deadline_is_a_task(registry):
    text = ("一、管理\n各区(市)、功能区发展改革部门于每年2月底前报送总结。市发展改革委要加强指导。\n"
            "二、其他\n各区(市)要做好工作。\n")
    [task] = tasks_of(text, registry)
    assert task["lead"] == ["各区(市)、功能区发展改革部门"] and task["key"] == "1.1"
    # the only such sentence in its paragraph: the paragraph is the task's text
    assert task["text"] == "各区(市)、功能区发展改革部门于每年2月底前报送总结。市发展改革委要加强指导。"


def test_metadata_in_both_portal_layouts():
    qingdao = read_metadata(normalise(
        "青岛市人民政府关于印发青岛市某行动计划(2021—2023年)的通知\n  • 成文日期 2021-03-01\n"
        "  • 发布日期 2021-03-05\n  • 发文字号 青政字〔2021〕5号\n  • 发文单位 青岛市人民政府\n"), ["青岛市", "吉林市"])
    assert (qingdao.title, qingdao.document_number, qingdao.issuer) == (
        "青岛市某行动计划(2021—2023年)", "青政字〔2021〕5号", "青岛市人民政府")
    assert (qingdao.written_on, qingdao.published_on) == (date(2021, 3, 1), date(2021, 3, 5))
    assert (qingdao.period_start, qingdao.period_end) == (date(2021, 3, 1), date(2023, 12, 31))
    assert qingdao.jurisdiction == "青岛市"
    jilin = read_metadata("发文机关: | 吉林市商务局 | 成文日期: | 2022年1月6日 |\n标 题: | 关于印发《某方案》的通知 |\n",
                          ["青岛市", "吉林市"])
    assert (jilin.title, jilin.issuer, jilin.written_on, jilin.jurisdiction) == (
        "某方案", "吉林市商务局", date(2022, 1, 6), "吉林市")


def test_an_unknown_city_comes_from_the_issuer():
    meta = read_metadata("发文单位 济南市人民政府\n", ["青岛市"])
    assert meta.jurisdiction == "济南市"


def test_traditional_characters_and_pinyin_glosses():
    # full-width digits stay as published; the matching copy folds them
    assert normalise("各區(qū)(市)發(fā)展改革局\r\n  • 成文日期 \uff12\uff10\uff12\uff14-06-24") == \
        "各区(市)发展改革局\n成文日期 \uff12\uff10\uff12\uff14-06-24"
    assert fold(normalise("成文日期 \uff12\uff10\uff12\uff14-06-24")) == "成文日期 2024-06-24"
    assert normalise("(RCEP)成员国") == "(RCEP)成员国"


def test_deadlines_are_read_relative_to_the_documents_dates():
    text = ("成文日期 2021-03-01\n一、任务\n(一)甲。本方案印发之日起30日内制定细则。(市发改委负责)\n"
            "(二)乙。未来3年建成平台。(市发改委负责)\n(三)丙。持续推进。(市发改委负责)\n")
    a, b, c = tasks_of(text)
    assert a["deadline"] == "2021-03-31" and b["deadline"] == "2024-02-29" and c["deadline"] == "ongoing"


def test_a_phrase_that_cannot_be_dated_is_a_warning():
    out = plan_of("一、任务\n(一)甲。本方案印发之日起30日内制定细则。(市发改委负责)\n")
    assert out["tasks"][0]["deadline"] is None
    assert any("印发之日起30日内" in w for w in out["warnings"])


def test_english_warnings():
    out = to_json(read_text("一、任务\n(一)甲。做事。(市发改委负责)\n", jurisdiction=None), key="t", lang="en")
    assert any("jurisdiction" in w for w in out["warnings"])


def test_odd_inputs_do_not_raise():
    for text in ("", "(", ")", "((((", "一、", "(一)", "序号\n1\n", "附件", "\n\n\n", "每年每年每年", "(牵头单位:)"):
        try:
            read_text(text)
        except TrackerError:
            pass


# ---------------------------------------------------------------------- targets


@pytest.mark.parametrize("sentence, expected", [
    ("争取省级以上服务业集聚区达到15家以上。", ("省级以上服务业集聚区", "以上", 15, "家")),
    ("新认定市级现代服务业集聚区30家左右。", ("新认定市级现代服务业集聚区", "左右", 30, "家")),
    ("金融业增加值年均增长10%。", ("金融业增加值", "年均增长", 10, "%")),
    ("数字产业年均增长20%以上。", ("数字产业年均增长", "以上", 20, "%")),
    ("技术合同成交额突破200亿元。", ("技术合同成交额", "突破", 200, "亿元")),
    ("到2026年企业总数突破1200家。", ("企业总数", "突破", 1200, "家")),
    ("比重超过10.5%。", ("比重", "超过", 10.5, "%")),
    ("建设20处海外仓。", ("建设海外仓", None, 20, "处")),
    ("新增上市企业10家以上。", ("新增上市企业", "以上", 10, "家")),
    ("平均营业收入达到10000元/平方米以上。", ("平均营业收入", "以上", 10000, "元/平方米")),
])
def test_target_forms(sentence, expected):
    [target] = plan_of("一、目标\n" + sentence)["targets"]
    assert (target["indicator"], target["comparator"], target["value"], target["measure"]) == expected


def test_year_by_year_lines_and_section_years():
    out = plan_of("成文日期 2021-12-06\n一、目标\n争取到2023年,集聚区达到20个以上。\n营业收入达到50亿元。\n"
                  "二、分年度目标\n2022年,集聚区总数达到12个,入驻企业500户。\n2024年,集聚区总数达到14个。\n")
    got = [(t["indicator"], t["value"], t["year"]) for t in out["targets"]]
    assert got == [("集聚区", 20, 2023), ("营业收入", 50, 2023), ("集聚区总数", 12, 2022), ("入驻企业", 500, 2022),
                   ("集聚区总数", 14, 2024)]
    assert out["plan"]["period_end"] == "2024-12-31"  # no stated period: the latest year named


@pytest.mark.parametrize("sentence", [
    "结合全市15个攻势,特制定本计划。", "新签约入驻项目70余个。", "原则上不超过3个。", "打造5─10个品牌。",
    "对21个拟入园项目进行评审。", "2022年以来成效明显。",
])
def test_facts_in_passing_are_not_targets(sentence):
    assert plan_of("一、目标\n" + sentence)["targets"] == []


def test_a_rate_has_no_year_and_a_quota_is_not_a_deadline():
    text = "一、任务\n(一)甲。每年制定10项以上标准。(市发改委负责)\n(二)乙。争取每个集聚区每年引进5个项目。(市商务局负责)\n"
    out = plan_of(text)
    assert out["tasks"][0]["deadline"] == {"rrule": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"}
    assert out["tasks"][1]["deadline"] is None
    assert [(t["indicator"], t["year"], t["task"]) for t in out["targets"]] == [
        ("制定标准", None, "1.1.1"), ("每个集聚区引进项目", None, "1.2.1")]


def test_english_output_of_the_command(tmp_path, tracker_cli):
    source = tmp_path / "plan.txt"
    source.write_text("一、任务\n(一)甲。做事。(牵头单位:市发改委)\n", encoding="utf-8")
    result = tracker_cli("--lang", "en", "plan", "parse", str(source), "-j", "青岛市", "-o", str(tmp_path / "d.toml"))
    assert result.exit_code == 0, result.output
    text = (tmp_path / "d.toml").read_text(encoding="utf-8")
    assert text.startswith("# Drafted by `tracker plan parse`") and "To check:" in text
    assert "wrote" in result.stderr and "1 task," in result.stderr


def test_an_annotation_on_a_heading_line_is_the_tasks_not_the_titles():
    out = plan_of("二、重点任务\n(一)建设公共服务平台(牵头单位:市发改委,责任单位:市财政局)\n(二)开展评估(市统计局负责)\n")
    assert [s["title"] for s in out["plan"]["sections"]] == ["重点任务", "建设公共服务平台", "开展评估"]
    first, second = out["tasks"]
    assert (first["text"], first["lead"], first["responsible"]) == ("建设公共服务平台", ["市发改委"], ["市财政局"])
    assert (second["text"], second["responsible"]) == ("开展评估", ["市统计局"])


def test_nested_brackets_and_level_prefixes_inside_an_annotation():
    [task] = tasks_of("一、任务\n(一)甲。做甲事。(牵头单位:市交通委(科信处、宣传处),责任单位:市经贸委、国土房管局)\n")
    assert task["lead"] == ["市交通委(科信处、宣传处)"] and task["responsible"] == ["市经贸委", "市国土房管局"]


@pytest.mark.parametrize("content, responsible, deadline_text", [
    ("责任单位:各区市政府,市直有关部门;完成时限:2022年底前", ["各区市政府", "市直有关部门"], "完成时限:2022年底前"),
    ("牵头单位:市发改委;完成时间:长期坚持", [], "完成时间:长期坚持"),
    ("市发改委牵头,2021年底前完成", [], "2021年底前完成"),
])
def test_a_deadline_written_in_the_annotation(content, responsible, deadline_text):
    found = parse_annotation(content)
    assert found.responsible == responsible and found.deadline_text == deadline_text


@pytest.mark.parametrize("content", ["含功能区", "市发展改革委负责解释", "2022年底前完成"])
def test_more_brackets_that_are_not_annotations(content):
    assert parse_annotation(content) is None
