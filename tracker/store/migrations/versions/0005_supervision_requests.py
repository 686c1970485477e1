"""supervision: closing and extension requests, and the coordinator's decisions

Two history tables, append-only on both engines like status_update: supervision_request (a unit
asks to close a task it leads, 申请办结, or for a later deadline, 延期申请) and
supervision_decision (the plan's coordinating unit approves, returns or rejects, with its
reason). A plan says whether its leads' 已完成 waits for approval (plan.approval); an approved
extension moves the assignment's deadline (assignment.extended_due_on), set by a trigger on
the decision so no liaison can move a deadline by writing the column.

On PostgreSQL an insert trigger stamps who and when from a liaison's own login (as on
status_update), and row-level security lets a liaison ask only for its own unit's assignments
and decide only the requests on plans its unit coordinates. `tracker access enable` grants
the INSERTs (run it again after this upgrade).

Revision ID: 0005_supervision_requests
Revises: 0004_reporting
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_supervision_requests'
down_revision = '0004_reporting'
branch_labels = None
depends_on = None

TABLES = ("supervision_request", "supervision_decision")
APPEND_ONLY = "历史记录只能追加,不能修改或删除 (supervision history is append-only)"

# an approved extension moves the assignment's deadline: the database does it, not the client
_EXTEND = ("UPDATE assignment SET extended_due_on = (SELECT due_on FROM supervision_request "
           "WHERE id = NEW.request_id AND kind = 'extension') "
           "WHERE id = (SELECT assignment_id FROM supervision_request WHERE id = NEW.request_id AND kind = 'extension')")

SQLITE_TRIGGERS = [
    statement for table in TABLES for statement in (
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")
] + [
    f"""CREATE TRIGGER supervision_decision_extend AFTER INSERT ON supervision_decision
        WHEN NEW.decision = 'approved' BEGIN {_EXTEND}; END""",
]

POSTGRES_UP = [
    # may the connected role ask for this assignment? Its own unit's only.
    """CREATE FUNCTION tracker_may_request(target integer) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        SELECT NOT EXISTS (SELECT 1 FROM access_login WHERE role_name = session_user)
            OR EXISTS (SELECT 1 FROM assignment a JOIN liaison l ON l.id = tracker_login_liaison()
                       WHERE a.id = target AND l.unit_id = a.unit_id) $$""",
    # may the connected role decide this request? The coordinating unit of its plan only.
    """CREATE FUNCTION tracker_may_decide(target integer) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        SELECT NOT EXISTS (SELECT 1 FROM access_login WHERE role_name = session_user)
            OR EXISTS (SELECT 1 FROM supervision_request r JOIN assignment a ON a.id = r.assignment_id
                       JOIN task t ON t.id = a.task_id JOIN plan p ON p.id = t.plan_id
                       JOIN liaison l ON l.id = tracker_login_liaison()
                       WHERE r.id = target AND l.unit_id = p.coordinator_id) $$""",
    """CREATE FUNCTION tracker_supervision_stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        DECLARE
            login record;
        BEGIN
            SELECT l.id, l.name, l.unit_id INTO login FROM access_login al JOIN liaison l ON l.id = al.liaison_id
             WHERE al.role_name = session_user;
            IF FOUND THEN  -- a liaison's own login: who and when are the database's
                NEW.liaison_id := login.id;
                NEW.author := login.name;
                NEW.recorded_by_unit_id := login.unit_id;
                NEW.recorded_at := statement_timestamp();
            END IF;
            RETURN NEW;
        END $$""",
    f"""CREATE FUNCTION tracker_decision_apply() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        BEGIN
            IF NEW.decision = 'approved' THEN
                {_EXTEND};
            END IF;
            RETURN NEW;
        END $$""",
    *(statement for table in TABLES for statement in (
        f"""CREATE TRIGGER {table}_stamp BEFORE INSERT ON {table}
            FOR EACH ROW EXECUTE FUNCTION tracker_supervision_stamp()""",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION tracker_append_only()""",
        f"CREATE POLICY {table}_read ON {table} FOR SELECT USING (true)",
    )),
    """CREATE TRIGGER supervision_decision_apply AFTER INSERT ON supervision_decision
        FOR EACH ROW EXECUTE FUNCTION tracker_decision_apply()""",
    "CREATE POLICY supervision_request_add ON supervision_request FOR INSERT "
    "WITH CHECK (tracker_may_request(assignment_id))",
    "CREATE POLICY supervision_decision_add ON supervision_decision FOR INSERT "
    "WITH CHECK (tracker_may_decide(request_id))",
]

POSTGRES_DOWN = [
    "DROP POLICY supervision_decision_add ON supervision_decision",
    "DROP POLICY supervision_request_add ON supervision_request",
    "DROP TRIGGER supervision_decision_apply ON supervision_decision",
    *(statement for table in TABLES for statement in (
        f"DROP POLICY {table}_read ON {table}",
        f"DROP TRIGGER {table}_append_only ON {table}",
        f"DROP TRIGGER {table}_stamp ON {table}",
    )),
    "DROP FUNCTION tracker_decision_apply()",
    "DROP FUNCTION tracker_supervision_stamp()",
    "DROP FUNCTION tracker_may_decide(integer)",
    "DROP FUNCTION tracker_may_request(integer)",
]


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval', sa.String(length=16), server_default='closing', nullable=False))
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extended_due_on', sa.Date(), nullable=True))
    op.create_table('supervision_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('previous_due_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('liaison_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_unit_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind in ('closing', 'extension')", name='request_kind'),
    sa.CheckConstraint("kind = 'closing' or due_on is not null", name='request_extension_date'),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], ),
    sa.ForeignKeyConstraint(['liaison_id'], ['liaison.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('supervision_request', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_request_assignment', ['assignment_id', 'id'], unique=False)
    op.create_table('supervision_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('liaison_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_unit_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision in ('approved', 'returned', 'rejected')", name='decision_kind'),
    sa.ForeignKeyConstraint(['liaison_id'], ['liaison.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_unit_id'], ['unit.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['supervision_request.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id')
    )
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        return
    schema = bind.execute(sa.text("SELECT quote_ident(current_schema())")).scalar()
    for statement in POSTGRES_UP:
        op.execute(statement.replace("@SCHEMA@", schema))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    op.drop_table('supervision_decision')  # its triggers go with it on SQLite
    with op.batch_alter_table('supervision_request', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_request_assignment')
    op.drop_table('supervision_request')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_column('extended_due_on')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('approval')
