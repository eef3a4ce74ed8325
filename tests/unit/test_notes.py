"""Notes: add, edit with optimistic locking, archive/restore, rights; on both engines."""

import pytest

from tuicrm.model import Note
from tuicrm.services import contacts, notes, users
from tuicrm.services.base import Conflict, Forbidden, ValidationError


def test_add_edit_archive(actor):
    company = contacts.create_company(actor, "Ромашка")
    person = contacts.create_person(actor, full_name="Иванов Пётр", company_id=company)
    nid = notes.add_note(actor, "  договорились о встрече  ", person_id=person)
    note = notes.get_note(nid)
    assert note.text == "договорились о встрече" and note.company_id == company and note.author_id == actor.user_id
    assert [n.id for n in notes.notes_of(company_id=company)] == [nid]
    v2 = notes.edit_note(actor, nid, note.row_version, "встреча в пятницу")
    assert v2 == note.row_version + 1 and notes.get_note(nid).text == "встреча в пятницу"
    with pytest.raises(Conflict):
        notes.edit_note(actor, nid, note.row_version, "старое")
    assert notes.get_note(nid).text == "встреча в пятницу"
    notes.archive_note(actor, nid)
    assert notes.notes_of(person_id=person) == []
    assert [n.id for n in notes.notes_of(person_id=person, include_archived=True)] == [nid]
    notes.archive_note(actor, nid, restore=True)
    assert len(notes.notes_of(person_id=person)) == 1


def test_bad_notes(actor):
    person = contacts.create_person(actor, full_name="Иванов")
    with pytest.raises(ValidationError):
        notes.add_note(actor, "   ", person_id=person)
    with pytest.raises(ValidationError):
        notes.add_note(actor, "ничей")
    with pytest.raises(ValidationError):
        notes.add_note(actor, "x" * (notes.MAX_TEXT + 1), person_id=person)
    assert Note.select().count() == 0


def test_only_author_or_head_edits(actor):
    person = contacts.create_person(actor, full_name="Иванов")
    anna = users.actor_for(users.create_user("anna", "Анна"))
    boris = users.actor_for(users.create_user("boris", "Борис"))
    nid = notes.add_note(anna, "моя заметка", person_id=person)
    with pytest.raises(Forbidden):
        notes.edit_note(boris, nid, None, "чужая правка")
    notes.edit_note(actor, nid, None, "правка руководителя")  # actor is the admin
    assert notes.get_note(nid).text == "правка руководителя"


def test_paging_newest_first(actor):
    person = contacts.create_person(actor, full_name="Иванов")
    ids = [notes.add_note(actor, f"n{i}", person_id=person) for i in range(5)]
    first = notes.notes_of(person_id=person, limit=2)
    assert [n.id for n in first] == ids[::-1][:2]
    more = notes.notes_of(person_id=person, limit=2, before_id=first[-1].id)
    assert [n.id for n in more] == ids[::-1][2:4]
