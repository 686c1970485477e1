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
_NUMBER_LINE = re.compile(r"^[\u4e00-\u9fff]{1,16}[〔\[【(([]\s*(?:19|20)\d{2}\s*[〕\]】))]]\s*\d+\s*号$")
_ISSUING = re.compile(r"^(?:.*?关于)?(?:印发|转发|发布)《?(?P<plan>.+?)》?的通知$")
_PERIOD = re.compile(r"[((]\s*(?P<a>(?:19|20)\d{2})\s*年?\s*[—–\-─~至到]+\s*(?P<b>(?:19|20)\d{2})\s*年?\s*[))]")
_NOISE = ("字体大小", "打印", "索引号", "主题分类", "有效性", "登记号", "分类")
_ISSUER_PLACE = re.compile(r"^(?:中共)?(?P<place>[\u4e00-\u9fff]{2,6}?[市州盟])")
_TITLE_ISSUER = re.compile(r"^(?P<issuer>[\u4e00-\u9fff]{2,40}?)关于")
_PLACE = re.compile(r"^(?:中共)?(?P<place>国务院|(?:[\u4e00-\u9fff]{2,8}?(?:省|自治区))?(?:[\u4e00-\u9fff]{2,8}?[市州盟])?"
                    r"(?:[\u4e00-\u9fff]{1,6}?[区县旗](?=人民政府|政府|委员会|党委|办公|[\u4e00-\u9fff]{0,8}(?:委员会|局|办)))?)")


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
    for line in lines[:5]:
        if not line or any(noise in line for noise in _NOISE) or "|" in line:
            continue
        if len(line) <= 80 and not _DATE.match(line):
            return line
        return None
    return None


def plan_title(notice_title: str | None) -> str | None:
    """关于印发《X》的通知 → X; any other title as it is."""
    if not notice_title:
        return None
    match = _ISSUING.match(notice_title)
    return match["plan"].strip() if match else notice_title


def plan_period(title: str | None, written_on: date | None) -> tuple[date | None, date | None]:
    """(2020—2022年) in the title: from the later of its first day and the document's date,
    to its last day."""
    match = _PERIOD.search(title or "")
    if not match:
        return None, None
    first, last = int(match["a"]), int(match["b"])
    if last < first:
        return None, None
    start = date(first, 1, 1)
    if written_on and written_on.year == first and written_on > start:
        start = written_on
    return start, date(last, 12, 31)


def detect_jurisdiction(meta: Metadata, text: str, known: list[str]) -> str | None:
    """The known jurisdiction the document names most in its title, issuer and number, else in
    its text; else the city its issuer names (济南市人民政府 → 济南市), which may be unknown."""
    head = " ".join(filter(None, (meta.notice_title, meta.title, meta.issuer, meta.document_number)))
    for where in (head, text):
        counts = {name: where.count(name) for name in known}
        best = max(counts, key=lambda n: counts[n], default=None)
        if best and counts[best]:
            return best
    match = _ISSUER_PLACE.match(meta.issuer or "")
    if match:
        return match["place"]
    # a jurisdiction the registry does not know yet: the place of the issuer that opens the
    # notice's title (上海市松江区人民政府办公室关于… → 上海市松江区; 国务院办公厅关于… → 国务院)
    first_line = next((line.strip() for line in text.split("\n") if line.strip()), "")
    for title in (meta.notice_title or "", first_line):
        issuer = _TITLE_ISSUER.match(title)
        place = _PLACE.match(issuer["issuer"]) if issuer else None
        if place and place["place"]:
            return place["place"]
    return None


def read_metadata(text: str, known_jurisdictions: list[str] = ()) -> Metadata:
    lines = text.split("\n")
    fields = _labelled_fields(lines)
    meta = Metadata()
    meta.notice_title = fields.get("title") or _first_title_line(lines)
    meta.title = plan_title(meta.notice_title)
    meta.document_number = fields.get("document_number") or next(
        (line for line in lines if _NUMBER_LINE.match(line)), None)
    meta.issuer = fields.get("issuer")
    meta.written_on = read_date(fields.get("written_on", ""))
    meta.published_on = read_date(fields.get("published_on", ""))
    meta.signed_on = next((read_date(line) for line in lines if _SIGNED.match(line)), None)
    if meta.written_on is None:
        meta.written_on = meta.signed_on
    meta.period_start, meta.period_end = plan_period(meta.title, meta.written_on)
    meta.jurisdiction = detect_jurisdiction(meta, text, list(known_jurisdictions))
    return meta
