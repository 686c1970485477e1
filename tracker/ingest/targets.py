"""Quantitative targets: 达到15家以上, 30家左右, 年均增长10%, 突破1200家, and year-by-year lines.

A number with a measure (家, 个, %, 亿元, 元/平方米 …) is a target when the words around it
say it is one: a comparator before it (达到, 突破, 超过, 不低于, 年均增长 …) or after it
(以上, 左右, 以内), an action right before it or opening its clause (新增, 建成, 引进, 制定 …),
or a sentence that opens with its year (2022年,集聚区总数达到12个,入驻企业500户). Facts in
passing (结合全市15个攻势, 签约项目70余个) are not targets.

The indicator is the words before the number in its clause, less hedges and time words, plus the
object after it when the number follows a verb (每年制定10项以上服务业行业标准 → 制定服务业行业
标准). A rate (每年新增…100家) has no year. A target's year is its own sentence's deadline, else
the deadline that opens its section (一、总体目标 争取到2022年, …), else the plan's end.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .deadline_phrases import DeadlinePhrase, find_deadlines

_MEASURE = (r"(?:元/平方米|万元/亩|平方公里|万平方米|平方米|公里|千米|亿美元|万美元|美元|万亿元|亿元|万元|元|万人次|人次|万人|"
            r"万户|人|户|家|个百分点|百分点|个|项|处|座|场|套|所|条|件|次|名|位|台|辆|艘|万吨|吨|万亩|亩|万千瓦|千瓦|兆瓦|倍|%|%)")
_QUANTITY = re.compile(rf"(?<![\d.─—\-~～至])(?P<num>\d+(?:\.\d+)?)\s*(?P<measure>{_MEASURE})(?!\d)")
_BEFORE = ("年均增长", "平均增长", "提高到", "提升到", "提升至", "提高至", "增长到", "控制在", "保持在", "不低于", "不少于",
           "超过", "突破", "达到", "增长", "达")
_AFTER = ("以上", "左右", "以内", "以下", "之内")
_GROWTH = ("年均增长", "平均增长", "提高到", "提升到", "提升至", "提高至", "增长到", "增长")
_ACTIONS = ("新增", "新建", "新培育", "新认定", "建成", "建设", "打造", "培育", "引进", "引才", "完成", "设立", "举办", "制定",
            "推出", "认定", "实施", "创建", "招引", "实现", "累计", "吸纳", "入驻", "培训", "开展", "争创", "储备")
_HEDGES = re.compile(r"^(?:争取|力争|确保|努力|推动|使|全市|其中|共|同时|并)+")
_FILLERS = ("全部", "均", "分别", "总计", "合计", "共")
_CLAUSE = re.compile(r"[^,,;;。!?!?\n]+")
_SENTENCE = re.compile(r"[^。;;!?!?\n]+")


@dataclass
class FoundTarget:
    indicator: str
    value: float
    measure: str
    comparator: str | None
    start: int
    rate: bool = False  # 每年新增…: a yearly rate, no year of its own
    due_on: date | None = None

    @property
    def year(self) -> int | None:
        return self.due_on.year if self.due_on else None


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def _clean_indicator(words: str, deadlines: list[DeadlinePhrase], offset: int, keep: str | None = None) -> str:
    for phrase in sorted(deadlines, key=lambda p: -p.start):
        s, e = phrase.start - offset, phrase.end - offset
        if 0 <= s and e <= len(words):
            words = words[:s] + words[e:]
    words = words.strip(" 、,,和及与")
    words = _HEDGES.sub("", words)
    changed = not (keep and words.endswith(keep))
    while changed:
        changed = False
        for tail in (*_BEFORE, *_FILLERS):
            if words.endswith(tail) and len(words) > len(tail):
                words, changed = words[: -len(tail)], True
    return words.strip(" 、,,")


def _opens_with_action(clause: str) -> bool:
    return _HEDGES.sub("", re.sub(r"^(?:[一二三四五十\d]+年|每年|未来[一二三四五\d]+年|到\d{4}年)", "", clause)).startswith(_ACTIONS)


def _targets_in_clause(clause: str, offset: int, deadlines: list[DeadlinePhrase], year_line: bool) -> list[FoundTarget]:
    found: list[FoundTarget] = []
    matches = list(_QUANTITY.finditer(clause))
    if not matches:
        return found
    opens_with_action = _opens_with_action(clause)
    respectively = "分别" in clause[: matches[0].start()] and len(matches) > 1
    subjects: list[str] = []
    if respectively:
        subject = clause[: clause.index("分别")]
        subjects = [s for s in re.split(r"[和及、与]", subject) if s]
        if len(subjects) != len(matches):
            subjects = []
    after_all = next((w for w in _AFTER if clause[matches[-1].end():].startswith(w)), None)
    rate_words = [p for p in deadlines if p.deadline is not None and p.deadline.kind == "rule"
                  and offset <= p.start < offset + len(clause)]
    previous_end = 0
    list_verb = None  # 完成2000户房屋征收、15万平方米建筑保护修缮: the verb that governs the list
    for i, match in enumerate(matches):
        before = clause[previous_end: match.start()]
        after = clause[match.end():]
        comparator = next((w for w in _AFTER if after.startswith(w)), None)
        stated_before = next((w for w in _BEFORE if before.endswith(w)), None)
        action_before = next((w for w in _ACTIONS if before.rstrip().endswith(w)), None)
        if before.strip(" 、和及与") == "" and list_verb:
            action_before = list_verb
        if comparator is None and subjects and after_all:
            comparator = after_all
        # 年均增长20%以上: the bound is the comparator, the growth stays in the indicator
        keep = stated_before if comparator and stated_before in _GROWTH else None
        comparator = comparator or stated_before
        past_comparator = len(comparator) if comparator and after.startswith(comparator) else 0
        obj_match = re.match(r"[^、,,;;和及与]*", after[past_comparator:])
        obj = obj_match.group(0).strip() if obj_match else ""
        if before.endswith("不超过") or not (comparator or action_before or opens_with_action or year_line or subjects):
            previous_end = match.end()
            list_verb = None
            continue
        if subjects:
            indicator = _HEDGES.sub("", subjects[i].strip())
        elif before.strip(" 、和及与") == "" and list_verb:
            indicator = list_verb + obj
        else:
            indicator = _clean_indicator(before, deadlines, offset + previous_end, keep)
            if action_before and obj:
                indicator += obj
        list_verb = action_before if action_before and obj else None
        if not indicator:
            indicator = clause.strip()
        found.append(FoundTarget(indicator[:200], _number(match["num"]), match["measure"].replace("%", "%"),
                                 comparator, offset + match.start(),
                                 rate=any(p.start < offset + match.start() for p in rate_words)))
        previous_end = match.end() + past_comparator + (len(obj_match.group(0)) if list_verb and obj_match else 0)
    return found


def find_targets(text: str, *, section_dates: Sequence[tuple[int, int, date]] = (), plan_end: date | None = None,
                 **dates) -> list[FoundTarget]:
    """Every quantitative target in `text`, with its due date.

    `section_dates` are (start, end, date) spans whose opening deadline applies to the targets
    inside them; `dates` are the document's dates for relative deadline phrases.
    """
    deadlines = find_deadlines(text, **dates)
    starts = [p.start for p in deadlines]
    targets: list[FoundTarget] = []
    for sentence in _SENTENCE.finditer(text):
        s_start = sentence.start()
        if not _QUANTITY.search(sentence.group(0)):
            continue
        in_sentence = deadlines[bisect_left(starts, s_start):bisect_left(starts, sentence.end())]
        own = [p for p in in_sentence if p.deadline is not None]
        year_line = bool(re.match(r"\s*(?:19|20)\d{2}\s*年\s*[,,]", sentence.group(0)))
        for clause in _CLAUSE.finditer(sentence.group(0)):
            for target in _targets_in_clause(clause.group(0), s_start + clause.start(), in_sentence, year_line):
                if not target.rate:
                    dated = [p for p in own if p.deadline.kind == "date" and p.start <= target.start]
                    if dated:
                        target.due_on = dated[-1].deadline.due_on
                    else:
                        spans = [d for s, e, d in section_dates if s <= target.start < e]
                        target.due_on = spans[-1] if spans else plan_end
                targets.append(target)
    return targets


def section_opening_dates(text: str, spans: list[tuple[int, int]], **dates) -> list[tuple[int, int, date]]:
    """For each (start, end) section span whose text opens with a dated deadline phrase
    (争取到2022年,…), that date for the whole span."""
    out = []
    for start, end in spans:
        opening = text[start:end].lstrip()[:16]
        shift = len(text[start:end]) - len(text[start:end].lstrip())
        for phrase in find_deadlines(opening, **dates):
            if phrase.start <= 2 and phrase.deadline is not None and phrase.deadline.kind == "date":
                out.append((start + shift, end, phrase.deadline.due_on))
                break
    return out
