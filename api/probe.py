"""`python -m api.probe http://localhost:8000`: every write of the service's OpenAPI answers 401
without credentials (except the logins). Exits 1 and lists the ones that do not."""

from __future__ import annotations

import asyncio
import sys

import httpx

LOGINS = frozenset({"/auth/login", "/auth/code", "/auth/code/login"})
WRITES = ("post", "put", "delete", "patch")


async def unguarded(http: httpx.AsyncClient) -> list[str]:
    """The writes that do not answer 401 to a request without credentials."""
    spec = (await http.get("/openapi.json")).json()
    found = []
    for path, methods in spec["paths"].items():
        if path in LOGINS:
            continue
        concrete = path.replace("{case_id}", "case-431199-2026-000001").replace("{", "").replace("}", "")
        for method in methods:
            if method not in WRITES:
                continue
            answer = await http.request(method.upper(), concrete)
            if answer.status_code != 401:
                found.append(f"{method.upper()} {path} → {answer.status_code}")
    return found


async def main(url: str) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        bad = await unguarded(http)
    for line in bad:
        print(line)
    print(f"{len(bad)} write(s) answer without credentials" if bad else "every write asks for credentials")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000")))
