"""Helpers for the calendar feed tests: plan files of any size, client time zones, parsers."""

from __future__ import annotations

import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from .conftest import PLANS

# a client near the plans and one far from them (16 hours apart, the date line between)
CLIENT_ZONES = ["Asia/Shanghai", "America/Los_Angeles"]
QINGDAO = "qingdao-2020-service-clusters"
YEARLY = "qingdao-2024-municipal-clusters"
JILIN = "jilin-2021-cluster-upgrade"


@contextmanager
def client_timezone(zone: str):
    """Run as a process whose local time zone is `zone` (TZ and tzset, as a client machine would be)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def plans_folder(tmp: Path) -> Path:
    """A copy of the bundled plans to edit."""
    target = tmp / "plans"
    shutil.copytree(PLANS, target, ignore=shutil.ignore_patterns("sources"))
    return target


def yearly_plan_until(tmp: Path, period_end: str) -> Path:
    """The bundled yearly-report plan with a later end, so its rule reaches a leap year."""
    folder = plans_folder(tmp)
    path = folder / f"{YEARLY}.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("period_end = 2027-12-31", f"period_end = {period_end}"), encoding="utf-8")
    for other in folder.glob("*.toml"):
        if other.name not in ("units.toml", path.name):
            other.unlink()
    return folder


TEXT = ("统筹推进服务业集聚区提质增效,完善配套设施,强化要素保障,"
        "引导龙头企业、科研院所和行业协会共同参与集聚区建设运营,形成一批特色鲜明的示范项目。")


def synthetic_plan(folder: Path, key: str, tasks: int, *, lead: str = "市发展改革委",
                   responsible: tuple[str, ...] = ("市财政局", "市商务局")) -> Path:
    """A plan of `tasks` tasks led by `lead`, with every kind of deadline: dates, the plan's end,
    a yearly rule and ongoing work."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "units.toml").exists():
        shutil.copy(PLANS / "units.toml", folder / "units.toml")
    lines = [
        "[plan]", f'key = "{key}"', f'title = "青岛市服务业集聚区测试行动计划({key})"',
        'document_number = "青测字〔2025〕1号"', 'jurisdiction = "青岛市"', 'coordinator = "市发展改革委"',
        "period_start = 2025-01-01", "period_end = 2028-12-31", "",
        "[[sections]]", 'key = "1"', 'title = "完善集聚区配套"', "",
    ]
    for i in range(tasks):
        kind = i % 6
        deadline = {0: "2026-06-30", 1: None, 2: '{rrule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"}',
                    3: '"ongoing"', 4: f"2027-{1 + i % 12:02d}-{1 + i % 28:02d}", 5: "2025-12-31"}[kind]
        lines += ["[[tasks]]", f'key = "1.{i + 1}"', 'section = "1"', f'title = "第{i + 1}项重点任务"',
                  f'text = "{TEXT}(第{i + 1}项)"', f'lead = ["{lead}"]',
                  "responsible = [" + ", ".join(f'"{r}"' for r in responsible) + "]"]
        if deadline:
            lines.append(f"deadline = {deadline}")
        if kind == 2:
            lines.append('deadline_phrase = "每年2月底前"')
        lines.append("")
    path = folder / f"{key}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def physical_lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    return data[:-2].split(b"\r\n")
