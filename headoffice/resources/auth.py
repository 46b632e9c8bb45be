"""Sign-in, sign-out and device revocation."""

from __future__ import annotations

from datetime import timedelta

import falcon

from app.errors import ValidationError
from headoffice import auth
from headoffice.http import read_object, send_json

LOGIN_BODY_BYTES = 16 * 1024
MAX_USERNAME = 150
MAX_PASSWORD = 1024


def _text(body: dict, name: str, max_chars: int, *, printable: bool = True) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > max_chars:
        raise ValidationError(
            f"{name} must be a non-empty string of at most {max_chars} characters.", field=name
        )
    if printable and not value.isprintable():
        raise ValidationError(f"{name} contains control characters.", field=name)
    return value


def device_id_of(body: dict) -> str:
    return _text(body, "device_id", 64)


class LoginResource:
    public = True

    def __init__(self, token_ttl: timedelta, throttle: auth.Throttle) -> None:
        self.token_ttl = token_ttl
        self.throttle = throttle

    def on_post(self, req, resp) -> None:
        body = read_object(req, LOGIN_BODY_BYTES)
        username = _text(body, "username", MAX_USERNAME)
        password = _text(body, "password", MAX_PASSWORD, printable=False)
        device_id = device_id_of(body)
        token, who = auth.login(
            username,
            password,
            device_id,
            remote_addr=req.remote_addr or "",
            ttl=self.token_ttl,
            throttle=self.throttle,
        )
        send_json(
            resp, {"token": token, "user": {"id": who.user_id, "role": who.role, "name": who.name}}
        )


class LogoutResource:
    def on_post(self, req, resp) -> None:
        auth.logout(req.context.session)
        resp.status = falcon.HTTP_204


class RevokeResource:
    def on_post(self, req, resp) -> None:
        body = read_object(req, LOGIN_BODY_BYTES)
        revoked = auth.revoke_device(req.context.session, device_id_of(body))
        send_json(resp, {"revoked": revoked})
