"""Reading a written list of units: separators, brackets, level prefixes, words that are not names."""

import pytest

from tracker.ingest.unit_lists import names_a_body, split_units, strip_trailers
from tracker.registry import Registry

from .conftest import PLANS


@pytest.mark.parametrize("written, names", [
    ("市发展改革委、市科技局、市商务局", ["市发展改革委", "市科技局", "市商务局"]),
    ("市民营经济局,市税务局", ["市民营经济局", "市税务局"]),
    ("市民营经济局,市税务局;市财政局", ["市民营经济局", "市税务局", "市财政局"]),
    ("市发改委、市委宣传部及各相关部门按职责分工负责", ["市发改委", "市委宣传部", "各相关部门"]),
    ("市财政局和市税务局", ["市财政局", "市税务局"]),
    ("市财政局以及市税务局", ["市财政局", "市税务局"]),
    # 和 inside a name is not a separator
    ("市自然资源和规划局、市文化和旅游局", ["市自然资源和规划局", "市文化和旅游局"]),
    ("市工业和信息化局", ["市工业和信息化局"]),
    # a level prefix carries across the list
    ("市经贸委、国土房管局", ["市经贸委", "市国土房管局"]),
    ("省发展改革委、财政厅", ["省发展改革委", "省财政厅"]),
    # … but not onto a name that says where it is
    ("市发展改革委,青岛西海岸新区管委、胶州市政府", ["市发展改革委", "青岛西海岸新区管委", "胶州市政府"]),
    # nothing inside brackets is split
    ("市交通委(科信处、宣传处)、市公安局", ["市交通委(科信处、宣传处)", "市公安局"]),
    ("市交通委(科信处、宣传处)", ["市交通委(科信处、宣传处)"]),
    # a piece that names no body shares the next piece's suffix
    ("各区、市政府", ["各区、市政府"]),
    ("各相关区、市政府", ["各相关区、市政府"]),
    ("各区(市)、功能区发展改革部门", ["各区(市)、功能区发展改革部门"]),
    ("市发展改革委、各区、市政府", ["市发展改革委", "各区、市政府"]),
    # a 各… group keeps its 及 part; a 及 before a new group splits
    ("各相关县<市>区政府及开发区管委会", ["各相关县<市>区政府及开发区管委会"]),
    ("各县(市)区政府及市直各部门", ["各县(市)区政府", "市直各部门"]),
    # 等, 按职责分工负责, 负责 are not part of a name
    ("市发改委、市委宣传部、市科技局、市商务局、市文广旅局等按职责分工负责",
     ["市发改委", "市委宣传部", "市科技局", "市商务局", "市文广旅局"]),
    ("市统计局等单位", ["市统计局"]),
    ("市科技局负责", ["市科技局"]),
    ("  市科技局 、 市财政局 ", ["市科技局", "市财政局"]),
    ("市科技局、市科技局", ["市科技局"]),
    ("", []),
    ("等", []),
    ("按职责分工负责", []),
])
def test_split_units(written, names):
    assert split_units(written) == names


def test_a_known_name_is_neither_prefixed_nor_split():
    registry = Registry.load(PLANS / "units.toml")

    def known(name):
        return registry.lookup("青岛市", name) is not None

    assert split_units("市商务局、青岛海关") == ["市商务局", "青岛海关"]  # a customs office takes no level
    assert split_units("市商务局、国土房管局") == ["市商务局", "市国土房管局"]
    assert split_units("市商务局、国土房管局", is_name=lambda n: n == "国土房管局" or known(n)) == ["市商务局", "国土房管局"]


def test_names_a_body_and_trailers():
    assert names_a_body("市交通委(科信处)") and names_a_body("各相关职能单位") and names_a_body("青岛海关")
    assert not names_a_body("各区(市)") and not names_a_body("各区") and not names_a_body("")
    assert strip_trailers("市统计局等按职责分工负责。") == "市统计局"
