"""Benchmark: `tracker plan parse` on a 30,000-character plan.

    python bench/ingest.py            # prints the figures recorded in docs/benchmarks.md (## Ingest)

Three texts, each about 30,000 characters:
- generated: an action plan written the way the seeds are (headings, every annotation style,
  deadlines, targets, a carry-forward clause), from a fixed random seed;
- seeds: the five seed documents (plans/sources) concatenated, repeated to length;
- traditional: seed 000 (traditional characters with pinyin glosses) repeated to length, so
  OpenCC conversion and gloss stripping are in the figure.
For each: the reader alone (read_text + JSON + plan-file text, in process, median of 15 runs
after one warm-up; wall clock and CPU time, the latter less disturbed by other work on the
machine) and the whole command (`python -m tracker.cli plan parse … --format json`
in a fresh process, median of 5), which adds Python's start-up and imports.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.ingest.reader import read_text, to_json, to_plan_file  # noqa: E402
from tracker.planfile import dump_plan  # noqa: E402
from tracker.registry import Registry  # noqa: E402

LENGTH = 30_000
NUMERALS = "一二三四五六七八九十"
UNITS = ["市发展改革委", "市科技局", "市商务局", "市财政局", "市自然资源和规划局", "市工业和信息化局", "市市场监管局",
         "市文化和旅游局", "市交通运输局", "市大数据局", "市税务局", "市民营经济局", "各区、市政府", "各相关职能单位"]
WORK = ["建设公共服务平台", "开展招商引资活动", "完善统计监测制度", "培育领军企业", "推进信用体系建设", "落实财政支持政策",
        "编制发展规划", "加强人才引进培养", "提升品牌影响力", "优化营商环境"]
DEADLINES = ["", "", "", "力争到2022年,", "2021年6月底前", "每年", "每季度", "长期坚持", "2022年底前"]


def _annotation(rng: random.Random) -> str:
    lead, *others = rng.sample(UNITS, k=rng.randint(2, 5))
    style = rng.randrange(4)
    if style == 0:
        return f"(牵头单位:{lead},责任单位:{'、'.join(others)})"
    if style == 1:
        return f"({lead}牵头,{'、'.join(others)}配合)"
    if style == 2:
        return f"(责任单位:{'、'.join([lead, *others])}按职责分工负责)"
    return f"(牵头单位:{lead};配合单位:{','.join(others)})"


def generated_plan(length: int = LENGTH, seed: int = 2024) -> str:
    rng = random.Random(seed)
    out = ["青岛市人民政府关于印发青岛市某产业发展行动计划(2021—2023年)的通知", "成文日期 2021-03-01",
           "发布日期 2021-03-05", "发文字号 青政字〔2021〕9号", "发文单位 青岛市人民政府", "",
           "一、总体目标", "争取到2023年,省级以上服务业集聚区达到15家以上,新认定市级集聚区30家左右,营业收入年均增长10%。",
           "二、重点任务"]
    size = sum(len(line) for line in out)
    section = 0
    while size < length:
        if section and section % 10 == 0:
            out.append(f"{NUMERALS[min(section // 10 + 1, 9)]}、重点任务(续)")
        section += 1
        lines = [f"({NUMERALS[(section - 1) % 10]}){rng.choice(WORK)}行动。"]
        for _ in range(rng.randint(1, 3)):
            lines.append(f"{rng.choice(DEADLINES)}{rng.choice(WORK)},{rng.choice(WORK)},"
                         f"新建各类平台{rng.randint(2, 30)}个以上,{rng.choice(WORK)}。{_annotation(rng)}")
        paragraph = "".join(lines)
        out.append(paragraph)
        size += len(paragraph)
    return "\n".join(out) + "\n"


def repeated(text: str, length: int = LENGTH) -> str:
    return (text * (length // len(text) + 1))[:length]


def _median_seconds(action, runs: int, clock=time.perf_counter) -> float:
    action()
    times = []
    for _ in range(runs):
        start = clock()
        action()
        times.append(clock() - start)
    return statistics.median(times)


def main() -> None:
    registry = Registry.load(ROOT / "plans" / "units.toml")
    seeds = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "plans" / "sources").glob("*.txt")))
    traditional = (ROOT / "plans" / "sources").glob("000_*.txt").__next__().read_text(encoding="utf-8")
    texts = {"generated": generated_plan(), "seeds": repeated(seeds), "traditional": repeated(traditional)}
    print(f"{'text':12} {'chars':>7} {'tasks':>6} {'targets':>8} {'reader ms':>10} {'reader cpu':>11} "
          f"{'command ms':>11}")
    for name, text in texts.items():
        def read():
            draft = read_text(text, registry=registry, jurisdiction="青岛市")
            to_json(draft, key="bench")
            dump_plan(to_plan_file(draft, key="bench"))
            return draft

        draft = read()
        reader = _median_seconds(read, 15)
        cpu = _median_seconds(read, 15, time.process_time)
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / f"{name}.txt"
            source.write_text(text, encoding="utf-8")
            command = [sys.executable, "-m", "tracker.cli", "plan", "parse", str(source), "-j", "青岛市",
                       "--format", "json"]

            def run():
                subprocess.run(command, cwd=ROOT, check=False, capture_output=True)

            whole = _median_seconds(run, 5)
        print(f"{name:12} {len(text):7d} {len(draft.tasks):6d} {len(draft.targets):8d} "
              f"{reader * 1000:10.1f} {cpu * 1000:11.1f} {whole * 1000:11.1f}")


if __name__ == "__main__":
    main()
