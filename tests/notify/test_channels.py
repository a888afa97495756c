"""Channels from the configuration: which apply to whom, and configuration that cannot work."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from notify.aliyun import AliyunSms
from notify.channels import dispatcher, metrics_port
from notify.dispatcher import Routing
from notify.email import SmtpSender
from settings import ConfigError, Settings


def test_the_most_specific_route_wins() -> None:
    routing = Routing({"party.confirmation": ["sms"], "party": ["log"], "*.handoff": ["email"], "*": ["log"]})
    assert routing.channels("party", "confirmation") == ["sms"]
    assert routing.channels("party", "handoff") == ["log"]
    assert routing.channels("committee", "handoff") == ["email"]
    assert routing.channels("court", "return_to_court") == ["log"]


def test_configured_channels_are_built_and_unusable_ones_refused(engine: AsyncEngine) -> None:
    settings = Settings(
        notify_channels={"committee": ["sms", "email"], "*": ["log"]},
        smtp_host="mail.example",
        aliyun_access_key_id="id",
        aliyun_access_key_secret="secret",  # type: ignore[arg-type]
    )
    built = dispatcher(settings, engine)
    assert isinstance(built._senders["sms"], AliyunSms) and isinstance(built._senders["email"], SmtpSender)
    with pytest.raises(ConfigError, match="NOTIFY_CHANNELS uses email but SMTP_HOST is not set"):
        dispatcher(Settings(notify_channels={"*": ["email"]}), engine)
    with pytest.raises(ConfigError, match="uses sms but ALIYUN_ACCESS_KEY_ID"):
        dispatcher(Settings(notify_channels={"*": ["sms"]}), engine)
    with pytest.raises(ConfigError, match="unknown notification channel 'fax'"):
        dispatcher(Settings(notify_channels={"*": ["fax"]}), engine)


def test_delivery_metrics_sit_beside_the_sdk_metrics_unless_told() -> None:
    assert metrics_port(Settings(metrics_port=9464)) == 9465
    assert metrics_port(Settings(metrics_port=0)) == 0
    assert metrics_port(Settings(metrics_port=9464, notify_metrics_port=9999)) == 9999
