"""The unit registry: aliases, groups, and names that mean different units in different cities."""

import pytest

from tracker.errors import TrackerError
from tracker.errors import UnknownJurisdiction
from tracker.registry import Registry, UnknownUnit

from .conftest import PLANS


@pytest.fixture(scope="module")
def registry():
    return Registry.load(PLANS / "units.toml")


def test_aliases_resolve_to_one_unit(registry):
    names = ["市发展改革委", "市发展和改革委员会", "市发改委", "青岛市发展和改革委员会", "青岛市发展改革委"]
    assert {registry.resolve("青岛市", n).name for n in names} == {"市发展改革委"}


def test_full_width_brackets_fold(registry):
    # the names as published: （市） is U+FF08 U+FF09, 《市》 U+300A U+300B
    assert registry.resolve("青岛市", "各区\uff08市\uff09政府").name == "各区、市政府"
    assert registry.resolve("青岛市", "各区(市)政府").name == "各区、市政府"
    assert registry.resolve("吉林市", "各相关县\uff08市\uff09区政府及开发区管委会").name == "各相关县<市>区政府及开发区管委会"
    assert registry.resolve("吉林市", "各相关县\u300a市\u300b区政府及开发区管委会").name == "各相关县<市>区政府及开发区管委会"


def test_same_name_in_two_jurisdictions_is_two_units(registry):
    qingdao = registry.resolve("青岛市", "市商务局")
    jilin = registry.resolve("吉林市", "市商务局")
    assert qingdao.id == "青岛市/市商务局" and jilin.id == "吉林市/市商务局"
    assert qingdao != jilin
    assert registry.jurisdictions_with("市商务局") == ["青岛市", "吉林市"]
    # 吉林's 市发改委 is not 青岛's 市发展改革委
    assert registry.resolve("吉林市", "市发展改革委").id == "吉林市/市发改委"


def test_qingdao_district_group_has_the_ten_governments(registry):
    group = registry.resolve("青岛市", "各区、市政府")
    members = [u.name for u in registry.expand(group)]
    assert members == ["市南区政府", "市北区政府", "李沧区政府", "崂山区政府", "城阳区政府",
                       "黄岛区政府", "即墨区政府", "胶州市政府", "平度市政府", "莱西市政府"]
    assert not group.choose


def test_relevant_ones_groups_need_a_person_to_choose(registry):
    for jurisdiction, name in [("青岛市", "各相关职能单位"), ("青岛市", "各相关区、市政府"),
                               ("吉林市", "各相关县<市>区政府及开发区管委会"), ("吉林市", "市直相关部门")]:
        group = registry.resolve(jurisdiction, name)
        assert group.is_group and group.choose and group.members


def test_unknown_name_suggests_close_names(registry):
    with pytest.raises(UnknownUnit) as raised:
        registry.resolve("青岛市", "市发展改革局")
    assert "市发展改革委" in raised.value.suggestions
    with pytest.raises(UnknownUnit):
        registry.resolve("吉林市", "市大数据局")  # a 青岛 unit only


def test_unknown_jurisdiction(registry):
    with pytest.raises(UnknownJurisdiction, match="未知地区 '济南市'") as refused:
        registry.resolve("济南市", "市商务局")
    assert "青岛市" in refused.value.known and "unknown jurisdiction '济南市'" in refused.value.words("en")


def test_registry_rejects_a_name_claimed_twice(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text('[[jurisdictions]]\nname = "青岛市"\n'
                    '[[units]]\njurisdiction = "青岛市"\nname = "市商务局"\n'
                    '[[units]]\njurisdiction = "青岛市"\nname = "市商贸局"\naliases = ["市商务局"]\n', encoding="utf-8")
    with pytest.raises(TrackerError, match="同时被 '市商务局' 和 '市商贸局' 使用") as refused:
        Registry.load(path)
    assert refused.value.where == str(path) and "claimed by both" in refused.value.words("en")
