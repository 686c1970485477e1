"""A new jurisdiction's plan from its published text to liaisons' task lists, for each of the ten
corpus documents, in a fresh database: `plan parse` → `units propose` → (a person fills in the
groups' members) → `units check` → `plan load` → `tasks --unit` of a proposed unit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomlkit
from click.testing import CliRunner

from tests import formats_support as F
from tracker.cli import cli

# The jurisdiction each plan's issuer names (上海市松江区人民政府办公室 → 上海市松江区, 国务院 → 全国), which
# the registry does not know: the reader must tell it from the text.
JURISDICTION = {
    "gwy_agrimach_2018": "全国", "gwy_bondedzone_2019": "全国", "gwy_sportsevents_2018": "全国",
    "gwy_consumption_2018": "全国", "sh_sponge_2024": "上海市", "sh_gas_2023": "上海市",
    "sj_renewal_2025": "上海市松江区", "cm_ruralroad_2021": "上海市崇明区", "bs_garbage_2019": "上海市宝山区",
    "qp_cdw_2025": "上海市青浦区",
}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def fill_in_members(registry_path: Path) -> list[str]:
    """What the office does by hand: list the members of each group the proposal left empty
    (two units of each, which it adds to the registry as districts)."""
    document = tomlkit.parse(registry_path.read_text(encoding="utf-8"))
    filled = []
    for group in document.get("groups", []):
        if list(group.get("members", [None])) == [] and not group.get("choose", False):
            members = [f"{group['name']}之一", f"{group['name']}之二"]
            group["members"] = members
            for name in members:
                unit = tomlkit.table()
                unit.update({"jurisdiction": group["jurisdiction"], "name": name, "kind": "district"})
                document["units"].append(unit)
            filled.append(group["name"])
    registry_path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return filled


@pytest.mark.parametrize("name", F.NAMES)
def test_a_new_jurisdictions_plan_from_text_to_task_lists(name, tmp_path):
    jurisdiction = JURISDICTION[name]
    plans = tmp_path / "plans"
    plans.mkdir()
    plan_path = plans / f"{name.replace('_', '-')}.toml"
    run("plan", "parse", str(F.CORPUS / f"{name}.txt"), "-o", str(plan_path))
    assert tomlkit.parse(plan_path.read_text(encoding="utf-8"))["plan"]["jurisdiction"] == jurisdiction

    output = run("units", "propose", str(plan_path))
    registry_path = plans / "units.toml"
    assert registry_path.exists(), output
    fill_in_members(registry_path)
    run("units", "check", str(registry_path))

    db = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    run("--db", db, "plan", "load", str(plans))

    # every task's units resolve, or are flagged for a person to choose
    draft = json.loads(run("plan", "parse", str(F.CORPUS / f"{name}.txt"), "--format", "json", "-j", jurisdiction,
                           "--registry", str(registry_path)))
    for task in draft["tasks"]:
        assert task["unknown_units"] == [], (task["key"], task["unknown_units"])
        names = task["lead"] + task["responsible"] + task["inherited_responsible"]
        assert len(task["lead_ids"]) + len(task["responsible_ids"]) + len(task["inherited_responsible_ids"]) \
            >= (1 if names else 0)

    # a unit the proposal made (from the catalogue) lists its tasks
    registry = tomlkit.parse(registry_path.read_text(encoding="utf-8"))
    proposed = [u["name"] for u in registry["units"] if "full_name" in u and not str(u["name"]).endswith("人民政府")]
    assert proposed, "the catalogue matched none of the plan's units"
    tasks_by_unit = {}
    for task in draft["tasks"]:
        for unit_id in task["lead_ids"] + task["responsible_ids"] + task["inherited_responsible_ids"]:
            tasks_by_unit.setdefault(unit_id.split("/", 1)[1], set()).add(task["key"])
    unit = max(proposed, key=lambda u: len(tasks_by_unit.get(u, ())))
    listed = json.loads(run("--db", db, "tasks", "--unit", unit, "-j", jurisdiction, "--json"))
    assert {t["key"] for t in listed} == tasks_by_unit[unit]
