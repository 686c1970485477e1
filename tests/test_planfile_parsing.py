"""Plan files are parsed with rtoml when it is installed: it must read every plan exactly as
tomllib does, and whatever it refuses is still reported in tomllib's words and line."""

import tomllib

import re

import pytest

from bench.generate import SCALES, write_plan_files
from tracker import planfile
from tracker.errors import TrackerError

from .conftest import PLANS

rtoml = pytest.importorskip("rtoml")


def test_reads_every_plan_as_tomllib_does(tmp_path):
    generated = write_plan_files(4, SCALES["small"], tmp_path / "plans")
    files = sorted(PLANS.glob("*.toml")) + sorted(generated.glob("*.toml"))
    assert len(files) > 8
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert rtoml.loads(text) == tomllib.loads(text), path


@pytest.mark.parametrize("bad", [
    'title = "未闭合',
    "key = 1\nkey = 2",
    "[plan]\n[plan]",
    "deadline = 2022-13-45",
    'lead = ["市发改委",]]',
    "a = 1 b = 2",
    "x = \"\x7f\"",
])
def test_what_either_refuses_is_reported_in_tomllib_words(tmp_path, bad):
    path = tmp_path / "bad.toml"
    path.write_text('[plan]\nkey = "p"\ntitle = "t"\njurisdiction = "青岛市"\n\n' + bad + "\n", encoding="utf-8")
    with pytest.raises(tomllib.TOMLDecodeError) as expected:
        tomllib.loads(path.read_text(encoding="utf-8"))
    with pytest.raises(TrackerError) as raised:
        planfile.read_plan(path)
    # tomllib's message, its line and column as the place (file:line:column)
    reason, line, column = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", str(expected.value)).groups()
    reason = reason.replace("('plan',)", "'plan'")  # a key as the file writes it, not as a tuple
    assert raised.value.words("en") == f"{path}:{line}:{column}: TOML syntax error: {reason}"
    # and in Chinese, every word of it
    chinese = str(raised.value)
    assert chinese.startswith(f"{path}:{line}:{column}\uff1aTOML 语法错误\uff1a")
    words = re.sub(r"'[^']*'", "", chinese.replace(str(path), "").replace("TOML", ""))  # names quoted as data
    assert not re.search(r"[A-Za-z]{2,}", words), chinese
