"""The migrations build db/schema.py: a database migrated to head has its tables and indexes (the
supervisors' partial indexes of migration 0010 with their conditions), and the digest's queries
write those conditions into their SQL, so that a generic plan may use the indexes too."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from activities.digest import open_cases_query, timed_out_query
from db.schema import metadata
from models.digest import DigestScope
from tests.databases import drop_database, fresh_database


async def test_a_database_migrated_to_head_is_the_schema(pg_url: str) -> None:
    url, engine = await fresh_database(pg_url, "schema")
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), metadata
                )
            )
            found = await conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes"
                    " WHERE indexname IN ('ix_cases_open', 'ix_stages_acceptance_timeout') ORDER BY 1"
                )
            )
            definitions = {name: definition for name, definition in found}
    finally:
        await engine.dispose()
        await drop_database(pg_url, url)
    assert diff == []
    assert definitions["ix_cases_open"].endswith(
        "ON public.cases USING btree (county, township) WHERE ((status)::text <> 'closed'::text)"
    )
    assert definitions["ix_stages_acceptance_timeout"].endswith(
        "ON public.stages USING btree (ended_at) WHERE ((cause)::text = 'acceptance_timeout'::text)"
    )


def test_the_digest_queries_name_the_indexes_conditions() -> None:
    scope = DigestScope(county="431199", township="431199001")
    since = datetime(2026, 9, 25, tzinfo=UTC)
    for query, condition in (
        (open_cases_query(scope), "cases.status != 'closed'"),
        (timed_out_query(scope, since), "stages.cause = 'acceptance_timeout'"),
    ):
        sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"render_postcompile": True}))
        assert condition in sql
