"""cards.summaries (what `tuicrm lookup` prints) gives exactly the cards card() gives, one by one,
in a fixed number of queries — on both engines."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tuicrm.model import Stage
from tuicrm.services import activities, cards, contacts, deals, users
from tuicrm.services.base import Forbidden, NotFound


@pytest.fixture
def office(actor):
    """A company and three of its people sharing the office number, with history, tasks, deals, tags."""
    anna = users.create_user("anna", "Анна Смирнова", "manager")
    cid = contacts.create_company(actor, "ООО «Ромашка»", inn="7707083893", phones=["8 (495) 123-45-67 доб. 10", "8 800 555-35-35"],
                                  emails=["info@romashka.ru"], tags=["Опт", "VIP"], owner_id=anna.id)
    people = []
    for i, name in enumerate(["Иванов Пётр", "Петрова Анна", "Сидоров Олег"]):
        pid = contacts.create_person(
            actor, full_name=name, position="Бухгалтер" if i else None, company_id=cid, owner_id=anna.id if i != 1 else None,
            phones=[f"+7 916 123 45 6{i}", f"8 (495) 123-45-67 доб. {20 + i}", "123-45"], emails=[f"p{i}@romashka.ru", f"x{i}@mail.ru"],
            tags=["VIP"] if i == 0 else [],
        )
        people.append(pid)
    first, second = people[0], people[1]
    activities.log_call(actor, outcome="reached", result="Ждёт счёт", person_id=first, at=dt.datetime(2026, 11, 20, 9, 30))
    activities.log_call(actor, outcome="no_answer", person_id=first, at=dt.datetime(2026, 11, 21, 9, 30))
    activities.create_activity(actor, "task", "Выставить счёт", due_at=dt.datetime(2026, 11, 30, 8, 0), person_id=first,
                               assignee_id=anna.id)
    activities.create_activity(actor, "call_out", "Позже", due_at=dt.datetime(2026, 12, 30, 8, 0), person_id=first)
    activities.create_activity(actor, "meeting", "Встреча", due_at=dt.datetime(2026, 12, 1, 8, 0), company_id=cid)
    activities.log_call(actor, outcome="reached", result="Компания", company_id=cid, at=dt.datetime(2026, 11, 22, 9, 0))
    deals.create_deal(actor, "Поставка бумаги", amount_minor=12_500_000, person_id=first, company_id=cid)
    deals.create_deal(actor, "Картриджи", amount_minor=1_000, person_id=second)
    deals.create_deal(actor, "Офис", amount_minor=7_000, company_id=cid, created_at=dt.datetime(2026, 1, 1))
    won = deals.create_deal(actor, "Закрыта", amount_minor=5, company_id=cid)
    from tuicrm.model import Deal

    closed = Stage.select().where(Stage.kind == "won").first()
    Deal.update(stage=closed).where(Deal.id == won).execute()  # not open: on no card
    return cid, people


def test_same_cards_as_card_one_by_one(actor, office):
    cid, people = office
    refs = [("person", people[1]), ("company", cid), ("person", people[0]), ("person", people[2])]
    assert cards.summaries(actor, refs) == [cards.card(actor, k, i) for k, i in refs]
    assert cards.summaries(actor, refs[:1]) == [cards.card(actor, *refs[0])]
    assert cards.summaries(actor, [("company", cid)]) == [cards.card(actor, "company", cid)]
    assert cards.summaries(actor, []) == []
    first = cards.summaries(actor, [("person", people[0])])[0]
    assert first.last_activity.outcome == "no_answer" and first.next_activity.subject == "Выставить счёт"
    assert first.next_activity.assignee == "Анна Смирнова"
    assert [d.title for d in first.open_deals] == ["Поставка бумаги"] and first.tags == ["VIP"]
    company = cards.summaries(actor, [("company", cid)])[0]
    assert sorted(d.title for d in company.open_deals) == ["Офис", "Поставка бумаги"]


def test_a_fixed_number_of_queries_whatever_the_number_of_cards(actor, office):
    cid, people = office
    counted: list[str] = []

    class Count(logging.Handler):
        def emit(self, record):
            counted.append(record.getMessage())

    log = logging.getLogger("peewee")
    handler, level = Count(), log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        cards.summaries(actor, [("person", people[0])])
        one = len(counted)
        counted.clear()
        cards.summaries(actor, [("person", p) for p in people] + [("company", cid)])
        many = len(counted)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    assert many <= one + 2  # the companies' row query and their tags: not 8 queries per card
    assert many <= 8


def test_missing_and_private_cards_fail_as_card_does(actor, office):
    cid, people = office
    with pytest.raises(NotFound, match="person #999999 not found"):
        cards.summaries(actor, [("person", people[0]), ("person", 999999)])
    with pytest.raises(NotFound, match="company #999999 not found"):
        cards.summaries(actor, [("company", 999999)])
    boris = users.actor_for(users.create_user("boris", "Борис", "manager"))
    secret = contacts.create_person(actor, full_name="Тайный", visibility="private")
    with pytest.raises(Forbidden):
        cards.card(boris, "person", secret)
    with pytest.raises(Forbidden):
        cards.summaries(boris, [("person", people[0]), ("person", secret)])
    assert cards.summaries(boris, [("person", people[0])]) == [cards.card(boris, "person", people[0])]


def test_visible_sql_is_visible(actor, office):
    """The plain-SQL visibility filter (search, summaries) lets through exactly what visible() does."""
    from tuicrm.model import Company, Person
    from tuicrm.services.base import Actor
    from tuicrm.services.queries import visible, visible_sql

    boris = users.actor_for(users.create_user("boris", "Борис", "manager"))
    contacts.create_person(actor, full_name="Тайный", visibility="private")
    contacts.create_person(boris, full_name="Свой тайный", visibility="private")
    contacts.create_company(boris, "ООО Своя", visibility="private")
    contacts.create_person(actor, full_name="Ничей тайный", visibility="private", owner_id=None)
    from tuicrm.model import Person as P

    P.update(owner=None).where(P.full_name == "Ничей тайный").execute()
    nobody = Actor(user_id=None, role="manager", login="asterisk", name="asterisk")
    db = Person._meta.database
    for who in (actor, boris, nobody):
        for model, table in ((Person, "person"), (Company, "company")):
            expected = sorted(i for (i,) in model.select(model.id).where(visible(model, who)).tuples())
            got = sorted(i for (i,) in db.execute_sql(f"SELECT t.id FROM {table} t WHERE {visible_sql('t', who)}"))
            assert got == expected, (who.login, table)
    assert len(expected) < Person.select().count() + Company.select().count()


def test_the_shared_literal_is_the_enum():
    from tuicrm.model.enums import Visibility
    from tuicrm.services.queries import SHARED

    assert SHARED == Visibility.SHARED
