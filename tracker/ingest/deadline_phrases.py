"""Deadline phrases → deadlines, relative to the document's own dates.

    read_deadline("力争到2022年,每个集聚区建成1个以上公共服务平台")   → 2022-12-31
    read_deadline("2019年6月底前")                                    → 2019-06-30
    read_deadline("每年2月底前报市发展改革委")                         → rule FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1
    read_deadline("每季度") / read_deadline("每月5日前")               → quarterly / monthly rules
    read_deadline("长期坚持") / read_deadline("持续推进")              → ongoing
    read_deadline("本意见印发之日起30日内", written_on=date(2021, 3, 1)) → 2021-03-31
    read_deadline("“十四五”期间")                                     → 2025-12-31
    read_deadline("未来3年", period_start=date(2020, 11, 19))          → 2023-11-18

`find_deadlines` returns every phrase with its place in the text; `read_deadline` chooses the
task's deadline among them: the latest completion date when the text names several dates, else
a recurring rule, else "ongoing"; None when the text states none. A phrase that depends on a
date the document does not give (印发之日起30日内 without an issue date) is found but has no
deadline; `find_deadlines` says why.

A time phrase inside a per-unit quota (每个集聚区每年引进5个项目, 未来3年引进1个以上…) is the
quota's period, not the task's deadline: everything after 每个/每家/… up to the end of the
sentence is left out.

Dates and rules are computed with python-dateutil (relativedelta, rrule).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, FR, MO, TH, TU, WE, rrule

from ..planfile import Deadline

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_NUMBER = r"[0-9〇零一二两三四五六七八九十百]+"


def cn_number(text: str) -> int:
    """12, 十二, 二十五, 两, 三十 → int. Raises ValueError for anything else."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(c not in _DIGITS and c not in "十百" for c in text):
        raise ValueError(text)
    if "十" not in text and "百" not in text:
        # 二〇二二: digit by digit
        return int("".join(str(_DIGITS[c]) for c in text))
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGITS[char]
    return total + current


@dataclass
class DeadlinePhrase:
    phrase: str
    start: int
    end: int
    deadline: Deadline | None  # None: the phrase needs a date the document does not give
    problem: str | None = None
    quota: bool = False  # inside a per-unit quota, or a start (自2022年起, 2023年第三季度全面启动): not a deadline


@dataclass
class _Dates:
    written_on: date | None
    published_on: date | None
    period_start: date | None
    period_end: date | None


def _year_end(year: int) -> date:
    return date(year, 12, 31)


def _month_end(year: int, month: int) -> date:
    return date(year, month, 1) + relativedelta(months=1, days=-1)


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_QUARTER_END = {1: 3, 2: 6, 3: 9, 4: 12}
_WEEKDAYS = {"一": "MO", "二": "TU", "三": "WE", "四": "TH", "五": "FR", "六": "SA", "日": "SU", "天": "SU"}

_HEDGE = r"(?:力争|争取|确保|计划|预计|要)?"
_BY = r"(?:在|于|到|至|截至|截止到?)?"
_BEFORE = r"(?:前|之前|以前)"


# ---------------------------------------------------------------------- the phrases, most specific first


