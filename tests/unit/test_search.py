"""Search finds a card whatever way its number or name was written — on both engines."""

import pytest

from tuicrm.services import contacts, search


@pytest.fixture
def ivanov(actor):
    company = contacts.create_company(actor, "ООО «Ромашка»", inn="7701234567", phones=["8 (495) 123-45-67 доб. 12"])
    person = contacts.create_person(
        actor, full_name="Иванов Пётр Сергеевич", position="Бухгалтер", company_id=company,
        phones=["8 916 1234567"], emails=["Petr@Romashka.ru"], tags=["VIP"],
    )
    contacts.create_person(actor, full_name="Петрова Анна", phones=["+7 903 765-43-21"])
    return company, person


@pytest.mark.parametrize(
    "query",
    ["+7 (916) 123-45-67", "8 916 1234567", "9161234567", "7-916-123-45-67", "79161234567", "4567", "1234567", "45-67"],
)
def test_phone_in_any_format_finds_the_person(actor, ivanov, query):
    hits = search.search(actor, query)
    assert ("person", ivanov[1]) in [(h.kind, h.id) for h in hits]
    assert all(h.matched == "phone" for h in hits)


@pytest.mark.parametrize("query", ["иванов", "ПЕТР", "пётр иванов", "сергеевич иван", "ромашка петр", "Petr@romashka", "#vip"])
def test_name_email_tag_find_the_person(actor, ivanov, query):
    hits = search.search(actor, query)
    assert ivanov[1] in [h.id for h in hits if h.kind == "person"], hits


def test_tax_id_finds_the_company(actor, ivanov):
    hits = search.search(actor, "7701234567")
    assert [(h.kind, h.id) for h in hits][0] == ("company", ivanov[0])


def test_nothing_found(actor, ivanov):
    assert search.search(actor, "0000") == []
    assert search.search(actor, "сидоров") == []
    assert search.search(actor, "") == []


def test_archived_cards_are_hidden_unless_asked(actor, ivanov):
    contacts.archive(actor, "person", ivanov[1])
    assert ivanov[1] not in [h.id for h in search.search(actor, "иванов") if h.kind == "person"]
    assert ivanov[1] in [h.id for h in search.search(actor, "иванов", include_archived=True) if h.kind == "person"]


def test_private_card_hidden_from_other_manager(actor, ivanov):
    from tuicrm.services import users

    other = users.actor_for(users.create_user("mgr2", "Second Manager", "manager"))
    contacts.update_person(actor, ivanov[1], None, visibility="private")
    assert ivanov[1] not in [h.id for h in search.search(other, "иванов")]
    assert ivanov[1] in [h.id for h in search.search(actor, "иванов")]
