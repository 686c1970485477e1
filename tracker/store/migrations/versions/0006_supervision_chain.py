"""supervision history that shows tampering: requests and decisions hash-chained

Like status_update (migration 0002), every supervision_request row gets a SHA-256 chained to
the previous request on the same assignment, and every supervision_decision row one chained to
the previous decision on that assignment's requests (tracker/store/history.py: REQUEST_CHAINED,
DECISION_CHAINED). Each assignment keeps the latest link of both (request_hash, decision_hash),
so a latest row deleted shows too; `tracker doctor` checks them all. Existing rows are chained
here, oldest first.

On PostgreSQL the insert trigger of migration 0005 (tracker_supervision_stamp) now also sets the
hash and the assignment's link, so a client cannot choose them; it locks the assignment's row
first, so two writers on one assignment chain one after the other. On SQLite the tracker writes
them (tracker/service/supervision.py). The columns are added in place (no table rebuild, which
on SQLite would drop the append-only triggers); the backfill lifts those triggers for its own
UPDATE and puts them back as 0005 made them.

Revision ID: 0006_supervision_chain
Revises: 0005_supervision_requests
Create Date: 2026-12-03
"""
from typing import Any

from alembic import op
import sqlalchemy as sa

from tracker.store.history import DECISION_CHAINED, REQUEST_CHAINED, chain_hash


revision = '0006_supervision_chain'
down_revision = '0005_supervision_requests'
branch_labels = None
depends_on = None

TABLES = ("supervision_request", "supervision_decision")
# as migration 0005 wrote them (doctor compares the schema's text with a fresh migration's)
APPEND_ONLY = "历史记录只能追加,不能修改或删除 (supervision history is append-only)"
SQLITE_NO_UPDATE = """CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{message}'); END"""


def _fields(columns: tuple[str, ...]) -> str:
    """The chain formula of tracker/store/history.py in SQL: each column length-prefixed, an
    instant as microseconds since 1970, a date as ISO (whatever the session's DateStyle)."""
    def one(column: str) -> str:
        if column == "recorded_at":
            return "tracker_chain_field(((extract(epoch from NEW.recorded_at) * 1000000)::bigint)::text)"
        if column in ("due_on", "previous_due_on"):
            return f"tracker_chain_field(to_char(NEW.{column}, 'YYYY-MM-DD'))"
        return f"tracker_chain_field(NEW.{column}::text)"
    return ", ".join(one(column) for column in columns)


def _hash(fields: str) -> str:
    return (f"encode(sha256(convert_to(coalesce(previous, '') || E'\\n' || concat_ws(',', {fields}), 'UTF8')), "
            "'hex')")


_STAMP = """CREATE OR REPLACE FUNCTION tracker_supervision_stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        DECLARE
            login record;
        @DECLARE@BEGIN
            SELECT l.id, l.name, l.unit_id INTO login FROM access_login al JOIN liaison l ON l.id = al.liaison_id
             WHERE al.role_name = session_user;
            IF FOUND THEN  -- a liaison's own login: who and when are the database's
                NEW.liaison_id := login.id;
                NEW.author := login.name;
                NEW.recorded_by_unit_id := login.unit_id;
                NEW.recorded_at := statement_timestamp();
            END IF;
@CHAIN@            RETURN NEW;
        END $$"""

_CHAIN = f"""            IF TG_TABLE_NAME = 'supervision_request' THEN
                target := NEW.assignment_id;
            ELSE
                SELECT assignment_id INTO target FROM supervision_request WHERE id = NEW.request_id;
            END IF;
            -- one writer at a time on an assignment's chains
            PERFORM 1 FROM assignment WHERE id = target FOR UPDATE;
            IF TG_TABLE_NAME = 'supervision_request' THEN
                SELECT chain_hash INTO previous FROM supervision_request
                 WHERE assignment_id = target ORDER BY id DESC LIMIT 1;
                NEW.chain_hash := {_hash(_fields(REQUEST_CHAINED))};
                UPDATE assignment SET request_hash = NEW.chain_hash WHERE id = target;
            ELSE
                SELECT d.chain_hash INTO previous FROM supervision_decision d
                  JOIN supervision_request r ON r.id = d.request_id
                 WHERE r.assignment_id = target ORDER BY d.id DESC LIMIT 1;
                NEW.chain_hash := {_hash(_fields(DECISION_CHAINED))};
                UPDATE assignment SET decision_hash = NEW.chain_hash WHERE id = target;
            END IF;
"""

