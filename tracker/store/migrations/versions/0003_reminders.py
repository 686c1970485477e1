"""the reminder ladder: each plan's, each unit's leadership contact, and the rungs sent

`plan.reminders` keeps the plan's ladder (tracker/ladder.py) as JSON, the plan file's or the
registry's default (None: the built-in default); `unit.leader` and `unit.leader_email` are
the unit's leadership contact, told of escalated reminders; `reminder_sent` remembers each
rung sent for each assignment's deadline, so a second run the same day sends nothing. A
liaison reads it (`tracker access enable` grants SELECT on every table) and writes nothing:
mail runs with the administrator's or its own credentials.

Revision ID: 0003_reminders
Revises: 0002_history_chain_and_access
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_reminders'
down_revision = '0002_history_chain_and_access'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reminder_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('rung', sa.String(length=16), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=256), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('assignment_id', 'due_on', 'rung')
    )
    # plain ADD COLUMN on both engines: no table is rebuilt, so no trigger is lost
    op.add_column('plan', sa.Column('reminders', sa.Text(), nullable=True))
    op.add_column('unit', sa.Column('leader', sa.String(length=64), nullable=True))
    op.add_column('unit', sa.Column('leader_email', sa.String(length=256), nullable=True))


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35 and later): rebuilding unit would trip the foreign keys onto it
    op.drop_column('unit', 'leader_email')
    op.drop_column('unit', 'leader')
    op.drop_column('plan', 'reminders')
    op.drop_table('reminder_sent')
