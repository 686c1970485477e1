"""The app's one way to the data (harlequin's pattern).

Screens and widgets ask; the gateway owns the database and the identity, runs every question
in a thread worker (never on the event loop) and hands the answer back on the event loop. The
app has one Worker.StateChanged handler (TrackerApp.on_worker_state_changed → `settled`): an
answer goes to the asker's reply, a refusal the asker expects (a conflict in the update form)
to its own handler, and any other failure becomes one line under the list. Nothing the service
returns is tied to a session, so answers are safe to keep once the worker is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from .. import service
from ..service import reporting, tui as tui_queries
from ..service.database import Database
from .identity import Identity


@dataclass
class _Question:
    asker: DOMNode
    reply: Callable[[Any], None]
    refused: Callable[[BaseException], bool] | None


@dataclass(frozen=True)
class TaskPage:
    """A page of one tab: its rows, and the counts behind `matched / all` (None: not asked)."""

    rows: list
    matched: int | None
    total: int | None


class Gateway:
    def __init__(self, app, db: Database) -> None:
        self.app = app
        self.db = db
        self.identity: Identity | None = None
        self._asked: dict[Worker, _Question] = {}

    # ------------------------------------------------------------------ running questions

    def ask(self, asker: DOMNode, job: Callable[[Any], Any], reply: Callable[[Any], None], *, group: str,
            write: bool = False, refused: Callable[[BaseException], bool] | None = None) -> Worker:
        """Run `job(session)` in a thread; `reply(answer)` on the event loop. A newer question
        of the same asker and group replaces an unanswered one (its answer is dropped).
        `refused(error)` returns True for the errors the asker shows itself."""
        def run():
            with (self.db.transaction() if write else self.db.reading()) as session:
                return job(session)

        worker = self.app.run_worker(run, group=f"{group}@{id(asker)}", exclusive=True, thread=True,
                                     exit_on_error=False, description=group)
        self._asked[worker] = _Question(asker, reply, refused)
        return worker

    def settled(self, worker: Worker) -> None:
        """Deliver a finished worker's answer or failure (called by the app's one handler)."""
        if worker.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        question = self._asked.pop(worker, None)
        if question is None or worker.is_cancelled or worker.state == WorkerState.CANCELLED:
            return
        if not question.asker.is_attached:
            return  # the screen that asked is gone
        if worker.state == WorkerState.SUCCESS:
            question.reply(worker.result)
            return
        error = worker.error
        if error is None:
            return
        if question.refused is not None and question.refused(error):
            return
        self.app.report_failure(error)

    # ------------------------------------------------------------------ what the screens ask

    def units(self, asker, jurisdiction: str | None, reply) -> None:
        self.ask(asker, lambda s: [u for u in service.list_units(s, jurisdiction) if u.kind != "group"],
                 reply, group="units")

    def my_plans(self, asker, reply) -> None:
        jurisdiction = self.identity.jurisdiction
        self.ask(asker, lambda s: [p for p in service.list_plans(s) if p.jurisdiction == jurisdiction],
                 reply, group="plans")

    def outline(self, asker, plan_key: str, section_key: str | None, reply) -> None:
        unit_id = self.identity.unit_id
        # one level per node: several may be read at once, so each node is its own group
        self.ask(asker, lambda s: tui_queries.plan_outline(s, plan_key, section_key, unit_id), reply,
                 group=f"level:{plan_key}:{section_key}")

    def task_page(self, asker, *, role: str | None, search: str, order: str, offset: int, limit: int,
                  count_total: bool, reply, group: str = "fetch") -> None:
        me = service.UnitRef(self.identity.unit_id, self.identity.unit, self.identity.jurisdiction)

        def job(session) -> TaskPage:
            matched = total = None
            if offset == 0:
                matched = service.count_unit_tasks(session, me, role=role, search=search or None)
                if count_total:
                    total = matched if not search else service.count_unit_tasks(session, me, role=role)
            rows = service.unit_tasks(session, me, role=role, search=search or None, order=order,
                                      limit=limit, offset=offset)
            return TaskPage(rows, matched, total)

        self.ask(asker, job, reply, group=group)

    def reporting(self, asker, reply) -> None:
        """The unit's reporting windows now (报送), for the header."""
        unit_id = self.identity.unit_id
        self.ask(asker, lambda s: reporting.unit_reports(s, unit_id), reply, group="reporting")

    def task_detail(self, asker, plan_key: str, task_key: str, reply) -> None:
        self.ask(asker, lambda s: service.task_detail(s, plan_key, task_key), reply, group="detail")

    def check_may_update(self, asker, assignment_id: int, reply, refused) -> None:
        acting = self.identity.unit_id
        self.ask(asker, lambda s: service.check_may_update(s, assignment_id, acting), reply, group="check",
                 refused=refused)

    def record_status(self, asker, assignment_id: int, *, status: str, percent: int | None, note: str | None,
                      version: int, reply, refused) -> None:
        me = self.identity
        self.ask(asker, lambda s: service.record_status(
            s, assignment_id=assignment_id, acting_unit_id=me.unit_id, status=status, percent=percent, note=note,
            by=me.liaison, expected_version=version), reply, group="save", write=True, refused=refused)

    def undo(self, asker, assignment_id: int, reply, refused) -> None:
        me = self.identity
        self.ask(asker, lambda s: service.undo(s, assignment_id=assignment_id, acting_unit_id=me.unit_id,
                                               by=me.liaison), reply, group="undo", write=True, refused=refused)
