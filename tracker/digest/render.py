"""Digests and reports laid out as plain text, Markdown or HTML through Jinja2 templates.

HTML is autoescaped (task text and notes are user input) and styled inline, since mail clients
drop <style> blocks; Markdown cells are escaped so user text cannot break a table.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import jinja2

from .. import clock
from ..textwidth import table
from ..i18n import role_label, status_label
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

    def when(self, value: datetime) -> str:
        # already the unit's wall time (digest.build): shown the one way every time is
        return value.strftime(clock.SHOWN_FORMAT)

    def last(self, value: date | None) -> str:
        return value.isoformat() if value else self.w["never"]

    def days(self, n: int | None) -> str:
        return self.w["days"].format(n=n) if n is not None else ""

    def titled(self, title: str, n: int) -> str:
        """A section title with its count: 已超期(3), Overdue (3)."""
        return f"{title}({n})" if self.lang == "zh" else f"{title} ({n})"

    def more(self, digest: UnitDigest, section: str) -> str:
        """The line under a section cut by the limit, saying how to see all of it."""
        n = digest.more(section)
        return self.w["more"].format(n=n, unit=digest.unit.name, jurisdiction=digest.unit.jurisdiction) if n else ""

    def count(self, n: int) -> str:
        return self.w["unit_count"].format(n=n)

    def names(self, names: list[str]) -> str:
        return self.w["sep"].join(names) if names else "—"

    def silent(self, units) -> str:
        """Supporting units that have not reported: 市商务局(从未更新)、市财政局(2026-09-30 推进中 40%)"""
        left, right = ("(", ")") if self.lang == "zh" else (" (", ")")

        def one(u):
            said = self.w["never"] if u.last_update is None else \
                f"{u.last_update.isoformat()} {self.status(u.status, u.percent)}"
            return f"{u.unit}{left}{said}{right}"
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
    return template.render(d=digest, w=WORDS[lang], say=Say(lang), lang=lang,
                           subject=digest_subject(digest.unit.name, digest.week, lang))


def render_report(report: PlanReport, fmt: str, lang: str = "zh") -> str:
    template = environment().get_template(f"report.{SUFFIXES[fmt]}.j2")
    say = Say(lang)
    return template.render(r=report, w=WORDS[lang], say=say, lang=lang,
                           subject=report_subject(report.plan.title, report.week, lang),
                           table=_ranking_table(report, say) if fmt == "text" else "")


def _ranking_table(report: PlanReport, say: Say) -> str:
    """The ranking in columns that stay aligned with Chinese names (two cells a character)."""
    w = say.w
    headers = [w["col_rank"], w["col_rating"], w["col_unit"], w["col_tasks"], w["col_done"], w["col_overdue"],
               w["col_on_time"], w["col_last_update"]]
    rows = [[str(s.rank), w[s.color], s.unit, str(s.tasks), str(s.done), str(s.overdue), say.rate(s.on_time_rate),
             say.last(s.last_update)] for s in report.standings]
    return "\n".join("  " + line for line in table(headers, rows, [None, None, 30, None, None, None, None, None])
                     .splitlines())
