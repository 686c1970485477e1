"""a history that shows tampering, and liaisons' own database roles

Every status-history row gets a hash chained to the previous row of the same assignment
(existing rows are chained here, oldest first), and each assignment keeps its latest link. History rows take INSERT only: triggers refuse
UPDATE and DELETE on both engines. On PostgreSQL an insert trigger sets the hash, and for a
liaison's own login (access_login) also who recorded the row and when, from session_user and
the server's clock; row-level security policies let a liaison write only its unit's (or, for a
coordinator, its plans') assignments. The policies take effect when `tracker access enable`
turns row-level security on, since the roles and grants it needs are the cluster's, not the
schema's.

NB for later migrations: SQLite's batch mode rebuilds a table, which drops its triggers; a
migration that rebuilds status_update must create the append-only triggers again (doctor's
schema check notices if it does not).

Revision ID: 0002_history_chain_and_access
Revises: 0001_initial
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

from tracker.store.history import CHAINED, chain_hash


revision = '0002_history_chain_and_access'
down_revision = '0001_initial'
branch_labels = None
depends_on = None

APPEND_ONLY = "历史记录只能追加,不能修改或删除 (status history is append-only)"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER status_update_no_update BEFORE UPDATE ON status_update
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER status_update_no_delete BEFORE DELETE ON status_update
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
]

# the chain formula of tracker/store/history.py, in SQL: each CHAINED column length-prefixed
_FIELDS = ", ".join(
    "tracker_chain_field(((extract(epoch from NEW.recorded_at) * 1000000)::bigint)::text)" if column == "recorded_at"
    else f"tracker_chain_field(NEW.{column}::text)" for column in CHAINED)

POSTGRES_UP = [
    """CREATE FUNCTION tracker_chain_field(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN value IS NULL THEN '-' ELSE length(value)::text || ':' || value END $$""",
    # a liaison's login → its liaison row; SECURITY DEFINER so a policy may ask it of any role
    """CREATE FUNCTION tracker_login_liaison() RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        SELECT liaison_id FROM access_login WHERE role_name = session_user AND revoked_at IS NULL $$""",
    # may the connected role write this assignment's status? Roles that are not a liaison's
    # login (the owner, the feed server) are held by their grants alone.
    """CREATE FUNCTION tracker_may_act(target integer) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        SELECT NOT EXISTS (SELECT 1 FROM access_login WHERE role_name = session_user)
            OR EXISTS (SELECT 1 FROM assignment a JOIN task t ON t.id = a.task_id JOIN plan p ON p.id = t.plan_id
                       JOIN liaison l ON l.id = tracker_login_liaison()
                       WHERE a.id = target AND l.unit_id IN (a.unit_id, p.coordinator_id)) $$""",
    f"""CREATE FUNCTION tracker_status_update_stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        DECLARE
            login record;
            previous text;
        BEGIN
            SELECT l.id, l.name, l.unit_id INTO login FROM access_login al JOIN liaison l ON l.id = al.liaison_id
             WHERE al.role_name = session_user;
            IF FOUND THEN  -- a liaison's own login: who and when are the database's, not the client's
                NEW.liaison_id := login.id;
                NEW.author := login.name;
                NEW.recorded_by_unit_id := login.unit_id;
                NEW.recorded_at := statement_timestamp();
            END IF;
            SELECT chain_hash INTO previous FROM status_update
             WHERE assignment_id = NEW.assignment_id ORDER BY id DESC LIMIT 1;
            NEW.chain_hash := encode(sha256(convert_to(
                coalesce(previous, '') || E'\\n' || concat_ws(',', {_FIELDS}), 'UTF8')), 'hex');
            -- the assignment remembers its latest link, so a deleted latest row shows too
            UPDATE assignment SET history_hash = NEW.chain_hash WHERE id = NEW.assignment_id;
            RETURN NEW;
        END $$""",
    """CREATE TRIGGER status_update_stamp BEFORE INSERT ON status_update
        FOR EACH ROW EXECUTE FUNCTION tracker_status_update_stamp()""",
    f"""CREATE FUNCTION tracker_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{APPEND_ONLY}: % on %', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END $$""",
    """CREATE TRIGGER status_update_append_only BEFORE UPDATE OR DELETE ON status_update
        FOR EACH ROW EXECUTE FUNCTION tracker_append_only()""",
    "CREATE POLICY status_update_read ON status_update FOR SELECT USING (true)",
    "CREATE POLICY status_update_add ON status_update FOR INSERT WITH CHECK (tracker_may_act(assignment_id))",
    "CREATE POLICY assignment_read ON assignment FOR SELECT USING (true)",
    "CREATE POLICY assignment_status ON assignment FOR UPDATE USING (tracker_may_act(id)) WITH CHECK (tracker_may_act(id))",
]

