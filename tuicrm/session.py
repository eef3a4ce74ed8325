"""Opening a working session on a base: connect, create or upgrade the schema, seed defaults,
resolve the current user. Shared by the CLI, the app and the tests (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from tuicrm import i18n, paths
from tuicrm.config import Settings
from tuicrm.db.connection import DatabaseUnavailable, describe, open_database, resolve_url, sqlite_file, sqlite_path
from tuicrm.db.schema import UpgradeResult, ensure_schema
from tuicrm.services import users
from tuicrm.services.base import Actor

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path  # an annotation: `tuicrm lookup` never imports pathlib


@dataclass
class Session:
    url: str
    db: peewee.Database
    actor: Actor
    settings: Settings
    upgrade: UpgradeResult

    @property
    def label(self) -> str:
        path = sqlite_path(self.url)
        return path.name if path else describe(self.url).split("@")[-1]


def open_session(url: str | None, settings: Settings | None = None, *, user: str | None = None,
                 must_exist: bool = False, backup_dir: Path | None = None, read_only: bool = False) -> Session:
    """Connect and make the base ready. Raises DatabaseUnavailable with a one-line message.

    ``read_only`` (``tuicrm lookup``, ``db info``): no user is created for an unknown login (it
    acts as a plain manager without cards of its own) and no defaults are seeded, so a script or
    a phone system never registers itself as a user, nor takes a write lock. An older schema is
    still upgraded.
    """
    settings = settings or Settings()
    url = resolve_url(url or settings.db or None)
    if must_exist and sqlite_file(url) is not None and not paths.exists(sqlite_file(url)):
        raise DatabaseUnavailable(i18n._("no base at {path}: run `tuicrm` once to create it, or pass --db / TUICRM_DB").format(path=sqlite_path(url).absolute()))
    db = open_database(url)
    try:
        result = ensure_schema(backup_dir=backup_dir)
        if not read_only and _needs_seed():  # checked by reading first: opening a base takes no write lock
            from tuicrm.services import deals  # here: `tuicrm lookup` (read-only) never needs it

            lang = i18n.language() if settings.language == "auto" else settings.language
            deals.seed_defaults(lang if lang in ("en", "ru") else "en")
        if read_only:
            actor = _existing_actor(user or settings.user or None)
        else:
            actor = users.actor_for(users.ensure_user(user or settings.user or None))
    except peewee.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(i18n._("cannot use {url}: {reason}").format(url=describe(url), reason=first)) from exc
    return Session(url=url, db=db, actor=actor, settings=settings, upgrade=result)


def _existing_actor(login: str | None) -> Actor:
    from tuicrm.model import User
    from tuicrm.services.base import ServiceError

    login = (login or users.os_login()).strip()
    found = User.get_or_none(User.login == login)
    if found is None:
        return Actor(user_id=None, role="manager", login=login, name=login)
    if not found.is_active:
        raise ServiceError(i18n._("user {login} is deactivated").format(login=repr(login)))
    return users.actor_for(found)


def _needs_seed() -> bool:
    from tuicrm.model import LossReason, Pipeline

    return not (Pipeline.select().exists() and LossReason.select().exists())
