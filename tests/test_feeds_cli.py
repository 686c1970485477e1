"""`tracker feed` as a user types it: export files, tokens, the server, and refused input."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import httpx
from icalendar import Calendar

from tracker.errors import TrackerError

from .conftest import PLANS, ROOT, snapshot
from .feeds_support import JILIN, QINGDAO, YEARLY


def said(result, lang: str | None = None) -> str:
    """What the user reads: the output, or the message of the TrackerError main() prints (in
    `lang`, by default the command's)."""
    if isinstance(result.exception, TrackerError):
        return result.output + result.exception.words(lang)
    return result.output + (str(result.exception) if result.exception else "")


def load(tracker_cli):
    result = tracker_cli("plan", "load", str(PLANS))
    assert result.exit_code == 0, result.output


def files_in(folder):
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file()}


def test_export_a_unit_and_a_plan(tracker_cli, tmp_path):
    load(tracker_cli)
    result = tracker_cli("feed", "export", "--unit", "市统计局", today="2022-01-01")
    assert result.exit_code == 0, result.output
    event, = Calendar.from_ical(result.stdout_bytes).walk("VEVENT")
    assert str(event["UID"]).startswith(f"{JILIN}/5.3.1/")
    target = tmp_path / "out" / "stats.ics"
    result = tracker_cli("feed", "export", "-u", "市统计局", "--todo", "--alarm", "3d", "-o", str(target), today="2022-01-01")
    assert result.exit_code == 0 and "已写入" in result.output
    todo, = Calendar.from_ical(target.read_bytes()).walk("VTODO")
    assert todo.walk("VALARM")[0]["TRIGGER"].to_ical() == b"-P3D"
    before = target.stat().st_mtime_ns
    result = tracker_cli("feed", "export", "-u", "市统计局", "--todo", "--alarm", "3d", "-o", str(target), today="2022-01-01")
    assert result.exit_code == 0 and "未变" in result.output and target.stat().st_mtime_ns == before
    result = tracker_cli("--lang", "en", "feed", "export", "--plan", YEARLY, "--task-url",
                         "https://oa.example.cn/tasks/{plan}/{task}", today="2025-03-01")
    event, = Calendar.from_ical(result.stdout_bytes).walk("VEVENT")
    assert str(event["URL"]) == f"https://oa.example.cn/tasks/{YEARLY}/3.1"
    assert str(event["SUMMARY"]).startswith("[市南区发展改革局 et al.] ")
    result = tracker_cli("feed", "export", "-u", "市发改委", "-j", "青岛市", "--role", "lead", today="2022-01-01")
    calendar = Calendar.from_ical(result.stdout_bytes)
    assert str(calendar["X-WR-CALNAME"]) == "市发展改革委\uff08牵头\uff09 · 行动计划截止日期"
    assert len(calendar.walk("VEVENT")) == 7


def test_export_all_rewrites_only_what_changed(tracker_cli, tmp_path):
    load(tracker_cli)
    out = tmp_path / "feeds"
    result = tracker_cli("feed", "export", "--all", "-o", str(out), today="2022-01-01")
    assert result.exit_code == 0, result.output
    first = files_in(out)
    assert {name for name in first if name.startswith("plans/")} == {f"plans/{k}.ics" for k in (JILIN, QINGDAO, YEARLY)}
    assert "units/青岛市-市发展改革委.ics" in first and "units/吉林市-市商务局.ics" in first
    assert "units/青岛市-市商务局.ics" in first  # the same name in two cities: two files
    assert not [n for n in first if n.endswith(".tmp") or "/." in n]
    assert f"写入{len(first)}个\uff0c未变0个" in result.output
    for name in first:
        Calendar.from_ical((out / name).read_bytes())

    result = tracker_cli("feed", "export", "--all", "-o", str(out), today="2022-01-01")
    assert f"写入0个\uff0c未变{len(first)}个" in result.output and files_in(out) == first

    result = tracker_cli("status", "set", "5.3.1", "--plan", JILIN, "--unit", "市统计局", "--status", "推进中",
                         "--percent", "50")
    assert result.exit_code == 0, result.output
    result = tracker_cli("feed", "export", "--all", "-o", str(out), today="2022-01-01")
    assert "写入2个" in result.output
    after = files_in(out)
    changed = sorted(name for name in first if after[name] != first[name])
    # the unit's own calendar and the plan's; other units' files untouched (their entries show no one else's status)
    assert changed == [f"plans/{JILIN}.ics", "units/吉林市-市统计局.ics"]
    assert after[changed[0]][0] != first[changed[0]][0]  # replaced (a new inode), not rewritten in place


