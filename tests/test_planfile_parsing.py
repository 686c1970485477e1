"""Plan files are parsed with rtoml when it is installed: it must read every plan exactly as
tomllib does, and whatever it refuses is still reported in tomllib's words and line."""

import tomllib

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
    assert "TOML 语法错误" in str(raised.value) and f"{path}:6:" in str(raised.value)  # Chinese unless --lang en
    assert str(expected.value) in str(raised.value)  # tomllib's message, with its line and column
