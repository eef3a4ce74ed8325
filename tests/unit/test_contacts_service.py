"""Contacts service on SQLite and PostgreSQL: create, update, archive/restore, duplicates, tags,
visibility, audit rows, the search index."""

from __future__ import annotations

import json

import pytest

from tuicrm.model import AuditLog, Company, Email, Person, PersonTag, Phone, SearchToken, Tag
from tuicrm.services import cards, contacts, search, users
from tuicrm.services.base import Conflict, Forbidden, NotFound, ValidationError
from tuicrm.services.contacts import PhoneIn

INN = "7707083893"  # a real 10-digit tax id with correct check digits


def audit_rows(entity: str, entity_id: int) -> list[tuple[str, dict | None]]:
    q = AuditLog.select().where((AuditLog.entity == entity) & (AuditLog.entity_id == entity_id)).order_by(AuditLog.id)
    return [(a.action, json.loads(a.changes) if a.changes else None) for a in q]


def tokens_of(kind: str, ref_id: int) -> set[str]:
    return {t.token for t in SearchToken.select().where((SearchToken.kind == kind) & (SearchToken.ref_id == ref_id))}


def person_ids(hits) -> list[int]:
    return [h.id for h in hits if h.kind == "person"]


@pytest.fixture
def manager2(session):
    return users.actor_for(users.create_user("mgr2", "Second Manager", "manager"))


@pytest.fixture
def head(session):
    return users.actor_for(users.create_user("boss", "Head of Sales", "head"))


# --- create ---------------------------------------------------------------------------------------


def test_create_company_and_person_with_everything(actor):
    cid = contacts.create_company(
        actor, "  ООО «Ромашка»  ", inn=" 7707 083893 ", kpp="770701001", site="romashka.ru", industry="Опт",
        phones=[PhoneIn("8 (495) 123-45-67 доб. 12", kind="work"), "факс (495) 123-45-68"], emails=["info@romashka.ru"],
    )
    pid = contacts.create_person(
        actor, full_name="Иванов Пётр Сергеевич", position="Бухгалтер", company_id=cid,
        phones=["8 916 123-45-67, тел. 12-34-56"], emails=["Petr@Romashka.RU; petr2@romashka.ru"], tags=["VIP", "опт"],
    )

    company = Company.get_by_id(cid)
    assert (company.name, company.inn, company.kpp, company.owner_id, company.row_version) == (
        "ООО «Ромашка»", INN, "770701001", actor.user_id, 1,
    )
    person = Person.get_by_id(pid)
    assert (person.last_name, person.first_name, person.middle_name) == ("Иванов", "Пётр", "Сергеевич")
    assert (person.company_id, person.position, person.owner_id, person.visibility) == (cid, "Бухгалтер", actor.user_id, "shared")

    phones = list(Phone.select().where(Phone.person == pid).order_by(Phone.position))
    assert [(p.raw, p.e164, p.is_valid, p.is_primary, p.position) for p in phones] == [
        ("8 916 123-45-67", "+79161234567", True, True, 0),
        ("тел. 12-34-56", None, False, False, 1),  # kept raw, flagged
    ]
    assert phones[1].invalid_reason == "too short: no area code?" and phones[1].note == "тел"
    assert phones[0].digits_rev == "7654321619"
    cphones = list(Phone.select().where(Phone.company == cid).order_by(Phone.position))
    assert [(p.e164, p.extension, p.kind) for p in cphones] == [("+74951234567", "12", "work"), ("+74951234568", None, "fax")]

    assert [(e.address, e.address_lower, e.is_primary) for e in Email.select().where(Email.person == pid).order_by(Email.position)] == [
        ("Petr@Romashka.RU", "petr@romashka.ru", True), ("petr2@romashka.ru", "petr2@romashka.ru", False),
    ]
    assert contacts.tags_of(person_id=pid) == ["VIP", "опт"]
    # the search index holds the person's own words; the company's are the company's rows
    assert tokens_of("p", pid) == {"иванов", "петр", "сергеевич"}
    assert tokens_of("c", cid) == {"ооо", "ромашка"}
    # audit: who created what
    assert ("create", {"full_name": [None, "Иванов Пётр Сергеевич"]}) in audit_rows("person", pid)
    assert [a for a, _ in audit_rows("company", cid)].count("create") == 1
    assert AuditLog.get((AuditLog.entity == "person") & (AuditLog.action == "create")).user_id == actor.user_id


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(full_name="   "), "name"),
        (dict(full_name="Иванов", emails=["not-an-email"]), "email"),
        (dict(full_name="Иванов", phones=[" ; "]), "phone"),
    ],
)
def test_invalid_person_is_refused_and_nothing_written(actor, kwargs, field):
    with pytest.raises(ValidationError) as info:
        contacts.create_person(actor, **kwargs)
    assert info.value.field == field
    assert Person.select().count() == 0 and Phone.select().count() == 0 and Email.select().count() == 0
    assert SearchToken.select().count() == 0
    assert AuditLog.select().where(AuditLog.entity == "person").count() == 0


