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


@dataclass(frozen=True, slots=True)
class UnitStatus:
    """A unit's status on a task: its assignment (role, and where it came from), the state its
    latest update left, and the version an update made from this view must be based on.

    The task detail, the calendar feeds and the digest read it; each fills what it shows, so
    the fields after `status_at` are None where a reader has no use for them (a digest of a past
    week shows the state as it stood then, which has no version to update from). Slots: a city's
    feeds hold 150,000 of them at once."""

    assignment_id: int
    task_id: int
    unit_id: int
    unit: str
    role: str  # lead or responsible
    status: str
    percent: int | None
    status_at: datetime | None  # when the latest update was recorded; None: never updated
    note: str | None = None  # the latest update's note
    version: int | None = None  # what an update made from this view is checked against
    source: str | None = None  # where the assignment came from: written, inherited, expanded from a group
    via_group: str | None = None  # the group (各区、市政府) it was expanded from
    extended_due_on: date | None = None  # the unit's deadline, moved by an approved extension (延期)
    extensions: int | None = None  # (feeds) approved extensions: each moves the unit's event again (SEQUENCE)
    extended_at: datetime | None = None  # (feeds) when the last of them was approved
