"""Merging two cards keeps everything: counted before and after, on SQLite and PostgreSQL."""

import datetime as dt
import json

import pytest

from tuicrm.model import Activity, AuditLog, Company, CustomField, CustomValue, Deal, Email, Note, Person, Phone, SearchToken
from tuicrm.services import activities, contacts, deals, notes, search
from tuicrm.services.base import Conflict, ValidationError


def _field(entity, code, kind="text"):
    return CustomField.create(entity=entity, code=code, label=code.title(), kind=kind).id


@pytest.fixture
def two_people(actor):
    keep = contacts.create_person(actor, full_name="Иванов Пётр", phones=["8 916 123-45-67", "+7 495 111-22-33"],
                                  emails=["petr@romashka.ru"], tags=["VIP"])
    drop = contacts.create_person(actor, last_name="Иванов", first_name="Пётр", middle_name="Сергеевич",
                                  position="Бухгалтер", birthday=dt.date(1980, 5, 1),
                                  phones=["+7 (916) 123-45-67 доб. 12", "8 903 765 43 21", "12345"],
                                  emails=["PETR@romashka.ru", "petr.home@mail.ru"], tags=["vip", "опт"])
    Phone.update(is_valid=False).where(Phone.raw == "12345").execute()  # a flagged raw number (import style)
    for who in (keep, drop):
        activities.log_call(actor, outcome="reached", result=f"call {who}", person_id=who)
        activities.create_activity(actor, "task", f"task {who}", due_at=dt.datetime(2030, 1, 1, 9), person_id=who)
        notes.add_note(actor, f"note {who}", person_id=who)
        deals.create_deal(actor, f"deal {who}", person_id=who, amount_minor=100_00)
    f1, f2 = _field("person", "hobby"), _field("person", "city")
    CustomValue.create(field=f1, person=keep, value_text="chess")
    CustomValue.create(field=f1, person=drop, value_text="golf")
    CustomValue.create(field=f2, person=drop, value_text="Тула")
    return keep, drop


def test_merge_persons_keeps_everything(actor, two_people):
    keep, drop = two_people
    before_keep = contacts.card_counts("person", keep)
    before_drop = contacts.card_counts("person", drop)
    e164s = {p.e164 for p in Phone.select().where(Phone.person.in_([keep, drop])) if p.e164}

    result = contacts.merge(actor, "person", keep, drop)

    after = contacts.card_counts("person", keep)
    gone = contacts.card_counts("person", drop)
    assert gone == contacts.CardCounts(0, 0, 0, 0, 0, 0, 0, 0)
    # history and deals: every single one moved
    assert after.activities == before_keep.activities + before_drop.activities == 4
    assert after.notes == before_keep.notes + before_drop.notes == 2
    assert after.deals == before_keep.deals + before_drop.deals == 2
    # phones: deduplicated by E.164, the invalid raw one kept; all numbers present
    phones = list(Phone.select().where(Phone.person == keep))
    assert {p.e164 for p in phones if p.e164} == e164s
    assert any(p.raw == "12345" and not p.is_valid for p in phones)
    assert len(phones) == 4
    assert sum(p.is_primary for p in phones) == 1
    dup = next(p for p in phones if p.e164 == "+79161234567")
    assert dup.extension == "12"  # the survivor's copy took the extension it lacked
    # emails deduplicated case-insensitively
    assert sorted(e.address_lower for e in Email.select().where(Email.person == keep)) == ["petr.home@mail.ru", "petr@romashka.ru"]
    # tags: VIP once, опт added
    assert sorted(t.casefold() for t in contacts.tags_of(person_id=keep)) == ["vip", "опт"]
    # custom values: survivor's wins, the missing one comes over, the lost one is in the audit row
    values = {cv.field.code: cv.value_text for cv in CustomValue.select().where(CustomValue.person == keep)}
    assert values == {"hobby": "chess", "city": "Тула"}
    # empty fields filled
    p = Person.get_by_id(keep)
    assert p.position == "Бухгалтер" and p.birthday == dt.date(1980, 5, 1) and p.middle_name == "Сергеевич"
    assert "position" in result.filled and "birthday" in result.filled
    # the dropped card: archived, merged_into set
    d = Person.get_by_id(drop)
    assert d.archived_at is not None and d.merged_into_id == keep
    # audit rows on both
    row = AuditLog.get((AuditLog.entity == "person") & (AuditLog.entity_id == keep) & (AuditLog.action == "merge"))
    assert json.loads(row.changes)["custom_values_dropped"]
    assert AuditLog.select().where((AuditLog.entity_id == drop) & (AuditLog.action == "merged_into")).exists()
    # denormalized dates recomputed; search finds the survivor by the dropped card's number
    assert p.last_contact_at is not None and p.next_activity_at == dt.datetime(2030, 1, 1, 9)
    hits = search.search(actor, "8 903 765-43-21")
    assert [(h.kind, h.id) for h in hits] == [("person", keep)]


def test_merge_companies_moves_persons(actor):
    keep = contacts.create_company(actor, "Ромашка", phones=["8 495 123-45-67"])
    drop = contacts.create_company(actor, "ООО Ромашка", inn="7707083893", phones=["+7 495 123 45 67", "8 812 000-11-22"],
                                   emails=["info@romashka.ru"])
    people = [contacts.create_person(actor, full_name=f"Сотрудник {i}", company_id=drop) for i in range(3)]
    activities.log_call(actor, outcome="no_answer", company_id=drop)
    deals.create_deal(actor, "Поставка", company_id=drop, amount_minor=5_000_00)
    notes.add_note(actor, "об оплате", company_id=drop)
    result = contacts.merge(actor, "company", keep, drop)
    assert result.moved.persons == 3
    assert Person.select().where(Person.company == keep).count() == 3
    assert contacts.card_counts("company", drop) == contacts.CardCounts(0, 0, 0, 0, 0, 0, 0, 0)
    c = Company.get_by_id(keep)
    assert c.inn == "7707083893" and "inn" in result.filled
    assert Phone.select().where(Phone.company == keep).count() == 2
    assert Activity.select().where(Activity.company == keep).count() == 1
    assert Deal.select().where(Deal.company == keep).count() == 1
    assert Note.select().where(Note.company == keep).count() == 1
    # the people are found by the survivor's name (its own rows; the people's rows hold their names)
    assert people[0] in [h.id for h in search.search(actor, "ромашка сотрудник") if h.kind == "person"]
    assert people[0] not in [h.id for h in search.search(actor, "ооо сотрудник") if h.kind == "person"]  # the dropped one's word
    assert not SearchToken.select().where((SearchToken.kind == "p") & (SearchToken.ref_id == people[0]) & (SearchToken.token == "ромашка")).exists()


def test_merge_refuses_bad_input(actor, two_people):
    keep, drop = two_people
    with pytest.raises(ValidationError):
        contacts.merge(actor, "person", keep, keep)
    stale = Person.get_by_id(drop).row_version
    contacts.update_person(actor, drop, stale, position="Главбух")
    with pytest.raises(Conflict):
        contacts.merge(actor, "person", keep, drop, drop_version=stale)
    # nothing moved by the refused merge (one transaction)
    assert contacts.card_counts("person", drop).phones == 3
    contacts.merge(actor, "person", keep, drop)
    with pytest.raises(ValidationError):
        contacts.merge(actor, "person", keep, drop)
