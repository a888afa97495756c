"""The channels a worker delivers through, built from the settings (the one place they are)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from notify.aliyun import AliyunSms
from notify.dispatcher import DeliveryPolicy, Dispatcher, Routing
from notify.email import SmtpSender
from notify.senders import Sender, load_sender
from settings import ConfigError, Settings


def senders(settings: Settings, wanted: set[str]) -> dict[str, Sender]:
    built: dict[str, Sender] = {}
    for name in sorted(wanted):
        if name == "log":
            built[name] = load_sender(settings.notify_sender)
        elif name == "email":
            if not settings.smtp_host:
                raise ConfigError("NOTIFY_CHANNELS uses email but SMTP_HOST is not set")
            built[name] = SmtpSender(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_from,
                settings.smtp_from_name,
                settings.smtp_username,
                settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                start_tls=settings.smtp_starttls,
                use_tls=settings.smtp_tls,
            )
        elif name == "sms":
            if not (settings.aliyun_access_key_id and settings.aliyun_access_key_secret):
                raise ConfigError(
                    "NOTIFY_CHANNELS uses sms but ALIYUN_ACCESS_KEY_ID / ALIYUN_ACCESS_KEY_SECRET are not set"
                )
            built[name] = AliyunSms(
                settings.aliyun_access_key_id,
                settings.aliyun_access_key_secret.get_secret_value(),
                settings.notify_sign_name,
                settings.aliyun_sms_templates,
                endpoint=settings.aliyun_sms_endpoint,
            )
        else:
            raise ConfigError(f"unknown notification channel {name!r} in NOTIFY_CHANNELS (sms, email, log)")
    return built


def policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        max_attempts=settings.notify_max_attempts,
        backoff_s=settings.notify_backoff_seconds,
        backoff_cap_s=settings.notify_backoff_cap_seconds,
        claim_s=settings.notify_claim_seconds,
        rate_limit=settings.notify_rate_limit,
        rate_window_s=settings.notify_rate_window_seconds,
        quiet_from=settings.sms_quiet_hours[0],
        quiet_until=settings.sms_quiet_hours[1],
    )


def dispatcher(settings: Settings, engine: AsyncEngine) -> Dispatcher:
    routing = Routing(settings.notify_channels)
    return Dispatcher(
        engine, senders(settings, routing.names()), routing, policy(settings), settings.notify_sign_name
    )


def metrics_port(settings: Settings) -> int:
    if settings.notify_metrics_port is not None:
        return settings.notify_metrics_port
    return settings.metrics_port + 1 if settings.metrics_port else 0
