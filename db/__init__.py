"""PostgreSQL: the schema (managed by alembic), connections, and the registry seed."""
