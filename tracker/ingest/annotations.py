"""Unit annotations: the bracketed notes that close a task and name who does it.

Every style the published plans use, read on the folded text (normalise.fold), so full-width
and half-width brackets and punctuation are one:

    (牵头单位:X,责任单位:Y、Z)      (责任单位:X、Y按职责分工负责)      (牵头单位:X;配合单位:Y)
    (牵头部门:X;责任部门:Y)          (X牵头,Y配合)                     (X牵头,Y参与)
    (X、Y负责)                        (X指导)

Labelled styles split lead from responsible at the label (责任单位:), never at a comma:
`牵头单位:市税务局,市科技局、市财政局` is three leads. In the verb styles, clauses without a
verb belong to the next verb (市民营经济局,市税务局牵头: two leads). `X指导` makes X the lead
when no unit 牵头s, else a supporting unit. No lead is invented: (X、Y负责) has none.

An annotation can also carry document-level rules:
- carry-forward: `以下均需X负责,不再单独列出` (X for this task and every later one),
  `…,下同` / `以下不再做分工` (the units just named, for every later task);
- `列第一位者为牵头单位`: from here on, the first unit of an annotation that names no lead leads.
The same rules written in the running text (outside brackets) count from where they stand.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from .deadline_phrases import find_deadlines
from .unit_lists import CLOSERS, OPENERS, names_a_body, split_units, strip_trailers

_LEAD_LABELS = ("牵头单位", "牵头部门", "主办单位", "主责单位", "牵头")
_OTHER_LABELS = ("责任单位", "责任部门", "配合单位", "配合部门", "参与单位", "参与部门", "协办单位", "协助单位",
                 "承办单位", "实施单位", "落实单位", "责任主体", "支撑单位", "支持单位", "协同单位", "推进单位",
                 "配合", "责任")
_LABEL = re.compile(r"(?P<label>" + "|".join(sorted(_LEAD_LABELS + _OTHER_LABELS, key=len, reverse=True))
                    + r")\s*:")
# The role words that close a group of units in the verb styles, longest first. Only 牵头 makes a
# lead; 指导, 参与, 配合, 协助, 组织落实 … are responsible (README rule 3).
_VERBS = [(v, role) for v, role in sorted((
    ("牵头负责", "lead"), ("牵头", "lead"), ("牵头落实", "lead"), ("牵头组织", "lead"), ("牵头实施", "lead"),
    ("按职责牵头负责", "lead"), ("按职责分工牵头负责", "lead"), ("分别牵头", "lead"), ("共同牵头", "lead"),
    ("按职责分工负责", "responsible"), ("按照职责分工负责", "responsible"), ("按职能分工负责", "responsible"),
    ("按职责分工落实", "responsible"), ("按职责分工负责落实", "responsible"), ("按职责负责", "responsible"),
    ("按职责落实", "responsible"), ("按职责组织落实", "responsible"), ("按职责组织配合", "responsible"),
    ("按职责配合", "responsible"), ("组织落实", "responsible"), ("组织配合", "responsible"),
    ("组织实施", "responsible"), ("分别负责", "responsible"), ("共同负责", "responsible"),
    ("负责落实", "responsible"), ("具体负责", "responsible"), ("负责", "responsible"), ("落实", "responsible"),
    ("配合落实", "responsible"), ("配合", "responsible"), ("参与", "responsible"), ("协助", "responsible"),
    ("协同", "responsible"), ("指导", "responsible"), ("支持", "responsible"),
    ("为牵头单位", "lead"), ("为牵头部门", "lead"), ("为责任单位", "responsible"), ("为责任部门", "responsible"),
    ("为配合单位", "responsible"), ("为配合部门", "responsible"),
), key=lambda item: -len(item[0]))]
# 市发展改革委(牵头)、市财政局: a lead marked after its name
_LEAD_MARK = re.compile(r"\((?:牵头|牵头单位|牵头部门|主责|主责单位)\)$")
# An annotation written without brackets, at the end of a paragraph or on lines of its own:
# 牵头单位:市发展改革委 / 责任单位:市财政局 / 完成时限:2024年底前
_LINE_LABEL = re.compile(r"(?:^|(?<=[\u3002;\s]))(?:" + "|".join(sorted(_LEAD_LABELS[:-1] + _OTHER_LABELS[:-2], key=len,
                                                                     reverse=True)) + r")\s*:")
_TIMING_LABEL = re.compile(r"^(?:完成时限|完成时间|时间节点|时限要求|完成期限|时间安排|进度安排)\s*:")

# 列第一位者为牵头单位, 排在第一位的部门为牵头部门, 排名第一的为牵头单位 …
FIRST_IS_LEAD = re.compile(r"(?:列|排)(?:在|于|名)?(?:第一|首)(?:位|个)?(?:的)?(?:单位|部门)?(?:者|的)?(?:为|是)"
                           r"牵头(?:单位|部门)?")
_CARRY = re.compile(r"^(?:以下|下列|后续|此后)(?:各项|所有)?(?:任务|工作)?(?:均|都|也)?(?:需|须|由|要|为|请)?"
                    r"(?P<units>.+?)(?:负责落实|负责|落实|参与|配合|牵头)$")
_CARRY_MARK = re.compile(r"^(?:以下|下同|以下同|后同|同上|(?:以下)?不再(?:单独|一一|重复|另行)?(?:列出|列明|做分工|分工|单列|标注|列示))$")
_BODY_CARRY = re.compile(r"(?:以下|下列)(?:各项|所有)?(?:任务|工作)?(?:均|都)?(?:需|须|由|要)(?P<units>[^,。;()]{2,60}?)"
                         r"(?:负责落实|负责|落实|参与)[,]?\s*(?:不再(?:单独|一一|重复)?(?:列出|列明|做分工|分工|单列))")
_CLAUSE_SEPARATORS = ",;。"
_PIECE_SEPARATORS = ",;。\u3001"  # … and 、, which the verb styles also put between role groups


@dataclass
class Annotation:
    start: int  # the opening bracket
    end: int  # just after the closing bracket
    content: str
    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    carry: list[str] = field(default_factory=list)  # for every later task (and this one, see carry_here)
    carry_here: bool = False  # 以下均需X负责: X is inherited by this task too
    first_is_lead: bool = False  # states 列第一位者为牵头单位
    deadline_text: str | None = None  # a deadline written inside the annotation
    deadline_after: str = ""  # a short deadline sentence right after it: (…)2025年底前完成。
    labelled: bool = False

    @property
    def names_units(self) -> bool:
        return bool(self.lead or self.responsible)


@dataclass
class BodyRule:
    """A document-level rule written in the running text, effective from `start`."""

    start: int
    carry: list[str] = field(default_factory=list)
    first_is_lead: bool = False


def bracket_groups(text: str) -> list[tuple[int, int, str]]:
    """Top-level (…) groups of folded text: (start, end, content)."""
    groups, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = i
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                groups.append((start, i + 1, text[start + 1:i]))
        elif char == "\n" and depth:
            depth = 0  # an unclosed bracket does not swallow the next paragraph
    return groups


def _split_outside_brackets(text: str, separators: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in OPENERS:
            depth += 1
        elif char in CLOSERS and depth:
            depth -= 1
        if depth == 0 and char in separators:
            pieces.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    pieces.append("".join(current).strip())
    return [p for p in pieces if p]


def _clauses(text: str) -> list[str]:
    return _split_outside_brackets(text, _CLAUSE_SEPARATORS)


def _looks_like_units(names: list[str], is_name: Callable[[str], bool] | None) -> bool:
    return bool(names) and all(names_a_body(n) or (is_name is not None and is_name(n)) for n in names)


def _verb_roles(text: str, is_name) -> tuple[list[str], list[str]] | None:
    """(X牵头负责，Y组织落实), (X、Y牵头负责、Z按职责牵头负责，W组织落实), (X、Y等负责) …:
    each role word closes the group of units written since the previous one, whether the groups
    are parted by ， ； or 、. None when the text is not of that shape."""
    roles: list[tuple[str, list[str]]] = []
    waiting: list[str] = []
    for piece in _split_outside_brackets(text, _PIECE_SEPARATORS):
        verb = next(((v, role) for v, role in _VERBS if piece.endswith(v) and len(piece) > len(v)), None)
        if verb is None:
            waiting.append(piece)
            continue
        names = split_units("\u3001".join([*waiting, piece[: -len(verb[0])]]), is_name=is_name)
        waiting = []
        if not _looks_like_units(names, is_name):
            return None
        roles.append((verb[1], names))
    if waiting or not roles:
        return None
    lead: list[str] = []
    responsible: list[str] = []
    for role, names in roles:
        marked, names = _marked_leads(names)
        lead.extend(n for n in marked if n not in lead)
        target = lead if role == "lead" else responsible
        target.extend(n for n in names if n not in target)
    return lead, [n for n in responsible if n not in lead]


def _marked_leads(names: list[str]) -> tuple[list[str], list[str]]:
    """(the names marked (牵头), stripped of the mark; the others)."""
    marked = [_LEAD_MARK.sub("", n) for n in names if _LEAD_MARK.search(n)]
    return marked, [n for n in names if not _LEAD_MARK.search(n)]


def _labelled_roles(text: str, is_name) -> tuple[list[str], list[str]] | None:
    matches = list(_LABEL.finditer(text))
    if not matches or text[: matches[0].start()].strip(" ,;"):
        return None
    lead: list[str] = []
    responsible: list[str] = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        segment = text[match.end():end].strip(" ,;")
        verbs = _verb_roles(segment, is_name) if "牵头" in segment else None
        if verbs is not None and verbs[0]:  # 责任单位:市发改委牵头,市财政局配合
            marked, names = verbs
        else:
            marked, names = _marked_leads(split_units(segment, is_name=is_name))
        lead.extend(n for n in marked if n not in lead)
        target = lead if match["label"] in _LEAD_LABELS else responsible
        target.extend(n for n in names if n not in target)
    return lead, [n for n in responsible if n not in lead]


def parse_annotation(content: str, *, is_name: Callable[[str], bool] | None = None,
                     start: int = 0, end: int = 0) -> Annotation | None:
    """The units, rules and deadline a bracket's (folded) content states; None when it is not
    an annotation."""
    found = Annotation(start, end, content)
    normal: list[str] = []
    after_rule = False
    for clause in _clauses(content):
        if FIRST_IS_LEAD.search(clause):
            found.first_is_lead = after_rule = True
            continue
        carry = _CARRY.match(clause)
        if carry and not clause.startswith(("以下简称", "以下称")):
            names = split_units(carry["units"], is_name=is_name)
            if _looks_like_units(names, is_name):
                found.carry.extend(n for n in names if n not in found.carry)
                found.carry_here = True
                continue
        if _CARRY_MARK.match(clause):
            # 列第一位者为牵头单位，下同: 下同 repeats the rule, not the units (README rule 1)
            if not after_rule and not found.carry and normal:  # …，下同: the units just named carry forward
                found.carry.extend(split_units(strip_trailers(normal[-1].split(":")[-1]), is_name=is_name))
            continue
        after_rule = False
        if clause.endswith("下同") and len(clause) > 2:
            clause = clause[:-2].rstrip(",")
            normal.append(clause)
            found.carry.extend(split_units(clause.split(":")[-1], is_name=is_name))
            continue
        if not _LABEL.search(clause) and any(p.deadline for p in find_deadlines(clause)) \
                and not _looks_like_units(split_units(clause), is_name):
            found.deadline_text = clause
            continue
        normal.append(clause)

    if normal:
        joined = ",".join(normal)
        labelled = _labelled_roles(joined, is_name)
        if labelled is not None:
            found.lead, found.responsible = labelled
            found.labelled = True
        else:
            verbs = _verb_roles(joined, is_name)
            if verbs is None:
                return None
            found.lead, found.responsible = verbs
    if not (found.names_units or found.carry or found.first_is_lead):
        return None
    if found.carry and not _looks_like_units(found.carry, is_name):
        return None
    return found


def find_annotations(text: str, *, is_name: Callable[[str], bool] | None = None) -> list[Annotation]:
    """Every annotation of the (folded) text, in order: bracketed ones, then those written as
    labelled lines; a short deadline sentence right after a bracket ((…)2025年底前完成。) is its."""
    found = []
    for start, end, content in bracket_groups(text):
        annotation = parse_annotation(content, is_name=is_name, start=start, end=end)
        if annotation is not None:
            _take_the_deadline_after(text, annotation)
            found.append(annotation)
    found += _line_annotations(text, [(a.start, a.end) for a in found], is_name)
    return sorted(found, key=lambda a: a.start)


_AFTER_LIMIT = 30


def _take_the_deadline_after(text: str, annotation: Annotation) -> None:
    stop = next((i for i in range(annotation.end, min(len(text), annotation.end + _AFTER_LIMIT + 1))
                 if text[i] in "\u3002\n;"), None)
    if stop is None or stop == annotation.end:
        return
    after = text[annotation.end:stop]
    if "(" in after or not any(p.deadline is not None and not p.quota for p in find_deadlines(after)):
        return
    annotation.deadline_after = after
    annotation.end = stop + (1 if text[stop] != "\n" else 0)


def _line_annotations(text: str, brackets: list[tuple[int, int]], is_name) -> list[Annotation]:
    """牵头单位:X;责任单位:Y at a paragraph's end, or 牵头单位:X / 责任单位:Y / 完成时限:… on lines of
    their own (one annotation for a run of such lines); not inside the bracketed ones."""
    starts = [start for start, _ in brackets]

    def bracketed(position: int) -> bool:
        i = bisect_right(starts, position) - 1
        return i >= 0 and position < brackets[i][1]

    runs: list[list[int]] = []  # [start, end] of each run
    position = 0
    for line in text.split("\n"):
        line_start, line_end = position, position + len(line)
        position = line_end + 1
        if "单位" not in line and "部门" not in line and "时" not in line:
            continue
        stripped = line.strip()
        if runs and runs[-1][1] == line_start - 1 and _TIMING_LABEL.match(stripped):
            runs[-1][1] = line_end
            continue
        match = next((m for m in _LINE_LABEL.finditer(line) if not bracketed(line_start + m.start())), None)
        if match is None:
            continue
        if runs and runs[-1][1] == line_start - 1 and match.start() == len(line) - len(line.lstrip()):
            runs[-1][1] = line_end
        else:
            runs.append([line_start + match.start(), line_end])
    found = []
    for start, end in runs:
        content = text[start:end].strip().rstrip("\u3002").replace("\n", ";")
        annotation = parse_annotation(content, is_name=is_name, start=start, end=end)
        if annotation is not None and annotation.names_units and \
                _looks_like_units(annotation.lead + annotation.responsible, is_name):
            found.append(annotation)
    return found


def find_body_rules(text: str, annotations: list[Annotation], *,
                    is_name: Callable[[str], bool] | None = None) -> list[BodyRule]:
    """列第一位者为牵头单位 and 以下均需X负责,不再单独列出 written outside any annotation."""
    inside = [(a.start, a.end) for a in annotations]

    def outside(position: int) -> bool:
        return not any(s <= position < e for s, e in inside)

    rules = [BodyRule(m.start(), first_is_lead=True) for m in FIRST_IS_LEAD.finditer(text) if outside(m.start())]
    for match in _BODY_CARRY.finditer(text):
        names = split_units(match["units"], is_name=is_name)
        if outside(match.start()) and _looks_like_units(names, is_name):
            rules.append(BodyRule(match.start(), carry=names))
    return sorted(rules, key=lambda r: r.start)
