"""Status updates by names, the way the tests set up their data: the service itself takes the
assignment id and the acting unit's id (tracker.service.record_status, undo)."""

from __future__ import annotations

from tracker import service


def record(session, *, plan_key: str, task_key: str, unit, acting_unit=None, **update):
    assignment_id = service.find_assignment(session, plan_key, task_key, unit.id)
    return service.record_status(session, assignment_id=assignment_id,
                                 acting_unit_id=acting_unit.id if acting_unit else None, **update)


def undo(session, *, plan_key: str, task_key: str, unit, acting_unit=None, by: str | None = None):
    assignment_id = service.find_assignment(session, plan_key, task_key, unit.id)
    return service.undo(session, assignment_id=assignment_id, acting_unit_id=acting_unit.id if acting_unit else None,
                        by=by)
