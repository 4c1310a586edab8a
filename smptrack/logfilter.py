"""Keep secret tokens out of access logs.

Password-reset and invitation links carry a signed token in their path. The views move it into
the session and redirect to a token-less URL on the first hit, so only that first request line
could hold a live token; this filter blanks it there too. It is installed by the app factory on
the loggers of Werkzeug's development server (``werkzeug``, used by ``smptrack serve``) and of
gunicorn's access log (``gunicorn.access``), which both name the request path in their line.
"""

from __future__ import annotations

import logging
import re

# /auth/reset/<token>, /auth/invite/<token>, /practice/join/<token> (a member invitation),
# /follow-up/<token> (a check-in email's rating page) and /consent/sign/<token> (a consent
# signing link), but not the token-less pages they lead to.
TOKEN_PATH = re.compile(
    r"(/auth/(?:reset|invite)/|/practice/join/|/follow-up/|/consent/sign/)"
    r"(?!new\b|accept\b)[^\s/?\"']+"
)
# A secret calendar feed: /calendar/<key>.ics (the key is the feed's only protection).
FEED_PATH = re.compile(r"(/calendar/)[A-Za-z0-9_-]{20,}(?=\.ics)")
REDACTED = r"\1[redacted]"
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


def redact(text: str) -> str:
    return FEED_PATH.sub(REDACTED, TOKEN_PATH.sub(REDACTED, text))


class RedactTokens(logging.Filter):
    """Rewrites a record whose message names a token path; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(logger_names: tuple[str, ...] = ACCESS_LOGGERS) -> None:
    """Add the filter to each access logger once (create_app may run many times per process)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
