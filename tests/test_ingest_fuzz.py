"""Arbitrary text never makes the reader fail with anything but our own clear error, and every
draft it writes reads back as a valid plan file."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.errors import TrackerError
from tracker.ingest.reader import read_text, to_json, to_plan_file
from tracker.planfile import dump_plan, read_plan
from tracker.registry import Registry

from .conftest import PLANS

REGISTRY = Registry.load(PLANS / "units.toml")

# Pieces of real plans, so the generated text exercises the readers, not only the fallbacks.
FRAGMENTS = [
    "一、", "三、重点任务\n", "(一)", "(二)实施行动。", "1.", "2、", "(1)", "\n", "。", ",", "、", ";", "(", ")",
    "(", ")", "<市>", "牵头单位:", "责任单位:", "配合单位:", "牵头部门:", "市发改委", "市发展改革委", "市财政局",
    "各区、市政府", "各相关职能单位", "市交通委(科信处、宣传處)", "牵头", "配合", "参与", "负责", "指导", "按职责分工负责",
    "等", "及", "和", "以下均需", "不再单独列出", "下同", "不再做分工", "列第一位者为牵头单位", "到2022年", "2022年底前",
    "2019年6月底前", "每年2月底前", "每年", "每季度", "每月5日前", "长期坚持", "持续推进", "本意见印发之日起30日内",
    "“十四五”期间", "未来3年", "3年内", "每个集聚区", "达到15家以上", "30家左右", "年均增长10%", "突破1200家",
    "2022年,", "集聚区总数达到12个", "序号", "重点任务", "完成时限", "名称", " | ", "\t", "附件", "成文日期 2020-11-19",
    "发文字号 青政字〔2020〕30号", "标 题: | ", "發(fā)展", "關(guān)於", "(2020—2022年)", "关于印发《", "》的通知",
    "2019年13月底前", "2020年2月30日前", "0年", "99999999999999999999个", "十九五期间", "每〇年",
    "印发之日起99999999个工作日内", "未来99999999999年", "\x7f", "\x00",
    # the published forms: （）：，；．～ and U+3000, named by escape so no editor can turn them into ASCII
    "\uff08", "\uff09", "\uff1a", "\uff0c", "\uff1b", "\uff0e", "\uff5e", "\u3000", "\uff12\uff10\uff12\uff15",
    "\uff08牵头单位\uff1a", "\uff0c责任单位\uff1a", "\uff1b配合单位\uff1a", "支撑单位\uff1a", "责任部门\uff1a",
    "牵头负责\uff0c", "组织落实\uff09", "按职责分工负责落实", "等有关部门", "等和", "会同", "为牵头单位", "\uff08牵头\uff09",
    "列第一位者为牵头单位\uff0c下同", "排在第一位的部门为牵头部门", "以下均需各区政府落实\uff0c不再列出",
    "国发\u30142018\u301542号\n", "国务院\n2018年12月21日\n", "济南市", "\uff082024\u20142025年\uff09",
    "2023\u20142025年", "2012年起5年内", "自2022年起", "3\u20145年一遇", "每年每公里", "\u201c十四五\u201d期间",
    "| 序号 | 工作任务 | 主要工作内容 | 牵头单位 | 配合单位 |\n", "| 1 | 源头减量 | 增加要求 | 区规划资源局 | \u2014\u2014 |\n",
    "| 2024年 | 2025年 | 2026年计划 |", "任务名称\n", "时间节点\n", "\u2014\u2014\n", "\u2014\n", "\uff08\u4e00\uff09\n",
    "区土方工作\n专班\n", "区绿化市容局\u3001\n", "2019年3月\n", "完成时限\uff1a2024年底前\n", "牵头单位\uff1a市统计局\n",
]

texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, jurisdiction=st.sampled_from([None, "青岛市", "吉林市", "济南市"]))
def test_arbitrary_text_never_raises_anything_but_tracker_error(text, jurisdiction, tmp_path_factory):
    try:
        draft = read_text(text, registry=REGISTRY, jurisdiction=jurisdiction)
        out = to_json(draft, key="fuzz", original=text.encode("utf-8", "surrogatepass"))
        json.dumps(out, ensure_ascii=False)
    except TrackerError:
        return
    if draft.tasks and draft.jurisdiction:
        # the plan file it would write is valid TOML that reads back with the same tasks
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.toml"
        path.write_text(dump_plan(to_plan_file(draft, key="fuzz")), encoding="utf-8")
        plan = read_plan(path)
        assert [t.key for t in plan.tasks] == [t.key for t in draft.tasks]
        assert [t.lead for t in plan.tasks] == [t.lead for t in draft.tasks]


@settings(max_examples=40, deadline=None)
@given(text=texts)
def test_the_command_on_arbitrary_text_fails_only_with_our_error(text, tmp_path_factory):
    from click.testing import CliRunner

    from tracker.cli import cli

    folder = tmp_path_factory.mktemp("cmd")
    source = folder / "source.txt"
    source.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(cli, ["plan", "parse", str(source), "-j", "青岛市", "-o", str(folder / "out.toml")])
    assert result.exit_code == 0 or isinstance(result.exception, TrackerError), result.exception
    if result.exit_code != 0:
        assert not (folder / "out.toml").exists()


@given(value=st.text())
def test_any_string_a_draft_holds_is_written_as_valid_toml(value):
    """Found by the test above: JSON's escapes leave DEL (U+007F) raw, which TOML forbids."""
    import tomllib

    from tracker.planfile import _toml_string

    assert tomllib.loads(f"x = {_toml_string(value)}")["x"] == value
