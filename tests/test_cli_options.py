"""One way to name things on the command line: -u/--unit and -j/--jurisdiction wherever a
command takes a unit, --plan settling an ambiguous unit name, --format with --json as its
alias, and each option meaning the same thing (the same value) in every command."""

from __future__ import annotations

import json

import click
import pytest

from tracker.cli.main import LAZY_COMMANDS, cli as root

from .conftest import PLANS

JILIN = "jilin-2021-cluster-upgrade"


def _commands():
    """Every command, by its path ("ledger export"), sub-commands of groups included."""
    ctx = click.Context(root)
    found = {}

    def walk(group, path):
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            found[f"{path} {name}".strip()] = command
            if isinstance(command, click.Group):
                walk(command, f"{path} {name}")

    walk(root, "")
    for name in LAZY_COMMANDS:
        assert name in found
    return found


def _option(command, name):
    return next((p for p in command.params if isinstance(p, click.Option) and name in p.opts), None)


TAKE_A_UNIT = ["tasks", "status set", "ledger export", "ledger import-progress", "tui", "digest", "digest send",
               "feed export", "feed token", "access grant", "access revoke",
               "request close", "request extend", "review list", "review approve", "review return", "review reject"]


def test_every_command_that_takes_a_unit_has_unit_and_jurisdiction():
    commands = _commands()
    with_unit = sorted(path for path, c in commands.items() if _option(c, "--unit") or _option(c, "--as"))
    assert with_unit == sorted(TAKE_A_UNIT)
    for path in with_unit:
        unit, jurisdiction = _option(commands[path], "--unit"), _option(commands[path], "--jurisdiction")
        assert unit is not None and {"-u", "--unit"} <= set(unit.opts) and unit.name == "unit_name", path
        assert jurisdiction is not None and "-j" in jurisdiction.opts and jurisdiction.name == "jurisdiction", path
    assert "--as" in _option(commands["tui"], "--unit").opts  # the old spelling still works


def test_the_same_option_means_the_same_thing_in_every_command():
    """An option's spelling always comes with the same other spellings and takes the same kind of
    value (-o is always --output, a path; --plan always a plan key), and the options every
    command shares reach it under one name."""
    seen: dict[str, tuple] = {}
    for path, command in _commands().items():
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            opts = tuple(sorted(o for o in param.opts if not (path == "tui" and o == "--as")))
            for opt in opts:
                if opt == "--as":  # status set --as: the acting unit, a unit name like every other
                    continue
                meaning = (opts, param.is_flag, type(param.type).__name__)
                assert seen.setdefault(opt, meaning) == meaning, (path, opt, seen[opt], meaning)
            shared = {"--unit": "unit_name", "--jurisdiction": "jurisdiction", "--plan": "plan_key",
                      "--format": "fmt", "--quiet": "quiet", "--output": "output"}
            for opt in set(shared) & set(opts):
                assert param.name == shared[opt], (path, opt, param.name)


def test_every_json_option_is_the_alias_of_format_json():
    for path, command in _commands().items():
        if _option(command, "--json"):
            fmt = _option(command, "--format")
            assert fmt is not None and "json" in fmt.type.choices, path


def said(result) -> str:
    """What the person reads: the output, and the error the in-process runner keeps aside."""
    return result.output + (str(result.exception) if result.exception and result.exit_code != 2 else "")


@pytest.fixture
def cli(tracker_cli):
    result = tracker_cli("plan", "load", str(PLANS))
    assert result.exit_code == 0, result.output
    return tracker_cli


@pytest.mark.parametrize("args", [("plan", "list"), ("units", "-j", "吉林市"), ("tasks", "-u", "市统计局"),
                                  ("history", "5.3.1", "--plan", JILIN), ("doctor",)])
def test_json_is_format_json(cli, args):
    cli("status", "set", "5.3.1", "--plan", JILIN, "-u", "市统计局", "--status", "推进中", today="2021-06-01")
    by_alias, by_format = cli(*args, "--json"), cli(*args, "--format", "json")
    assert by_alias.exit_code == by_format.exit_code == 0, by_alias.output
    alias, format_ = json.loads(by_alias.stdout), json.loads(by_format.stdout)
    if args == ("doctor",):  # its report says the file's and the WAL's sizes, which a checkpoint changes
        for report in (alias, format_):
            report.pop("size_bytes", None), report.pop("wal_bytes", None)
    assert alias == format_
    text, plain = cli(*args, "--format", "text"), cli(*args)
    assert text.exit_code == 0
    if args != ("doctor",):  # doctor's text says the file's size, which the WAL changes between runs
        assert text.stdout == plain.stdout
    else:
        assert len(text.stdout.splitlines()) == len(plain.stdout.splitlines())
    both = cli(*args, "--json", "--format", "text")
    assert both.exit_code == 2 and "--format text" in both.output