def test_invalid_company_is_refused(actor):
    with pytest.raises(ValidationError) as info:
        contacts.create_company(actor, "Ромашка", inn="12345")
    assert info.value.field == "inn"
    with pytest.raises(ValidationError):
        contacts.create_company(actor, "")
    with pytest.raises(NotFound):
        contacts.create_person(actor, full_name="Иванов", company_id=424242)
    assert Company.select().count() == 0 and Person.select().count() == 0


def test_odd_characters_in_a_phone_cell_are_stored_on_both_engines(actor):
    pid = contacts.create_person(actor, full_name="Иванов", phones=["\x00тел.\x00 8 916 123-45-67 😀"])
    rows = [(p.raw, p.e164) for p in Phone.select().where(Phone.person == pid)]
    assert rows == [("тел. 8 916 123-45-67 😀", "+79161234567")]


def test_person_from_name_parts(actor):
    pid = contacts.create_person(actor, last_name="Петрова", first_name="Анна")
    assert Person.get_by_id(pid).full_name == "Петрова Анна"


def test_the_same_number_in_another_format_is_not_added_twice(actor):
    pid = contacts.create_person(actor, full_name="Иванов", phones=["8 916 123-45-67"])
    assert contacts.add_phones(actor, "+7 (916) 123 45 67; 9161234567", person_id=pid) == []
    assert contacts.add_phones(actor, "12-34-56", person_id=pid) != []
    assert contacts.add_phones(actor, "12-34-56", person_id=pid) == []  # an invalid one: by its raw text
    new = contacts.add_phones(actor, "+7 903 765-43-21", person_id=pid)
    assert len(new) == 1
    assert [p.e164 for p in Phone.select().where(Phone.person == pid).order_by(Phone.position)] == [
        "+79161234567", None, "+79037654321",
    ]
    assert Phone.get_by_id(new[0]).is_primary is False
    assert [a for a, _ in audit_rows("person", pid)].count("add_phone") == 3


# --- update, optimistic locking ---------------------------------------------------------------------


def test_update_person_changes_fields_index_audit_and_version(actor):
    pid = contacts.create_person(actor, full_name="Иванов Иван", position="Кладовщик")
    v = contacts.update_person(actor, pid, 1, full_name="Сидоров Иван", position="Директор")
    assert v == 2
    p = Person.get_by_id(pid)
    assert (p.full_name, p.position, p.name_key, p.row_version) == ("Сидоров Иван", "Директор", "сидоров иван", 2)
    assert tokens_of("p", pid) == {"сидоров", "иван"}
    assert ("update", {"full_name": ["Иванов Иван", "Сидоров Иван"], "position": ["Кладовщик", "Директор"]}) in [
        (a, {k: c for k, c in (ch or {}).items() if k in ("full_name", "position")}) for a, ch in audit_rows("person", pid)
    ]
    with pytest.raises(Conflict):
        contacts.update_person(actor, pid, 1, position="Бухгалтер")
    assert Person.get_by_id(pid).position == "Директор"
    with pytest.raises(ValidationError):
        contacts.update_person(actor, pid, 2, full_name="  ")
    with pytest.raises(NotFound):
        contacts.update_person(actor, 999_999, None, position="x")


