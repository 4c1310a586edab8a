"""Plain configuration defaults. No I/O at import; the factory layers the rest on top.

Order (later wins): these defaults, ``instance/config.py``, ``SMPTRACK_*`` environment
variables, then the mapping a test passes to ``create_app``.
"""

from __future__ import annotations

from smptrack.domain import vocabulary


class Defaults:
    # Filled in by the factory: a file in the instance folder unless set explicitly.
    SECRET_KEY: str | None = None
    # None means "SQLite in the instance folder", resolved once the instance path is known.
    DATABASE_URL: str | None = None
    # No pool_pre_ping: on PostgreSQL read_connection.install_checkout_ping pings every
    # checkout but a hot API read's (which runs again on a fresh connection if it must).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLITE_BUSY_TIMEOUT_MS = 5000

    # Cookies: HttpOnly always; Secure is an operator switch because the laptop default is HTTP.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION_DAYS = 30

    # A form's CSRF token expires after a working day; a stale form answers 400 with a reload link.
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # seconds

    # Strict-Transport-Security is sent when SESSION_COOKIE_SECURE is on (one year).
    HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600

    # Request bodies, refused with 413 before they are parsed (smptrack.security). A route that
    # takes a file upload is marked with ``smptrack.security.accepts_upload`` and gets the
    # UPLOAD_ limits below instead (still refused before any view runs).
    MAX_CONTENT_LENGTH = 1024 * 1024  # bytes
    MAX_FORM_MEMORY_SIZE = 512 * 1024  # bytes: an urlencoded body, or one multipart text field
    MAX_FORM_PARTS = 500  # the largest form, a session of 20 placements, has 208 fields
    # Requests not logged in (login, sign-up, reset, invitation, unsubscribe, API token) need
    # only a few short fields.
    ANONYMOUS_MAX_CONTENT_LENGTH = 64 * 1024  # bytes
    ANONYMOUS_MAX_FORM_MEMORY_SIZE = 64 * 1024  # bytes
    ANONYMOUS_MAX_FORM_PARTS = 50
    # Photo uploads: 5,000 parts is a 413, not work. The largest upload form is the emailed
    # check-in of a client with every zone treated: a rating and a photo per zone (a browser
    # sends every file input, empty or not), the whole-scalp photo, CSRF token, tick and note.
    UPLOAD_MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # bytes: PHOTO_MAX_BYTES and the form around it
    UPLOAD_MAX_FORM_PARTS = 2 * len(vocabulary.ZONES) + 4

    # Photos (smptrack.images): refused above these before Pillow decodes a pixel; stored
    # re-encoded as JPEG with a thumbnail, in UPLOAD_FOLDER (None: instance/uploads).
    PHOTO_MAX_BYTES = 15 * 1024 * 1024
    PHOTO_MAX_PIXELS = 40_000_000
    PHOTO_THUMB_PX = 480

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

    # Behind a reverse proxy: how many proxies set X-Forwarded-For / -Proto in front of the app.
    # 0 trusts no such header (a client could forge its address and dodge the throttle).
    TRUSTED_PROXIES = 0

    # Throttling (smptrack.services.throttle), counted in the database across every process.
    # Within one window, LIMIT attempts per key; the next is refused with 429 and locks the key
    # for LOCKOUT seconds, doubled per lockout in a row up to MAX_LOCKOUT. Logins count failures
    # only; sign-up and reset count every request. A limit of 0 turns that rule off.
    THROTTLE_WINDOW_SECONDS = 15 * 60
    THROTTLE_LOCKOUT_SECONDS = 60
    THROTTLE_MAX_LOCKOUT_SECONDS = 15 * 60
    THROTTLE_LOGIN_ACCOUNT_LIMIT = 5  # failed logins per account (the typed email)
    THROTTLE_LOGIN_ADDRESS_LIMIT = 20  # failed logins per client address
    THROTTLE_SIGNUP_ADDRESS_LIMIT = 10  # sign-ups per client address
    THROTTLE_RESET_ADDRESS_LIMIT = 10  # reset requests per client address
    THROTTLE_RESET_EMAIL_LIMIT = 3  # reset requests per target email

    # A login session not seen for this long is over (its cookies stop working).
    LOGIN_SESSION_IDLE_DAYS = 30

    # Read-audit lines are written in batches (smptrack/read_batch.py): when this many wait, or
    # the oldest has waited this long. A killed process loses at most that much; 1 writes each
    # request's lines at once.
    AUDIT_READ_BATCH = 200
    AUDIT_READ_FLUSH_SECONDS = 1.0
