"""The catalogue of standard departments, `tracker units propose` and `tracker units check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import PLANS, ROOT
from tracker.cli import cli
from tracker.planfile import PlanFile, Task, dump_plan
from tracker.registry import Registry, normalise_name
from tracker.registry.catalogue import catalogue, level_of


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def tracker(*args: str) -> subprocess.CompletedProcess:
    """As the user sees it: message on stderr, exit code, no traceback."""
    return subprocess.run([sys.executable, "-m", "tracker.cli", *args], capture_output=True, text=True, cwd=ROOT)


def plan_file(path: Path, jurisdiction: str, tasks: list[tuple[list[str], list[str]]], key: str = "jinan-digital") -> Path:
    plan = PlanFile(key=key, title="济南市数字经济发展行动方案", jurisdiction=jurisdiction)
    for n, (lead, responsible) in enumerate(tasks, start=1):
        plan.tasks.append(Task(key=str(n), text=f"第{n}项任务。", lead=lead, responsible=responsible))
    path.write_text(dump_plan(plan, "test plan"), encoding="utf-8")
    return path


# ---------------------------------------------------------------------- the catalogue


def test_catalogue_names_each_department_once():
    """No spelling is claimed by two different departments: a name must not mean two units."""
    for departments in (catalogue().local, catalogue().national):
        owner: dict[str, object] = {}
        for department in departments:
            for form in department.forms:
                assert form.full and form.short
                for name in (form.full, form.short, *form.also):
                    key = normalise_name(name)
                    assert owner.setdefault(key, department) is department, name
    assert len(catalogue().provinces) == 31


@pytest.mark.parametrize("written, jurisdiction, name, full_name, kind", [
    ("市发改委", "济南市", "市发展改革委", "济南市发展和改革委员会", "department"),
    ("济南市发展和改革委员会", "济南市", "市发展改革委", "济南市发展和改革委员会", "department"),
    ("市人社局", "济南市", "市人力资源社会保障局", "济南市人力资源和社会保障局", "department"),
    ("市住建局", "济南市", "市住房城乡建设局", "济南市住房和城乡建设局", "department"),
    ("市监局", "济南市", "市市场监管局", "济南市市场监督管理局", "department"),
    ("市卫健委", "济南市", "市卫生健康委", "济南市卫生健康委员会", "department"),
    ("市税务局", "济南市", "市税务局", "国家税务总局济南市税务局", "agency"),
    ("济南海关", "济南市", "济南海关", "济南海关", "agency"),
    ("人民银行济南分行", "济南市", "人民银行济南分行", "中国人民银行济南分行", "agency"),
    ("区委组织部（区公务员局）", "宝山区", "区委组织部", "宝山区委组织部", "department"),
    ("公安青浦分局", "青浦区", "公安青浦分局", "青浦区公安分局", "agency"),
    ("县发改局", "长清县", "县发展改革局", "长清县发展和改革局", "department"),
    ("省人社厅", "山东省", "省人力资源社会保障厅", "山东省人力资源和社会保障厅", "department"),
    ("发展改革委", "国务院", "国家发展改革委", "国家发展和改革委员会", "department"),
    ("人力资源社会保障部", "国务院", "人力资源社会保障部", "人力资源和社会保障部", "department"),
])
def test_written_names_match_their_standard_department(written, jurisdiction, name, full_name, kind):
    match = catalogue().match(written, jurisdiction)
    assert match is not None
    assert (match.name, match.full_name, match.kind) == (name, full_name, kind)


def test_what_is_not_a_standard_department_is_not_matched():
    for written, jurisdiction in (("区土方工作专班", "青浦区"), ("北京冬奥组委", "国务院"), ("市绿化市容局", "松江区"),
                                  ("区发展改革委", "济南市"), ("市委组织部", "国务院")):
        assert catalogue().match(written, jurisdiction) is None, written
    assert [level_of(j) for j in ("国务院", "山东省", "济南市", "上海市", "松江区", "长清县")] == \
        ["national", "province", "city", "city", "district", "district"]


# ---------------------------------------------------------------------- propose


def test_propose_a_new_city(tmp_path):
    plan = plan_file(tmp_path / "jinan-digital.toml", "济南市", [
        (["市发改委"], ["市大数据局", "市工信局"]),
        (["市发展改革委"], ["各区县政府", "各有关部门"]),
        (["济南市发展和改革委员会"], ["属地街道", "市数字经济专班"]),
    ])
    result = run("units", "propose", str(plan))
    assert result.exit_code == 0, result.output
    registry_path = tmp_path / "units.toml"
    registry = Registry.load(registry_path)
    assert "济南市" in registry.jurisdictions
    ndrc = registry.lookup("济南市", "市发改委")
    assert ndrc is not None and ndrc is registry.lookup("济南市", "市发展改革委")  # one unit, an alias
    assert ndrc.name == "市发展改革委" and ndrc.full_name == "济南市发展和改革委员会"
    assert registry.lookup("济南市", "市工信局").name == "市工业和信息化局"
    relevant = registry.lookup("济南市", "各有关部门")
    assert relevant.is_group and relevant.choose and "市大数据局" in relevant.members
    assert registry.lookup("济南市", "属地街道").choose
    districts = registry.lookup("济南市", "各区县政府")
    assert districts.is_group and not districts.choose and districts.members == ()
    text = registry_path.read_text(encoding="utf-8")
    assert "请填写 各区县政府 的成员" in text
    assert "市数字经济专班" in result.output and "标准部门目录中没有" in result.output  # listed for a person
    assert registry.lookup("济南市", "市数字经济专班").kind == "department"


def test_propose_extends_an_existing_registry_keeping_every_byte(tmp_path):
    registry_path = tmp_path / "units.toml"
    original = (PLANS / "units.toml").read_text(encoding="utf-8")
    registry_path.write_text(original, encoding="utf-8")
    plan = plan_file(tmp_path / "jinan-digital.toml", "济南市", [(["市发改委"], ["市商务局"])])
    assert run("units", "propose", str(plan)).exit_code == 0
    extended = registry_path.read_text(encoding="utf-8")
    assert extended.startswith(original.rstrip("\n"))
    registry = Registry.load(registry_path)
    assert registry.lookup("济南市", "市商务局").full_name == "济南市商务局"
    assert registry.lookup("青岛市", "市商务局").full_name == "青岛市商务局"  # another city's stays its own
    assert run("units", "propose", str(plan)).output.count("无需补充") == 1  # a second run adds nothing
    assert registry_path.read_text(encoding="utf-8") == extended


def test_a_known_unit_gains_the_plans_other_spelling_as_an_alias(tmp_path):
    registry_path = tmp_path / "units.toml"
    registry_path.write_text('# 青岛市的单位\n[[jurisdictions]]\nname = "青岛市"  # 计划单列市\n\n[[units]]\n'
                             'jurisdiction = "青岛市"\nname = "市发展改革委"\nkind = "department"\n', encoding="utf-8")
    plan = plan_file(tmp_path / "qd.toml", "青岛市", [(["青岛市发展和改革委员会"], ["市发改委"])], key="qd")
    result = run("units", "propose", str(plan))
    assert result.exit_code == 0, result.output
    text = registry_path.read_text(encoding="utf-8")
    assert text.startswith('# 青岛市的单位\n[[jurisdictions]]\nname = "青岛市"  # 计划单列市\n')
    unit = Registry.load(registry_path).lookup("青岛市", "市发改委")
    assert unit is not None and unit.name == "市发展改革委"
    assert "[[jurisdictions]]" not in text[20:]  # the city is not proposed again


def test_national_plan_gets_ministries_and_the_provinces(tmp_path):
    plan = plan_file(tmp_path / "gwy.toml", "国务院", [(["发展改革委", "财政部"], ["各省级人民政府"]),
                                                     ([], ["工业和信息化部", "各有关省级人民政府"])], key="gwy")
    assert run("units", "propose", str(plan)).exit_code == 0
    registry = Registry.load(tmp_path / "units.toml")
    assert registry.lookup("国务院", "发展改革委").name == "国家发展改革委"
    provinces = registry.lookup("国务院", "各省级人民政府")
    assert len(provinces.members) == 31 and not provinces.choose
    assert registry.lookup("国务院", "各有关省级人民政府").choose


def test_proposal_refuses_a_registry_edited_into_nonsense(tmp_path):
    registry_path = tmp_path / "units.toml"
    registry_path.write_text('[[jurisdictions]]\nname = "济南市"\n\n[[units]\njurisdiction = "济南市"\n',
                             encoding="utf-8")
    before = registry_path.read_bytes()
    plan = plan_file(tmp_path / "jinan-digital.toml", "济南市", [(["市发改委"], [])])
    result = tracker("units", "propose", str(plan))
    assert result.returncode == 2 and str(registry_path) in result.stderr and "Traceback" not in result.stderr
    assert registry_path.read_bytes() == before


# ---------------------------------------------------------------------- check


def test_check_a_registry(tmp_path):
    plan = plan_file(tmp_path / "jinan-digital.toml", "济南市", [(["市发改委"], ["各区县政府"])])
    run("units", "propose", str(plan))
    registry_path = tmp_path / "units.toml"
    result = tracker("units", "check", str(registry_path))
    assert result.returncode == 2
    lines = registry_path.read_text(encoding="utf-8").splitlines()
    place = next(n for n, line in enumerate(lines, start=1) if line == "[[groups]]")
    assert f"{registry_path}:{place}:" in result.stderr and "各区县政府" in result.stderr
    text = registry_path.read_text(encoding="utf-8").replace("members = []", 'members = ["历下区政府"]')
    text += '\n[[units]]\njurisdiction = "济南市"\nname = "历下区政府"\nkind = "district"\n'
    registry_path.write_text(text, encoding="utf-8")
    result = tracker("units", "check", str(registry_path))
    assert result.returncode == 0, result.stderr
    assert "无误" in result.stdout
    assert tracker("units", "check", str(PLANS / "units.toml")).returncode == 0


def test_check_names_the_line_of_a_syntax_error(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text('[[jurisdictions]]\nname = "济南市"\n\n[[units]]\njurisdiction = "济南市"\nname = 市发改委\n',
                    encoding="utf-8")
    result = tracker("units", "check", str(path))
    assert result.returncode == 2 and f"{path}:6:" in result.stderr and "TOML 语法错误" in result.stderr
    assert "Traceback" not in result.stderr
