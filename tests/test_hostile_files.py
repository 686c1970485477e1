"""Plan and registry files written wrong (issue #14): every one refused at load with its file,
line and field, in Chinese by default; nothing written; no traceback. What loaded before and
then broke every feed (a time zone from Mars, a rule every minute) is refused at load too."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tracker import i18n
from tracker.errors import TrackerError
from tracker.planfile import read_plan
from tracker.registry import Registry

from .conftest import PLANS, ROOT, snapshot

PLAN = """\
[plan]
key = "hostile"
title = "测试计划"
jurisdiction = "青岛市"
coordinator = "市发展改革委"
period_start = 2021-01-01
period_end = 2022-12-31

[[sections]]
key = "1"
title = "一、重点任务"

[[tasks]]
key = "1.1"
section = "1"
text = "第一项任务。"
lead = ["市发展改革委"]
deadline = 2022-06-30

[[tasks]]
key = "1.2"
section = "1"
text = "第二项任务。"
responsible = ["市商务局"]
deadline = {rrule = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"}

[[targets]]
indicator = "集聚区"
comparator = "以上"
value = 15
measure = "家"
year = 2022
task = "1.1"
"""

DEEP = "[" * 10_000 + "]" * 10_000

# case: (text replaced, its replacement, a piece of the line the refusal must name, the field it names)
PLAN_CASES = {
    "time zone from Mars": ('period_end = 2022-12-31', 'period_end = 2022-12-31\ntimezone = "Mars/Olympus"',
                            'timezone = "Mars/Olympus"', "plan.timezone"),
    "time zone a number": ('period_end = 2022-12-31', 'period_end = 2022-12-31\ntimezone = 8', "timezone = 8",
                           "plan.timezone"),
    "rule with a line break": ('BYMONTHDAY=31"', 'BYMONTHDAY=31\\nDTSTART:20210101"', "DTSTART:20210101", "deadline"),
    "rule with DTSTART": ('BYMONTHDAY=31"', 'BYMONTHDAY=31;DTSTART=20210101"', "DTSTART=20210101", "deadline"),
    "rule every minute": ('"FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"', '"FREQ=MINUTELY"', "MINUTELY", "deadline"),
    "rule every second a hundred million times": ('"FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"',
                                                  '"FREQ=SECONDLY;COUNT=100000000"', "SECONDLY", "deadline"),
    "rule by the hour": ('"FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"', '"FREQ=DAILY;BYHOUR=1,2,3"', "BYHOUR", "deadline"),
    "rule with a huge count": ('"FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"', '"FREQ=DAILY;COUNT=5000"', "COUNT=5000",
                               "deadline"),
    "rule on a day that never comes": ('"FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"', '"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"',
                                       "BYMONTHDAY=30", "deadline"),
    "rule not a string": ('{rrule = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"}', '{rrule = 5}', "rrule = 5", "deadline"),
    "sections a string": ("[plan]\n", 'sections = "abc"\n\n[plan]\n', 'sections = "abc"', "sections"),
    "tasks a number": ("[plan]\n", "tasks = 5\n\n[plan]\n", "tasks = 5", "tasks"),
    "[tasks] as a table": ('[[tasks]]\nkey = "1.2"', '[tasks]\nkey = "1.2"', "[tasks]", "tasks"),
    "coordinator a number": ('coordinator = "市发展改革委"', "coordinator = 5", "coordinator = 5", "plan.coordinator"),
    "a datetime for a date": ("period_end = 2022-12-31", "period_end = 2022-12-31T08:00:00", "period_end =",
                              "plan.period_end"),
    "a datetime deadline": ("deadline = 2022-06-30", "deadline = 2022-06-30 00:00:00", "deadline = 2022-06-30",
                            "deadline"),
    "a year past 64 bits": ("year = 2022", "year = 99999999999999999999", "year = 9999", "year"),
    "a year out of range": ("year = 2022", "year = 99999", "year = 99999", "year"),
    "arrays nested 10,000 deep": ('lead = ["市发展改革委"]', f"lead = {DEEP}", "lead = [[[", None),
    "a table for the title": ('title = "测试计划"', "title = {a = 1}", "title = {a = 1}", "plan.title"),
    "a table for the issuer": ('title = "测试计划"', 'title = "测试计划"\nissuer = {name = "x"}', "issuer =", "plan.issuer"),
    "a NUL byte in text": ('text = "第一项任务。"', 'text = "第一项\\u0000任务。"', "第一项\\u0000", "text"),
    "a NUL byte in a name": ('lead = ["市发展改革委"]', 'lead = ["市发展\\u0000改革委"]', "lead = [", "lead[0]"),
    "a number where text belongs": ('measure = "家"', "measure = 5", "measure = 5", "measure"),
    "nan for a target": ("value = 15", "value = nan", "value = nan", "value"),
    "inf for a target": ("value = 15", "value = -inf", "value = -inf", "value"),
    "true for a target": ("value = 15", "value = true", "value = true", "value"),
    "plan key with a trailing newline": ('key = "hostile"', 'key = "hostile\\n"', 'key = "hostile', "plan.key"),
    "plan key longer than the column": ('key = "hostile"', f'key = "{"k" * 129}"', 'key = "kkk', "plan.key"),
    "plan key a path": ('key = "hostile"', 'key = "../hostile"', 'key = "../', "plan.key"),
    "task text too long": ('text = "第一项任务。"', f'text = "{"长" * 20_001}"', 'text = "长长', "text"),
    "lead a number": ('lead = ["市发展改革委"]', "lead = 5", "lead = 5", "lead"),
    "an unknown field": ('measure = "家"', 'measure = "家"\nmeasures = "家"', "measures =", "measures"),
    "a task without text": ('text = "第二项任务。"\n', "", "[[tasks]]#2", "text"),  # the task's header
    "a period of a thousand years": ("period_end = 2022-12-31", "period_end = 3022-12-31", "period_end =",
                                     "plan.period_end"),
    "a daily rule past 4,000 days": ("period_end = 2022-12-31\n", "period_end = 2040-12-31\n"
                                     , 'deadline = {rrule = "FREQ=DAILY"}', "deadline"),
}


def _plan_dir(tmp_path, text: str):
    folder = tmp_path / "plans"
    folder.mkdir()
    shutil.copy(PLANS / "units.toml", folder / "units.toml")
    (folder / "hostile.toml").write_text(text, encoding="utf-8")
    return folder


def _case_text(case: str) -> str:
    old, new, _marker, _field = PLAN_CASES[case]
    text = PLAN
    if case == "a daily rule past 4,000 days":
        text = text.replace('"FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"', '"FREQ=DAILY"')
    if case == "sections a string":  # the [[sections]] tables give way to a string
        text = text.replace('[[sections]]\nkey = "1"\ntitle = "一、重点任务"\n', "")
    if case in ("tasks a number", "[tasks] as a table"):  # no [[tasks]] tables beside it
        start, end = text.index("[[tasks]]"), text.index("[[targets]]")
        keep = "" if case == "tasks a number" else text[text.index('[[tasks]]\nkey = "1.2"'):end]
        text = text[:start] + keep + text[end:]
    assert old in text, case
    return text.replace(old, new, 1)


def _line_of(text: str, marker: str) -> int:
    marker, _, nth = marker.partition("#")
    return [n for n, line in enumerate(text.splitlines(), start=1) if marker in line][int(nth or 1) - 1]


def test_the_template_loads(db, tmp_path):
    from tracker.service.loading import load_paths

    _, changes = load_paths(db, [_plan_dir(tmp_path, PLAN)])
    assert [c.plan for c in changes] == ["hostile"]
    # a daily rule over a plan's two years is fine (DAILY is the finest the product supports)
    folder = tmp_path / "daily"
    folder.mkdir()
    shutil.copy(PLANS / "units.toml", folder / "units.toml")
    (folder / "hostile.toml").write_text(PLAN.replace("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", "FREQ=DAILY"),
                                         encoding="utf-8")
    load_paths(db, [folder])


@pytest.mark.parametrize("case", list(PLAN_CASES))
def test_a_wrong_plan_file_is_refused_with_file_line_and_field(case, loaded_db, tracker_cli, tmp_path):
    text = _case_text(case)
    folder = _plan_dir(tmp_path, text)
    path = folder / "hostile.toml"
    marker, field = PLAN_CASES[case][2], PLAN_CASES[case][3]
    before = snapshot(loaded_db.url)
    result = tracker_cli("--lang", "en", "plan", "load", str(folder))
    assert result.exit_code != 0
    assert isinstance(result.exception, TrackerError), result.exception  # printed as one message, no traceback
    message = str(result.exception)
    assert f"{path}:{_line_of(text, marker)}:" in message, message
    if field:
        assert re.search(rf"\d: ([a-z_]+\.)?{re.escape(field)}(\.[a-z]+)?: ", message), message
    assert snapshot(loaded_db.url) == before


def test_refusals_are_in_chinese_by_default_without_a_traceback(tmp_path):
    text = _case_text("time zone from Mars")
    folder = _plan_dir(tmp_path, text)
    result = subprocess.run([sys.executable, "-m", "tracker.cli", "--db", f"sqlite:///{tmp_path / 'db.sqlite3'}",
                             "plan", "load", str(folder)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    line = _line_of(text, "Mars")
    assert f"hostile.toml:{line}\uff1aplan.timezone\uff1a未知时区 'Mars/Olympus'" in result.stderr, result.stderr


def test_a_date_written_as_a_string_still_loads(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(PLAN.replace("period_end = 2022-12-31", 'period_end = "2022-12-31"'), encoding="utf-8")
    assert str(read_plan(path).period_end) == "2022-12-31"


def test_a_datetime_deadline_no_longer_reloads_as_updated(db, tmp_path):
    """It was accepted, and every reload then reported the task "updated": now it is refused."""
    from tracker.service.loading import load_paths

    folder = _plan_dir(tmp_path, PLAN.replace("deadline = 2022-06-30", "deadline = 2022-06-30T00:00:00"))
    with pytest.raises(TrackerError, match="hostile.toml:18\uff1atasks.deadline\uff1a应为日期\uff08如 2022-12-31\uff09\uff0c不带时刻"):
        load_paths(db, [folder])


# ---------------------------------------------------------------------- the registry

REGISTRY = """\
[[jurisdictions]]
name = "青岛市"
timezone = "Asia/Shanghai"

[[units]]
jurisdiction = "青岛市"
name = "市发展改革委"
aliases = ["市发改委"]

[[units]]
jurisdiction = "青岛市"
name = "市商务局"

[[groups]]
jurisdiction = "青岛市"
name = "各相关部门"
candidates = "department"
choose = true

[[liaisons]]
jurisdiction = "青岛市"
unit = "市商务局"
name = "王敏"
email = "wangmin@example.gov.cn"
"""

REGISTRY_CASES = {
    "units a number": ('[[units]]\njurisdiction = "青岛市"\nname = "市商务局"\n', "units = 5\n", "units = 5", "units"),
    "an entry without a name": ('name = "市商务局"\n\n[[groups]]', "\n[[groups]]", None, "name"),
    "a unit listed twice": ('name = "市商务局"\n', 'name = "市发展改革委"\n', None, "name"),
    "a jurisdiction listed twice": ('[[units]]', '[[jurisdictions]]\nname = "青岛市"\n\n[[units]]', None, "name"),
    "a time zone from Mars": ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"', "Mars", "timezone"),
    "a liaison's name with a line break": ('name = "王敏"', 'name = "王敏\\r\\nBcc: all@example.com"', "王敏",
                                          "name"),
    "a liaison's address with a line break": ('email = "wangmin@example.gov.cn"',
                                              'email = "wangmin@example.gov.cn\\nBcc: all@example.com"',
                                              "email =", "email"),
    "a liaison's address that is not one": ('email = "wangmin@example.gov.cn"', 'email = "wangmin at example"',
                                            "email =", "email"),
    "a liaison's address with two @": ('email = "wangmin@example.gov.cn"', 'email = "a@b@example.gov.cn"',
                                       "email =", "email"),
    "a liaison's name with an escape code": ('name = "王敏"', 'name = "\\u001b[31m王敏"', "王敏", "name"),
    "a liaison listed twice": ('email = "wangmin@example.gov.cn"\n',
                               'email = "wangmin@example.gov.cn"\n\n[[liaisons]]\njurisdiction = "青岛市"\n'
                               'unit = "市商务局"\nname = "王敏"\n', None, "name"),
    "aliases a string": ('aliases = ["市发改委"]', 'aliases = "市发改委"', "aliases =", "aliases"),
    "a kind that is not one": ('candidates = "department"', 'candidates = "departments"', "candidates =",
                               "candidates"),
    "choose a string": ("choose = true", 'choose = "yes"', "choose =", "choose"),
    "a name longer than the column": ('name = "市商务局"', f'name = "{"局" * 129}"', "局局局", "name"),
    "arrays nested deep": ('aliases = ["市发改委"]', f"aliases = {DEEP}", "aliases =", None),
}


def _registry_text(case: str) -> str:
    old, new, _marker, _field = REGISTRY_CASES[case]
    assert old in REGISTRY, case
    return REGISTRY.replace(old, new, 1)


def _registry_line(case: str, text: str) -> int:
    marker = REGISTRY_CASES[case][2]
    if marker:
        return _line_of(text, marker)
    lines = text.splitlines()
    if case == "an entry without a name":  # the entry's header
        return next(n for n in range(len(lines), 0, -1) if lines[n - 1] == "[[units]]" and n > 6)
    # listed twice: the second one's name
    needle = {"a unit listed twice": 'name = "市发展改革委"', "a jurisdiction listed twice": 'name = "青岛市"',
              "a liaison listed twice": 'name = "王敏"'}[case]
    return [n for n, line in enumerate(lines, start=1) if line == needle][1]


@pytest.mark.parametrize("case", list(REGISTRY_CASES))
def test_a_wrong_registry_is_refused_by_units_check_with_file_line_and_field(case, tmp_path):
    from click.testing import CliRunner

    from tracker.cli import cli

    text = _registry_text(case)
    path = tmp_path / "units.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--lang", "en", "units", "check", str(path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, TrackerError), result.exception
    message = str(result.exception)
    assert f"{path}:{_registry_line(case, text)}:" in message, message
    field = REGISTRY_CASES[case][3]
    if field:
        assert re.search(rf"\d: ([a-z_]+\.)?{re.escape(field)}(\.[a-z]+)?: ", message), message


@pytest.mark.parametrize("case", ["an entry without a name", "a liaison's address with a line break",
                                  "a unit listed twice", "units a number"])
def test_a_wrong_registry_leaves_the_database_unchanged(case, loaded_db, tracker_cli, tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "units.toml").write_text(_registry_text(case), encoding="utf-8")
    before = snapshot(loaded_db.url)
    result = tracker_cli("plan", "load", str(folder))
    assert result.exit_code != 0 and isinstance(result.exception, TrackerError)
    assert f"{folder / 'units.toml'}:" in str(result.exception)
    assert snapshot(loaded_db.url) == before


def test_the_registry_template_loads(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    registry = Registry.load(path)
    assert [liaison.email for liaison in registry.liaisons] == ["wangmin@example.gov.cn"]


def test_messages_follow_the_language(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text(_registry_text("choose a string"), encoding="utf-8")
    with pytest.raises(TrackerError, match="choose\uff1a应为 true 或 false"):
        Registry.load(path)
    i18n.set_language("en")
    try:
        with pytest.raises(TrackerError, match="choose: must be true or false"):
            Registry.load(path)
    finally:
        i18n.set_language("zh")


# ---------------------------------------------------------------------- many tasks, few unknown names


def test_closest_names_are_computed_once_per_distinct_unknown_name(tmp_path, monkeypatch):
    """120,000 tasks naming unknown units took minutes: the suggestions were computed per task."""
    from tracker.registry import units as registry_units
    from tracker.store.sync import validate_plan_units

    calls: list[str] = []
    original = registry_units.closest_names

    def counting(name, names, n=3):
        calls.append(name)
        return original(name, names, n)

    monkeypatch.setattr(registry_units, "closest_names", counting)
    unknown = ["市发展改革局", "市商贸局", "市工业信息局"]
    tasks = "".join(f'[[tasks]]\nkey = "{i}"\ntext = "任务{i}。"\nlead = ["{unknown[i % 3]}"]\n'
                    f'responsible = ["{unknown[(i + 1) % 3]}", "市商务局"]\n\n' for i in range(1, 3001))
    path = tmp_path / "many.toml"
    path.write_text('[plan]\nkey = "many"\ntitle = "许多任务"\njurisdiction = "青岛市"\n\n' + tasks, encoding="utf-8")
    errors = validate_plan_units(read_plan(path), Registry.load(PLANS / "units.toml"))
    assert len(errors) == 6000
    assert sorted(calls) == sorted(unknown)
    assert "市商贸局" in str(errors[0]) and "市商务局" in str(errors[0])  # the suggestion, once computed


def test_a_refusal_is_worded_when_shown_in_either_language(tmp_path):
    """The refusal keeps its place, field and message id: raised in a Chinese process, the feed
    server or a log can still word it in English (and the other way round)."""
    path = tmp_path / "hostile.toml"
    path.write_text(PLAN.replace('jurisdiction = "青岛市"', 'jurisdiction = "青岛市"\ntimezone = "Mars/Olympus"')
                    .replace("value = 15", "value = nan"), encoding="utf-8")
    with pytest.raises(TrackerError) as refused:
        read_plan(path)
    error = refused.value
    nan_line = _line_of(path.read_text(encoding="utf-8"), "value = nan")
    assert error.where == str(path)
    assert [(where, field) for where, field, _message in error.problems] == [
        (f"{path}:5", "plan.timezone"), (f"{path}:{nan_line}", "targets.value")]
    chinese, english = error.words("zh"), error.words("en")
    assert f"{path}:5\uff1aplan.timezone\uff1a未知时区 'Mars/Olympus'" in chinese and "nan" in chinese
    assert f"{path}:5: plan.timezone: unknown time zone 'Mars/Olympus'" in english
    assert f"{path}:{nan_line}: targets.value: must be a finite number, not nan or inf" in english
    assert not re.search(r"[\u4e00-\u9fff]", english.replace("青岛市", "")), english
    assert str(error) == chinese  # the process's language, Chinese by default
