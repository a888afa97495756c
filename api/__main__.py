"""`python -m api`: the service on uvicorn (port API_PORT)."""

from __future__ import annotations

import sys

import uvicorn

from api.app import create_app
from service.logs import configure_logging
from settings import ConfigError, Settings


def main() -> int:
    settings = Settings()
    configure_logging(settings.log_level)
    try:
        uvicorn.run(
            create_app(settings=settings), host="127.0.0.1", port=settings.api_port, log_level="warning"
        )
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
