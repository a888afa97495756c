"""Delivery metrics for Prometheus (served by the worker beside the SDK's own endpoint)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SENT = Counter("mediation_notifications_sent", "Deliveries the channel accepted", ["channel", "kind"])
FAILED = Counter(
    "mediation_notifications_failed",
    "Deliveries given up (failed) after their last attempt",
    ["channel", "kind"],
)
ATTEMPT_ERRORS = Counter(
    "mediation_notification_attempt_errors", "Attempts that failed and will be retried", ["channel"]
)
SEND_SECONDS = Histogram(
    "mediation_notification_send_seconds", "How long one send to the channel took", ["channel"]
)
LATENCY_SECONDS = Histogram(
    "mediation_notification_latency_seconds",
    "From the message entering the outbox to its delivery being accepted",
    ["channel"],
    buckets=(1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
)
