"""Users of the CRM and who the current one is."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from tuicrm.model import User
from tuicrm.model.enums import Role
from tuicrm.services.base import Actor, NotFound, ServiceError, ValidationError, search_key


@dataclass(frozen=True)
class UserInfo:
    id: int
    login: str
    name: str
    role: str
    timezone: str | None
    daily_call_target: int | None
    is_active: bool


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.login, u.name, u.role, u.timezone, u.daily_call_target, u.is_active)


def os_login() -> str:
    try:
        return getpass.getuser() or "user"
    except (KeyError, OSError):
        return "user"


def actor_for(user: User | UserInfo) -> Actor:
    return Actor(user_id=user.id, role=user.role, login=user.login, name=user.name)


def create_user(login: str, name: str | None = None, role: str = Role.MANAGER, timezone: str | None = None) -> UserInfo:
    login = login.strip()
    if not login:
        raise ValidationError("a login is required", "login")
    if role not in set(Role):
        raise ValidationError(f"role must be one of {', '.join(Role)}", "role")
    if User.select().where(User.login == login).exists():
        raise ValidationError(f"user {login!r} already exists", "login")
    return _info(User.create(login=login, name=(name or login).strip(), role=role, timezone=timezone))


def ensure_user(login: str | None = None) -> UserInfo:
    """The user for this session; created on first use (the very first user of a base is admin)."""
    login = (login or os_login()).strip()
    user = User.get_or_none(User.login == login)
    if user is None:
        role = Role.ADMIN if not User.select().exists() else Role.MANAGER
        user = User.create(login=login, name=login, role=role)
    if not user.is_active:
        raise ServiceError(f"user {login!r} is deactivated")
    return _info(user)


def list_users(active_only: bool = True) -> list[UserInfo]:
    q = User.select().order_by(User.name)
    if active_only:
        q = q.where(User.is_active == True)  # noqa: E712
    return [_info(u) for u in q]


def get_user(user_id: int) -> UserInfo:
    u = User.get_or_none(User.id == user_id)
    if u is None:
        raise NotFound(f"user #{user_id} not found")
    return _info(u)


def find_user(name_or_login: str) -> UserInfo | None:
    """By login (exact) or by name (case-insensitive; ё = е)."""
    text = name_or_login.strip()
    if not text:
        return None
    u = User.get_or_none(User.login == text)
    if u:
        return _info(u)
    key = search_key(text)
    for u in User.select():
        if search_key(u.name) == key or search_key(u.login) == key:
            return _info(u)
    return None
