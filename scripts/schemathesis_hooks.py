"""Schemathesis hooks for scripts/schemathesis.sh: every generated case carries a bearer token.

A fresh user is registered once through POST /v1/auth/register; when the
cached access token is due (or a call answers 401), the provider trades the
refresh token for a new pair, and registers again only if that fails.
"""

import json
import os
import secrets
import urllib.error
import urllib.request

import schemathesis

BASE_URL = os.environ["SCHEMATHESIS_BASE_URL"].rstrip("/")


def _post(path: str, body: dict) -> dict:
    request = urllib.request.Request(
        BASE_URL + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


# Access tokens last 15 minutes by default; refresh well before that.
@schemathesis.auth(refresh_interval=300)
class FreshUserToken:
    def __init__(self) -> None:
        self.refresh_token: str | None = None

    def get(self, case, context):
        session = None
        if self.refresh_token is not None:
            try:
                session = _post("/v1/auth/refresh", {"refreshToken": self.refresh_token})
            except urllib.error.HTTPError:
                session = None
        if session is None:
            username = "fuzz_" + secrets.token_hex(6)
            session = _post("/v1/auth/register", {"username": username, "password": secrets.token_hex(16)})
        self.refresh_token = session["refreshToken"]
        return session["accessToken"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
