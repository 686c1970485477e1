"""The records several parts of the service hand out: a status update, and a unit's status on
a task. One record per idea, whoever asks (the history, the TUI, the digest, the feeds, the
ledger), so a front end never learns two shapes of the same thing.

Plain frozen dataclasses: they outlive the session that read them, which ORM objects do not
(an expired ORM object read after its session ended crashed the TUI's task detail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..i18n import status_label


@dataclass(frozen=True)
class StatusUpdate:
    """One status update (an entry of a task's history): on whose assignment, what it says, who
    recorded it (the liaison, `author`, and the unit they recorded it for, `acting_unit`), and
    the task it is about, so a list of updates across tasks (a digest's week) needs nothing else."""

    id: int
    assignment_id: int
    task_id: int
    plan_key: str
    key: str  # the task's key, as every digest row names it
    title: str  # the task's title
    unit_id: int
    unit: str
    role: str
    status: str
    percent: int | None
    note: str | None
    author: str | None
    recorded_at: datetime  # an instant; the digest shows it in the unit's time zone
    undoes_id: int | None = None  # an undo restores the state before this entry
    acting_unit: str | None = None
    closing_request_id: int | None = None  # this 已完成 asked the coordinator to close the task (申请办结)

    def to_json(self, lang: str = "zh") -> dict:
        return {"id": self.id, "unit": self.unit, "role": self.role, "status": self.status,
                "status_label": status_label(self.status, lang), "percent": self.percent, "note": self.note,
                "author": self.author, "acting_unit": self.acting_unit, "recorded_at": self.recorded_at.isoformat(),
                "undoes": self.undoes_id}
