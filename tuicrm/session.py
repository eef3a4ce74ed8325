"""Opening a working session on a base: connect, create or upgrade the schema, seed defaults,
resolve the current user. Shared by the CLI, the app and the tests (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import peewee

from tuicrm import i18n
from tuicrm.config import Settings
from tuicrm.db.connection import DatabaseUnavailable, describe, open_database, resolve_url, sqlite_path
from tuicrm.db.schema import UpgradeResult, ensure_schema
from tuicrm.services import deals, users
from tuicrm.services.base import Actor


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
                 must_exist: bool = False, backup_dir: Path | None = None) -> Session:
    """Connect and make the base ready. Raises DatabaseUnavailable with a one-line message."""
    settings = settings or Settings()
    url = resolve_url(url or settings.db or None)
    path = sqlite_path(url)
    if must_exist and path is not None and not path.exists():
        raise DatabaseUnavailable(f"no base at {path}: run `tuicrm` once to create it, or pass --db / TUICRM_DB")
    db = open_database(url)
    try:
        result = ensure_schema(backup_dir=backup_dir)
        if _needs_seed():  # checked by reading first: opening a base takes no write lock
            lang = i18n.language() if settings.language == "auto" else settings.language
            deals.seed_defaults(lang if lang in ("en", "ru") else "en")
        info = users.ensure_user(user or settings.user or None)
    except peewee.OperationalError as exc:
        raise DatabaseUnavailable(f"cannot use {describe(url)}: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}") from exc
    return Session(url=url, db=db, actor=users.actor_for(info), settings=settings, upgrade=result)


def _needs_seed() -> bool:
    from tuicrm.model import LossReason, Pipeline

    return not (Pipeline.select().exists() and LossReason.select().exists())
