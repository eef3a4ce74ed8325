"""What the card forms save: whole person/company in one go, phones synced, strict ИНН/КПП,
typed company linked or created, optimistic locking; on both engines."""

import datetime as dt

import pytest

from tuicrm.model import AuditLog, Company, Email, Person, Phone
from tuicrm.services import contacts
from tuicrm.services.base import Conflict, ValidationError
from tuicrm.services.contacts import CompanyData, PersonData, PhoneIn


@pytest.mark.parametrize("inn, ok", [("7707083893", True), ("7707083894", False), ("500100732259", True),
                                     ("500100732250", False), ("123", False), ("77070838931", False)])
def test_inn_checksum(inn, ok):
    assert contacts.inn_checksum_ok(inn) is ok


def test_check_kpp():
    assert contacts.check_kpp("773601001") == "773601001"
    assert contacts.check_kpp("7736AB001") == "7736AB001"
    with pytest.raises(ValidationError):
        contacts.check_kpp("77360100")


def test_save_person_new_with_typed_company(actor):
    data = PersonData(full_name="Иванов Пётр Сергеевич", position="Бухгалтер", company_name="Ромашка",
                      birthday=dt.date(1980, 5, 1), phones=[PhoneIn("8 916 123-45-67"), PhoneIn("+7 495 111-22-33 доб. 7")],
                      emails=["petr@romashka.ru"])
    pid, version = contacts.save_person(actor, data)
    p = Person.get_by_id(pid)
    assert (p.last_name, p.first_name, p.middle_name) == ("Иванов", "Пётр", "Сергеевич")
    assert p.company.name == "Ромашка" and version == 1
    phones = list(Phone.select().where(Phone.person == pid).order_by(Phone.position))
    assert [ph.e164 for ph in phones] == ["+79161234567", "+74951112233"] and phones[1].extension == "7"
    assert phones[0].is_primary
    # a second person typed with the same company name is linked, not duplicated
    pid2, _v = contacts.save_person(actor, PersonData(full_name="Петрова Анна", company_name="ромашка"))
    assert Person.get_by_id(pid2).company_id == p.company_id
    assert Company.select().count() == 1


def test_save_person_rejects_invalid_phone_and_email(actor):
    with pytest.raises(ValidationError) as err:
        contacts.save_person(actor, PersonData(full_name="Иванов", phones=[PhoneIn("8 916 123")]))
    assert err.value.field == "phones"
    with pytest.raises(ValidationError) as err:
        contacts.save_person(actor, PersonData(full_name="Иванов", emails=["not-an-email"]))
    assert err.value.field == "emails"
    with pytest.raises(ValidationError):
        contacts.save_person(actor, PersonData())
    assert Person.select().count() == 0


def test_edit_person_syncs_phones_and_locks(actor):
    pid, v1 = contacts.save_person(actor, PersonData(full_name="Иванов Пётр", phones=[PhoneIn("8 916 123-45-67"), PhoneIn("8 903 765-43-21")],
                                                     emails=["a@b.ru"]))
    data = contacts.person_form_data(actor, pid)
    assert data.row_version == v1 and [p.raw for p in data.phones] == ["8 916 123-45-67", "8 903 765-43-21"]
    keep_id = Phone.get(Phone.e164 == "+79161234567").id
    data.phones = [PhoneIn("+7 916 1234567"), PhoneIn("8 812 000-11-22")]
    data.emails = ["c@d.ru"]
    data.position = "Директор"
    _pid, v2 = contacts.save_person(actor, data, pid)
    assert v2 == v1 + 1
    phones = {p.e164: p for p in Phone.select().where(Phone.person == pid)}
    assert set(phones) == {"+79161234567", "+78120001122"}
    assert phones["+79161234567"].id == keep_id  # kept, not re-created
    assert [e.address for e in Email.select().where(Email.person == pid)] == ["c@d.ru"]
    # a second editor with the old version is refused, nothing changed
    stale = contacts.person_form_data(actor, pid)
    stale.row_version = v1
    stale.position = "Снабженец"
    with pytest.raises(Conflict):
        contacts.save_person(actor, stale, pid)
    assert Person.get_by_id(pid).position == "Директор"
    assert AuditLog.select().where((AuditLog.entity_id == pid) & (AuditLog.action == "phones")).exists()


def test_save_company_strict(actor):
    with pytest.raises(ValidationError) as err:
        contacts.save_company(actor, CompanyData(name="Ромашка", inn="7707083894"))
    assert err.value.field == "inn"
    cid, _v = contacts.save_company(actor, CompanyData(name="Ромашка", inn="7707083893", kpp="773601001",
                                                       phones=[PhoneIn("8 495 123-45-67")], visibility="private"))
    c = Company.get_by_id(cid)
    assert c.inn == "7707083893" and c.visibility == "private" and c.owner_id == actor.user_id
    dups = contacts.find_duplicates(actor, inn="7707083893")
    assert [(d.kind, d.id) for d in dups] == [("company", cid)]


def test_add_contact_info(actor):
    pid = contacts.create_person(actor, full_name="Иванов")
    contacts.add_contact_info(actor, "person", pid, "phone", "8 495 123-45-67", info_kind="work", extension="12")
    p = Phone.get(Phone.person == pid)
    assert (p.e164, p.kind, p.extension) == ("+74951234567", "work", "12")
    with pytest.raises(ValidationError):
        contacts.add_contact_info(actor, "person", pid, "phone", "8 495 123-45-67")  # already there
    with pytest.raises(ValidationError):
        contacts.add_contact_info(actor, "person", pid, "phone", "123")
    with pytest.raises(ValidationError):
        contacts.add_contact_info(actor, "person", pid, "email", "nope")
    contacts.add_contact_info(actor, "person", pid, "email", "x@y.ru")
    assert Email.select().where(Email.person == pid).count() == 1


def test_tags_and_custom_values(actor):
    from tuicrm.model import CustomField, CustomValue

    pid = contacts.create_person(actor, full_name="Иванов")
    assert contacts.set_card_tags(actor, "person", pid, ["VIP", "опт", "vip", " "]) == ["VIP", "опт"]
    assert contacts.tag_names("v") == ["VIP"]
    f = CustomField.create(entity="person", code="limit", label="Limit", kind="number")
    contacts.set_custom_value(actor, "person", pid, f.id, "1 234,5")
    assert CustomValue.get(CustomValue.person == pid).value_number == 1_234_500
    with pytest.raises(ValidationError):
        contacts.set_custom_value(actor, "person", pid, f.id, "много")
    contacts.set_custom_value(actor, "person", pid, f.id, "")
    assert CustomValue.select().where(CustomValue.person == pid).count() == 0


def test_owner_change_in_the_form_is_a_handover(actor):
    import datetime as dt

    from tuicrm.model import Activity
    from tuicrm.services import activities, users

    anna = users.create_user("anna", "Анна")
    pid, v = contacts.save_person(actor, PersonData(full_name="Иванов"))
    task = activities.create_activity(actor, "task", "КП", due_at=dt.datetime(2030, 1, 1), person_id=pid)
    data = contacts.person_form_data(actor, pid)
    data.owner_id = anna.id
    _pid, v2 = contacts.save_person(actor, data, pid)
    assert Person.get_by_id(pid).owner_id == anna.id and v2 == Person.get_by_id(pid).row_version
    assert Activity.get_by_id(task).assignee_id == anna.id
