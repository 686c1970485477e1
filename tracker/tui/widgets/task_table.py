"""One tab of "my tasks": a unit's tasks in one role, filtered, sorted and paged in SQL.

Textual's DataTable takes seconds to fill with 50,000 rows, so the table never holds more than
it needs: a page of PAGE rows, the next page fetched when the cursor nears the end, and no more
than MAX_ROWS in all (narrow with / beyond that). Every query runs in a thread worker; a
generation number drops answers to questions no longer asked (a filter typed over).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from ... import clock
from ...deadlines import FINISHED, traffic_light
from ...textwidth import fit, width
from ...i18n import STATUSES, gettext_in
from ...service import TaskRow
from ..text import state, tr

PAGE = 100
MAX_ROWS = 1000

# the 红黄绿灯 convention; explicit colours, so they read the same on any terminal palette
OVERDUE = "#ff6b6b"
DUE_SOON = "#f0c040"
DONE = "#6cc46c"


def row_colour(row: TaskRow) -> str | None:
    return {"done": DONE, "overdue": OVERDUE, "due_soon": DUE_SOON}.get(
        traffic_light(row.status, row.overdue, row.days_left))


def local_date(moment: datetime | None, tz: str | None = None) -> str:
    return clock.shown_day(moment, tz, empty="—")


def days_text(row: TaskRow, lang: str) -> str:
    if row.status in FINISHED or row.days_left is None:
        return ""
    if row.days_left < 0:
        return tr("days_overdue", lang, n=-row.days_left)
    if row.days_left == 0:
        return tr("due_today", lang)
    return tr("days_left", lang, n=row.days_left)


def deadline_text(row: TaskRow, lang: str) -> str:
    if row.deadline_kind == "ongoing":
        return gettext_in(lang, "ongoing")
    return row.due_on.isoformat() if row.due_on else ""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


def plan_labels(plan_keys) -> dict[str, str]:
    """Each plan key shortened to the leading parts (two at least) that no other of these plans
    starts with: qingdao-2020-service-clusters and qingdao-2024-municipal-clusters become
    qingdao-2020 and qingdao-2024, so two 3.1.1 rows of different plans read apart."""
    keys = sorted(set(plan_keys))
    labels = {}
    for key in keys:
        parts = key.split("-")
        for n in range(min(2, len(parts)), len(parts) + 1):
            label = "-".join(parts[:n])
            if not any(other != key and (other == label or other.startswith(label + "-")) for other in keys):
                break
        labels[key] = label
    return labels


def columns_for(total: int, lang: str, with_role: bool = False, plan_w: int = 12) -> list[Column]:
    """The columns that fit `total` cells. At 80 cells: key, task, deadline, days left, status
    (and the role, on the tab that mixes roles); a 100-column terminal adds the plan (`plan_w`
    cells: its short label), a 120-column one the last update. The task text takes what is left."""
    status_w = max(width(state(code, 100, lang)) for code in STATUSES)
    days_w = max(width(tr("days_overdue", lang, n=1000)), width(tr("due_today", lang)))
    role_w = max(width(tr("role_lead", lang)), width(tr("role_responsible", lang)), width(tr("col_role_short", lang)))
    fixed = [Column("key", tr("col_key", lang), 7), Column("deadline", tr("col_deadline", lang), 10),
             Column("days", tr("col_days", lang), days_w), Column("status", tr("col_status", lang), status_w)]
    extra = []
    # `total` is the table's width: a terminal's, less the scrollbar's gutter and the border
    if total >= 116:
        extra.append(Column("updated", tr("col_updated", lang), 10))
    if total >= 96:
        plan_w = max(width(tr("col_plan", lang)), min(plan_w, 16 + max(0, total - 140) // 2))
    else:
        plan_w = 0
    role = [Column("role", tr("col_role_short", lang), role_w)] if with_role else []
    columns = (fixed[:1] + role + [None] + ([Column("plan", tr("col_plan", lang), plan_w)] if plan_w else [])
               + fixed[1:] + extra)
    used = sum(c.width + 2 for c in columns if c is not None) + 2  # 1 cell of padding each side; the task's own
    task_w = max(12, total - used)
    return [c or Column("task", tr("col_task", lang), task_w) for c in columns]


class TaskTable(DataTable):
    """A unit's tasks in one role (None: all roles)."""

    class Counted(Message):
        """The numbers behind `120 / 2,000` changed."""

        def __init__(self, table: TaskTable) -> None:
            super().__init__()
            self.table = table

    def __init__(self, role: str | None, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", cell_padding=1)
        self.role = role
        self.search = ""
        self.order = "deadline"
        self.loaded: list[TaskRow] = []
        self.by_key: dict[str, TaskRow] = {}
        self.matched: int | None = None
        self.total: int | None = None
        self.stale = True
        self.fetching_more = False
        self._generation = 0
        self._columns: list[Column] = []
        self._plan_labels: dict[str, str] = {}
        self._keep_key: str | None = None

    # ------------------------------------------------------------------ asking

    def reload(self, *, search: str | None = None, order: str | None = None, keep_cursor: bool = False,
               recount: bool = False) -> None:
        """Fetch the first page again, for a new filter or order, or after an update."""
        if search is not None and search != self.search:
            self.search = search
        if order is not None:
            self.order = order
        if recount:
            self.total = None
        self._keep_key = self.selected_key() if keep_cursor else None
        self._generation += 1
        self.stale = False
        self.fetching_more = False
        self._fetch(self._generation, self.search, self.order, 0, self.total is None)

    def load_more(self) -> None:
        if self.fetching_more or self.matched is None or len(self.loaded) >= min(self.matched, MAX_ROWS):
            return
        self.fetching_more = True
        self._fetch_more(self._generation, self.search, self.order, len(self.loaded))

    def _fetch(self, generation: int, search: str, order: str, offset: int, count_total: bool,
               group: str = "fetch") -> None:
        self.app.gateway.task_page(
            self, role=self.role, search=search, order=order, offset=offset, limit=min(PAGE, MAX_ROWS - offset),
            count_total=count_total, group=group,
            reply=lambda page: self._show(generation, offset, page.rows, page.matched, page.total))

    def _fetch_more(self, generation: int, search: str, order: str, offset: int) -> None:
        self._fetch(generation, search, order, offset, False, group="more")

    # ------------------------------------------------------------------ showing

    def _show(self, generation: int, offset: int, rows: list[TaskRow], matched: int | None,
              total: int | None) -> None:
        if generation != self._generation:
            return  # an answer to an earlier filter
        if offset == 0:
            self.loaded, self.by_key = [], {}
            self.matched = matched
            if total is not None:
                self.total = total
            self.clear()
        else:
            self.fetching_more = False
        self.loaded.extend(rows)
        self.by_key.update((str(row.assignment_id), row) for row in rows)
        if not self._ensure_columns():
            for row in rows:
                self.add_row(*self._cells(row), key=str(row.assignment_id))
        if offset == 0 and self._keep_key in self.by_key:
            self.move_cursor(row=self.get_row_index(self._keep_key), animate=False)
        self.post_message(self.Counted(self))

    def _ensure_columns(self) -> bool:
        """Columns for the table's width and plan labels for its rows; True when that changed
        them, and every loaded row was laid out again."""
        available = (self.size.width or self.app.size.width) - 1  # the scrollbar's gutter
        labels = plan_labels(row.plan_key for row in self.loaded)
        wanted = columns_for(available, self.app.lang, with_role=self.role is None,
                             plan_w=max((width(label) for label in labels.values()), default=12))
        if wanted == self._columns and (labels == self._plan_labels or not self.shows_plan):
            return False
        self._plan_labels = labels
        cursor = self.cursor_row
        self._columns = wanted
        self.clear(columns=True)
        for column in wanted:
            self.add_column(column.label, width=column.width, key=column.key)
        for row in self.loaded:
            self.add_row(*self._cells(row), key=str(row.assignment_id))
        if self.loaded:
            self.move_cursor(row=min(cursor, len(self.loaded) - 1), animate=False)
        return True

    @property
    def shows_plan(self) -> bool:
        return any(c.key == "plan" for c in self._columns)

    def plan_label(self, row: TaskRow) -> str:
        return self._plan_labels.get(row.plan_key, row.plan_key)

    def _cells(self, row: TaskRow) -> list[Text]:
        lang = self.app.lang
        values = {
            "key": row.key, "role": tr(f"role_{row.role}", lang), "task": row.title or row.text,
            "plan": self.plan_label(row),
            "deadline": deadline_text(row, lang), "days": days_text(row, lang),
            "status": state(row.status, row.percent, lang), "updated": local_date(row.status_at, row.timezone),
        }
        colour = row_colour(row)
        return [Text(fit(values[c.key], c.width), style=colour or "", no_wrap=True) for c in self._columns]

    def on_resize(self) -> None:
        if self._columns:
            self._ensure_columns()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.loaded) - 5:
            self.load_more()

    # ------------------------------------------------------------------ reading

    def selected_key(self) -> str | None:
        if not self.loaded or self.cursor_row < 0 or self.cursor_row >= len(self.loaded):
            return None
        return str(self.loaded[self.cursor_row].assignment_id)

    def selected(self) -> TaskRow | None:
        key = self.selected_key()
        return self.by_key.get(key) if key else None
