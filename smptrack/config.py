"""Plain configuration defaults. No I/O at import; the factory layers the rest on top.

Order (later wins): these defaults, ``instance/config.py``, ``SMPTRACK_*`` environment
variables, then the mapping a test passes to ``create_app``.
"""

from __future__ import annotations


class Defaults:
    # Filled in by the factory: a file in the instance folder unless set explicitly.
    SECRET_KEY: str | None = None
    # None means "SQLite in the instance folder", resolved once the instance path is known.
    DATABASE_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 5000

    # Cookies: HttpOnly always; Secure is an operator switch because the laptop default is HTTP.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION_DAYS = 30

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session; a stale form is not a crime

    # Where links in emails point, e.g. https://smp.example.com. Empty: taken from the request.
    BASE_URL = ""
    MAIL_FROM = "smptrack <no-reply@localhost>"
    SMTP_HOST = ""  # empty: mail is written as .eml files into instance/mail/
    SMTP_PORT = 587
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    SMTP_STARTTLS = True
    SMTP_TIMEOUT_SECONDS = 10.0

    INVITE_MAX_AGE_HOURS = 72
    PASSWORD_RESET_MAX_AGE_HOURS = 2
    PASSWORD_MIN_LENGTH = 10
    API_TOKEN_MAX_AGE_DAYS = 365

    PAGE_SIZE = 25
    DEFAULT_TIME_ZONE = "Europe/London"
