"""Shared service plumbing: errors users can read, search keys, optimistic locking, audit log.

Services take plain arguments and return frozen dataclasses; they never import Textual.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import peewee

from tuicrm.model import AuditLog, Editable, utcnow


class ServiceError(Exception):
    """A failure with a message fit to show to the user as it is."""


class NotFound(ServiceError):
    pass


class ValidationError(ServiceError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class Conflict(ServiceError):
    """The record was changed by someone else since it was read (optimistic locking)."""

    def __init__(self, message: str, current_version: int | None = None):
        super().__init__(message)
        self.current_version = current_version


class Forbidden(ServiceError):
    pass


@dataclass(frozen=True)
class Actor:
    """Who is acting: passed explicitly to every service call that writes or filters by visibility."""

    user_id: int | None
    role: str = "manager"
    login: str = ""
    name: str = ""

    @property
    def sees_all(self) -> bool:
        return self.role in ("admin", "head")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Actor(user_id=None, role="admin", login="system", name="system")

_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def search_key(text: str | None) -> str:
    """NFKC, casefolded, ё→е, single-spaced: what name searches compare."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", text).strip()[:300]


def tokens(text: str | None) -> list[str]:
    """Words of a text for the search index (deduplicated, order kept, each ≤ 64 chars)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(search_key(text)):
        seen.setdefault(word[:64], None)
    return list(seen)


def prefix_range(field: peewee.Field, prefix: str) -> peewee.Expression:
    """``field`` starts with ``prefix``, as an index range that works on SQLite and PostgreSQL."""
    return (field >= prefix) & (field < prefix + "\U0010ffff")


def to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def audit(actor: Actor, entity: str, entity_id: int, action: str, changes: dict | None = None) -> None:
    AuditLog.create(
        user=actor.user_id, entity=entity, entity_id=entity_id, action=action,
        changes=to_json(changes) if changes else None,
    )


def versioned_update(
    model: type[Editable], record_id: int, expected_version: int | None, changes: dict[str, object]
) -> int:
    """Apply ``changes`` if the row is still at ``expected_version``; return the new version.

    ``expected_version=None`` skips the check (system writes). Raises Conflict or NotFound.
    """
    changes = dict(changes)
    changes["updated_at"] = utcnow()
    query = model.update(**changes, row_version=model.row_version + 1).where(model.id == record_id)
    if expected_version is not None:
        query = query.where(model.row_version == expected_version)
    if query.execute() == 1:
        return model.select(model.row_version).where(model.id == record_id).scalar()
    current = model.select(model.row_version).where(model.id == record_id).scalar()
    if current is None:
        raise NotFound(f"{model.__name__.lower()} #{record_id} no longer exists")
    raise Conflict(
        f"{model.__name__.lower()} #{record_id} was changed by someone else meanwhile; "
        "reload it and apply your change again",
        current_version=current,
    )


def diff(record: peewee.Model, changes: dict[str, object]) -> dict[str, list]:
    out = {}
    for key, new in changes.items():
        old = getattr(record, f"{key}_id", None) if isinstance(getattr(type(record), key, None), peewee.ForeignKeyField) else getattr(record, key, None)
        if old != new:
            out[key] = [old, new]
    return out


def chunks(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