def test_refused_exports_change_nothing(tracker_cli, tmp_path):
    load(tracker_cli)
    before = snapshot(tracker_cli.url)
    out = tmp_path / "nothing.ics"
    for args, message in (
        ([], "choose one of --unit NAME, --plan KEY or --all"),
        (["--unit", "市统计局", "--plan", JILIN], "--unit, --plan cannot be used together"),
        (["--all"], "give the folder with -o DIR"),
        (["--plan", JILIN, "--role", "lead"], "--jurisdiction and --role go with --unit"),
        (["--unit", "市统计所"], "unknown unit '市统计所'; closest known names: 市统计局"),
        (["--unit", "市商务局"], "several jurisdictions"),
        (["--plan", "qingdao-2099"], "unknown plan 'qingdao-2099'"),
        (["--lang", "en", "--unit", "市统计局", "--alarm", "soon"], "alarm 'soon' is not like 7d"),
        (["--lang", "en", "--unit", "市统计局", "--alarm", "99999999999d"], "alarm '99999999999d' is more than a year"),
        (["--lang", "en", "--unit", "市统计局", "--alarm", "9" * 5000 + "d"], "is more than a year"),
        (["--unit", "市统计局", "--task-url", "https://x/{id}"], "may use only {plan} and {task}"),
    ):
        result = tracker_cli("feed", "export", *args, *(["-o", str(out)] if args != ["--all"] else []))
        assert result.exit_code != 0, args
        assert message in said(result, "en"), (args, said(result, "en"))
    # worded when shown: in the command's language, Chinese by default
    result = tracker_cli("feed", "export", "--unit", "市统计局", "--alarm", "soon", "-o", str(out))
    assert result.exit_code != 0 and "提醒 'soon' 的写法不对" in said(result)
    assert not out.exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = tracker_cli("feed", "export", "--all", "-o", str(blocker))
    assert result.exit_code != 0 and "这是文件\uff1b--all 需要文件夹" in said(result)
    assert snapshot(tracker_cli.url) == before


def test_token_printed_once_rotated_and_revoked(tracker_cli):
    load(tracker_cli)
    result = tracker_cli("feed", "token", "--unit", "市发改委", "-j", "吉林市", "--base-url", "https://feeds.example.cn/")
    assert result.exit_code == 0, result.output
    urls = re.findall(r"https://\S+", result.output)
    assert re.fullmatch(r"https://feeds\.example\.cn/feeds/[A-Za-z0-9_-]{43}/[0-9a-f]{12}\.ics", urls[0])
    assert urls[1:] == [f"https://feeds.example.cn/plans/{urls[0].split('/')[4]}/{JILIN}.ics"]
    before = snapshot(tracker_cli.url)
    for args in ([], ["--rotate", "--revoke"], ["--base-url", "feeds.example.cn"]):
        again = tracker_cli("feed", "token", "--unit", "市发改委", "-j", "吉林市", *args)
        assert again.exit_code != 0 and urls[0].split("/")[4] not in said(again)
    assert "已有订阅令牌" in said(tracker_cli("feed", "token", "-u", "市发改委", "-j", "吉林市"))
    assert snapshot(tracker_cli.url) == before
    rotated = tracker_cli("feed", "token", "-u", "市发改委", "-j", "吉林市", "--rotate")
    assert rotated.exit_code == 0 and "http://127.0.0.1:8080/feeds/" in rotated.output
    assert re.findall(r"/feeds/(\S+)/", rotated.output)[0] != urls[0].split("/")[4]
    revoked = tracker_cli("feed", "token", "-u", "市发改委", "-j", "吉林市", "--revoke")
    assert revoked.exit_code == 0 and "已撤销市发改委的1个订阅令牌" in revoked.output


def test_feed_commands_import_nothing_heavy_until_run():
    code = ("import sys, tracker.cli, tracker.cli.feeds; "
            "heavy = [m for m in ('icalendar', 'starlette', 'uvicorn', 'sqlalchemy') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_feed_serve_command(tracker_cli, tmp_path):
    """The real command in its own process, as an office would start it."""
    load(tracker_cli)
    result = tracker_cli("feed", "token", "-u", "市统计局", "--base-url", "http://127.0.0.1:1")
    url = re.findall(r"http://\S+\.ics", result.output)[0]
    port = _free_port()
    env = {**os.environ, "TRACKER_DB": tracker_cli.url, "TRACKER_TODAY": "2022-01-01"}
    command = [sys.executable, "-c", "from tracker.cli import main; main()"]  # what the `tracker` script runs
    process = subprocess.Popen([*command, "feed", "serve", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        address = url.replace("127.0.0.1:1", f"127.0.0.1:{port}")
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(address, timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()
                time.sleep(0.1)
        assert response.status_code == 200
        event, = Calendar.from_ical(response.content).walk("VEVENT")
        assert str(event["SUMMARY"]).startswith("[责任] ")
        assert httpx.get(address, headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=20)
    token = url.split("/")[4]
    assert token not in errors.decode() and "200" in errors.decode()
