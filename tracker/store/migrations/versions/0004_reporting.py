"""reporting windows (报送): each plan's reporting duties, and ledgers returned

`reporting_duty` holds a plan's standing duties to report (a rule whose dates close each
window), `reporting_unit` the units a duty names (none: every unit with unfinished tasks),
`ledger_return` each ledger a unit returned (`tracker ledger import-progress`), which counts as
a report in its window. A liaison reads all three (`tracker access enable` grants SELECT on
every table) and may add a ledger return for its own unit, or for any unit of the plans its
unit coordinates: the same rule as its status updates, held by a policy under row-level
security (`tracker access enable` grants the INSERT and turns it on).

Revision ID: 0004_reporting
Revises: 0003_reminders
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_reporting'
down_revision = '0003_reminders'
branch_labels = None
depends_on = None

POSTGRES_UP = [
    "CREATE POLICY ledger_return_read ON ledger_return FOR SELECT USING (true)",
    """CREATE POLICY ledger_return_add ON ledger_return FOR INSERT WITH CHECK (
        NOT EXISTS (SELECT 1 FROM access_login WHERE role_name = session_user)
        OR EXISTS (SELECT 1 FROM liaison l JOIN plan p ON p.id = ledger_return.plan_id
                   WHERE l.id = tracker_login_liaison()
                     AND l.unit_id IN (ledger_return.unit_id, p.coordinator_id)))""",
]

POSTGRES_DOWN = [
    "DROP POLICY ledger_return_add ON ledger_return",
    "DROP POLICY ledger_return_read ON ledger_return",
]


def upgrade() -> None:
    op.create_table('reporting_duty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=256), nullable=False),
    sa.Column('what', sa.String(length=256), nullable=True),
    sa.Column('phrase', sa.String(length=256), nullable=True),
    sa.Column('everyone', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'position')
    )
    op.create_table('reporting_unit',
    sa.Column('duty_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['duty_id'], ['reporting_duty.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('duty_id', 'unit_id')
    )
    op.create_table('ledger_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_ledger_return_plan', 'ledger_return', ['plan_id', 'returned_at'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    op.drop_index('ix_ledger_return_plan', table_name='ledger_return')
    op.drop_table('ledger_return')
    op.drop_table('reporting_unit')
    op.drop_table('reporting_duty')
