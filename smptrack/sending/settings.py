"""The settings of sending (``SMPTRACK_*`` environment variables or instance/config.py), with
their defaults in ``DEFAULTS``, and absolute links built without a request."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from smptrack.services import heartbeats

DEFAULTS: dict[str, Any] = {
    # How often each scheduler process looks for due reminders, and reaps expired leases. A
    # long sweep also writes its heartbeat this often, so /healthz sees it working.
    "REMINDER_SWEEP_SECONDS": 30,
    # One sweep stops claiming after this long; the next sweep takes up the rest.
    "REMINDER_SWEEP_MAX_SECONDS": 240,
    "REMINDER_REAP_SECONDS": 60,
    # How often the replan job wakes up; it replans every client at most once a day.
    "REMINDER_REPLAN_CHECK_SECONDS": 3600,
    "REMINDER_REPLAN_EVERY_HOURS": 23,
    # A claimed reminder's lease: longer than the slowest SMTP exchange (SMTP_TIMEOUT_SECONDS
    # per step), so that a live sender never loses its lease to the reaper.
    "REMINDER_LEASE_SECONDS": 300,
    # Delays before attempts 2, 3, ... after temporary failures; the last entry is the cap. A
    # reminder fails for good after len(table) + 1 attempts (about two days by default).
    "REMINDER_BACKOFF_SECONDS": [60, 300, 900, 3600, 10800, 21600, 43200, 86400],
    # Per sender process; 0 for no cap.
    "REMINDER_SENDS_PER_MINUTE": 120,
    # APScheduler: how late a sweep may start and still run (a later one is skipped).
    "REMINDER_MISFIRE_GRACE_SECONDS": 30,
    # Send only inside the client's waking hours (a reminder retried late waits till morning).
    "REMINDER_RESPECT_WAKING_HOURS": True,
    # /healthz calls the scheduler quiet when its send sweep has not run for this long.
    "HEALTHZ_SCHEDULER_QUIET_SECONDS": heartbeats.DEFAULT_QUIET_SECONDS,
    # How often a scheduler process looks for account mail: someone is waiting for a reset link.
    "ACCOUNT_MAIL_SWEEP_SECONDS": 5,
}

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def setting(config: Any, name: str) -> Any:
    value = config.get(name)
    return DEFAULTS[name] if value is None or value == "" else value


def sender_name() -> str:
    """Who holds a lease: host, process and a random tail (a restarted pid is a new sender)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{os.urandom(3).hex()}"


@dataclass(frozen=True)
class SenderSettings:
    """The delivery rules both outboxes follow: lease, backoff table, per-minute cap, sender."""

    lease: timedelta
    backoff: tuple[float, ...]
    per_minute: int
    base_url: str
    mail_from: str
    respect_waking_hours: bool
    sweep_every: float = 30.0  # seconds: the heartbeat's interval within a long sweep
    sweep_max: float = 240.0  # seconds: one sweep's bound

    @classmethod
    def from_config(cls, config: Any) -> SenderSettings:
        backoff = setting(config, "REMINDER_BACKOFF_SECONDS")
        if isinstance(backoff, (int, float)):
            backoff = [backoff]
        table = tuple(float(x) for x in backoff if float(x) >= 0) or (60.0,)
        return cls(
            lease=timedelta(seconds=float(setting(config, "REMINDER_LEASE_SECONDS"))),
            backoff=table,
            per_minute=int(setting(config, "REMINDER_SENDS_PER_MINUTE")),
            base_url=base_url(config),
            mail_from=config.get("MAIL_FROM") or "smptrack <no-reply@localhost>",
            respect_waking_hours=_flag(setting(config, "REMINDER_RESPECT_WAKING_HOURS")),
            sweep_every=float(setting(config, "REMINDER_SWEEP_SECONDS")),
            sweep_max=float(setting(config, "REMINDER_SWEEP_MAX_SECONDS")),
        )

    @property
    def max_attempts(self) -> int:
        return len(self.backoff) + 1

    def retry_delay(self, attempts: int) -> timedelta | None:
        """The wait after failed attempt number ``attempts``; None when it was the last."""
        if attempts >= self.max_attempts:
            return None
        return timedelta(seconds=self.backoff[min(attempts, len(self.backoff)) - 1])


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def base_url(config: Any) -> str:
    """Where links in reminders point: BASE_URL, else SERVER_NAME, else the local default."""
    configured = (config.get("BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    if config.get("SERVER_NAME"):
        return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    return "http://127.0.0.1:5000"


def external_url(app: Flask, base: str, endpoint: str, **values: Any) -> str:
    """An absolute URL under ``base`` without a request (the worker has none)."""
    parts = urlsplit(base)
    adapter = app.url_map.bind(
        parts.netloc or "localhost",
        script_name=parts.path or "/",
        url_scheme=parts.scheme or "http",
    )
    return adapter.build(endpoint, values, force_external=True)
