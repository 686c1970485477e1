"""One catalogue: every message the code and click can show is in it and translated, Chinese
typography in the Chinese, and the language chosen by --lang wherever it stands."""

from __future__ import annotations

import inspect
import re

import click
import pytest
from click.testing import CliRunner

from tracker import i18n
from tracker.cli import cli
from tracker.locale.extract import messages, po_path, untranslated

HAN = "\u3400-\u9fff"
ASCII_PUNCTUATION = ",:;()?!"


def _zh_catalogue():
    from babel.messages.pofile import read_po

    with po_path("zh").open("rb") as f:
        return read_po(f, locale="zh")


def _ids(catalogue) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_every_message_in_the_code_and_in_click_is_translated():
    extracted = _ids(messages())
    catalogue = _zh_catalogue()
    assert extracted - _ids(catalogue) == set(), "run: python -m tracker.locale, then translate"
    assert untranslated(catalogue) == []
    # and nothing stale: the .po holds what the code says, no more
    assert _ids(catalogue) - extracted == set(), "run: python -m tracker.locale"


def test_chinese_typography_full_width_punctuation_beside_chinese():
    offenders = []
    for message in _zh_catalogue():
        for string in _strings(message):
            if re.search(f"[{HAN}][{re.escape(ASCII_PUNCTUATION)}]|[{re.escape(ASCII_PUNCTUATION)}][{HAN}]", string or ""):
                offenders.append(string)
    assert offenders == []


# a count and its measure word: 3项, 超期1432天, 第1至52周, {n}个值
MEASURE = "个项天处条名份次年月日周行页秒分时位家张人"
# a number: digits that are not part of a code or a date (2026-W48, 2022-12-31, 3.1.2), or a placeholder
NUMBER = r"(?<![\w.:/-])\d+(?![\w.:/-])|\{[a-z_]+\}"


def spacing_offenders(string: str, counts: bool = False) -> bool:
    """Whether a Chinese string spaces a count apart from its Chinese (超期 1432 天, 共 {n} 项)."""
    if re.search(f"(?:{NUMBER}) [{MEASURE}]|[{HAN}] (?:{NUMBER})[{MEASURE}]", string):
        return True
    return counts and bool(re.search(f"[{HAN}] \\{{n\\}}|\\{{n\\}} [{HAN}]", string))


def test_numbers_sit_against_chinese_without_spaces():
    """One spacing rule: 超期1432天, 共3项 (as published plans write 30日内, 2022年底前); a code or an
    example typed as is stands apart like a Latin word (形如 2026-W48 的, 回复 503)."""
    offenders = []
    for message in _zh_catalogue():
        counts = isinstance(message.id, tuple)
        for string in _strings(message):
            if spacing_offenders(string or "", counts):
                offenders.append(string)
    assert offenders == []


def test_the_spacing_check_catches_what_it_is_for():
    assert spacing_offenders("超期 1432 天") and spacing_offenders("需要 {nargs} 个值") and spacing_offenders("共 {n}项", True)
    assert not spacing_offenders("超期1432天") and not spacing_offenders("形如 2026-W48 的 ISO 周")
    assert not spacing_offenders("需要{nargs}个值") and not spacing_offenders("回复 503")


def test_the_typography_check_catches_what_it_is_for():
    bad = "错误: 已超期(3天)"
    assert re.search(f"[{HAN}][{re.escape(ASCII_PUNCTUATION)}]", bad)
    assert not re.search(f"[{HAN}][{re.escape(ASCII_PUNCTUATION)}]", "错误\uff1a已超期\uff083天\uff09")


def test_counts_use_plural_forms():
    i18n.set_language("en")
    try:
        assert i18n.ngettext("{n} task", "{n} tasks", 1).format(n=1) == "1 task"
        assert i18n.ngettext("{n} task", "{n} tasks", 2).format(n=2) == "2 tasks"
    finally:
        i18n.set_language("zh")
    assert i18n.ngettext("{n} task", "{n} tasks", 2).format(n=2) == "共2项"


