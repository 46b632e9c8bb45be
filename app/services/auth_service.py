"""Local sign-in against the users stored on this device."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import AuthError
from app.models import Technician, User
from app.models.enums import Role
from app.services.passwords import verify_password

BAD_CREDENTIALS = "Unknown user name or wrong password."


@dataclass(frozen=True)
class CurrentUser:
    """Who is signed in: what views and services need to know, nothing more."""

    id: str
    username: str
    display_name: str
    role: Role
    technician_id: str | None
    locale: str = "fr"

    @property
    def is_technician(self) -> bool:
        return self.role == Role.TECHNICIAN


def check_filled(username: str, password: str) -> None:
    if not username or not password:
        raise AuthError(
            "User name and password are required.",
            hint="Fill in both fields.",
            key="error.auth.missing",
        )


def current_user(user: User) -> CurrentUser:
    """The ``CurrentUser`` of a local ``users`` row."""
    tech = Technician.live().where(Technician.user == user).first()
    return CurrentUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        technician_id=tech.id if tech else None,
        locale=user.locale or "fr",
    )


def sign_in(username: str, password: str) -> CurrentUser:
    """Check local credentials. The same message for an unknown user and a bad password."""
    username = (username or "").strip()
    check_filled(username, password)
    user = User.live().where(User.username == username).first()
    if user is None or not user.active or not verify_password(password, user.password_hash):
        raise AuthError(BAD_CREDENTIALS)
    return current_user(user)
