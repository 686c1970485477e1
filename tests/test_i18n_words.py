"""The TUI's, the digest's and the feeds' words come from the one catalogue: no word table of
their own, no Chinese in their code outside a catalogue message, and no Chinese in English."""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest

import tracker
from tracker.digest.words import MESSAGES as DIGEST_MESSAGES, WORDS
from tracker.feeds import ical
from tracker.i18n import gettext_in
from tracker.locale.extract import messages
from tracker.tui import text as tui_text

HAN = re.compile("[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
PACKAGE = Path(tracker.__file__).resolve().parent


@lru_cache(maxsize=1)
def _catalogue_ids() -> frozenset:
    return frozenset((m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in messages() if m.id)


def _key(message) -> tuple:
    return message if isinstance(message, tuple) else (None, message)


@pytest.mark.parametrize("table", [tui_text._TEXT, tui_text.BINDINGS, DIGEST_MESSAGES, ical._MESSAGES],
                         ids=["tui", "bindings", "digest", "feeds"])
def test_every_word_of_the_tables_is_a_catalogue_message_translated(table):
    ids = _catalogue_ids()
    assert [m for m in table.values() if _key(m) not in ids] == []
    for message in table.values():
        chinese, english = gettext_in("zh", message), gettext_in("en", message)
        assert not HAN.search(english), english
        if re.search("[A-Za-z]", english):  # a word, not a bare {n} or a separator
            assert HAN.search(chinese), (message, chinese)


def test_the_digest_reads_its_words_by_name_in_each_language():
    assert WORDS["zh"].stale == "长期未更新\uff0830天以上\uff09" and WORDS["en"].stale == "Not updated for 30 days or more"
    assert WORDS["zh"]["my_updates"] == "本周更新\uff1a本单位"
    with pytest.raises(AttributeError):
        WORDS["zh"].no_such_word


def test_the_tui_says_its_words_in_either_language():
    assert tui_text.tr("whoami", "zh", unit="市商务局", jurisdiction="青岛市", liaison="联络员 赵蕾", today="2022-12-20") \
        == "市商务局\uff08青岛市\uff09· 联络员 赵蕾 · 今天 2022-12-20"
    assert tui_text.tr("filter_placeholder", "zh") == "/ 筛选\uff1a编号、任务内容、计划、章节"
    assert tui_text.tasks_count(3, "zh") == "3项" and tui_text.tasks_count(1, "en") == "1 task"
    assert tui_text.binding_description("tasks.update", "zh") == "更新"
    assert tui_text.binding_description("tasks.update", "en") == "update"


def _chinese_literals(path: Path):
    """String constants with Chinese in them, docstrings aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                and HAN.search(node.value):
            yield node.lineno, node.value


@pytest.mark.parametrize("folder", ["tui", "digest", "feeds"])
def test_no_chinese_in_the_code_outside_the_catalogue(folder):
    """Every Chinese word these front ends show is a msgstr: their code holds only English message
    ids (a Chinese term quoted inside one, 已完成, is part of its id)."""
    ids = {m for _, m in _catalogue_ids()}
    found = [f"{path.relative_to(PACKAGE)}:{line}: {value!r}"
             for path in sorted((PACKAGE / folder).rglob("*.py")) for line, value in _chinese_literals(path)
             if not any(value in message for message in ids)]
    assert found == []


def test_the_check_finds_a_chinese_word_in_code(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""说明"""\nLABEL = "状态"\n', encoding="utf-8")
    assert list(_chinese_literals(sample)) == [(2, "状态")]
