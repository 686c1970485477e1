"""Ingest: a published plan's text → a plan draft for a person to review.

    normalise.py    web-copy noise: pinyin glosses stripped, traditional → simplified (OpenCC)
    metadata.py     title, 发文字号, 发文单位, 成文日期, 发布日期, the plan period, the jurisdiction
    structure.py    一、/(一)/1./1、/(1) headings into sections
    unit_lists.py   a written list of units → names (separators, level prefixes, brackets)
    annotations.py  (牵头单位:…,责任单位:…) and every other annotation style, and the
                    document-level rules (carry-forward clauses, 列第一位者为牵头单位)
    tables.py       breakdown tables and name lists written as text
    deadline_phrases.py  deadline phrases → dates, yearly/quarterly/monthly rules, "ongoing"
    targets.py      quantitative targets (达到15家以上, year-by-year lines)
    reader.py       puts them together: the draft (tasks, targets, warnings)
    resolve.py      the draft's unit names against the unit registry

This package imports nothing heavy at import time: `tracker plan parse` (tracker/cli/parse.py) is
attached cheaply.
"""