POSTGRES_UP = _STAMP.replace("@DECLARE@", "    target integer;\n            previous text;\n        ").replace(
    "@CHAIN@", _CHAIN)
POSTGRES_DOWN = _STAMP.replace("@DECLARE@", "").replace("@CHAIN@", "")  # 0005's, as it was


def _chain_existing_rows(bind) -> None:
    # typed as the models type them, so dates and instants read back as doctor will read them
    types: dict[str, Any] = {"recorded_at": sa.DateTime(timezone=True), "due_on": sa.Date(), "previous_due_on": sa.Date()}
    requests = sa.table("supervision_request", sa.column("id"), sa.column("chain_hash"),
                        *(sa.column(c, types.get(c)) for c in REQUEST_CHAINED))
    decisions = sa.table("supervision_decision", sa.column("id"), sa.column("chain_hash"),
                         *(sa.column(c, types.get(c)) for c in DECISION_CHAINED))
    assignment = sa.table("assignment", sa.column("id"), sa.column("request_hash"), sa.column("decision_hash"))
    for table, columns, anchor, query in (
            (requests, REQUEST_CHAINED, "request_hash",
             sa.select(requests).order_by(requests.c.assignment_id, requests.c.id)),
            (decisions, DECISION_CHAINED, "decision_hash",
             sa.select(decisions, requests.c.assignment_id.label("chain_of"))
             .join(requests, requests.c.id == decisions.c.request_id)
             .order_by(requests.c.assignment_id, decisions.c.id))):
        hashes, latest, previous, current = [], {}, None, None
        for row in bind.execute(query).mappings():
            key = row["chain_of"] if "chain_of" in row else row["assignment_id"]
            if key != current:
                current, previous = key, None
            previous = latest[current] = chain_hash(previous, row, columns)
            hashes.append({"row_id": row["id"], "hash": previous})
        if hashes:
            bind.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                         .values(chain_hash=sa.bindparam("hash")), hashes)
            bind.execute(assignment.update().where(assignment.c.id == sa.bindparam("row_id"))
                         .values({anchor: sa.bindparam("hash")}),
                         [{"row_id": key, "hash": value} for key, value in latest.items()])


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    for table in TABLES:  # in place: SQLite adds a NOT NULL column with a default without a rebuild
        op.add_column(table, sa.Column('chain_hash', sa.String(length=64), server_default='', nullable=False))
    op.add_column('assignment', sa.Column('request_hash', sa.String(length=64), nullable=True))
    op.add_column('assignment', sa.Column('decision_hash', sa.String(length=64), nullable=True))
    # the backfill is an UPDATE of append-only rows: their triggers step aside for it alone
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_no_update" if sqlite
                   else f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
    _chain_existing_rows(bind)
    for table in TABLES:
        op.execute(SQLITE_NO_UPDATE.format(table=table, message=APPEND_ONLY) if sqlite
                   else f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    if not sqlite:
        schema = bind.execute(sa.text("SELECT quote_ident(current_schema())")).scalar()
        op.execute(POSTGRES_UP.replace("@SCHEMA@", schema))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        schema = bind.execute(sa.text("SELECT quote_ident(current_schema())")).scalar()
        op.execute(POSTGRES_DOWN.replace("@SCHEMA@", schema))
    # (SQLite drops a column in place when nothing refers to it)
    op.drop_column('assignment', 'decision_hash')
    op.drop_column('assignment', 'request_hash')
    for table in reversed(TABLES):
        op.drop_column(table, 'chain_hash')
