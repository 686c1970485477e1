"""Digests and reports laid out as plain text, Markdown or HTML through Jinja2 templates.

HTML is autoescaped (task text and notes are user input) and styled inline, since mail clients
drop <style> blocks; Markdown cells are escaped so user text cannot break a table; in text and
Markdown, control and bidi characters are shown as escapes (tracker.textwidth.printable).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import jinja2

from .. import clock
from ..textwidth import printable, table
from ..deadlines import describe_rule
from ..i18n import gettext_in, request_kind_label, role_label, status_label
from .build import PlanReport, UnitDigest
from .words import WORDS, digest_subject, report_subject, week_label

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("text", "md", "html")
SUFFIXES = {"text": "txt", "md": "md", "html": "html", "eml": "eml"}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


class Say:
    """How values read in one language; templates call these rather than format themselves."""

    def __init__(self, lang: str):
        self.lang = lang
        self.w = WORDS[lang]

    def status(self, code: str, percent: int | None = None) -> str:
        text = status_label(code, self.lang)
        return f"{text} {percent}%" if percent is not None and code != "done" else text

    def role(self, code: str) -> str:
        return role_label(code, self.lang)

    def day(self, value: date | None) -> str:
        return value.isoformat() if value else "—"

    def deadline(self, line, value: date | None) -> str:
        """A deadline, and where an approved extension moved it: 2022-12-31 → 2023-06-30（已批准延期）."""
        moved = getattr(line, "extended_from", None)
        if moved is None:
            return self.day(value)
        return self.w["extended_deadline"].format(before=moved.isoformat(), after=self.day(value))

    def when(self, value: datetime) -> str:
        # already the unit's wall time (digest.build): shown the one way every time is
        return value.strftime(clock.SHOWN_FORMAT)

    def last(self, value: date | None) -> str:
        return value.isoformat() if value else self.w["never"]

    def days(self, n: int | None) -> str:
        return self.w["days"].format(n=n) if n is not None else ""

    def late(self, line) -> str:
        """Days overdue, marked when the reminder ladder has escalated it to the coordinator (催办)."""
        said = self.days(line.days_overdue)
        return gettext_in(self.lang, "{days} (escalated)").format(days=said) if line.escalated else said

    # ------------------------------------------------------------------ reporting windows (报送)

    def reporting_title(self) -> str:
        return gettext_in(self.lang, "Reporting")

    def duty(self, report) -> str:
        """每月5日前报送上月进展 (2026-11-06 to 2026-12-05)"""
        duty = report.duty
        what = duty.phrase or duty.what or describe_rule(duty.rule, self.lang)
        return gettext_in(self.lang, "{what} ({opens} to {closes})").format(
            what=what, opens=report.window.opens.isoformat(), closes=report.window.closes.isoformat())

    def reported(self, unit) -> str:
        if unit.reported:
            return gettext_in(self.lang, "reported")
        return gettext_in(self.lang, "not reported ({updated} of {active} tasks updated)").format(
            updated=unit.updated, active=unit.active) if unit.active else gettext_in(self.lang, "not reported")

    def said(self, what: str, state: str) -> str:
        return gettext_in(self.lang, "{what}: {state}").format(what=what, state=state)

    def missing(self, report) -> str:
        if not report.units:
            return gettext_in(self.lang, "no unit has to report")
        if not report.missing:
            return gettext_in(self.lang, "every unit has reported ({n})").format(n=len(report.units))
        return gettext_in(self.lang, "not reported: {units} ({n} of {all})").format(
            units=self.names([u.unit for u in report.missing]), n=len(report.missing), all=len(report.units))

    # ------------------------------------------------------------------ requests awaiting decision (待审批)

    def waiting_title(self) -> str:
        return gettext_in(self.lang, "Requests awaiting your decision")

    def request_kind(self, kind: str) -> str:
        return request_kind_label(kind, self.lang)

    def waiting_headers(self, html: bool = False) -> list[str]:
        key = [] if html else [self.w["col_key"]]  # HTML shows the key inside the task's cell
        return [gettext_in(self.lang, "request"), *key, self.w["col_task"], self.w["col_unit"],
                gettext_in(self.lang, "asked at"), gettext_in(self.lang, "what is asked")]

    def asked(self, waiting) -> str:
        """What a request asks: an extension's dates and reason, a closing request's report."""
        r = waiting.request
        if r.kind == "extension":
            moved = f"{self.day(r.previous_due_on)} \u2192 {self.day(r.due_on)}"
            return f"{moved} · {self.one_line(r.note)}" if r.note else moved
        return self.one_line(r.note) if r.note else gettext_in(self.lang, "(no report)")

    def waited(self, waiting) -> str:
        """申请于2023-01-05，已等待4天"""
        return gettext_in(self.lang, "asked on {date}, waiting {days}").format(
            date=waiting.asked_on.isoformat(), days=self.days(waiting.days_waiting))

    def more_waiting(self, report: PlanReport) -> str:
        n = report.more_waiting
        return gettext_in(self.lang, "… {n} more not listed; all of them: tracker digest report --plan {plan} "
                                     "--limit 0").format(n=n, plan=report.plan.key) if n else ""

    def titled(self, title: str, n: int) -> str:
        """A section title with its count: 已超期（3）, Overdue (3)."""
        return gettext_in(self.lang, "{title} ({n})").format(title=title, n=n)

    def label(self, word: str) -> str:
        """A word that names what follows it: 牵头单位：, lead: ."""
        return gettext_in(self.lang, "{label}: ").format(label=word)

    def unit_role(self, unit: str, role: str) -> str:
        """市商务局（牵头）, 市商务局 (lead)."""
        return gettext_in(self.lang, "{unit} ({role})").format(unit=unit, role=self.role(role))

    def more(self, digest: UnitDigest, section: str) -> str:
        """The line under a section cut by the limit, saying how to see all of it."""
        n = digest.more(section)
        return self.w["more"].format(n=n, unit=digest.unit.name, jurisdiction=digest.unit.jurisdiction) if n else ""

    def count(self, n: int) -> str:
        return self.w["unit_count"].format(n=n)

    def names(self, names: list[str]) -> str:
        return self.w["sep"].join(names) if names else "—"

    def silent(self, units) -> str:
        """Supporting units that have not reported: 市商务局（从未更新）、市财政局（2026-09-30 推进中 40%）"""
        def one(u):
            said = self.w["never"] if u.last_update is None else \
                f"{u.last_update.isoformat()} {self.status(u.status, u.percent)}"
            return gettext_in(self.lang, "{unit} ({last})").format(unit=u.unit, last=said)
        return self.w["sep"].join(one(u) for u in units)

    def dates(self, values: list[date]) -> str:
        return self.w["sep"].join(d.isoformat() for d in values)

    def percent(self, value: int | None) -> str:
        return f"{value}%" if value is not None else "0%"

    def rate(self, value: float | None) -> str:
        return f"{round(value * 100)}%" if value is not None else "—"

    def one_line(self, text: str | None) -> str:
        return " ".join((text or "").split())

    def md(self, text: str | None) -> str:
        """A Markdown table cell: one line, pipes and angle brackets escaped."""
        return re.sub(r"([|\\`*_\[\]])", r"\\\1", self.one_line(text)).replace("<", "&lt;").replace(">", "&gt;")

    def week(self, week) -> str:
        return week_label(week, self.lang)

    def range(self, week) -> str:
        return self.w["week_range"].format(monday=week.monday.isoformat(), sunday=week.sunday.isoformat())

    def as_of(self, day: date) -> str:
        return self.w["as_of"].format(date=day.isoformat())


def render_digest(digest: UnitDigest, fmt: str, lang: str = "zh") -> str:
    template = environment().get_template(f"digest.{SUFFIXES[fmt]}.j2")
    return _shown(fmt, template.render(d=digest, w=WORDS[lang], say=Say(lang), lang=lang,
                                       subject=digest_subject(digest.unit.name, digest.week, lang)))


def render_report(report: PlanReport, fmt: str, lang: str = "zh") -> str:
    template = environment().get_template(f"report.{SUFFIXES[fmt]}.j2")
    say = Say(lang)
    return _shown(fmt, template.render(r=report, w=WORDS[lang], say=say, lang=lang,
                                       subject=report_subject(report.plan.title, report.week, lang),
                                       table=_ranking_table(report, say) if fmt == "text" else ""))


def _shown(fmt: str, text: str) -> str:
    """Plain text and Markdown are read in terminals and editors: a note's escape codes, bells
    and bidi overrides are shown as escapes there (HTML is escaped by its template)."""
    return text if fmt == "html" else printable(text)


def _ranking_table(report: PlanReport, say: Say) -> str:
    """The ranking in columns that stay aligned with Chinese names (two cells a character)."""
    w = say.w
    headers = [w["col_rank"], w["col_rating"], w["col_unit"], w["col_tasks"], w["col_done"], w["col_overdue"],
               w["col_on_time"], w["col_last_update"]]
    rows = [[str(s.rank), w[s.color], s.unit, str(s.tasks), str(s.done), str(s.overdue), say.rate(s.on_time_rate),
             say.last(s.last_update)] for s in report.standings]
    return "\n".join("  " + line for line in table(headers, rows, [None, None, 30, None, None, None, None, None])
                     .splitlines())
