"""Free notes on a person, a company or a deal: add, edit (optimistic locking), archive/restore."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from tuicrm.db.connection import write_tx
from tuicrm.i18n import _
from tuicrm.model import Company, Deal, Note, Person, User, utcnow
from tuicrm.model.enums import Entity
from tuicrm.services.base import Actor, Forbidden, NotFound, ValidationError, audit, versioned_update

MAX_TEXT = 20_000


@dataclass(frozen=True)
class NoteInfo:
    id: int
    text: str
    person_id: int | None
    company_id: int | None
    deal_id: int | None
    author: str | None
    author_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    archived: bool
    row_version: int


def _clean_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("a note cannot be empty"), "text")
    if len(text) > MAX_TEXT:
        raise ValidationError(_("a note is limited to {n} characters").format(n=MAX_TEXT), "text")
    return text


def add_note(actor: Actor, text: str, *, person_id: int | None = None, company_id: int | None = None,
             deal_id: int | None = None) -> int:
    """A note on a client or a deal. A person's note also shows on their company (company_id filled)."""
    text = _clean_text(text)
    if not (person_id or company_id or deal_id):
        raise ValidationError(_("a note belongs to a person, a company or a deal"), "client")
    if person_id:
        row = Person.select(Person.id, Person.company).where(Person.id == person_id).tuples().first()
        if row is None:
            raise NotFound(_("person #{id} not found").format(id=person_id))
        if company_id is None:
            company_id = row[1]
    if company_id and not Company.select().where(Company.id == company_id).exists():
        raise NotFound(_("company #{id} not found").format(id=company_id))
    if deal_id and not Deal.select().where(Deal.id == deal_id).exists():
        raise NotFound(_("deal #{id} not found").format(id=deal_id))
    with write_tx():
        note = Note.create(text=text, person=person_id, company=company_id, deal=deal_id, author=actor.user_id)
        audit(actor, Entity.NOTE, note.id, "create", {"text": [None, text[:200]]})
    return note.id


def get_note(note_id: int) -> NoteInfo:
    row = (
        Note.select(Note, User.name.alias("author_name"))
        .join(User, peewee.JOIN.LEFT_OUTER, on=(Note.author == User.id))
        .where(Note.id == note_id)
        .objects()
        .first()
    )
    if row is None:
        raise NotFound(_("note #{id} not found").format(id=note_id))
    return _info(row)


def _info(n) -> NoteInfo:
    return NoteInfo(n.id, n.text, n.person_id, n.company_id, n.deal_id, getattr(n, "author_name", None), n.author_id,
                    n.created_at, n.updated_at, n.archived_at is not None, n.row_version)


def _may_change(actor: Actor, note: Note) -> None:
    if actor.sees_all or note.author_id in (None, actor.user_id):
        return
    raise Forbidden(_("only the author or a head may change this note"))


def edit_note(actor: Actor, note_id: int, expected_version: int | None, text: str) -> int:
    text = _clean_text(text)
    note = Note.get_or_none(Note.id == note_id)
    if note is None:
        raise NotFound(_("note #{id} not found").format(id=note_id))
    _may_change(actor, note)
    with write_tx():
        version = versioned_update(Note, note_id, expected_version, {"text": text})
        audit(actor, Entity.NOTE, note_id, "update", {"text": [note.text[:200], text[:200]]})
    return version


def archive_note(actor: Actor, note_id: int, restore: bool = False) -> None:
    note = Note.get_or_none(Note.id == note_id)
    if note is None:
        raise NotFound(_("note #{id} not found").format(id=note_id))
    _may_change(actor, note)
    with write_tx():
        Note.update(archived_at=None if restore else utcnow(), updated_at=utcnow(),
                    row_version=Note.row_version + 1).where(Note.id == note_id).execute()
        audit(actor, Entity.NOTE, note_id, "restore" if restore else "archive")


def notes_of(*, person_id: int | None = None, company_id: int | None = None, deal_id: int | None = None,
             limit: int = 50, before_id: int | None = None, include_archived: bool = False) -> list[NoteInfo]:
    """Newest first, paged by id (``before_id``)."""
    if person_id:
        cond = Note.person == person_id
    elif company_id:
        cond = Note.company == company_id
    elif deal_id:
        cond = Note.deal == deal_id
    else:
        return []
    q = (
        Note.select(Note, User.name.alias("author_name"))
        .join(User, peewee.JOIN.LEFT_OUTER, on=(Note.author == User.id))
        .where(cond)
    )
    if not include_archived:
        q = q.where(Note.archived_at.is_null())
    if before_id:
        q = q.where(Note.id < before_id)
    return [_info(n) for n in q.order_by(Note.id.desc()).limit(limit).objects()]
