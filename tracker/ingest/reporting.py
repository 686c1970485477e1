"""Reporting duties (报送) a published plan states, proposed for its plan file's [[reporting]]:
a sentence that says to report (报送, 上报, 报告, 报) on a recurring date (每月5日前, 每季度末月
25日前, 每年12月20日前) gives one duty with that date's rule, the sentence's own words as its
phrase and what is reported as its `what`. Who reports is left to every unit with unfinished
tasks (a person narrows it when reviewing the draft).
"""

from __future__ import annotations

import re

from ..reporting import Duty
from .deadline_phrases import find_deadlines

_SENTENCE = re.compile(r"[^。;!?\n]+")
# 报送/上报 X: X is what is reported; 报告, 汇报, 报市… report without naming it (通报 is not one)
_REPORT = re.compile(r"(?:(?P<verb>报送|上报)(?P<what>[^,;:。()]{0,24})|(?<![通情])(?:报告|汇报|报(?=[市区县省国])))")
_CLAUSE_END = re.compile(r"[,;:。]")


def find_reporting(text: str, published: str | None = None) -> list[Duty]:
    """The reporting duties of a folded plan text, one per rule, in the order they appear; the
    words are taken from `published` (the same text unfolded, character for character)."""
    shown = published if published is not None and len(published) == len(text) else text
    found: dict[str, Duty] = {}
    for sentence in _SENTENCE.finditer(text):
        body, at = sentence.group(), sentence.start()
        for phrase in find_deadlines(body):
            deadline = phrase.deadline
            if deadline is None or deadline.kind != "rule" or not deadline.rule or phrase.quota:
                continue
            clause = _CLAUSE_END.split(body[phrase.end:], maxsplit=1)[0]
            report = _REPORT.search(clause)
            if report is None or deadline.rule in found:
                continue
            what = None
            if report.group("what"):
                start = at + phrase.end + report.start("what")
                what = shown[start:start + len(report.group("what"))].strip() or None
            words = shown[at + phrase.start:at + phrase.end + len(clause)].strip()
            found[deadline.rule] = Duty(deadline.rule, what, words[:80], None)
    return list(found.values())
