"""Users of the CRM and who the current one is."""

from __future__ import annotations

from dataclasses import dataclass

from tuicrm.model import User
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


def user_zone(user_id: int | None, fallback: str | None = None):
    """The user's zone: ``User.timezone``, else the settings' zone, else the machine's.

    Here rather than in services.plan so that the app's header (shown at start) does not import
    the plan services."""
    from tuicrm.formatting import zone

    name = None
    if user_id is not None:
        name = User.select(User.timezone).where(User.id == user_id).scalar()
    return zone(name or fallback or None)


def os_login() -> str:
    try:
        import getpass  # here: a start with --user/TUICRM_USER (a phone system's lookup) skips it

        return getpass.getuser() or "user"
    except (KeyError, OSError):
        return "user"


def actor_for(user: User | UserInfo) -> Actor:
    return Actor(user_id=user.id, role=user.role, login=user.login, name=user.name)


def create_user(login: str, name: str | None = None, role: str = "manager", timezone: str | None = None) -> UserInfo:
    from tuicrm.model.enums import Role  # here: read paths (tuicrm lookup) skip the enums module

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
        from tuicrm.model.enums import Role

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


# --- handing every client of a manager to another ---------------------------------------------


def handover_all(actor: Actor, from_user: int, to_user: int, *, dry_run: bool = False):
    """Every person and company owned by ``from_user``, with all of that user's open activities
    and open deals, goes to ``to_user`` in one transaction (a head's or admin's action).
    Returns contacts.HandoverResult with the counts. ``dry_run`` only counts."""
    from tuicrm.db.connection import write_tx
    from tuicrm.i18n import _
    from tuicrm.model import Activity, Company, Deal, Person, Stage, utcnow
    from tuicrm.services.base import Forbidden, audit
    from tuicrm.services.contacts import HandoverResult

    if not actor.sees_all:
        raise Forbidden(_("only a head or an admin may hand over all clients of a manager"))
    if from_user == to_user:
        raise ValidationError(_("choose two different managers"), "user")
    src = User.get_or_none(User.id == from_user)
    dst = User.get_or_none(User.id == to_user)
    if src is None or dst is None:
        raise NotFound(_("user #{id} not found").format(id=from_user if src is None else to_user))
    if not dst.is_active:
        raise ValidationError(_("{name} is deactivated").format(name=dst.name), "user")
    open_stages = Stage.select(Stage.id).where(Stage.kind == "open")
    p_cond = Person.owner == from_user
    c_cond = Company.owner == from_user
    a_cond = (Activity.assignee == from_user) & Activity.done_at.is_null() & Activity.archived_at.is_null()
    d_cond = (Deal.owner == from_user) & Deal.stage.in_(open_stages) & Deal.archived_at.is_null() & Deal.closed_at.is_null()
    if dry_run:
        return HandoverResult(Person.select().where(p_cond).count(), Company.select().where(c_cond).count(),
                              Activity.select().where(a_cond).count(), Deal.select().where(d_cond).count())
    now = utcnow()
    with write_tx():
        persons = Person.update(owner=to_user, updated_at=now, row_version=Person.row_version + 1).where(p_cond).execute()
        companies = Company.update(owner=to_user, updated_at=now, row_version=Company.row_version + 1).where(c_cond).execute()
        acts = Activity.update(assignee=to_user, updated_at=now, row_version=Activity.row_version + 1).where(a_cond).execute()
        deals = Deal.update(owner=to_user, updated_at=now, row_version=Deal.row_version + 1).where(d_cond).execute()
        audit(actor, "user", from_user, "handover_all",
              {"to": [from_user, to_user], "persons": persons, "companies": companies, "activities": acts, "deals": deals})
    return HandoverResult(persons, companies, acts, deals)
