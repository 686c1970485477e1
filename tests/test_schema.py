"""The migrations own the schema: they agree with the models, and SCHEMA_HEAD names the newest."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tracker.store.db import SCHEMA_HEAD, alembic_config, current_revision
from tracker.store.models import Base


def test_schema_head_is_the_newest_migration(db):
    script = ScriptDirectory.from_config(alembic_config(db.engine))
    assert script.get_current_head() == SCHEMA_HEAD
    assert current_revision(db.engine) == SCHEMA_HEAD


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
