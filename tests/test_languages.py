"""One voice: every command and sub-command, on its success paths and on the refusals the other
tests provoke, speaks Chinese by default and English with --lang en, and no sentence of the other
language slips into either.

What may stand in the other language is the data: in Chinese output the plan keys, file names,
paths, options, environment variables, codes and the names of formats and products (TOML,
SQLite); in English output the unit names, plan titles, task texts and everything else the
plans and the unit registry hold (the text any Chinese run of the output must be found in).

Each case runs the real `tracker` entry point in-process (main(), as the script does: its error
line, its exit code) on its own copy of one loaded SQLite database.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tracker.cli import cli

from .conftest import PLANS, ROOT

TODAY = "2026-11-24"
JILIN = "jilin-2021-cluster-upgrade"
QINGDAO = "qingdao-2020-service-clusters"
SEED_001 = next((PLANS / "sources").glob("001_*.txt"))
SEED_002 = next((PLANS / "sources").glob("002_*.txt"))

JINAN_TASKS = [(["市发改委"], ["市财政局", "各区县政府"])]
HAN = "\u3400-\u9fff\uf900-\ufaff"
CJK_PUNCTUATION = "\u3000-\u303f\uff00-\uffef\u2014\u2026\u201c\u201d\u2018\u2019"


# ---------------------------------------------------------------------- the cases


@dataclass
class Case:
    """One command line: `setup` (run first, output unchecked) makes what it needs."""

    name: str
    args: list[str]
    ok: bool = True
    setup: list[list[str]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def _cases() -> list[Case]:
    stat = ["-u", "市统计局", "-j", "吉林市"]
    update = ["status", "set", "5.3.1", "--plan", JILIN, "--unit", "市统计局"]
    smtp_from = {"TRACKER_SMTP_FROM": "行动计划办公室 <tracker@example.org>"}
    return [
        Case("summary", []),
        Case("summary", ["summary"]),
        Case("version", ["--version"]),
        Case("help", ["--help"]),
        Case("init", ["init"]),
        Case("plan", ["plan", "--help"]),
        Case("plan list", ["plan", "list"]),
        Case("plan load", ["plan", "load", "{plans}"]),
        Case("plan load", ["plan", "load", "--verbose", "--dry-run", "{plans}"]),
        Case("plan load", ["plan", "load", "{tmp}/nope.toml"], ok=False),
        Case("plan load", ["plan", "load", "{tmp}/bad.toml"], ok=False,
             setup=[["!write", "{tmp}/bad.toml", '[plan]\nkey = "k"\ntitle = "标题\n']]),
        Case("plan load", ["plan", "load", "{tmp}/plans"], ok=False,
             setup=[["!copy-plans", "{tmp}/plans", 'responsible = ["市发展改革委"]', 'responsible = ["市发展改革局"]']]),
        Case("plan parse", ["plan", "parse", str(SEED_001), "-o", "{tmp}/draft.toml"]),
        Case("plan parse", ["plan", "parse", str(SEED_002), "-o", "{tmp}/news.toml"], ok=False),
        Case("plan parse", ["plan", "parse", str(SEED_001), "--key", "bad key!"], ok=False),
        Case("units", ["units", "-j", "吉林市"]),
        Case("units", ["units", "-j", "上海市"], ok=False),
        Case("units check", ["units", "check", str(PLANS / "units.toml")]),
        Case("units check", ["units", "check", "{tmp}/units.toml"], ok=False,
             setup=[["!write", "{tmp}/units.toml", '[[jurisdictions]]\nname = "济南市"\n[[units]]\nname = 市发改委\n']]),
        Case("units propose", ["units", "propose", "{tmp}/jinan.toml", "--dry-run"], setup=[["!jinan", "{tmp}/jinan.toml"]]),
        Case("tasks", ["tasks", *stat]),
        Case("tasks", ["tasks", "-u", "市发改委", "-j", "青岛市", "--overdue"]),
        Case("tasks", ["tasks", "-u", "市商务局"], ok=False),
        Case("tasks", ["tasks", "-u", "市发改委X", "-j", "青岛市"], ok=False),
        Case("tasks", ["tasks", "-u", "市发改委", "-j", "上海市"], ok=False),
        Case("tasks", ["tasks", *stat, "--plan", "nope"], ok=False),
        Case("tasks", ["tasks", "--bogus"], ok=False),
        Case("tasks", ["tasks"], ok=False),
        Case("tasks", ["tasks", "-u"], ok=False),
        Case("status", ["status", "--help"]),
        Case("status set", [*update, "--status", "推进中", "--percent", "60", "--note", "指标体系已印发"]),
        Case("status set", [*update, "--status", "推进中", "--percent", "120"], ok=False),
        Case("status set", [*update, "--status", "完成了"], ok=False),
        Case("status set", [*update, "--status", "滞后"], ok=False),
        Case("status set", [*update, "--as", "市财政局", "--status", "推进中"], ok=False),
        Case("status set", ["status", "set", "5.3.1", "--plan", JILIN, "--unit", "市财政局", "--status", "推进中"], ok=False),
        Case("status set", ["status", "set", "9.9.9", "--plan", JILIN, "--unit", "市统计局", "--status", "推进中"], ok=False),
        Case("status set", ["status", "set", "5.3.1", "--plan", JILIN], ok=False),
        Case("history", ["history", "5.3.1", "--plan", JILIN],
             setup=[[*update, "--status", "推进中", "--percent", "60"],
                    ["status", "set", "5.3.1", "--plan", JILIN, "--unit", "市统计局", "--as", "市发改委",
                     "--status", "滞后", "--note", "数据未报", "--by", "王敏"]]),
        Case("history", ["history", "5.3.1", "--plan", JILIN]),
        Case("history", ["history", "5.3.1", "--plan", "nope"], ok=False),
        Case("ledger", ["ledger", "--help"]),
        Case("ledger export", ["ledger", "export", "--plan", JILIN, "--unit", "市商务局", "-o", "{tmp}/台账.xlsx"]),
        Case("ledger export", ["ledger", "export", "--plan", JILIN, "-o", "{tmp}/台账.txt"], ok=False),
        Case("ledger import-progress", ["ledger", "import-progress", "{tmp}/台账.xlsx", "-u", "市商务局", "--dry-run"],
             setup=[["ledger", "export", "--plan", JILIN, "--unit", "市商务局", "-o", "{tmp}/台账.xlsx"]]),
        Case("ledger import-progress", ["ledger", "import-progress", "{tmp}/notes.xlsx"], ok=False,
             setup=[["!write", "{tmp}/notes.xlsx", "进展情况：已完成"]]),
        Case("ledger import-plan", ["ledger", "import-plan", "{tmp}/分解表.xlsx", "-j", "青岛市", "--key", "qd-k",
                                    "-o", "{tmp}/qd-k.toml"], setup=[["!breakdown", "{tmp}/分解表.xlsx"]]),
        Case("ledger import-plan", ["ledger", "import-plan", "{tmp}/notes.xlsx", "-j", "青岛市", "--key", "k"], ok=False,
             setup=[["!write", "{tmp}/notes.xlsx", "一、重点任务"]]),
        Case("digest", ["digest", "-u", "市发改委", "-j", "青岛市", "--week", "2026-W48"]),
        Case("digest", ["digest", "--all", "-j", "吉林市", "-o", "{tmp}/digests"]),
        Case("digest", ["digest", "-u", "市发改委", "-j", "青岛市", "--week", "2026-48"], ok=False),
        Case("digest", ["digest", "-u", "市发改委", "-j", "青岛市", "--week", "2025-W53"], ok=False),
        Case("digest", ["digest"], ok=False),
        Case("digest", ["digest", "--all"], ok=False),
        Case("digest report", ["digest", "report", "--plan", JILIN]),
        Case("digest report", ["digest", "report", "--plan", "nope"], ok=False),
        Case("digest send", ["digest", "send", "--all", "-j", "吉林市", "--dry-run"], env=smtp_from),
        Case("digest send", ["digest", "send", "--all"], ok=False),
        Case("digest send", ["digest", "send"], ok=False),
        Case("remind", ["remind", "--help"]),
        Case("remind send", ["remind", "send", "--dry-run"], env=smtp_from),
        Case("remind send", ["remind", "send"], ok=False),
        Case("feed", ["feed", "--help"]),
        Case("feed export", ["feed", "export", *stat, "-o", "{tmp}/stat.ics"]),
        Case("feed export", ["feed", "export", "--plan", JILIN, "-o", "{tmp}/plan.ics"]),
        Case("feed export", ["feed", "export", "-o", "{tmp}/x.ics"], ok=False),
        Case("feed export", ["feed", "export", *stat, "--alarm", "soon", "-o", "{tmp}/x.ics"], ok=False),
        Case("feed export", ["feed", "export", "--all"], ok=False),
        Case("feed token", ["feed", "token", *stat]),
        Case("feed token", ["feed", "token", *stat], ok=False, setup=[["feed", "token", *stat]]),
        Case("feed token", ["feed", "token", *stat, "--rotate", "--revoke"], ok=False),
        Case("feed serve", ["feed", "serve", "--help"]),
        Case("backup", ["backup", "-o", "{tmp}/copy.sqlite3"]),
        Case("backup", ["backup", "-o", "{tmp}/copy.sqlite3"], ok=False, setup=[["backup", "-o", "{tmp}/copy.sqlite3"]]),
        Case("restore", ["restore", "{tmp}/copy.sqlite3", "--yes"], setup=[["backup", "-o", "{tmp}/copy.sqlite3"]]),
        Case("restore", ["restore", "{tmp}/nope.sqlite3", "--yes"], ok=False),
        Case("restore", ["restore", "{tmp}/copy.sqlite3"], ok=False, setup=[["backup", "-o", "{tmp}/copy.sqlite3"]]),
        Case("restore", ["restore", "{tmp}/text.sqlite3", "--yes"], ok=False,
             setup=[["!write", "{tmp}/text.sqlite3", "台账 2026"]]),
        Case("doctor", ["doctor"]),
        Case("access", ["access", "--help"]),
        Case("access list", ["access", "list"], ok=False),
        Case("access enable", ["access", "enable"], ok=False),
        Case("access grant", ["access", "grant", "孙悦", *stat], ok=False),
        Case("access revoke", ["access", "revoke", "孙悦", *stat], ok=False),
        Case("tui", ["tui", *stat], ok=False),
        Case("tui", ["tui", "-u", "市发改委X", "-j", "青岛市"], ok=False),
    ]


CASES = _cases()


def _command_paths(command: click.Command, path=()):
    yield " ".join(path)
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from _command_paths(command.get_command(ctx, name), (*path, name))


def test_every_command_has_a_case():
    covered = {case.name for case in CASES} | {""}
    assert set(_command_paths(cli)) - covered == set()


# ---------------------------------------------------------------------- running them


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One database with the bundled plans loaded; each case works on a copy of it."""
    folder = tmp_path_factory.mktemp("languages")
    database = folder / "tracker.sqlite3"
    code, _, err = _main(["--db", f"sqlite:///{database}", "plan", "load", str(PLANS)], {})
    assert code == 0, err
    _settle(database)
    return database


