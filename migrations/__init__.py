"""Alembic revisions of the engine's PostgreSQL schema (`versions/`), applied by `db.migrate`."""