def test_renaming_a_company_refreshes_its_people_in_the_index(actor):
    cid = contacts.create_company(actor, "ООО Ромашка", inn=INN)
    pid = contacts.create_person(actor, full_name="Иванов Иван", company_id=cid)
    assert pid in person_ids(search.search(actor, "ромашка иванов"))

    contacts.update_company(actor, cid, 1, name="АО Василёк")

    assert tokens_of("c", cid) == {"ао", "василек"}
    assert tokens_of("p", pid) == {"иванов", "иван"}  # the person's rows are not rewritten
    assert pid in person_ids(search.search(actor, "василек иванов"))
    assert pid not in person_ids(search.search(actor, "ромашка иванов"))
    assert ("company", cid) in [(h.kind, h.id) for h in search.search(actor, "Василёк")]
    assert cards.card(actor, "person", pid).company == "АО Василёк"


def test_moving_a_person_to_another_company_moves_it_in_search(actor):
    a = contacts.create_company(actor, "Ромашка")
    b = contacts.create_company(actor, "Лютик")
    pid = contacts.create_person(actor, full_name="Иванов", company_id=a)
    assert pid in person_ids(search.search(actor, "ромашка иванов"))
    contacts.update_person(actor, pid, 1, company=b)
    assert tokens_of("p", pid) == {"иванов"}
    assert pid in person_ids(search.search(actor, "лютик иванов")) and pid in person_ids(search.search(actor, "лют"))
    assert pid not in person_ids(search.search(actor, "ромашка иванов")) and pid not in person_ids(search.search(actor, "ромашка"))


# --- archive / restore --------------------------------------------------------------------------------


def test_archive_and_restore(actor):
    pid = contacts.create_person(actor, full_name="Иванов Иван", phones=["8 916 123-45-67"])
    contacts.archive(actor, "person", pid)
    p = Person.get_by_id(pid)
    assert p.archived_at is not None and p.row_version == 2
    assert pid not in person_ids(search.search(actor, "иванов"))
    assert contacts.find_duplicates(actor, phones=["89161234567"]) == []  # archived cards are not duplicates
    assert Phone.select().where(Phone.person == pid).count() == 1  # nothing deleted

    contacts.archive(actor, "person", pid, restore=True)
    p = Person.get_by_id(pid)
    assert p.archived_at is None and p.row_version == 3
    assert pid in person_ids(search.search(actor, "иванов"))
    assert [a for a, _ in audit_rows("person", pid)][-2:] == ["archive", "restore"]
    with pytest.raises(NotFound):
        contacts.archive(actor, "company", 999_999)


# --- duplicates -------------------------------------------------------------------------------------


def test_find_duplicates_by_phone_email_and_tax_id(actor):
    cid = contacts.create_company(actor, "ООО Ромашка", inn=INN, phones=["8 (495) 123-45-67"])
    pid = contacts.create_person(actor, full_name="Иванов Иван", company_id=cid, phones=["8 916 123-45-67"],
                                 emails=["Ivanov@Romashka.ru"])

    by_phone = contacts.find_duplicates(actor, phones=["+7 916 123 45 67 доб. 5"])
    assert [(d.kind, d.id, d.name) for d in by_phone] == [("person", pid, "Иванов Иван")]
    assert by_phone[0].reason.startswith("phone")
    by_email = contacts.find_duplicates(actor, emails=[" IVANOV@romashka.RU "])
    assert [(d.kind, d.id) for d in by_email] == [("person", pid)] and by_email[0].reason.startswith("email")
    by_inn = contacts.find_duplicates(actor, inn=INN)
    assert [(d.kind, d.id) for d in by_inn] == [("company", cid)] and "tax id" in by_inn[0].reason
    company_phone = contacts.find_duplicates(actor, phones=["4951234567"])
    assert [(d.kind, d.id) for d in company_phone] == [("company", cid)]
    several = contacts.find_duplicates(actor, phones=["89161234567"], inn=INN)
    assert {(d.kind, d.id) for d in several} == {("person", pid), ("company", cid)}
    assert contacts.find_duplicates(actor, phones=["89161234567"], exclude=("person", pid)) == []
    assert contacts.find_duplicates(actor, phones=["8 916 000-00-00", "12-34"], emails=["x@y.ru"], inn="7701234567") == []


