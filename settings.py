"""Configuration from the environment (and `data/stack.env`, written by `make run`): what is set,
never a client built from it (clients.py builds those)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.retention import DEFAULT_RETENTION_DAYS

ROOT = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """Configuration that cannot work: one clear line for the person who set it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=(ROOT / "data" / "stack.env", ROOT / ".env"), extra="ignore", env_file_encoding="utf-8"
    )

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_api_key: SecretStr | None = None
    task_queue: str = "mediation"
    database_url: str | None = Field(default=None, description="unset: embedded PostgreSQL in data/")
    data_dir: Path = ROOT / "data"
    policy: str = "gaotai-4x7"
    max_concurrent_activities: int = Field(default=100, ge=1)
    max_concurrent_workflow_tasks: int = Field(default=100, ge=2)
    db_pool_size: int = Field(default=10, ge=1)
    workflow_sandbox: bool = Field(
        default=False,
        description="run workflows in the SDK sandbox (the test suite always does; README: Performance)",
    )
    log_level: str = "INFO"
    gc_thresholds: tuple[
        Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]
    ] = Field(
        default=(700, 10, 10),
        description="the worker's garbage-collector thresholds, JSON [young, middle, old]: Python's"
        " own by default (service/collector.py; BENCHMARKS.md, the garbage collector)",
    )
    gc_full_after_mb: float = Field(
        default=0.0, ge=0, description="the worker collects in full when it has grown this much; 0: never"
    )
    metrics_port: int = Field(default=9464, ge=0, le=65535, description="0 turns metrics off")
    metrics_host: str = Field(
        default="127.0.0.1", description="loopback unless told (0.0.0.0: every interface)"
    )
    outbox_poll_seconds: float = Field(default=2.0, gt=0)
    notify_sender: str = Field(default="log", description="the log channel: log, or module:Class of a Sender")
    notify_channels: dict[str, list[str]] = Field(
        default_factory=lambda: {"*": ["log"]},
        description='channels per recipient (and message) kind, JSON: {"committee": ["sms", "email"],'
        ' "party": ["sms"], "supervisor.digest": ["email"], "*": ["log"]}',
    )
    notify_sign_name: str = Field(default="人民调解", description="the SMS signature, also in mail subjects")
    notify_max_attempts: int = Field(default=8, ge=1)
    notify_backoff_seconds: float = Field(default=30.0, gt=0)
    notify_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    notify_claim_seconds: float = Field(default=300.0, gt=0, description="lease of a delivery being sent")
    notify_rate_limit: int = Field(default=20, ge=1, description="deliveries per recipient and channel…")
    notify_rate_window_seconds: float = Field(default=3600.0, gt=0, description="…in this many seconds")
    sms_quiet_hours: tuple[Annotated[int, Field(ge=0, le=23)], Annotated[int, Field(ge=0, le=23)]] = Field(
        default=(22, 8),
        description="SMS not sent from the first to the second hour, China time, unless urgent; equal: none",
    )
    notify_metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="delivery metrics; unset: METRICS_PORT + 1, 0: off"
    )
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "mediation@localhost"
    smtp_from_name: str = ""
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = Field(default=False, description="implicit TLS (port 465)")
    aliyun_sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: SecretStr | None = None
    aliyun_sms_templates: dict[str, str] = Field(
        default_factory=dict, description='template codes: {"handoff": "SMS_…", "handoff:en": "SMS_…", …}'
    )
    encryption: Literal["on", "off"] = Field(default="on", description="off: development only, in clear")
    encryption_keys: SecretStr | None = Field(default=None, description="id:base64key,…; the first encrypts")
    encryption_key_file: Path | None = Field(default=None, description="the same, one a line, or JSON")
    party_data_retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS, ge=1, description="days party data is kept after a case closes"
    )
    temporal_retention_days: int = Field(
        default=30, ge=1, le=3650, description="how long Temporal keeps a closed case's history (make run)"
    )
    codec_server_port: int = Field(default=8081, ge=1, le=65535)
    codec_auth_secret: SecretStr | None = Field(
        default=None, description="HS256 secret the codec server checks bearer tokens with (crypto/tokens.py)"
    )
    codec_audience: str = "temporal-codec"
    codec_cors_origin: str = "http://localhost:8233"
    # the front door (api/): sessions, logins, OpenID Connect
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_url: str | None = Field(default=None, description="where the CLI finds the service")
    session_secret: SecretStr | None = Field(default=None, description="signs sessions; unset: one per start")
    session_hours: float = Field(default=12.0, gt=0)
    login_code_minutes: float = Field(default=5.0, gt=0)
    login_code_in_log: bool = Field(default=False, description="development: log one-time codes too")
    login_max_failures: int = Field(default=5, ge=1, description="failures that lock an account")
    lockout_minutes: float = Field(default=15.0, gt=0)
    login_rate_per_minute: int = Field(default=20, ge=1, description="login attempts per client address")
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_person_claim: str = Field(default="person_id", description="the claim naming a registry person")
