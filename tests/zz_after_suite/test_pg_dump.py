"""After the suite: a full `pg_dump` of every database on the test PostgreSQL server holds none of the
seeded parties' names, ID numbers or phones (names: outside the staff directory, whose
members are public staff data and may share a common name).

This folder is named to be collected last, so in `make test` the dump sees every case the suite ran
(on the time-skipping server, the dev servers, the real worker processes). Run alone, it runs a case
of its own first, so it never passes on an empty server.
"""

from __future__ import annotations

import asyncio
import re

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.worker import Worker

from models.enums import CaseStatus
from models.view import CaseView
from tests.conftest import count
from tests.crypto.helpers import leaks, opened
from tests.crypto.pg_dump import dump_server
from tests.factories import PARTIES, case_input
from workflows import WORKFLOW_TYPE

# The staff directory: committee members, people, agencies. Its names are public staff data, and
# the bench's generated county happens to have a member named like a seeded party (王秀英).
DIRECTORY = ("places", "committees", "committee_members", "people", "staff_roles", "agencies")
COPY_BLOCK = re.compile(rb"^COPY public\.(\w+) .*?^\\\.$", re.S | re.M)


def without_directory(dump: bytes) -> bytes:
    """The dump without the rows of the staff directory (every other table, and its schema, kept)."""
    return COPY_BLOCK.sub(lambda m: b"" if m[1].decode() in DIRECTORY else m[0], dump)


async def test_no_database_on_the_server_holds_party_data_in_clear(
    pg_url: str, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    case = case_input(909001)
    handle = await worker.client.start_workflow(
        WORKFLOW_TYPE, case, id=case.case_id, task_queue=task_queue, result_type=CaseView
    )
    view = await opened(handle)
    assert view.status is not CaseStatus.CLOSED
    for _ in range(200):
        if await count(engine, "select count(*) from case_parties where case_id = :c", c=case.case_id):
            break
        await asyncio.sleep(0.05)
    assert await count(engine, "select count(*) from case_parties where case_id = :c", c=case.case_id) == 2

    dumps = await dump_server(pg_url)
    assert any(b"CREATE TABLE public.case_parties" in blob for blob in dumps.values())
    found = {name: leaks(without_directory(blob)) for name, blob in dumps.items()}
    ids_and_phones = {v for p in PARTIES for v in (p.id_number, p.phone)}
    found_anywhere = {name: [v for v in leaks(blob) if v in ids_and_phones] for name, blob in dumps.items()}
    assert {name: values for name, values in found_anywhere.items() if values} == {}
    assert {name: values for name, values in found.items() if values} == {}
    assert sum(blob.count(b"sealed:") for blob in dumps.values()) > 0, "the dump must hold the sealed rows"
