"""The coordinator's 待审批 tab: the closing and extension requests on the plans its unit
coordinates, oldest first (the one waiting longest is where the cursor starts)."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from ... import clock
from ...i18n import gettext_in, request_kind_label
from ...service.supervision import Request
from ...textwidth import fit, width
from ..text import tr


def what_is_asked(request: Request, lang: str) -> str:
    """An extension's dates, or a closing request's report, with the reason or note after it."""
    if request.kind == "extension":
        moved = f"{request.previous_due_on or '—'} \u2192 {request.due_on}"
        return f"{moved} · {request.note}" if request.note else moved
    return request.note or gettext_in(lang, "(no report)")


class ReviewList(DataTable):
    class Counted(Message):
        """The list was read again: the count line shows how many wait."""

        def __init__(self, table: ReviewList) -> None:
            super().__init__()
            self.table = table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", cell_padding=1)
        self.requests: list[Request] = []
        self.loaded = False

    def reload(self) -> None:
        self.app.gateway.pending_reviews(self, self._show)

    def _show(self, requests: list[Request]) -> None:
        self.loaded = True
        keep = self.selected()
        self.requests = list(requests)
        lang = self.app.lang
        self.clear(columns=True)
        kind_w = max(width(request_kind_label(k, lang)) for k in ("closing", "extension"))
        unit_w = max([8] + [min(16, width(r.unit)) for r in self.requests])
        fixed = [("id", "#", 4), ("kind", gettext_in(lang, "request"), kind_w), ("key", tr("col_key", lang), 7),
                 ("unit", tr("col_unit", lang), unit_w), ("asked", gettext_in(lang, "asked at"), 11)]
        room = max(12, self.size.width - sum(w + 2 for _, _, w in fixed) - 4)
        for key, label, w in fixed + [("what", gettext_in(lang, "what is asked"), room)]:
            self.add_column(Text(label), width=w, key=key)
        cursor = 0
        for index, r in enumerate(self.requests):
            cells = [f"#{r.id}", request_kind_label(r.kind, lang), r.task_key, r.unit,
                     clock.local(r.requested_at, r.timezone).strftime("%m-%d %H:%M"), what_is_asked(r, lang)]
            widths = [4, kind_w, 7, unit_w, 11, room]
            self.add_row(*[Text(fit(c, w), no_wrap=True) for c, w in zip(cells, widths)], key=str(r.id))
            if keep is not None and r.id == keep.id:
                cursor = index
        if self.requests:
            self.move_cursor(row=cursor, animate=False)
        self.post_message(self.Counted(self))

    def selected(self) -> Request | None:
        if not self.requests or self.row_count == 0:
            return None
        return self.requests[min(max(self.cursor_row, 0), len(self.requests) - 1)]