POSTGRES_DOWN = [
    "DROP POLICY assignment_status ON assignment",
    "DROP POLICY assignment_read ON assignment",
    "DROP POLICY status_update_add ON status_update",
    "DROP POLICY status_update_read ON status_update",
    "ALTER TABLE assignment DISABLE ROW LEVEL SECURITY",
    "ALTER TABLE status_update DISABLE ROW LEVEL SECURITY",
    "DROP TRIGGER status_update_append_only ON status_update",
    "DROP FUNCTION tracker_append_only()",
    "DROP TRIGGER status_update_stamp ON status_update",
    "DROP FUNCTION tracker_status_update_stamp()",
    "DROP FUNCTION tracker_may_act(integer)",
    "DROP FUNCTION tracker_login_liaison()",
    "DROP FUNCTION tracker_chain_field(text)",
]


def _chain_existing_rows(bind) -> None:
    # typed as the model types them, so an instant reads back as doctor will read it
    types = {"recorded_at": sa.DateTime(timezone=True)}
    history = sa.table("status_update", sa.column("id"), sa.column("chain_hash"),
                       *(sa.column(c, types.get(c)) for c in CHAINED))
    rows = bind.execute(sa.select(history).order_by(history.c.assignment_id, history.c.id)).mappings()
    hashes, latest, previous, current = [], {}, None, None
    for row in rows:
        if row["assignment_id"] != current:
            current, previous = row["assignment_id"], None
        previous = latest[current] = chain_hash(previous, row)
        hashes.append({"row_id": row["id"], "hash": previous})
    if hashes:
        bind.execute(history.update().where(history.c.id == sa.bindparam("row_id"))
                     .values(chain_hash=sa.bindparam("hash")), hashes)
        assignment = sa.table("assignment", sa.column("id"), sa.column("history_hash"))
        bind.execute(assignment.update().where(assignment.c.id == sa.bindparam("row_id"))
                     .values(history_hash=sa.bindparam("hash")),
                     [{"row_id": key, "hash": value} for key, value in latest.items()])


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table('access_login',
    sa.Column('role_name', sa.String(length=63), nullable=False),
    sa.Column('liaison_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['liaison_id'], ['liaison.id'], ),
    sa.PrimaryKeyConstraint('role_name')
    )
    with op.batch_alter_table('access_login', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_login_liaison_id'), ['liaison_id'], unique=False)

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('history_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))
    _chain_existing_rows(bind)
    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.alter_column('chain_hash', existing_type=sa.String(length=64), nullable=False)

    if bind.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        return
    # SECURITY DEFINER functions look names up in the tracker's schema alone (then pg_temp, last,
    # so no temporary table can stand in for one of ours)
    schema = bind.execute(sa.text("SELECT quote_ident(current_schema())")).scalar()
    for statement in POSTGRES_UP:
        op.execute(statement.replace("@SCHEMA@", schema))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER status_update_no_delete")
        op.execute("DROP TRIGGER status_update_no_update")
    else:
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.drop_column('chain_hash')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_column('history_hash')
    with op.batch_alter_table('access_login', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_login_liaison_id'))
    op.drop_table('access_login')
