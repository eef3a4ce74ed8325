"""Handing clients over: the card, its open activities and open deals move; history stays."""

import datetime as dt

import pytest

from tuicrm.model import Activity, AuditLog, Company, Deal, Person, Stage
from tuicrm.services import activities, contacts, deals, users
from tuicrm.services.base import Conflict, Forbidden


@pytest.fixture
def team(actor):
    anna = users.create_user("anna", "Анна", "manager")
    boris = users.create_user("boris", "Борис", "manager")
    return users.actor_for(anna), users.actor_for(boris)


def _won_stage():
    return Stage.select().where(Stage.kind == "won").first().id


@pytest.fixture
def annas_company(actor, team):
    anna, _boris = team
    company = contacts.create_company(anna, "Ромашка")
    person = contacts.create_person(anna, full_name="Иванов Пётр", company_id=company)
    open_task = activities.create_activity(anna, "task", "КП", due_at=dt.datetime(2030, 1, 1), person_id=person)
    done_call = activities.log_call(anna, outcome="reached", person_id=person)
    company_call = activities.create_activity(anna, "call_out", "звонок", due_at=dt.datetime(2030, 1, 2), company_id=company)
    colleagues = activities.create_activity(actor, "task", "бухгалтерия", due_at=dt.datetime(2030, 1, 3), company_id=company,
                                            assignee_id=actor.user_id)
    open_deal = deals.create_deal(anna, "Поставка", company_id=company, owner_id=anna.user_id)
    won_deal = deals.create_deal(anna, "Старая", company_id=company, owner_id=anna.user_id, stage_id=_won_stage())
    Deal.update(closed_at=dt.datetime(2025, 1, 1)).where(Deal.id == won_deal).execute()
    return dict(company=company, person=person, open_task=open_task, done_call=done_call, company_call=company_call,
                colleagues=colleagues, open_deal=open_deal, won_deal=won_deal)


def test_handover_company_with_people(actor, team, annas_company):
    anna, boris = team
    ids = annas_company
    preview = contacts.handover(anna, "company", ids["company"], boris.user_id, include_company_people=True, dry_run=True)
    assert Company.get_by_id(ids["company"]).owner_id == anna.user_id  # dry run changed nothing
    result = contacts.handover(anna, "company", ids["company"], boris.user_id, include_company_people=True)
    assert result == preview
    assert (result.companies, result.persons) == (1, 1)
    assert Company.get_by_id(ids["company"]).owner_id == boris.user_id
    assert Person.get_by_id(ids["person"]).owner_id == boris.user_id
    assert Activity.get_by_id(ids["open_task"]).assignee_id == boris.user_id
    assert Activity.get_by_id(ids["company_call"]).assignee_id == boris.user_id
    assert Activity.get_by_id(ids["done_call"]).assignee_id == anna.user_id  # history stays
    assert Activity.get_by_id(ids["colleagues"]).assignee_id == actor.user_id  # someone else's task stays
    assert Deal.get_by_id(ids["open_deal"]).owner_id == boris.user_id
    assert Deal.get_by_id(ids["won_deal"]).owner_id == anna.user_id  # closed deal stays
    assert result.activities == 2 and result.deals == 1
    assert AuditLog.select().where((AuditLog.action == "handover")).count() == 2


def test_handover_person_only_and_locking(actor, team, annas_company):
    anna, boris = team
    ids = annas_company
    version = Person.get_by_id(ids["person"]).row_version
    contacts.update_person(anna, ids["person"], version, position="Снабженец")
    with pytest.raises(Conflict):
        contacts.handover(anna, "person", ids["person"], boris.user_id, expected_version=version)
    assert Activity.get_by_id(ids["open_task"]).assignee_id == anna.user_id  # rolled back
    contacts.handover(anna, "person", ids["person"], boris.user_id)
    assert Person.get_by_id(ids["person"]).owner_id == boris.user_id
    assert Company.get_by_id(ids["company"]).owner_id == anna.user_id
    assert Activity.get_by_id(ids["open_task"]).assignee_id == boris.user_id
    assert Activity.get_by_id(ids["company_call"]).assignee_id == anna.user_id


def test_only_owner_or_head_hands_over(actor, team, annas_company):
    anna, boris = team
    with pytest.raises(Forbidden):
        contacts.handover(boris, "company", annas_company["company"], boris.user_id)


def test_handover_all(actor, team, annas_company):
    anna, boris = team
    mine = contacts.create_person(boris, full_name="Чужой Клиент")
    with pytest.raises(Forbidden):
        users.handover_all(anna, anna.user_id, boris.user_id)
    result = users.handover_all(actor, anna.user_id, boris.user_id)
    assert (result.persons, result.companies, result.deals) == (1, 1, 1)
    assert result.activities == 2
    assert Person.select().where(Person.owner == anna.user_id).count() == 0
    assert Person.get_by_id(mine).owner_id == boris.user_id
    assert Activity.get_by_id(annas_company["done_call"]).assignee_id == anna.user_id
    assert Deal.get_by_id(annas_company["won_deal"]).owner_id == anna.user_id
    assert Activity.select().where((Activity.assignee == anna.user_id) & Activity.done_at.is_null()).count() == 0
    assert AuditLog.select().where(AuditLog.action == "handover_all").count() == 1
