"""The login cookie belongs to the pages: the API neither reads nor writes it.

The API authenticates by bearer token only (a cookie must never authenticate it: it is exempt
from CSRF). Flask opened the signed session cookie on every request all the same, and a browser
or a script holding both sent it to the API too: decoding and verifying it was a twentieth of a
small API read's CPU, for nothing the API may use. So requests under the API's prefix get an
empty session that is never saved, and their answers set no cookie.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

API_PREFIX = "/api/"


class PagesOnlySessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SecureCookieSession, response: Response) -> None:
        from flask import request

        if request.path.startswith(API_PREFIX):
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = PagesOnlySessionInterface()
