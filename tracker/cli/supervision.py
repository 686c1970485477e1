"""`tracker request` (a unit asks: close a task it leads, a later deadline) and `tracker review`
(the plan's coordinating unit decides: approve, return, reject). The rules are the service's
(tracker/service/supervision.py); these commands name things and print the outcome."""

from __future__ import annotations

import click

from . import language, options
from .context import App, echo, echo_json, pass_app
from ..i18n import N_, _


def _task_options(command):
    command = click.option("--by", "liaison", help="The liaison asking.")(command)
    command = options.unit_and_jurisdiction(required=True, unit_help=N_("Whose assignment the request is for."))(command)
    command = options.plan(required=True)(command)
    return click.argument("task_key")(command)


def _assignment(app: App, session, plan_key: str, task_key: str, unit_name: str, jurisdiction: str | None):
    from ..service import find_assignment

    unit = app.unit(session, unit_name, jurisdiction, plan_key)
    return unit, find_assignment(session, plan_key, task_key, unit.id)


@language.group()
def request() -> None:
    """Ask the plan's coordinating unit: to close a task or for a later deadline."""


@request.command("close")
@_task_options
@click.option("--note", help="What was done: the closing report.")
@click.option("--percent", type=int, help="Share done, 0 to 100 (default 100).")
@pass_app
def request_close(app: App, task_key, plan_key, unit_name, jurisdiction, liaison, note, percent) -> None:
    """Report a task the unit leads as done and ask the coordinating unit to close it."""
    from ..service.supervision import request_closing

    with app.db.transaction() as session:
        unit, assignment_id = _assignment(app, session, plan_key, task_key, unit_name, jurisdiction)
        asked = request_closing(session, assignment_id=assignment_id, acting_unit_id=unit.id, note=note,
                                percent=percent, by=liaison)
    echo(_("{plan} {task} {unit}: awaiting approval; closing request #{id} is with {coordinator}").format(
        plan=asked.plan_key, task=asked.task_key, unit=asked.unit, id=asked.id, coordinator=asked.coordinator))


@request.command("extend")
@_task_options
@click.option("--to", "due_on", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="The deadline asked for.")
@click.option("--reason", required=True, help="Why the deadline cannot be met, and what is planned.")
@pass_app
def request_extend(app: App, task_key, plan_key, unit_name, jurisdiction, liaison, due_on, reason) -> None:
    """Ask the coordinating unit for a later deadline on the unit's assignment."""
    from ..service.supervision import request_extension

    with app.db.transaction() as session:
        unit, assignment_id = _assignment(app, session, plan_key, task_key, unit_name, jurisdiction)
        asked = request_extension(session, assignment_id=assignment_id, acting_unit_id=unit.id,
                                  due_on=due_on.date(), reason=reason, by=liaison)
    echo(_("{plan} {task} {unit}: extension request #{id} ({old} \u2192 {new}) is with {coordinator}").format(
        plan=asked.plan_key, task=asked.task_key, unit=asked.unit, id=asked.id, old=asked.previous_due_on,
        new=asked.due_on, coordinator=asked.coordinator))


# ---------------------------------------------------------------------- the coordinator's side


def _decider_options(command):
    command = click.option("--by", "liaison", help="The coordinating unit's liaison deciding.")(command)
    return options.unit_and_jurisdiction(
        unit_help=N_("The coordinating unit deciding (on the shared database: the connected liaison's)."),
    )(command)


def _acting_id(app: App, session, acting: str | None, jurisdiction: str | None) -> int | None:
    return app.unit(session, acting, jurisdiction).id if acting else None


@language.group()
def review() -> None:
    """The coordinating unit's requests to decide: list, approve, return (closing), reject (extension)."""


@review.command("list")
@_decider_options
@options.output_format()
@pass_app
def review_list(app: App, unit_name, jurisdiction, liaison, fmt) -> None:
    """The requests waiting for the coordinating unit, oldest first."""
    from .. import clock
    from ..i18n import request_kind_label, role_label
    from ..service.supervision import deciding_unit, pending_for

    with app.db.reading() as session:
        waiting = pending_for(session, deciding_unit(session, _acting_id(app, session, unit_name, jurisdiction)))
    if fmt == "json":
        echo_json([r.to_json() for r in waiting])
        return
    if not waiting:
        echo(_("No requests are waiting."))
        return
    from ..textwidth import table

    rows = []
    for r in waiting:
        what = f"{r.previous_due_on} \u2192 {r.due_on}" if r.kind == "extension" else ""
        rows.append([f"#{r.id}", request_kind_label(r.kind), r.plan_key, r.task_key,
                     f"{r.unit}({role_label(r.role, app.lang)})", what, " ".join(filter(None, [r.author, r.note])),
                     clock.shown(r.requested_at, r.timezone)])
    headers = [_("no."), _("request"), _("plan"), _("task"), _("unit"), _("deadline"), _("note"), _("asked at")]
    echo(table(headers, rows, [None, None, None, None, None, None, 36, None]))
    echo(_("{n} waiting").format(n=len(waiting)))


def _decide(app: App, request_id: int, acting, jurisdiction, liaison, decision: str, reason: str | None) -> None:
    from .. import clock
    from ..service.supervision import decide

    with app.db.transaction() as session:
        done = decide(session, request_id=request_id, acting_unit_id=_acting_id(app, session, acting, jurisdiction),
                      decision=decision, reason=reason, by=liaison)
    where = f"{done.plan_key} {done.task_key} {done.unit}"
    assert done.decided_at is not None
    day = clock.shown_day(done.decided_at, done.timezone)
    if done.kind == "closing" and decision == "approved":
        echo(_("request #{id}: {task} closed (销号) on {date}").format(id=done.id, task=where, date=day))
    elif done.kind == "closing":
        echo(_("request #{id}: {task} returned, back to in progress: {reason}").format(
            id=done.id, task=where, reason=done.reason))
    elif decision == "approved":
        echo(_("request #{id}: {task} deadline {old} \u2192 {new} (extension approved)").format(
            id=done.id, task=where, old=done.previous_due_on, new=done.due_on))
    else:
        echo(_("request #{id}: {task} extension rejected, the deadline stays {old}: {reason}").format(
            id=done.id, task=where, old=done.previous_due_on, reason=done.reason))


@review.command("approve")
@click.argument("request_id", type=int)
@_decider_options
@click.option("--reason", help="A remark for the record (optional).")
@pass_app
def review_approve(app: App, request_id, unit_name, jurisdiction, liaison, reason) -> None:
    """Approve request REQUEST_ID: close the task, or move the deadline."""
    _decide(app, request_id, unit_name, jurisdiction, liaison, "approved", reason)


@review.command("return")
@click.argument("request_id", type=int)
@_decider_options
@click.option("--reason", required=True, help="Why it is not done yet: the lead unit sees it.")
@pass_app
def review_return(app: App, request_id, unit_name, jurisdiction, liaison, reason) -> None:
    """Return closing request REQUEST_ID: the task is back in progress."""
    _decide(app, request_id, unit_name, jurisdiction, liaison, "returned", reason)


@review.command("reject")
@click.argument("request_id", type=int)
@_decider_options
@click.option("--reason", required=True, help="Why the deadline stays: the unit sees it.")
@pass_app
def review_reject(app: App, request_id, unit_name, jurisdiction, liaison, reason) -> None:
    """Reject extension request REQUEST_ID: the deadline stays as it is."""
    _decide(app, request_id, unit_name, jurisdiction, liaison, "rejected", reason)