def _settle(database: Path) -> None:
    """Everything in the database file itself (none left in its write-ahead log), so that a copy
    of the file is a copy of the database."""
    import sqlite3

    with sqlite3.connect(database) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _main(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """The `tracker` script, in-process: its exit code, stdout and stderr."""
    from tracker.cli.main import main

    runner = CliRunner()
    with runner.isolation(env={"TRACKER_TODAY": TODAY, "TRACKER_LANG": None, **env}) as (out, err, _):
        try:
            main(args)
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
        return code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace")


def _prepare(step: list[str], tmp: Path) -> None:
    kind, target = step[0], Path(step[1])
    if kind == "!write":
        target.write_text(step[2], encoding="utf-8")
    elif kind == "!copy-plans":
        shutil.copytree(PLANS, target)
        path = target / f"{QINGDAO}.toml"
        path.write_text(path.read_text(encoding="utf-8").replace(step[2], step[3], 1), encoding="utf-8")
    elif kind == "!jinan":
        from .test_registry_proposal import plan_file

        plan_file(target, "济南市", JINAN_TASKS)
    elif kind == "!breakdown":
        from .test_ledger_breakdown import seed_001_workbook

        seed_001_workbook(target)
    else:
        raise AssertionError(step)


def run(case: Case, lang: str, loaded: Path, tmp: Path) -> tuple[int, str]:
    database = tmp / "tracker.sqlite3"
    if not database.exists():
        shutil.copy(loaded, database)
    fill = {"{tmp}": str(tmp), "{plans}": str(PLANS)}

    def filled(args):
        out = []
        for arg in args:
            for key, value in fill.items():
                arg = arg.replace(key, value)
            out.append(arg)
        return out

    env = {"TRACKER_DB": f"sqlite:///{database}", **case.env}
    for step in case.setup:
        if step[0].startswith("!"):
            _prepare(filled(step), tmp)
        else:
            _main(filled(step), env)
    code, out, err = _main([*filled(case.args), *(["--lang", "en"] if lang == "en" else [])], env)
    return code, out + err


# ---------------------------------------------------------------------- what the other language is

# words that are names in both languages: formats, products, protocols
NAMES = {"TOML", "SQLite", "PostgreSQL", "Excel", "Word", "WPS", "PDF", "CSV", "HTML", "URL", "RRULE", "ISO",
         "UTF", "GBK", "SMTP", "JSON", "ICS", "iCalendar", "tracker", "Ctrl", "WAL", "libpq", "pg_dump", "Unicode",
         "xlsx", "csv", "toml", "docx", "eml", "md", "html", "text", "json", "ics", "txt", "xls",
         "https", "http", "yes", "no", "zh", "en", "lead", "responsible", "todo", "role", "lang", "alarm",
         "not_started", "in_progress", "done", "behind", "ongoing", "schema", "MB", "KB", "GB", "email",
         "coordinator"}  # a plan file's key, as the person types it

_DATA_PATTERNS = [
    r"(?m)^\s*(?:\[\[?[\w.]+\]\]?|[\w.]+ = .*)$",  # a TOML file's own lines (units propose prints one)
    r"(?m)^ {2,}[a-z][a-z-]*(?= {2,}|$)",  # the sub-commands a group's help lists
    r"https?://\S+",  # addresses
    r"\S+@\S+",  # mail addresses
    r"`[^`]*`",  # a command to type
    r"'[^']*'",  # a value quoted as the user gave it
    r"\"[^\"]*\"",
    r"(?<![\w-])--?[A-Za-z][\w-]*(?:=\S*)?",  # options
    r"\b[A-Z][A-Z0-9_]{2,}\b(?:=\S*)?",  # environment variables, metavars
    r"\S*[/\\]\S*",  # paths
    r"\S+\.(?:toml|xlsx|xls|csv|ics|txt|md|html|eml|sqlite3|db|json|docx|pdf|mht)\b",  # file names
    r"\b[a-z0-9]+(?:[-_.][a-z0-9]+)+\b",  # plan keys, codes
    r"\btracker(?: [a-z][a-z-]*)*",  # a command line
    r"\b\d+[A-Za-z]{1,2}\b",  # 7d, 12h, 20MB
    r"\[[\w .]+\]",  # [OPTIONS], a TOML table: [plan]
]


def english_in(text: str) -> list[str]:
    """English words in Chinese output, once the data is taken out."""
    for pattern in _DATA_PATTERNS:
        text = re.sub(pattern, " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z']+", text)
    return [w for w in words if w not in NAMES]


def _corpus() -> str:
    """Every piece of data a command can show: the plans, the unit registry, the seeds'
    digest fixtures, and what the test cases type."""
    parts = [p.read_text(encoding="utf-8") for p in sorted(PLANS.glob("*.toml"))]
    parts += [" ".join(" ".join(case.args + [" ".join(s) for s in case.setup]) for case in CASES)]
    parts.append(SEED_001.read_text(encoding="utf-8", errors="replace"))  # what plan parse drafts from
    parts += [f"济南{name} {name}" for lead, responsible in JINAN_TASKS for name in lead + responsible]  # full names
    parts.append((ROOT / "tracker" / "registry" / "catalogue.py").read_text(encoding="utf-8"))  # standard units
    return "\n".join(parts)


CORPUS = None


def chinese_in(text: str) -> list[str]:
    """Runs of Chinese in English output that are not data (found verbatim in the plans, the
    registry or what was typed)."""
    global CORPUS
    if CORPUS is None:
        CORPUS = _corpus()
    runs = re.findall(f"[{HAN}][{HAN}{CJK_PUNCTUATION}]*", text)
    return [run for run in runs if run.rstrip("\u2026") not in CORPUS]


# ---------------------------------------------------------------------- the test


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c.name or 'tracker'}:{' '.join(c.args[-3:])}" for c in CASES])
def test_one_language_at_a_time(case, lang, loaded, tmp_path):
    code, said = run(case, lang, loaded, tmp_path)
    assert (code == 0) == case.ok, said
    assert "Traceback" not in said
    if lang == "zh":
        assert english_in(said) == [], said
    else:
        assert chinese_in(said) == [], said


def test_clicks_abort_is_worded_too(loaded, tmp_path):
    """restore asks first; no answer (no terminal) is click's Abort, in the user's language."""
    case = Case("restore", ["restore", "{tmp}/copy.sqlite3"], setup=[["backup", "-o", "{tmp}/copy.sqlite3"]])
    assert run(case, "zh", loaded, tmp_path)[1].rstrip().endswith("已取消。")
    english = tmp_path / "en"
    english.mkdir()
    assert run(case, "en", loaded, english)[1].rstrip().endswith("Aborted!")


def test_the_checks_catch_what_they_are_for():
    assert english_in("错误：unknown unit '市发改委X' in 青岛市") == ["unknown", "unit", "in"]
    assert english_in("错误：没有选项 '--bogus'。请运行：tracker plan load plans/") == []
    assert english_in("新计划 jilin-2021-cluster-upgrade，已写入 /tmp/x/台账.xlsx（TOML）") == []
    assert chinese_in("Error: '市商务局' exists in several jurisdictions (吉林市, 青岛市)") == []
    assert chinese_in("Error: 未知单位 '市商务局'") == ["未知单位"]
    assert chinese_in("3 tasks, 超期3天") == ["超期"]
