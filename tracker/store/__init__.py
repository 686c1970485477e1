"""Storage: models, engine and sessions, migrations, and loading plan files into the database."""