def _date(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    found = _valid_date(int(m["y"]), int(m["m"]), int(m["d"]))
    return (Deadline("date", due_on=found), None) if found else (None, "no such date")


def _month(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    month = int(m["m"])
    if not 1 <= month <= 12:
        return None, "no such month"
    return Deadline("date", due_on=_month_end(int(m["y"]), month)), None


def _half_or_quarter(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    year, part = int(m["y"]), m["part"]
    if "上半年" in part:
        return Deadline("date", due_on=date(year, 6, 30)), None
    if "下半年" in part:
        return Deadline("date", due_on=date(year, 12, 31)), None
    quarter = cn_number(m["q"])
    if quarter not in _QUARTER_END:
        return None, "no such quarter"
    return Deadline("date", due_on=_month_end(year, _QUARTER_END[quarter])), None


def _year(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    return Deadline("date", due_on=_year_end(int(m["y"]))), None


def _this_year(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    base = dates.written_on or dates.published_on
    if base is None:
        return None, "the document's date is not known"
    year = base.year + (1 if m["which"] == "明年" else 0)
    return Deadline("date", due_on=_year_end(year)), None


def _month_no_year(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    base = dates.written_on or dates.published_on
    if base is None:
        return None, "the document's date is not known"
    month = int(m["m"])
    if not 1 <= month <= 12:
        return None, "no such month"
    year = base.year if month >= base.month else base.year + 1
    if m["d"]:
        found = _valid_date(year, month, int(m["d"]))
        return (Deadline("date", due_on=found), None) if found else (None, "no such date")
    return Deadline("date", due_on=_month_end(year, month)), None


def _five_year_plan(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    number = 10 + cn_number(m["n"])  # 十四五 → the 14th five-year plan, 2021–2025
    return Deadline("date", due_on=_year_end(1955 + 5 * number)), None


def _after_issue(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    # 印发/下发/出台 date the document's issue; 发布/公布 its publication.
    if m["event"] in ("发布", "公布"):
        base = dates.published_on or dates.written_on
    else:
        base = dates.written_on or dates.published_on
    if base is None:
        return None, "the document's issue date is not known"
    count, unit = cn_number(m["n"]), m["unit"]
    if count > 3660:
        return None, "too far to be a deadline"
    if "工作日" in unit:
        days = list(rrule(DAILY, byweekday=(MO, TU, WE, TH, FR), dtstart=datetime.combine(base, datetime.min.time())
                          + timedelta(days=1), count=count)) if count else []
        return Deadline("date", due_on=days[-1].date() if days else base), None
    delta = {"日": relativedelta(days=count), "天": relativedelta(days=count), "周": relativedelta(weeks=count),
             "月": relativedelta(months=count), "年": relativedelta(years=count)}[unit[-1]]
    return Deadline("date", due_on=base + delta), None


def _years_from(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    """2012年起5年内: five years counting 2012, so to the end of 2016."""
    count = cn_number(m["n"])
    if not 0 < count < 100:
        return None, "too far to be a deadline"
    return Deadline("date", due_on=_year_end(int(m["y"]) + count - 1)), None


def _within_years(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    start = dates.period_start or dates.written_on or dates.published_on
    if start is None:
        return None, "the plan's start is not known"
    count = cn_number(m["n"])
    delta = relativedelta(months=count) if "月" in m["unit"] else relativedelta(years=count)
    return Deadline("date", due_on=start + delta - relativedelta(days=1)), None


def _yearly(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    interval = f";INTERVAL={cn_number(m['every'])}" if m["every"] else ""
    month = int(m["m"]) if m["m"] else 12
    if not 1 <= month <= 12:
        return None, "no such month"
    if m["d"]:
        day = int(m["d"])
        if _valid_date(2000, month, day) is None:
            return None, "no such date"
    else:
        day = -1 if m["m"] else 31
    return Deadline("rule", rule=f"FREQ=YEARLY{interval};BYMONTH={month};BYMONTHDAY={day}"), None


def _half_yearly(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    return Deadline("rule", rule="FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1"), None


def _quarterly(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    if m["last"]:  # 每季度末月25日前: late in the quarter's last month
        day = int(m["last"])
        if not 1 <= day <= 31:
            return None, "no such day"
        return Deadline("rule", rule=f"FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY={day}"), None
    if m["d"]:  # 每季度首月10日前, 每季度结束后10日内: early in the quarter's first month
        day = int(m["d"])
        if not 1 <= day <= 31:
            return None, "no such day"
        return Deadline("rule", rule=f"FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY={day}"), None
    return Deadline("rule", rule="FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"), None


def _monthly(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    day = int(m["d"]) if m["d"] else -1
    if not (day == -1 or 1 <= day <= 31):
        return None, "no such day"
    return Deadline("rule", rule=f"FREQ=MONTHLY;BYMONTHDAY={day}"), None


def _weekly(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    # A week's work is due on its last working day unless a day is named.
    return Deadline("rule", rule=f"FREQ=WEEKLY;BYDAY={_WEEKDAYS.get(m['wd'] or '五')}"), None


def _ongoing(dates: _Dates, m: re.Match) -> tuple[Deadline | None, str | None]:
    return Deadline("ongoing"), None


_Y = r"(?P<y>(?:19|20)\d{2})\s*年"
_PATTERNS: list[tuple[re.Pattern, Callable]] = [(re.compile(p), f) for p, f in (
    (rf"(?:本|该)?(?:意见|方案|通知|计划|办法|文件|决定)?(?:自|从)?(?P<event>印发|下发|发布|公布|出台)(?:之日)?(?:起|后)"
     rf"(?P<n>{CN_NUMBER})\s*(?P<unit>个工作日|工作日|日|天|周|个月|月|年)(?:内|以内)", _after_issue),
    (r"[“\"]?十(?P<n>[一二三四五六七八九])五[”\"]?(?:规划)?(?:期间|时期|末)", _five_year_plan),
    (rf"每(?P<every>[两二三四五])?年(?:度)?(?:的)?(?:(?P<m>\d{{1,2}})月(?:份)?(?:(?P<d>\d{{1,2}})[日号]|底|末)?)?{_BEFORE}?", _yearly),
    (rf"每年(?:年底|年末|底){_BEFORE}?", _yearly),
    (r"每半年", _half_yearly),
    (rf"每(?:个)?季度(?:末月|最后一个月)(?P<last>\d{{1,2}})[日号]{_BEFORE}?", _quarterly),
    (rf"每(?:个)?季度(?:(?:首月|第一个月)(?P<d>\d{{1,2}})[日号]{_BEFORE}|结束后(?P<d2>\d{{1,2}})[日天](?:内|以内))?(?:末|底)?{_BEFORE}?",
     _quarterly),
    (rf"每(?:个)?月(?:(?P<d>\d{{1,2}})[日号]|底|末)?{_BEFORE}?", _monthly),
    (rf"每周(?P<wd>[一二三四五六日天])?{_BEFORE}?", _weekly),
    (rf"{_HEDGE}{_BY}{_Y}\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*日\s*{_BEFORE}", _date),
    (rf"{_HEDGE}(?:到|至|截至|截止到?){_Y}\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*日", _date),
    (rf"{_HEDGE}{_BY}{_Y}\s*(?P<m>\d{{1,2}})\s*月(?:份)?(?:底|末)?{_BEFORE}", _month),
    (rf"{_HEDGE}{_BY}{_Y}\s*(?P<m>\d{{1,2}})\s*月(?:份)?(?:底|末)", _month),
    (rf"{_HEDGE}(?:到|至|截至|截止到?){_Y}\s*(?P<m>\d{{1,2}})\s*月(?:份)?", _month),
    (rf"{_HEDGE}{_BY}{_Y}\s*(?:的)?(?P<part>上半年|下半年|(?:第)?(?P<q>[一二三四1-4])季度)(?:末|底)?{_BEFORE}?", _half_or_quarter),
    (rf"{_Y}\s*(?:起|开始)\s*(?:用\s*)?(?P<n>{CN_NUMBER})\s*年(?:内|以内|时间)", _years_from),
    # 2023—2025年: a span of years ends with its last
    (rf"{_HEDGE}{_BY}(?:19|20)\d{{2}}\s*年?\s*[\u2014\u2013\-~\u301c至到]+\s*{_Y}", _year),
    (rf"{_HEDGE}{_BY}{_Y}\s*(?:年底|底|年末|末){_BEFORE}?", _year),
    (rf"{_HEDGE}{_BY}{_Y}\s*(?:{_BEFORE}|内)", _year),
    (rf"{_HEDGE}(?:到|至|截至|截止到?){_Y}", _year),
    (rf"{_HEDGE}(?:在|于)?{_Y}(?=\s*(?:全面|基本|完成|建成|实现|[,,]))", _year),
    (rf"{_HEDGE}(?P<which>今年|本年|年内|当年|明年)(?:年底|底|年末|末)?{_BEFORE}?", _this_year),
    (rf"{_HEDGE}(?<![0-9〇零一二两三四五六七八九十每])(?:年底|年末){_BEFORE}", _this_year),
    (rf"{_HEDGE}(?<![年\d])(?P<m>\d{{1,2}})\s*月(?:份)?(?:(?P<d>\d{{1,2}})\s*日)?(?:底|末)?{_BEFORE}", _month_no_year),
    (rf"(?:未来|今后|用)(?P<n>{CN_NUMBER})\s*(?P<unit>年|个月)(?:时间|内|左右)?|(?P<n2>{CN_NUMBER})\s*(?P<unit2>年|个月)(?:内|以内)",
     _within_years),
    # as the timing itself (a 完成时限 cell, a clause of its own), not as the verb of a sentence:
    # 持续推进养护市场化改革 states no timing (README rule 13)
    (r"(?:^|(?<=[,;:\s\u3002]))(?:长期坚持|长期推进|长期开展|长期执行|长期实施|持续推进|持续开展|持续实施|常态化推进|"
     r"常态化开展|长期|持续)(?=$|[,;\s\u3002])", _ongoing),
)]

# 每 followed by anything but a time unit: 每个/每家/每所 … a per-unit quota; and 每年 followed by
# one (每年每公里5000元): a rate, not a recurring deadline.
_QUOTA = re.compile(r"每(?!年|月|季|周|天|日|半年|[两二三四五]年|个月|个季度)|每年(?=每)")
_TIME_CHARACTERS = "年月季周日天期末持长常"
_SENTENCE_END = re.compile(r"[。;;!?!?\n]")


class _Match:
    """Lets the builders read the alternates' second names (n2, unit2, d2) as the first ones."""

    def __init__(self, match: re.Match):
        self._match = match

    def __getitem__(self, name: str):
        groups = self._match.re.groupindex
        value = self._match[name] if name in groups else None
        if value is None and f"{name}2" in groups:
            value = self._match[f"{name}2"]
        return value


def find_deadlines(text: str, *, written_on: date | None = None, published_on: date | None = None,
                   period_start: date | None = None, period_end: date | None = None) -> list[DeadlinePhrase]:
    """Every deadline phrase in `text`, in order; overlapping matches keep the longest."""
    if not any(char in text for char in _TIME_CHARACTERS):
        return []  # every phrase names a year, month, quarter, week, day or period
    dates = _Dates(written_on, published_on, period_start, period_end)
    candidates: list[tuple[int, int, int, re.Match, Callable]] = []
    for priority, (pattern, build) in enumerate(_PATTERNS):
        for match in pattern.finditer(text):
            if match.end() > match.start():
                candidates.append((match.start(), match.end(), priority, match, build))
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[2], c[0]))
    taken: list[tuple[int, int]] = []
    found: list[DeadlinePhrase] = []
    for start, end, _, match, build in candidates:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        try:
            deadline, problem = build(dates, _Match(match))
        except (ValueError, OverflowError) as exc:
            deadline, problem = None, f"cannot read {match.group(0)!r}: {exc}"
        if deadline is not None:
            deadline.phrase = match.group(0)
        found.append(DeadlinePhrase(match.group(0), start, end, deadline, problem))
    found.sort(key=lambda p: p.start)
    _mark_quotas(text, found)
    _mark_starts(text, found)
    return found


# A date that starts something is not when it is due: 自2022年起…, 2023年第三季度全面启动…
_STARTS_AFTER = re.compile(r"\s*(?:起|开始|以来|启动|全面启动|正式启动|开工|起步|试行|施行)")
_STARTS_BEFORE = ("自", "从")


def _mark_starts(text: str, found: list[DeadlinePhrase]) -> None:
    for phrase in found:
        if phrase.deadline is None or phrase.deadline.kind != "date" or "起" in phrase.phrase:
            continue
        if _STARTS_AFTER.match(text, phrase.end) or text[max(0, phrase.start - 1):phrase.start] in _STARTS_BEFORE:
            phrase.quota = True


def _mark_quotas(text: str, found: list[DeadlinePhrase]) -> None:
    for quota in _QUOTA.finditer(text):
        sentence_end = _SENTENCE_END.search(text, quota.end())
        limit = sentence_end.start() if sentence_end else len(text)
        for phrase in found:
            if quota.start() <= phrase.start < limit:
                phrase.quota = True


def choose_deadline(found: list[DeadlinePhrase]) -> Deadline | None:
    """The task's deadline among its phrases: the latest date, else the first rule, else ongoing."""
    usable = [p.deadline for p in found if p.deadline is not None and not p.quota]
    dates = [d for d in usable if d.kind == "date"]
    if dates:
        return max(dates, key=lambda d: d.due_on)
    for kind in ("rule", "ongoing"):
        for deadline in usable:
            if deadline.kind == kind:
                return deadline
    return None


def read_deadline(text: str, *, written_on: date | None = None, published_on: date | None = None,
                  period_start: date | None = None, period_end: date | None = None) -> Deadline | None:
    """The deadline a piece of text states (a task's text, or a 完成时限 cell), or None.

    The returned Deadline (tracker.planfile.Deadline) has kind "date" (due_on set), "rule"
    (an RRULE string: FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1) or "ongoing", and `phrase`, the
    words it was read from. Dates the phrase is relative to come from the document:
    `written_on` (成文日期), `published_on` (发布日期), `period_start`/`period_end` (the plan period).
    """
    return choose_deadline(find_deadlines(text, written_on=written_on, published_on=published_on,
                                          period_start=period_start, period_end=period_end))
