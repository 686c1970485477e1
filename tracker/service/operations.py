"""What `tracker doctor` reports about a database: how much it holds, how big it is, which
calendar-feed tokens were handed out and never used, whether the status history and the schema
are intact; and the database file itself for `tracker backup` and `tracker restore`, which the
store handles (tracker/store/backup.py) and the commands reach through here."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..store.backup import (  # noqa: F401  (handed on to the commands)
    BackupInfo, backup_sqlite, check_backup, restore_sqlite, sqlite_health, sqlite_path,
)
from ..store.schema import revisions as known_revisions  # noqa: F401
from ..store.db import Database, current_revision, shown_url  # noqa: F401
from ..store.history import CHAINED, DECISION_CHAINED, REQUEST_CHAINED, BrokenChain, verify
from ..store.models import (
    Assignment, FeedToken, Jurisdiction, Liaison, Plan, StatusUpdate, SupervisionDecision, SupervisionRequest, Task,
    Unit,
)

if TYPE_CHECKING:  # imported when asked (below): only `doctor` compares schemas
    from ..store.schema_check import Difference


def counts(session: Session) -> dict[str, int]:
    """Rows that matter to people, by what they are."""
    def count(query) -> int:
        return session.scalar(query) or 0

    return {
        "jurisdictions": count(select(func.count()).select_from(Jurisdiction)),
        "units": count(select(func.count()).select_from(Unit).where(Unit.kind != "group")),
        "groups": count(select(func.count()).select_from(Unit).where(Unit.kind == "group")),
        "liaisons": count(select(func.count()).select_from(Liaison)),
        "plans": count(select(func.count()).select_from(Plan)),
        "tasks": count(select(func.count()).select_from(Task).where(Task.archived.is_(False))),
        "archived tasks": count(select(func.count()).select_from(Task).where(Task.archived.is_(True))),
        "assignments": count(select(func.count()).select_from(Assignment).where(Assignment.archived.is_(False))),
        "status updates": count(select(func.count()).select_from(StatusUpdate)),
        "feed tokens": count(select(func.count()).select_from(FeedToken).where(FeedToken.revoked_at.is_(None))),
    }


def last_update_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(StatusUpdate.recorded_at)))


@dataclass(frozen=True)
class UnusedToken:
    unit: str
    jurisdiction: str
    created_at: datetime


def unused_feed_tokens(session: Session) -> list[UnusedToken]:
    """Subscription tokens handed out (and not revoked) that no calendar has ever fetched with:
    a unit that was sent its address and never subscribed."""
    query = (select(Unit.name, Jurisdiction.name, FeedToken.created_at)
             .join(Unit, Unit.id == FeedToken.unit_id).join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id)
             .where(FeedToken.last_used_at.is_(None), FeedToken.revoked_at.is_(None))
             .order_by(FeedToken.created_at, Unit.name))
    return [UnusedToken(unit, jurisdiction, created) for unit, jurisdiction, created in session.execute(query)]


def postgres_size(session: Session) -> int:
    """Bytes taken by tracker's tables (with their indexes and TOAST) in the current schema."""
    return int(session.scalar(text(
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname = current_schema()")))


@dataclass(frozen=True)
class BrokenHistory:
    """An assignment whose history chain breaks: at row `row_id`, or (None) at its end."""

    plan: str
    task: str
    unit: str
    row_id: int | None


def broken_histories(session: Session) -> tuple[int, list[BrokenHistory]]:
    """Every status-history chain recomputed (store/history.py): how many rows were checked, and
    the first broken row of each assignment whose history was changed behind the tracker's back."""
    columns = [StatusUpdate.id, StatusUpdate.chain_hash, *(getattr(StatusUpdate, c) for c in CHAINED)]
    rows = session.execute(select(*columns).order_by(StatusUpdate.assignment_id, StatusUpdate.id)
                           .execution_options(yield_per=10_000)).mappings()
    anchors = dict(session.execute(select(Assignment.id, Assignment.history_hash)
                                   .where(Assignment.history_hash.is_not(None))).all())
    checked, broken = verify(rows, anchors)
    return checked, _named(session, broken)


def _named(session: Session, broken: list[BrokenChain]) -> list[BrokenHistory]:
    if not broken:
        return []
    names = {a: (p, t, u) for a, p, t, u in session.execute(
        select(Assignment.id, Plan.key, Task.key, Unit.name).join(Task, Task.id == Assignment.task_id)
        .join(Plan, Plan.id == Task.plan_id).join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.id.in_([b.assignment_id for b in broken])))}
    return [BrokenHistory(*names[b.assignment_id], b.row_id) for b in broken]


@dataclass(frozen=True)
class BrokenSupervision:
    """Like BrokenHistory, for the supervision history (督办): its requests' chain, or its
    decisions' (`kind` "request" or "decision")."""

    kind: str
    plan: str
    task: str
    unit: str
    row_id: int | None


def broken_supervision(session: Session) -> tuple[int, list[BrokenSupervision]]:
    """Every chain of supervision requests and of decisions recomputed (store/history.py, migration
    0006): how many rows were checked, and the first broken row of each chain changed behind the
    tracker's back (a request's chain first, then the decisions', by assignment)."""
    requests = select(SupervisionRequest.id, SupervisionRequest.chain_hash,
                      *(getattr(SupervisionRequest, c) for c in REQUEST_CHAINED)
                      ).order_by(SupervisionRequest.assignment_id, SupervisionRequest.id)
    # a decision chains on its request's assignment: verify() groups by "assignment_id"
    decisions = (select(SupervisionDecision.id, SupervisionDecision.chain_hash, SupervisionRequest.assignment_id,
                        *(getattr(SupervisionDecision, c) for c in DECISION_CHAINED))
                 .join(SupervisionRequest, SupervisionRequest.id == SupervisionDecision.request_id)
                 .order_by(SupervisionRequest.assignment_id, SupervisionDecision.id))
    checked, out = 0, []
    for kind, query, anchor, columns in (("request", requests, Assignment.request_hash, REQUEST_CHAINED),
                                         ("decision", decisions, Assignment.decision_hash, DECISION_CHAINED)):
        anchors = dict(session.execute(select(Assignment.id, anchor).where(anchor.is_not(None))).all())
        rows = session.execute(query.execution_options(yield_per=10_000)).mappings()
        n, broken = verify(rows, anchors, columns)
        checked += n
        out += [BrokenSupervision(kind, b.plan, b.task, b.unit, b.row_id) for b in _named(session, broken)]
    return checked, out


def schema_differences(db, path, revision: str) -> list[Difference]:
    """How the database's schema (tables, indexes, triggers, views; on PostgreSQL also policies and
    functions) differs from the one the migrations define at `revision` (store/schema.py)."""
    from ..store import schema_check as schema

    if path is None:
        return schema.postgres_differences(db.engine, revision)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as connection:
        return schema.sqlite_differences(connection, revision)
