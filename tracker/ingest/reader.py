"""A published plan's text → a draft: metadata, sections, tasks with their units and deadlines,
targets, and notes for the person who reviews it.

Where tasks come from, in order of preference:
1. unit annotations (annotations.py): a task is the text between the previous annotation (or
   its section's heading) and its annotation, so several tasks can share one heading;
2. breakdown tables written as text (tables.py), one task a row;
3. only when the text has neither: sentences whose subject is a unit and that state a deadline
   (各区(市)、功能区发展改革部门于每年2月底前…报市发展改革委): the unit leads.
No lead is invented: a task whose text names only responsible units has none.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from ..planfile import Deadline, PlanFile, Section, Target, Task
from ..i18n import ngettext_in
from ..reporting import Duty
from ..registry import Registry
from .annotations import Annotation, find_annotations, find_body_rules
from .deadline_phrases import find_deadlines, read_deadline
from .reporting import find_reporting
from .metadata import Metadata, read_metadata
from .normalise import fold, normalise
from .resolve import Resolver
from .structure import Heading, Structure, read_structure
from .tables import TextTable, find_tables
from .targets import FoundTarget, find_targets, section_opening_dates
from .unit_lists import names_a_body, split_units

_ONGOING_CELLS = ("长期", "长期坚持", "持续", "持续推进", "常年", "常态化")
_SUBJECT = re.compile(r"^(?P<units>[^,,。;;]{2,40}?)(?:要|应当|应|须|需|必须|于|在|负责|牵头|每年|按|将|定期)")
_SENTENCE = re.compile(r"[^。;;!?!?\n]+[。;;!?!?]?")


@dataclass
class Note:
    """Something a reviewer should look at, in both languages."""

    zh: str
    en: str
    tasks: list[str] = field(default_factory=list)  # the keys of the tasks it concerns

    def text(self, lang: str = "zh") -> str:
        message = self.zh if lang == "zh" else self.en
        if not self.tasks:
            return message
        shown = self.tasks[:8]
        if lang == "zh":
            where = "任务 " + "、".join(shown) + (f" 等 {len(self.tasks)} 项" if len(self.tasks) > 8 else "")
        else:
            where = ("task " if len(self.tasks) == 1 else "tasks ") + ", ".join(shown) + \
                (f" and {len(self.tasks) - 8} more" if len(self.tasks) > 8 else "")
        return f"{where}: {message}"


@dataclass
class DraftTask:
    start: int  # where its text starts in the normalised text
    end: int  # where its annotation (or row, or sentence) ends
    text: str
    heading: Heading | None
    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    inherited: list[str] = field(default_factory=list)
    deadline: Deadline | None = None
    origin: str = "annotation"  # annotation | table | sentence
    ordinal: int = 0
    key: str = ""
    section_key: str | None = None
    section_label: str | None = None
    table: TextTable | None = None  # the breakdown table it is a row of
    deadline_cell: str = ""  # its row's 完成时限
    year_cells: dict[int, str] = field(default_factory=dict)  # its row's year columns (2024年 | 2025年 …)


@dataclass
class DraftTarget:
    indicator: str
    value: float | None
    comparator: str | None
    measure: str | None
    year: int | None
    due_on: date | None
    start: int
    task: str | None = None


class Published:
    """The normalised text as published and its folded copy (normalise.fold), which every
    pattern matches on. The fold is one character for one, so an offset found in the copy is an
    offset in the text: what the reader hands out (task texts, names, titles) is cut from the
    text with the published characters, （）：，； included."""

    def __init__(self, text: str):
        self.text = text
        self.folded = fold(text)

    def __call__(self, found: str | None, near: int = 0) -> str | None:
        """`found`, a piece of the folded copy, as published: the first place it stands from
        `near` on (else anywhere); as it is when it stands nowhere (a name joined over a line
        break, a level prefix carried over)."""
        if not found:
            return found
        at = self.folded.find(found, near)
        if at < 0:
            at = self.folded.find(found)
        return self.text[at:at + len(found)] if at >= 0 else found

    def names(self, names: list[str], near: int) -> list[str]:
        return [self(n, near) for n in names]


@dataclass
class Draft:
    meta: Metadata
    text: str  # normalised, as published (see Published)
    jurisdiction: str | None
    period_start: date | None
    period_end: date | None
    coordinator: str | None
    sections: list[Section]
    section_labels: dict[str, str]
    tasks: list[DraftTask]
    targets: list[DraftTarget]
    notes: list[Note]
    resolver: Resolver
    reporting: list[Duty] = field(default_factory=list)  # 报送 duties the text states, proposed

    @property
    def title(self) -> str:
        return self.meta.title or "(无标题)"


# ---------------------------------------------------------------------- tasks


# What a task's text does not start with: the punctuation that closed the one before it
# (。；，、 as published, ;, as folded).
_LEADING_PUNCTUATION = "\u3002\uff1b\uff0c\u3001;,"


def _clean_text(text: str) -> str:
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip().lstrip(_LEADING_PUNCTUATION).strip()


def _annotation_tasks(published: Published, structure: Structure, annotations: list[Annotation]) -> list[DraftTask]:
    text = published.text
    tasks: list[DraftTask] = []
    previous_end = 0
    for annotation in annotations:
        if not annotation.names_units:
            previous_end = max(previous_end, annotation.end)
            continue
        heading = structure.heading_at(annotation.start)
        boundary = previous_end
        if heading is not None:
            body = heading.body_start if heading.body_start <= annotation.start else heading.title_start
            boundary = max(boundary, body)
        task_text = _clean_text(text[boundary:annotation.start])
        if not task_text and heading is not None:
            task_text = published(heading.title, heading.start)
        if not task_text:  # an annotation with no words before it names no task (its rules still hold)
            previous_end = annotation.end
            continue
        tasks.append(DraftTask(boundary, annotation.end, task_text, heading,
                               list(annotation.lead), list(annotation.responsible)))
        previous_end = annotation.end
    return tasks


def _table_tasks(published: Published, tables: list[TextTable], structure: Structure, is_name) -> list[DraftTask]:
    tasks = []
    for table in tables:
        if not table.is_breakdown:
            continue
        heading = structure.heading_at(table.start)
        for row in table.rows:
            task_text = row.cells.get("task", "").strip()
            if not task_text:
                continue
            lead = split_units(row.cells.get("lead", ""), is_name=is_name)
            responsible = [n for n in split_units(row.cells.get("responsible", ""), is_name=is_name) if n not in lead]
            task = DraftTask(row.start, row.start + 1, published(task_text, row.start), heading, lead, responsible,
                             origin="table", table=table, deadline_cell=row.cells.get("deadline", "").strip())
            task.year_cells = dict(row.years)
            tasks.append(task)
    return tasks


def _sentence_tasks(published: Published, structure: Structure, dates: dict, is_name) -> list[DraftTask]:
    text = published.text
    tasks = []
    position = 0
    for paragraph in published.folded[: structure.annex_start].split("\n"):
        p_start = position
        position += len(paragraph) + 1
        found = []
        for sentence in _SENTENCE.finditer(paragraph):
            subject = _SUBJECT.match(sentence.group(0))
            if not subject:
                continue
            names = split_units(subject["units"], is_name=is_name)
            if not names or not all(names_a_body(n) or is_name(n) for n in names):
                continue
            deadline = read_deadline(sentence.group(0), **dates)
            if deadline is None:
                continue
            found.append((sentence, names, deadline))
        for sentence, names, deadline in found:
            # one such sentence: its paragraph is the task; several: each sentence is one
            start, end = (p_start, p_start + len(paragraph)) if len(found) == 1 else \
                (p_start + sentence.start(), p_start + sentence.end())
            task = DraftTask(start, end, _clean_text(text[start:end]), structure.heading_at(start), lead=names,
                             origin="sentence")
            task.deadline = deadline
            tasks.append(task)
    return tasks


def _apply_document_rules(tasks: list[DraftTask], annotations: list[Annotation], body_rules) -> None:
    """Carry-forward units and 列第一位者为牵头单位, each from where it is written."""
    events = sorted([(a.start, "annotation", a) for a in annotations] + [(r.start, "rule", r) for r in body_rules]
                    + [(t.end - 1, "task", t) for t in tasks], key=lambda e: (e[0], e[1] != "rule"))
    carried: list[str] = []
    first_is_lead = False
    pending: Annotation | None = None  # the annotation whose task comes next
    for _, kind, item in events:
        if kind == "rule":
            first_is_lead = first_is_lead or item.first_is_lead
            carried.extend(n for n in item.carry if n not in carried)
            continue
        if kind == "annotation":
            first_is_lead = first_is_lead or item.first_is_lead
            pending = item
            if not item.names_units:
                carried.extend(n for n in item.carry if n not in carried)
                pending = None
            continue
        task: DraftTask = item
        here = list(carried)
        if task.origin == "annotation" and pending is not None:
            if pending.carry_here:
                here.extend(n for n in pending.carry if n not in here)
        if first_is_lead and not task.lead and task.responsible:
            task.lead, task.responsible = task.responsible[:1], task.responsible[1:]
        named = set(task.lead) | set(task.responsible)
        task.inherited = [n for n in here if n not in named]
        if task.origin == "annotation" and pending is not None:
            carried.extend(n for n in pending.carry if n not in carried)
            pending = None


# ---------------------------------------------------------------------- the plan around the tasks


def _infer_period(meta: Metadata, text: str, dates: dict, notes: list[Note]) -> tuple[date | None, date | None]:
    start, end = meta.period_start, meta.period_end
    if end is None:
        years = [p.deadline.due_on.year for p in find_deadlines(text, **dates)
                 if p.deadline is not None and p.deadline.kind == "date" and not p.quota]
        written_year = (meta.written_on or meta.published_on or date.min).year
        later = [y for y in years if y > written_year]
        if later:
            end = date(max(later), 12, 31)
            notes.append(Note(f"正文未写明计划期限:以文中最晚的期限年份 {max(later)} 年作为期末,请核对",
                              f"the text states no plan period: its latest deadline year, {max(later)}, is taken "
                              "as the end; check it"))
        else:
            notes.append(Note("正文未写明计划期限:请在 [plan] 中填写 period_end",
                              "the text states no plan period: set period_end in [plan]"))
    if start is None:
        start = meta.written_on or meta.published_on
    return start, end


def _sections_and_keys(draft_tasks: list[DraftTask], structure: Structure) -> tuple[list[Section], dict[str, str]]:
    sections: dict[str, Section] = {}
    labels: dict[str, str] = {}
    counts: dict[str | None, int] = {}
    annexes: dict[int, str] = {}
    for ordinal, task in enumerate(draft_tasks, start=1):
        task.ordinal = ordinal
        if task.heading is not None:
            for heading in structure.ancestors(task.heading.key):
                sections.setdefault(heading.key, Section(heading.key, heading.title))
                labels[heading.key] = heading.label
            task.section_key, task.section_label = task.heading.key, task.heading.label
        elif task.table is not None:
            table = task.table
            if table.start not in annexes:
                annexes[table.start] = f"annex{len(annexes) + 1}"
            key = annexes[table.start]
            sections.setdefault(key, Section(key, table.caption or "附件"))
            labels[key] = "附件" + key.removeprefix("annex")
            task.section_key, task.section_label = key, labels[key]
        counts[task.section_key] = counts.get(task.section_key, 0) + 1
        n = counts[task.section_key]
        task.key = f"{task.section_key}.{n}" if task.section_key else str(n)
    order = [h.key for h in structure.headings] + sorted(set(sections) - {h.key for h in structure.headings})
    return [sections[k] for k in order if k in sections], labels


def _targets(text: str, structure: Structure, tables: list[TextTable], tasks: list[DraftTask],
             period_end: date | None, dates: dict) -> list[DraftTarget]:
    main = text[: structure.annex_start]
    spans = []
    for i, heading in enumerate(structure.headings):
        end = next((h.start for h in structure.headings[i + 1:] if h.rank <= heading.rank), structure.annex_start)
        spans.append((heading.body_start, end))
    found: list[FoundTarget] = find_targets(main, section_dates=section_opening_dates(main, spans, **dates),
                                            plan_end=period_end, **dates)
    targets = [DraftTarget(t.indicator, t.value, t.comparator, t.measure, t.year, t.due_on, t.start) for t in found]
    for table in tables:
        if not table.is_name_list:
            continue
        year = re.search(r"((?:19|20)\d{2})\s*年", table.caption)
        listing = re.sub(r"名单$|名录$|清单$", "", table.caption).strip() or "名单"
        for row in table.rows:
            detail = "、".join(v for v in row.other if v)
            indicator = f"{listing}:{row.cells.get('name', '')}" + (f"({detail})" if detail else "")
            targets.append(DraftTarget(indicator, 1, None, "个", int(year.group(1)) if year else None, None, row.start))
    for target in targets:
        owner = next((t for t in tasks if t.origin != "table" and t.start <= target.start < t.end), None)
        target.task = owner.key if owner else None
    return targets


def _jurisdiction(meta: Metadata, given: str | None, registry: Registry | None, notes: list[Note]) -> str | None:
    jurisdiction = given or meta.jurisdiction
    if jurisdiction is None:
        notes.append(Note("无法从正文判断所属地区:请用 --jurisdiction 指定", "cannot tell the jurisdiction from the text: "
                          "pass --jurisdiction"))
    elif registry is not None and jurisdiction not in registry.jurisdictions:
        known = "、".join(registry.jurisdictions)
        notes.append(Note(f"单位名录中还没有地区 {jurisdiction}\uff08已有\uff1a{known}\uff09\uff0c单位名称按标准部门目录识别\uff1b"
                          "用 `tracker units propose` 为它提出单位名录条目",
                          f"the unit registry has no jurisdiction {jurisdiction} yet (known: {known}): unit names "
                          "were recognised with the catalogue of standard departments; `tracker units propose` "
                          "drafts its registry entries"))
    return jurisdiction


def _coordinator(meta: Metadata, resolver: Resolver, notes: list[Note]) -> str | None:
    if meta.issuer and resolver.usable:
        unit = resolver.registry.lookup(resolver.jurisdiction, meta.issuer)
        if unit is not None and not unit.is_group:
            return unit.name
    notes.append(Note("未能确定牵头协调单位:如需要,请在 [plan] 中填写 coordinator",
                      "no coordinating unit found: set coordinator in [plan] if the plan has one"))
    return None


def _unit_notes(draft_tasks: list[DraftTask], resolver: Resolver, notes: list[Note]) -> None:
    """One note per unknown name and per group a person must choose from, listing its tasks."""
    if not resolver.usable:
        return
    tasks_of: dict[str, list[str]] = {}
    for task in draft_tasks:
        for name in (*task.lead, *task.responsible, *task.inherited):
            keys = tasks_of.setdefault(name, [])
            if task.key not in keys:
                keys.append(task.key)
    for name, keys in tasks_of.items():
        found = resolver.resolve(name)
        if found.unit_id is None:
            hint = "、".join(found.suggestions)
            notes.append(Note(f"单位名录中没有 {name!r}" + (f";最接近的:{hint}" if hint else "") + ";请改正草稿或补充单位名录",
                              f"unknown unit {name!r}" + (f"; closest known names: {hint}" if hint else "")
                              + "; correct the draft or add the unit to the registry", tasks=keys))
        elif found.choose:
            notes.append(Note(f"{name} 指其中相关的单位:请选定具体单位",
                              f"{name} means the relevant ones among its members: a person must choose them",
                              tasks=keys))


def _cell_deadline(cell: str, dates: dict) -> Deadline | None:
    """A 完成时限 cell is a deadline by definition: a bare 2019年 or 2019年3月, which running text
    would not commit to, means "by" then."""
    if cell in _ONGOING_CELLS:
        return Deadline("ongoing", phrase=cell)
    found = read_deadline(cell, **dates)
    if found is None:
        found = read_deadline("到" + cell, **dates)
        if found is not None:
            found.phrase = cell
    return found


def _year_columns_deadline(cells: dict[int, str], dates: dict) -> Deadline | None:
    """Year columns (2024年 | 2025年 | 2026年计划): the work is due by the end of the last year
    whose cell holds any, or by the date that cell names."""
    if not cells:
        return None
    year = max(cells)
    own = _cell_deadline(cells[year], dates)
    if own is not None and own.kind == "date" and own.due_on.year == year:
        return own
    return Deadline("date", due_on=date(year, 12, 31), phrase=f"{year}年")


def _as_published(published: Published, meta: Metadata, sections: list[Section], tasks: list[DraftTask]) -> None:
    """Titles and names back in the characters the document uses, once every rule has been
    applied to their folded forms (which the registry compares equal)."""
    for field_name in ("title", "notice_title", "document_number", "issuer"):
        setattr(meta, field_name, published(getattr(meta, field_name)))
    for section in sections:
        section.title = published(section.title)
    for task in tasks:
        task.lead = published.names(task.lead, task.start)
        task.responsible = published.names(task.responsible, task.start)
        task.inherited = published.names(task.inherited, 0)


def read_text(original: str, *, registry: Registry | None = None, jurisdiction: str | None = None) -> Draft:
    """Read a published plan. Never raises on odd text: what it cannot read becomes a note."""
    published = Published(normalise(original))
    text = published.folded  # what every pattern below matches on
    notes: list[Note] = []
    meta = read_metadata(text, list(registry.jurisdictions) if registry else [])
    jurisdiction = _jurisdiction(meta, jurisdiction, registry, notes)
    resolver = Resolver(registry, jurisdiction)
    is_name = resolver.is_name
    dates = dict(written_on=meta.written_on, published_on=meta.published_on)
    structure = read_structure(text)
    period_start, period_end = _infer_period(meta, text[: structure.annex_start], dates, notes)
    dates.update(period_start=period_start, period_end=period_end)

    annotations = find_annotations(text, is_name=is_name)
    tables = find_tables(text)
    tasks = _annotation_tasks(published, structure, annotations) + _table_tasks(published, tables, structure, is_name)
    if not tasks:
        tasks = _sentence_tasks(published, structure, dates, is_name)
        if tasks:
            notes.append(Note(f"正文没有单位标注:{len(tasks)} 项任务取自写明单位和期限的句子,请核对",
                              f"no unit annotations: {len(tasks)} task(s) read from sentences that name their "
                              "unit and a deadline; check them"))
    tasks.sort(key=lambda t: t.start)
    _apply_document_rules(tasks, annotations, find_body_rules(text, annotations, is_name=is_name))
    sections, labels = _sections_and_keys(tasks, structure)

    by_end = {a.end: a for a in annotations}
    for task in tasks:
        if task.origin == "sentence":
            continue
        own = by_end.get(task.end)
        if task.origin == "table":
            cell = task.deadline_cell
            task.deadline = _cell_deadline(cell, dates) if cell else _year_columns_deadline(task.year_cells, dates)
            phrases = find_deadlines(cell, **dates) if cell else []
            if cell and task.deadline is None and not phrases:
                notes.append(Note(f"读不懂完成时限 {cell!r}", f"cannot read the deadline {cell!r}", tasks=[task.key]))
        else:
            source = own.deadline_text if own is not None and own.deadline_text else \
                task.text + ("\n" + own.deadline_after if own is not None and own.deadline_after else "")
            task.deadline = read_deadline(source, **dates)
            phrases = find_deadlines(source, **dates)
        for phrase in phrases:
            if phrase.deadline is None and phrase.problem and not phrase.quota:
                notes.append(Note(f"无法确定 {phrase.phrase!r} 的日期:{phrase.problem}",
                                  f"cannot date {phrase.phrase!r}: {phrase.problem}", tasks=[task.key]))

    targets = _targets(text, structure, tables, tasks, period_end, dates)
    if not tasks and targets:
        notes.append(Note("正文没有给任何单位分配任务:只读出了目标指标",
                          "no units are assigned in this text: only its targets were read"))
    coordinator = _coordinator(meta, resolver, notes) if tasks else None
    _unit_notes(tasks, resolver, notes)
    _as_published(published, meta, sections, tasks)
    reporting = find_reporting(text, published.text) if tasks else []
    if reporting:
        notes.append(Note(_reporting_note(len(reporting), "zh"), _reporting_note(len(reporting), "en")))
    return Draft(meta, published.text, jurisdiction, period_start, period_end, coordinator, sections, labels, tasks, targets,
                 notes, resolver, reporting)


def _reporting_note(n: int, lang: str) -> str:
    return ngettext_in(lang, "{n} reporting duty read ([[reporting]]), reported by every unit with unfinished tasks: "
                             "check who reports",
                       "{n} reporting duties read ([[reporting]]), reported by every unit with unfinished tasks: "
                       "check who reports", n).format(n=n)


# ---------------------------------------------------------------------- output shapes


def to_plan_file(draft: Draft, *, key: str, source: str | None = None, original: bytes | None = None) -> PlanFile:
    plan = PlanFile(
        key=key, title=draft.title, jurisdiction=draft.jurisdiction or "", document_number=draft.meta.document_number,
        issuer=draft.meta.issuer, coordinator=draft.coordinator, written_on=draft.meta.written_on,
        published_on=draft.meta.published_on, period_start=draft.period_start, period_end=draft.period_end,
        source=source, source_sha256=hashlib.sha256(original).hexdigest() if original is not None else None,
        sections=list(draft.sections), reporting=list(draft.reporting),
    )
    for task in draft.tasks:
        plan.tasks.append(Task(key=task.key, text=task.text, section=task.section_key, lead=list(task.lead),
                               responsible=list(task.responsible), inherited_responsible=list(task.inherited),
                               deadline=task.deadline or Deadline("plan_end")))
    for target in draft.targets:
        plan.targets.append(Target(indicator=target.indicator, value=target.value, comparator=target.comparator,
                                   measure=target.measure, year=target.year, due_on=target.due_on, task=target.task))
    return plan


def to_json(draft: Draft, *, key: str, source: str | None = None, original: bytes | None = None,
            lang: str = "zh") -> dict:
    resolver = draft.resolver
    plan = to_plan_file(draft, key=key, source=source, original=original)
    tasks = []
    for task in draft.tasks:
        names = (*task.lead, *task.responsible, *task.inherited)
        tasks.append({
            "ordinal": task.ordinal,
            "key": task.key,
            "section": task.section_label,
            "text": task.text,
            "lead": task.lead,
            "responsible": task.responsible,
            "inherited_responsible": task.inherited,
            "deadline_phrase": task.deadline.phrase if task.deadline else None,
            "deadline": task.deadline.to_json() if task.deadline else None,
            "lead_ids": resolver.ids(task.lead),
            "responsible_ids": resolver.ids(task.responsible),
            "inherited_responsible_ids": resolver.ids(task.inherited),
            "to_choose": [resolver.resolve(n).unit_id for n in names if resolver.resolve(n).choose],
            "unknown_units": [{"name": n, "suggestions": resolver.resolve(n).suggestions}
                              for n in names if resolver.usable and resolver.resolve(n).unit_id is None],
        })

    def iso(day: date | None) -> str | None:
        return day.isoformat() if day else None

    return {
        "plan": {
            "key": plan.key, "title": plan.title, "document_number": plan.document_number, "issuer": plan.issuer,
            "jurisdiction": draft.jurisdiction, "coordinator": plan.coordinator, "written_on": iso(plan.written_on),
            "published_on": iso(plan.published_on), "period_start": iso(plan.period_start),
            "period_end": iso(plan.period_end), "default_deadline": iso(plan.period_end),
            "source": plan.source, "source_sha256": plan.source_sha256,
            "sections": [{"key": s.key, "label": draft.section_labels.get(s.key), "title": s.title}
                         for s in draft.sections],
        },
        "tasks": tasks,
        "targets": [{"indicator": t.indicator, "comparator": t.comparator, "value": t.value, "measure": t.measure,
                     "year": t.year, "due_on": iso(t.due_on), "task": t.task} for t in draft.targets],
        "reporting": [{"rule": d.rule, "what": d.what, "phrase": d.phrase, "units": list(d.units) if d.units else "active"}
                      for d in draft.reporting],
        "warnings": [note.text(lang) for note in draft.notes],
    }