def test_the_catalogue_compiles_from_the_po_file(tmp_path, monkeypatch):
    """A fresh checkout has no .mo: the first use builds it from the .po, later uses read it."""
    import shutil

    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR / "zh", locale / "zh", ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    monkeypatch.setattr(i18n, "_translations", {})
    assert i18n.translation("zh").gettext("Aborted!") == "已取消。"
    mo = locale / "zh" / "LC_MESSAGES" / "tracker.mo"
    assert mo.exists()
    # an edited .po is compiled again
    po = mo.with_suffix(".po")
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "已取消。"', 'msgstr "已中止。"'), encoding="utf-8")
    import os

    os.utime(po, ns=(mo.stat().st_mtime_ns + 10**9,) * 2)
    monkeypatch.setattr(i18n, "_translations", {})
    assert i18n.translation("zh").gettext("Aborted!") == "已中止。"


def _commands(command: click.Command, path=()):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from _commands(command.get_command(ctx, name), (*path, name))


def test_every_command_and_option_has_help_in_the_catalogue():
    from tracker.cli.language import Command

    catalogue = _ids(_zh_catalogue())
    missing = []
    for path, command in _commands(cli):
        name = " ".join(("tracker", *path))
        assert isinstance(command, Command), f"{name}: use tracker.cli.language.command/group"
        if not command.help:
            missing.append(name)
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and not param.help:
                missing.append(f"{name} {param.opts[0]}")
            if param.help and inspect.cleandoc(param.help) not in catalogue:
                missing.append(f"{name} {param.name}: not in the catalogue")
    assert missing == []


def _help(*args: str, env=None) -> str:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("args", [("--help",), ("tasks", "--help"), ("ledger", "export", "--help"),
                                  ("digest", "send", "--help"), ("feed", "--help")])
def test_help_is_chinese_by_default_and_english_with_lang_en_anywhere(args):
    chinese = _help(*args)
    assert chinese.startswith("用法\uff1a") and "选项\uff1a" in chinese and "Options" not in chinese
    for english in (_help("--lang", "en", *args), _help(*args, "--lang", "en"), _help(*args, "--lang=en"),
                    _help(*args, env={"TRACKER_LANG": "en"})):
        assert english.startswith("Usage:") and "Options:" in english and "选项" not in english
    assert _help(*args, "--lang", "zh", env={"TRACKER_LANG": "en"}) == chinese


def test_clicks_own_messages_in_both_languages():
    runner = CliRunner()
    result = runner.invoke(cli, ["tasks", "--bogus"])
    assert result.exit_code == 2 and "错误\uff1a没有选项 '--bogus'" in result.output
    result = runner.invoke(cli, ["tasks", "--bogus", "--lang", "en"])
    assert "Error: No such option '--bogus'" in result.output
    result = runner.invoke(cli, ["tasks"])
    assert "缺少选项" in result.output and "Missing option" not in result.output
    # click's own full stop after a missing parameter is the language's too
    assert "错误\uff1a缺少参数 'TASK_KEY'\u3002" in runner.invoke(cli, ["status", "set"]).output
    assert "Error: Missing argument 'TASK_KEY'." in runner.invoke(cli, ["status", "set", "--lang", "en"]).output


def test_lang_after_a_double_dash_is_an_argument():
    from tracker.cli.language import language_first

    assert language_first(["status", "set", "--", "--lang", "en"]) == ("zh", ["status", "set", "--", "--lang", "en"])
    assert language_first(["tasks", "--lang", "en", "-u", "x"]) == ("en", ["--lang=en", "tasks", "-u", "x"])


def test_refusals_of_every_layer_are_worded_when_shown(tmp_path):
    """Raised in a Chinese process, a refusal of the service, the readers of published plans or
    the plan file's reporting duties still says itself in English for a front end that asks
    (the feed server's ?lang=en, a log): it carries a message id and its data, not words."""
    from tracker.errors import TrackerError
    from tracker.ingest.formats import read_document
    from tracker.reporting import read_duties
    from tracker.service import NOTE_LIMIT, note_problem

    too_long = note_problem("字" * (NOTE_LIMIT + 1))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(TrackerError) as unreadable:
        read_document(empty)
    with pytest.raises(TrackerError) as duties:
        read_duties([{"rule": "FREQ=MONTHLY", "colour": "red"}], lambda index, key: f"plan.toml:{index + 7}")
    refusals = [too_long, unreadable.value, duties.value]
    said = zip(refusals, ["最多", "空", "colour"], ["at most 2,000 characters", "empty", "has no field colour"])
    for refusal, chinese, english in said:
        assert refusal is not None
        assert chinese in str(refusal) and re.search("[\u4e00-\u9fff]", str(refusal)), str(refusal)
        worded = refusal.words("en")
        assert english in worded and not re.search("[\u4e00-\u9fff]", worded), worded
