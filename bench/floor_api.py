"""The floor of an action over HTTP: FastAPI on uvicorn (the service's framework and server, run
the same way) with one route that only passes the body to the workflow update, through a client
configured like the service's (the production codec). No login, no who-may-act, no audit row:
what is left is the least an HTTP action on this framework costs, to set the service beside.

`python -m bench.floor_api` (API_PORT, TEMPORAL_ADDRESS and the codec keys from the environment).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import uvicorn
from fastapi import FastAPI, Header, Request

from clients import connect
from models.actions import RecordSession
from models.view import CaseView
from settings import Settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.client = await connect(Settings())
    yield


app = FastAPI(title="bench: the floor of an HTTP action", lifespan=lifespan)


@app.post("/cases/{case_id}/record_session")
async def record_session(
    case_id: str, body: RecordSession, request: Request, key: Annotated[str, Header(alias="Idempotency-Key")]
) -> CaseView:
    handle = request.app.state.client.get_workflow_handle(case_id)
    view: CaseView = await handle.execute_update("record_session", body, id=key, result_type=CaseView)
    return view


def main() -> int:
    uvicorn.run(app, host="127.0.0.1", port=Settings().api_port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