def test_the_plan_settles_an_ambiguous_unit_name(cli):
    # 市商务局 is a unit of both 吉林市 and 青岛市
    ambiguous = cli("tasks", "-u", "市商务局")
    assert ambiguous.exit_code != 0 and "吉林市" in said(ambiguous) and "青岛市" in said(ambiguous)
    by_plan = cli("tasks", "-u", "市商务局", "--plan", JILIN, "--json")
    assert by_plan.exit_code == 0, by_plan.output
    assert json.loads(by_plan.stdout) == json.loads(cli("tasks", "-u", "市商务局", "-j", "吉林市", "--json").stdout)
    recorded = cli("status", "set", "4.1.1", "--plan", JILIN, "-u", "市商务局", "--status", "推进中",
                   "--percent", "20", today="2021-06-01")
    assert recorded.exit_code == 0, recorded.output
    assert json.loads(cli("history", "4.1.1", "--plan", JILIN, "--json").stdout)[-1]["unit"] == "市商务局"


def test_ledger_commands_take_the_jurisdiction(cli, tmp_path):
    good = cli("ledger", "export", "--plan", JILIN, "-u", "市商务局", "-j", "吉林市", "-o", str(tmp_path / "a.csv"))
    assert good.exit_code == 0, good.output
    assert "已导出5项任务" in good.output  # 吉林市's 市商务局 has five tasks in the plan
    other = cli("ledger", "export", "--plan", JILIN, "-u", "市商务局", "-j", "青岛市", "-o", str(tmp_path / "b.csv"))
    assert other.exit_code == 0 and "已导出0项任务" in other.output  # 青岛市's has none: -j is the one asked for
    wrong = cli("ledger", "export", "--plan", JILIN, "-u", "市商务局", "-j", "济南市", "-o", str(tmp_path / "c.csv"))
    assert wrong.exit_code != 0 and "济南市" in said(wrong) and not (tmp_path / "c.csv").exists()
    back = cli("ledger", "import-progress", str(tmp_path / "a.csv"), "-u", "市商务局", "-j", "吉林市", "--by", "邹全发")
    assert back.exit_code == 0, back.output
    unknown = cli("ledger", "import-progress", str(tmp_path / "a.csv"), "-u", "市商务局", "-j", "济南市")
    assert unknown.exit_code != 0 and "济南市" in said(unknown)


@pytest.mark.parametrize("spelling", ["-u", "--unit", "--as"])
def test_tui_names_its_unit_the_same_way(cli, spelling):
    # the unit is looked up before the app would start: an unknown one, or one of an unknown
    # jurisdiction, is refused; a known one gets as far as the missing terminal
    unknown = cli("tui", spelling, "市商务厅")
    assert unknown.exit_code != 0 and "市商务厅" in said(unknown)
    elsewhere = cli("tui", spelling, "市商务局", "-j", "济南市")
    assert elsewhere.exit_code != 0 and "济南市" in said(elsewhere)
    found = cli("tui", spelling, "市商务局", "-j", "吉林市", "--liaison", "邹全发")
    assert found.exit_code != 0 and "市商务局" not in said(found) and "济南市" not in said(found)
    assert said(found) == said(cli("tui", "-u", "市统计局", "--liaison", "苏秀兰"))


def test_ledger_export_format(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("ledger", "export", "--plan", JILIN, "-u", "市商务局", "--format", "csv")
    assert result.exit_code == 0, said(result)
    written = tmp_path / f"{JILIN}-市商务局-台账.csv"
    assert written.read_bytes().startswith("\ufeff".encode())  # UTF-8 with BOM, as .csv is written
    assert cli("ledger", "export", "--plan", JILIN, "-o", "x.csv", "--format", "csv").exit_code == 0
    clash = cli("ledger", "export", "--plan", JILIN, "-o", "y.xlsx", "--format", "csv")
    assert clash.exit_code == 2 and "y.xlsx" in clash.output and not (tmp_path / "y.xlsx").exists()