# --- tags -----------------------------------------------------------------------------------------------


def test_tags_are_shared_case_insensitive_and_replaceable(actor):
    a = contacts.create_person(actor, full_name="Иванов", tags=["VIP", "vip", "Опт"])
    b = contacts.create_person(actor, full_name="Петров", tags=["Vip"])
    assert Tag.select().count() == 2  # "VIP" and "vip" and "Vip" are one tag
    assert contacts.tags_of(person_id=a) == ["VIP", "Опт"]
    assert contacts.tags_of(person_id=b) == ["VIP"]
    contacts.add_tags(actor, ["опт", "Новый"], person_id=a)
    assert contacts.tags_of(person_id=a) == ["VIP", "Новый", "Опт"]
    contacts.set_tags(actor, ["Новый"], person_id=a)
    assert contacts.tags_of(person_id=a) == ["Новый"]
    assert PersonTag.select().where(PersonTag.person == a).count() == 1
    assert ("tags", {"tags": ["Новый"]}) in audit_rows("person", a)
    cid = contacts.create_company(actor, "Ромашка", tags=["Опт"])
    assert contacts.tags_of(company_id=cid) == ["Опт"]
    assert contacts.split_tags("a; b, #c\nd") == ["a", "b", "c", "d"]


# --- visibility ---------------------------------------------------------------------------------------------


def test_private_cards_are_seen_by_their_owner_and_heads_only(actor, manager2, head):
    shared = contacts.create_person(actor, full_name="Общий Клиент")
    private = contacts.create_person(actor, full_name="Личный Клиент", visibility="private", phones=["8 916 123-45-67"])
    own_private = contacts.create_person(manager2, full_name="Свой Клиент", visibility="private")

    def seen_by(who):
        return {p.id for p in Person.select(Person.id).where(contacts.visible(Person, who))}

    assert seen_by(actor) == {shared, private, own_private}  # the first user is admin
    assert seen_by(head) == {shared, private, own_private}
    assert seen_by(manager2) == {shared, own_private}
    assert private not in person_ids(search.search(manager2, "8 916 123-45-67"))
    with pytest.raises(Forbidden):
        cards.card(manager2, "person", private)
    assert cards.card(head, "person", private).name == "Личный Клиент"
    # handing the card to manager2 makes it theirs
    contacts.update_person(actor, private, None, owner=manager2.user_id)
    assert private in seen_by(manager2)


def test_a_cell_of_one_address_splits_as_the_general_split_does():
    """split_emails answers a cell with no separator without re.split (most cells of an import):
    the same list as the general steps, for addresses, brackets, Unicode spaces and empty cells."""
    from tuicrm.services import phones as phone_svc
    from tuicrm.services.contacts import _EMAIL_SEP, split_emails

    def general(value):
        text = phone_svc.cell_to_text(value)
        return [e for e in (p.strip().strip("<>") for p in _EMAIL_SEP.split(text)) if e]

    cells = ["user0@example.ru", "<a@b.ru>", "<<a@b.ru>>", "<>", "", None, " a@b.ru ", "a@b.ru\u00a0", "\u2003a@b.ru",
             "a@b.ru;c@d.ru", "a@b.ru, <c@d.ru>", "a@b.ru\tc@d.ru", "Иван <ivan@пример.рф>", 12345.0, "a@b.ru;", ";"]
    for cell in cells:
        assert split_emails(cell) == general(cell), cell
