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


def close(session, *, plan_key: str, task_key: str, unit, **update):
    """A lead's 已完成 on a plan that wants approval, and the coordinator's 销号 of it."""
    entry = record(session, plan_key=plan_key, task_key=task_key, unit=unit, status="done", **update)
    if entry.closing_request_id is not None:
        coordinator = service.find_plan(session, plan_key).coordinator_id
        service.supervision.decide(session, request_id=entry.closing_request_id, acting_unit_id=coordinator,
                                   decision="approved")
    return entry
