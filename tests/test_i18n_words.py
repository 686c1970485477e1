"""The TUI's, the digest's, the feeds' and the ledger's words come from the one catalogue: no word table of
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


def _defined_in(path: Path) -> dict[int, str]:
    """Each line of a module → the name its top-level statement defines (a constant, a function,
    Class.method)."""
    names: dict[int, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            first = target.elts[0] if isinstance(target, ast.Tuple) else target
            name = first.id if isinstance(first, ast.Name) else ""
        else:
            continue
        names.update({line: name for line in range(node.lineno, node.end_lineno + 1)})
        for method in node.body if isinstance(node, ast.ClassDef) else ():
            if isinstance(method, ast.FunctionDef):
                names.update({line: f"{name}.{method.name}" for line in range(method.lineno, method.end_lineno + 1)})
    return names


# The ledger's own format, which is Chinese whatever the language of the command: not messages but
# the words a ledger's cells hold and a returned file is read by. Headers and their synonyms must
# match the Chinese headers of any returned file, so they are never translated. Each allowance
# names the constant (or the reading function) that holds them.
LEDGER_FORMAT = {
    ("ledger/columns.py", "SEQ"): "the export's column headers (序号 … 完成时限)",
    ("ledger/columns.py", "STATUS"): "the export's column headers (状态 … 填报人)",
    ("ledger/columns.py", "MEASURE"): "a breakdown table's 具体措施 header",
    ("ledger/columns.py", "VERSION"): "the hidden 数据版本 header",
    ("ledger/columns.py", "PLAN_KEY"): "the title block's labels, read back from returned files",
    ("ledger/columns.py", "WHOLE_PLAN_READ"): "the whole-plan label as older exports wrote it",
    ("ledger/columns.py", "SYNONYMS"): "the header names offices use, matched in returned files",
    ("ledger/columns.py", "SUPPORTING"): "headers of supporting units, matched in returned files",
    ("ledger/columns.py", "_BRACKETED"): "full-width brackets of a header's remark (完成进度（%）)",
    ("ledger/breakdown.py", "DITTO"): "同上 and its kin, as typed in breakdown tables",
    ("ledger/breakdown.py", "_DOCUMENT_NUMBER"): "a 发文字号 (青政字〔2020〕30号), read from title rows",
    ("ledger/breakdown.py", "_TITLE_SUFFIX"): "the 分解表/台账 suffixes of a table's title",
    ("ledger/breakdown.py", "_HEADINGS"): "heading numbering (三、 （一） 1、) read from rows",
    ("ledger/breakdown.py", "_title_from"): "《…》 around a plan's name in a title row",
    ("ledger/breakdown.py", "_Reader._deadline"): "年 and 到 added to a deadline cell before it is read",
    ("ledger/breakdown.py", "_is_number"): "a row number written 1、",
    ("ledger/export.py", "BODY_FONT"): "the fonts' names (宋体, 黑体), as Excel knows them",
    ("ledger/export.py", "SECTION_NUMBERING"): "heading numbering (三、 （一）), as plans number them",
    ("ledger/export.py", "_DIGITS"): "Chinese numerals for section numbers",
}


@pytest.mark.parametrize("folder", ["tui", "digest", "feeds", "ledger"])
def test_no_chinese_in_the_code_outside_the_catalogue(folder):
    """Every Chinese word these front ends show is a msgstr: their code holds only English message
    ids (a Chinese term quoted inside one, 已完成, is part of its id), and, in the ledger, the
    format's own words LEDGER_FORMAT names."""
    ids = {m for _, m in _catalogue_ids()}
    found = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        where, defined = path.relative_to(PACKAGE).as_posix(), _defined_in(path)
        found += [f"{where}:{line}: {value!r}" for line, value in _chinese_literals(path)
                  if not any(value in message for message in ids)
                  and (where, defined.get(line, "")) not in LEDGER_FORMAT]
    assert found == []


def test_every_ledger_allowance_still_holds_chinese():
    """An allowance for a name that no longer holds Chinese is stale: it would excuse whatever
    takes the name next."""
    used = set()
    for path in sorted((PACKAGE / "ledger").rglob("*.py")):
        where, defined = path.relative_to(PACKAGE).as_posix(), _defined_in(path)
        used |= {(where, defined.get(line, "")) for line, _ in _chinese_literals(path)}
    assert set(LEDGER_FORMAT) - used == set()


def test_the_ledger_reads_its_chinese_headers_whatever_the_language():
    from tracker.i18n import set_language
    from tracker.ledger.columns import field_of

    try:
        set_language("en")
        assert field_of("完成进度（%）") == "完成进度" and field_of("牵头部门") == "牵头单位"
    finally:
        set_language("zh")


def test_a_ledger_place_is_worded_when_shown():
    from tracker.ledger.reading import Place

    place = Place("ledger.xlsx", "台账", 7, "完成进度")
    assert place.words("zh") == "ledger.xlsx 工作表「台账」第7行「完成进度」列"
    assert place.words("en") == 'ledger.xlsx sheet "台账" row 7 column "完成进度"'
    assert Place("returned.csv", None, 3).words("zh") == "returned.csv 第3行"
    assert Place("returned.csv").words("en") == "returned.csv"


def test_the_check_finds_a_chinese_word_in_code(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""说明"""\nLABEL = "状态"\n', encoding="utf-8")
    assert list(_chinese_literals(sample)) == [(2, "状态")]
