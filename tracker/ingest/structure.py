"""Headings into sections: 一、 > (一) > 1. / 1、 > (1).

A heading is a line that starts with one of those markers. Its title is the rest of the line,
or, when the heading runs on into its first sentence ((一)实施规划引领行动。将服务业…), the
words before the first 。; the section's text starts after the title. Section keys are the
numbers of the open headings: 三、 → "3", its (一) → "3.1"; labels keep the top numeral as
written: "三.1" (the shape of the reference labels).

The annex (附件…) is not part of the numbered structure: its tables are read on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .deadline_phrases import cn_number

_MARKERS = [
    (1, re.compile(r"(?P<n>[一二三四五六七八九十]{1,3})、")),
    (2, re.compile(r"[((](?P<n>[一二三四五六七八九十]{1,3})[))]")),
    (3, re.compile(r"(?P<n>\d{1,2})(?:[.．](?!\d)|、)")),
    (4, re.compile(r"[((](?P<n>\d{1,2})[))]")),
]
_ANNEX = re.compile(r"^附\s*件\s*(?:\d+|[一二三四五六七八九十]+)?\s*(?:[::]|$)")
_TITLE_LIMIT = 40
# (牵头单位:…) on a heading line belongs to the task, not to the section's title
_ANNOTATION_IN_TITLE = re.compile(r"[((][^()()]*(?:牵头|负责|责任单位|责任部门|配合|参与)[^()()]*[))]")


@dataclass
class Heading:
    key: str  # "3.1"
    label: str  # "三.1"
    title: str
    rank: int
    start: int  # where the heading line starts
    title_start: int  # just after the marker (三、)
    body_start: int  # where the section's own text starts (after the title)


@dataclass
class Structure:
    headings: list[Heading]
    annex_start: int  # where the annex begins (len(text) when there is none)

    def heading_at(self, position: int) -> Heading | None:
        """The innermost heading whose section holds `position`."""
        found = None
        for heading in self.headings:
            if heading.start > position:
                break
            found = heading
        return found if position < self.annex_start else None

    def ancestors(self, key: str) -> list[Heading]:
        by_key = {h.key: h for h in self.headings}
        parts = key.split(".")
        return [by_key[".".join(parts[:i])] for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in by_key]


def _title_and_body(rest: str, rest_start: int, line_end: int) -> tuple[str, int]:
    title, body = _title_and_body_of(rest, rest_start, line_end)
    return _ANNOTATION_IN_TITLE.sub("", title).strip() or title, body


def _title_and_body_of(rest: str, rest_start: int, line_end: int) -> tuple[str, int]:
    stop = rest.find("。")
    if 0 < stop <= _TITLE_LIMIT:
        return rest[:stop].strip(), rest_start + stop + 1
    if len(rest) <= _TITLE_LIMIT:
        return rest.strip().rstrip("。:: "), line_end
    # a long heading line is the start of its own text; its title is its first clause
    from ..planfile import derive_title

    return derive_title(rest), rest_start


def read_structure(text: str) -> Structure:
    headings: list[Heading] = []
    stack: list[tuple[int, str, str]] = []  # (rank, key, label) of the open headings
    used: set[str] = set()
    position = 0
    annex_start = len(text)
    for line in text.split("\n"):
        line_start, line_end = position, position + len(line)
        position = line_end + 1
        if _ANNEX.match(line):
            annex_start = line_start
            break
        for rank, marker in _MARKERS:
            match = marker.match(line)
            if not match or not line[match.end():].strip():
                continue
            try:
                number = cn_number(match["n"])
            except ValueError:
                continue
            while stack and stack[-1][0] >= rank:
                stack.pop()
            key = f"{stack[-1][1]}.{number}" if stack else str(number)
            label = f"{stack[-1][2]}.{number}" if stack else match["n"]
            if key in used:  # numbering starts again (a second list, or the plan after its notice)
                suffix = 2
                while f"{key}-{suffix}" in used:
                    suffix += 1
                key = f"{key}-{suffix}"
            used.add(key)
            stack.append((rank, key, label))
            title, body_start = _title_and_body(line[match.end():], line_start + match.end(), line_end)
            headings.append(Heading(key, label, title, rank, line_start, line_start + match.end(), body_start))
            break
    return Structure(headings, annex_start)
