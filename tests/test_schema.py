"""The migrations own the schema: they agree with the models, and SCHEMA_HEAD names the newest."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tracker.store import schema
from tracker.store.db import SCHEMA_HEAD, alembic_config, current_revision
from tracker.store.models import Base


def test_schema_head_is_the_newest_migration(db):
    """The revisions read from the migration files (without Alembic) are Alembic's, in order."""
    script = ScriptDirectory.from_config(alembic_config(db.engine))
    assert script.get_current_head() == SCHEMA_HEAD == schema.head()
    assert list(schema.revisions()) == [s.revision for s in reversed(list(script.walk_revisions()))]
    assert current_revision(db.engine) == SCHEMA_HEAD


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
