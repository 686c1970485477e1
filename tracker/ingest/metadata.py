"""What a published plan says about itself: title, 发文字号, 发文单位, 成文日期, 发布日期, the plan
period, and the jurisdiction it belongs to.

Government web pages print these as labelled fields above the text, in several layouts:

    • 成文日期 2020-11-19                          (Qingdao's portal: one field a line)
    发文机关: | 吉林市发展和改革委员会 | 成文日期: | 2021年12月06日 |   (Jilin's: a table)
    本文标题:六大领域齐发力,…                   (a reposting site, at the bottom)

A notice that issues a plan (关于印发《X》的通知) is titled by the plan it issues, X; the plan
period is the (2020—2022年) in that title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

_FIELDS = {
    "title": ("本文标题", "文件标题", "标题"),
    "document_number": ("发文字号", "文号"),
    "issuer": ("发文单位", "发文机关", "发布机构", "发文机构", "成文单位"),
    "written_on": ("成文日期", "印发日期"),
    "published_on": ("发布日期", "公布日期", "发文日期"),
}
_LABEL = re.compile(r"^(?P<label>" + "|".join(sorted((l for ls in _FIELDS.values() for l in ls), key=len, reverse=True))
                    + r")[::]?(?P<value>.*)$")
_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-年/.]\s*(?P<m>\d{1,2})\s*[-月/.]\s*(?P<d>\d{1,2})\s*日?")
_SIGNED = re.compile(r"^(?:19|20)\d{2}年\d{1,2}月\d{1,2}日$")
# 国发〔2018〕42号, 沪府办发〔2024〕3号, 青政字[2021]5号 (〔〕【】 are U+3014/3015, U+3010/3011)
_NUMBER_LINE = re.compile(r"^[\u4e00-\u9fff]{1,16}\s*[\u3014\u3010\[(]\s*(?:19|20)\d{2}\s*[\u3015\u3011\])]\s*第?\s*\d+\s*号$")
_ISSUING = re.compile(r"^(?:.*?关于)?(?:印发|转发|发布)《?(?P<plan>.+?)》?的通知$")
_PERIOD = re.compile(r"[((]\s*(?P<a>(?:19|20)\d{2})\s*年?\s*[—–\-─~至到]+\s*(?P<b>(?:19|20)\d{2})\s*年?\s*[))]")
_ANNUAL = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年(?:度)?(?:[\u4e00-\u9fff]{0,16})(?:工作)?(?:计划|要点|方案|安排)$")
_NOISE = ("字体大小", "打印", "索引号", "主题分类", "有效性", "登记号", "分类")
# How a document's title ends (a title wrapped over two lines is joined until it does).
_TITLE_ENDS = ("通知", "意见", "方案", "计划", "办法", "规划", "决定", "措施", "要点", "细则", "纲要", "安排", "规定",
               "清单", "指引", "指南", "行动", "任务", "通告", "函", "批复")
# The issuer's place: 上海市宝山区人民政府办公室 → 上海市宝山区; 山东省人民政府 → 山东省.
_ISSUER_PLACE = re.compile(r"^(?:中共)?(?P<place>(?:[\u4e00-\u9fff]{2,3}省|[\u4e00-\u9fff]{2,5}自治区)?"
                           r"(?:[\u4e00-\u9fff]{2,4}?[市州盟])?(?:[\u4e00-\u9fff]{1,4}?(?:新区|区|县|旗))?)"
                           r"(?:人民政府|政府|委员会|办公|党委|[\u4e00-\u9fff]{0,12}(?:局|委|办|厅))")
_NATIONAL = ("国务院", "中共中央", "全国人民代表大会")
# A body that signs a document: 国务院, 上海市人民政府办公厅, 市发展和改革委员会 …
_SIGNER = re.compile(r"^[\u4e00-\u9fff]{2,30}(?:国务院|政府|办公室|办公厅|委员会|局|委|办|厅|部|院|署|会)$")
# Place names in the running text (济南市 written throughout); words that end in 市 without one.
_PLACE_IN_TEXT = re.compile(r"[\u4e00-\u9fff]{2}市")
_NOT_PLACES = ("城市", "都市", "本市", "全市", "各市", "我市", "该市", "级市", "辖市", "股市", "超市", "上市", "夜市",
               "集市", "早市", "门市", "开市", "入市", "退市", "市市", "省市", "县市", "区市", "两市", "三市", "等市")
_PLACE_MIN = 3  # mentions before a place the registry does not know is taken as the plan's


@dataclass
class Metadata:
    title: str | None = None
    notice_title: str | None = None
    document_number: str | None = None
    issuer: str | None = None
    written_on: date | None = None
    published_on: date | None = None
    signed_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    jurisdiction: str | None = None


def read_date(text: str) -> date | None:
    match = _DATE.search(text or "")
    if not match:
        return None
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def _labelled_fields(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        cells = [c.strip() for c in line.split("|")] if "|" in line else [line]
        for i, cell in enumerate(cells):
            match = _LABEL.match(re.sub(r"\s+", "", cell))
            if not match:
                continue
            field = next(f for f, labels in _FIELDS.items() if match["label"] in labels)
            value = match["value"].strip()
            if not value:  # the value is the next non-empty cell: | 标 题: | 关于… |
                value = next((c for c in cells[i + 1:] if c), "")
                if _LABEL.match(re.sub(r"\s+", "", value)):
                    value = ""
            if value and field not in found:
                found[field] = value
    return found


def _first_title_line(lines: list[str]) -> str | None:
    """The first line that can be a title, joined with the next when it is wrapped over two
    (国务院关于加快推进农业机械化和 / 农机装备产业转型升级的指导意见)."""
    for i, line in enumerate(lines[:5]):
        if not line or line.startswith(_NOISE) or "|" in line:
            continue
        if len(line) > 100 or _DATE.match(line) or line.endswith((":", "\u3002")):
            return None
        following = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if not line.endswith(_TITLE_ENDS) and following and len(following) <= 60 and not _NUMBER_LINE.match(following) \
                and not following.endswith((":", "\u3002")) and (line + following).endswith(_TITLE_ENDS):
            return line + following
        return line
    return None


def plan_title(notice_title: str | None) -> str | None:
    """关于印发《X》的通知 → X; 关于转发区建设管理委制订的《X》的通知 → X; any other title as it is."""
    if not notice_title:
        return None
    match = _ISSUING.match(notice_title)
    if not match:
        return notice_title
    plan = match["plan"].strip()
    quoted = re.search(r"(?:^|的)\u300a(?P<title>[^\u300a\u300b]+)\u300b?$", plan)
    return quoted["title"] if quoted else plan.strip("\u300a\u300b")


def plan_period(title: str | None, written_on: date | None) -> tuple[date | None, date | None]:
    """(2020—2022年) in the title: from the later of its first day and the document's date,
    to its last day."""
    match = _PERIOD.search(title or "")
    if not match:
        annual = _ANNUAL.search(title or "")  # 松江区城市更新2025年度实施计划: the year 2025
        if not annual:
            return None, None
        first = last = int(annual["year"])
    else:
        first, last = int(match["a"]), int(match["b"])
    if last < first:
        return None, None
    start = date(first, 1, 1)
    if written_on and written_on.year == first and written_on > start:
        start = written_on
    return start, date(last, 12, 31)


def detect_jurisdiction(meta: Metadata, text: str, known: list[str]) -> str | None:
    """The plan's jurisdiction, known to the registry or not: a known one its title, issuer or
    number names; else the place its issuer names (上海市宝山区人民政府办公室 → 上海市宝山区; 国务院 →
    全国); else the known one its text names most; else a place its text names throughout (济南市)."""
    head = " ".join(filter(None, (meta.notice_title, meta.title, meta.issuer, meta.document_number)))
    counts = {name: head.count(name) for name in known}
    best = max(counts, key=lambda n: counts[n], default=None)
    if best and counts[best]:
        return best
    issuer = meta.issuer or ""
    if issuer.startswith(_NATIONAL):
        return "全国"
    match = _ISSUER_PLACE.match(issuer)
    if match and match["place"]:
        return match["place"]
    counts = {name: text.count(name) for name in known}
    best = max(counts, key=lambda n: counts[n], default=None)
    if best and counts[best]:
        return best
    return _place_named_throughout(text)


def _place_named_throughout(text: str) -> str | None:
    counts: dict[str, int] = {}
    for match in _PLACE_IN_TEXT.finditer(text):
        if match.group(0)[1:] not in _NOT_PLACES and match.group(0)[:2] not in ("本市", "全市"):
            counts[match.group(0)] = counts.get(match.group(0), 0) + 1
    if not counts:
        return None
    best = max(counts, key=lambda n: counts[n])
    return best if counts[best] >= _PLACE_MIN else None


def _signer(lines: list[str], notice_title: str | None) -> str | None:
    """The body that signs: the line above the signing date, else the notice title's words
    before 关于 (上海市崇明区人民政府办公室关于印发…)."""
    for i, line in enumerate(lines):
        if _SIGNED.match(line) and i > 0:
            above = next((li for li in reversed(lines[max(0, i - 2):i]) if li), "")
            if _SIGNER.match(above):
                return above
            break
    if notice_title and "关于" in notice_title:
        before = notice_title.split("关于", 1)[0]
        if _SIGNER.match(before):
            return before
    return None


def read_metadata(text: str, known_jurisdictions: Sequence[str] = ()) -> Metadata:
    lines = text.split("\n")
    fields = _labelled_fields(lines)
    meta = Metadata()
    meta.notice_title = fields.get("title") or _first_title_line(lines)
    meta.title = plan_title(meta.notice_title)
    meta.document_number = fields.get("document_number") or next(
        (line for line in lines if _NUMBER_LINE.match(line)), None)
    meta.issuer = fields.get("issuer") or _signer(lines, meta.notice_title)
    meta.written_on = read_date(fields.get("written_on", ""))
    meta.published_on = read_date(fields.get("published_on", ""))
    meta.signed_on = next((read_date(line) for line in lines if _SIGNED.match(line)), None)
    if meta.written_on is None:
        meta.written_on = meta.signed_on
    meta.period_start, meta.period_end = plan_period(meta.title, meta.written_on)
    meta.jurisdiction = detect_jurisdiction(meta, text, list(known_jurisdictions))
    return meta
