"""The full card read model: every field, custom fields, a company's people — both engines."""

import datetime as dt

from tuicrm.model import CustomField, CustomValue
from tuicrm.services import cards, contacts


def test_person_detail_with_custom_fields(actor):
    company = contacts.create_company(actor, "Ромашка", inn="7701234567", segment="retail")
    person = contacts.create_person(actor, full_name="Иванов Пётр Сергеевич", position="Бухгалтер", company_id=company,
                                    birthday=dt.date(1980, 5, 17), phones=["8 916 1234567", "12-34"])
    size = CustomField.create(entity="person", code="shoe", label="Shoe size", kind="number", position=1)
    since = CustomField.create(entity="person", code="since", label="Client since", kind="date", position=0)
    CustomField.create(entity="person", code="empty", label="Nothing yet", kind="text", position=2)
    CustomField.create(entity="person", code="old", label="Archived field", kind="text", archived_at=dt.datetime(2026, 1, 1))
    CustomValue.create(field=size, person=person, value_number=42_500)
    CustomValue.create(field=since, person=person, value_date=dt.date(2020, 1, 15))

    d = cards.card_detail(actor, "person", person)
    values = {f.code: f.value for f in d.fields}
    assert values["last_name"] == "Иванов" and values["middle_name"] == "Сергеевич"
    assert values["company"] == "Ромашка" and values["birthday"] == dt.date(1980, 5, 17) and values["source"] is None
    assert [(f.label, f.value) for f in d.custom] == [("Client since", dt.date(2020, 1, 15)), ("Shoe size", 42.5), ("Nothing yet", None)]
    invalid = [p for p in d.summary.phones if not p.is_valid]
    assert len(invalid) == 1 and invalid[0].raw == "12-34" and invalid[0].invalid_reason
    assert d.people == [] and d.visibility == "shared"


def test_company_detail_lists_its_people(actor):
    company = contacts.create_company(actor, "Ромашка", inn="7701234567", address="Москва")
    a = contacts.create_person(actor, full_name="Петрова Анна", position="Директор", company_id=company, phones=["+7 903 765-43-21"])
    b = contacts.create_person(actor, full_name="Абрамов Борис", company_id=company)
    contacts.create_person(actor, full_name="Чужой Человек")
    contacts.archive(actor, "person", b)
    d = cards.card_detail(actor, "company", company)
    assert {f.code: f.value for f in d.fields}["inn"] == "7701234567"
    assert [(p.id, p.archived) for p in d.people] == [(a, False), (b, True)]  # archived ones last
    assert d.people_total == 2 and d.people[0].phone_e164 == "+79037654321"
