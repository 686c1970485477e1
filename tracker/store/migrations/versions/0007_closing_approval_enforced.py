"""closing approval held by the database: a lead's 已完成 waits for the coordinator's 销号

Migration 0005 made closing approval (申请办结 → 销号 / 退回) a rule of the tracker alone: a
liaison's own login could still write `done` into its lead assignment's status (the column it
is granted for its latest status), or a `done` history row, and so close its own task without
the coordinating unit. On PostgreSQL two BEFORE triggers now refuse that, for a liaison's login
(access_login) that is not of the plan's coordinating unit, on a lead assignment of a plan that
asks for approval (plan.approval 'closing' with a coordinator), as the tracker's needs_approval
says:

- assignment: its status may not become `done` (the coordinator's approval writes that, from
  its own login); may become `pending_review` (待审核) only if, when the transaction commits, a
  closing request of the assignment waits for a decision (a deferred constraint trigger: the
  tracker records the 已完成 first, then files the request); and while it is `pending_review`,
  status and percent stay as they are (the coordinator approves or returns).
- status_update: a `done` row only while the assignment awaits review, and once for it (the
  已完成 that goes with the request); nothing else while it awaits review.

The administrator (the schema's owner) and other roles that are not a liaison's login stand on
their grants, as with the policies of 0002. The refusals are SQLSTATE 42501 with a constraint
name (tracker_closing_approval, _pending, _request), which the store turns into the tracker's own
refusal (tracker/store/db.py: CLOSING_REFUSALS). On SQLite there are no roles: the tracker's rule (service/supervision.py)
is the only one, as the file's owner is the only protection.

Revision ID: 0007_closing_approval_enforced
Revises: 0006_supervision_chain
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_closing_approval_enforced'
down_revision = '0006_supervision_chain'
branch_labels = None
depends_on = None

# the refusals' constraint names, which tracker/store/db.py reads off the error (CLOSING_REFUSALS)
NOT_CLOSED_NAME, PENDING_NAME, NO_REQUEST_NAME = "tracker_closing_approval", "tracker_closing_pending", "tracker_closing_request"
NOT_CLOSED = "牵头单位的已完成须经协调单位销号 (closing approval: only an approval by the coordinating unit closes this task)"
PENDING = "办结申请待审核，由协调单位销号或退回 (closing approval: the task awaits a decision by the coordinating unit)"
NO_REQUEST = "没有待审核的办结申请 (closing approval: no closing request of this task waits for a decision)"

POSTGRES_UP = [
    # does a lead's 已完成 on this assignment, written by the connected role, wait for approval?
    # False for roles that are not a liaison's login, and for the coordinating unit's own.
    """CREATE FUNCTION tracker_needs_approval(target integer) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        SELECT EXISTS (SELECT 1 FROM access_login WHERE role_name = session_user)
           AND EXISTS (SELECT 1 FROM assignment a JOIN task t ON t.id = a.task_id JOIN plan p ON p.id = t.plan_id
                       WHERE a.id = target AND a.role = 'lead' AND p.approval = 'closing'
                         AND p.coordinator_id IS NOT NULL
                         AND p.coordinator_id IS DISTINCT FROM
                             (SELECT unit_id FROM liaison WHERE id = tracker_login_liaison())) $$""",
    f"""CREATE FUNCTION tracker_closing_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        DECLARE
            target integer;
            standing text;
            latest text;
        BEGIN
            IF TG_TABLE_NAME = 'assignment' THEN
                target := NEW.id;
                IF (NEW.status, NEW.percent) IS NOT DISTINCT FROM (OLD.status, OLD.percent) THEN
                    RETURN NEW;  -- a link of a chain, a version: not a status
                END IF;
            ELSE
                target := NEW.assignment_id;
            END IF;
            -- a row the login may not write at all is row-level security's to refuse, in its words
            IF NOT tracker_needs_approval(target) OR NOT tracker_may_act(target) THEN
                RETURN NEW;
            END IF;
            IF TG_TABLE_NAME = 'assignment' THEN
                IF OLD.status = 'pending_review' THEN
                    RAISE EXCEPTION '{PENDING}' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = '{PENDING_NAME}';
                ELSIF NEW.status = 'done' THEN
                    RAISE EXCEPTION '{NOT_CLOSED}' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = '{NOT_CLOSED_NAME}';
                END IF;
                RETURN NEW;
            END IF;
            -- a history row: the one 已完成 of a waiting request, nothing else while it waits
            SELECT status INTO standing FROM assignment WHERE id = target;
            SELECT status INTO latest FROM status_update WHERE assignment_id = target ORDER BY id DESC LIMIT 1;
            IF standing = 'pending_review' AND (NEW.status <> 'done' OR latest = 'done') THEN
                RAISE EXCEPTION '{PENDING}' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = '{PENDING_NAME}';
            ELSIF standing IS DISTINCT FROM 'pending_review' AND NEW.status = 'done' THEN
                RAISE EXCEPTION '{NOT_CLOSED}' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = '{NOT_CLOSED_NAME}';
            END IF;
            RETURN NEW;
        END $$""",
    # 待审核 stands for a waiting closing request: the tracker records the 已完成 first and files the
    # request after it in the same transaction, so this is asked at commit
    f"""CREATE FUNCTION tracker_closing_request_check() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = @SCHEMA@, pg_temp AS $$
        BEGIN
            IF tracker_needs_approval(NEW.id)
               AND EXISTS (SELECT 1 FROM assignment WHERE id = NEW.id AND status = 'pending_review')
               AND NOT EXISTS (SELECT 1 FROM supervision_request r
                                WHERE r.assignment_id = NEW.id AND r.kind = 'closing'
                                  AND NOT EXISTS (SELECT 1 FROM supervision_decision d WHERE d.request_id = r.id)) THEN
                RAISE EXCEPTION '{NO_REQUEST}' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = '{NO_REQUEST_NAME}';
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE CONSTRAINT TRIGGER assignment_closing_request AFTER UPDATE ON assignment
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.status = 'pending_review' AND OLD.status IS DISTINCT FROM 'pending_review')
        EXECUTE FUNCTION tracker_closing_request_check()""",
    """CREATE TRIGGER assignment_closing_guard BEFORE UPDATE ON assignment
        FOR EACH ROW EXECUTE FUNCTION tracker_closing_guard()""",
    """CREATE TRIGGER status_update_closing_guard BEFORE INSERT ON status_update
        FOR EACH ROW EXECUTE FUNCTION tracker_closing_guard()""",
]

POSTGRES_DOWN = [
    "DROP TRIGGER status_update_closing_guard ON status_update",
    "DROP TRIGGER assignment_closing_guard ON assignment",
    "DROP TRIGGER assignment_closing_request ON assignment",
    "DROP FUNCTION tracker_closing_request_check()",
    "DROP FUNCTION tracker_closing_guard()",
    "DROP FUNCTION tracker_needs_approval(integer)",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return  # no roles: the tracker's own rule stands
    schema = bind.execute(sa.text("SELECT quote_ident(current_schema())")).scalar()
    for statement in POSTGRES_UP:
        op.execute(statement.replace("@SCHEMA@", schema))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for statement in POSTGRES_DOWN:
        op.execute(statement)
