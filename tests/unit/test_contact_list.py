"""The contacts list pages through the base in SQL (keyset), with sorts and filters — on both engines."""

import datetime as dt

import pytest

from tuicrm.services import activities, contact_list, contacts, users
from tuicrm.services.contact_list import ListFilter


def _all(actor, kind="person", sort="name", flt=None, limit=3):
    """Walk every page; return the ids in order and the number of pages."""
    ids, cursor, pages = [], None, 0
    while True:
        p = contact_list.page(actor, kind, sort=sort, flt=flt, after=cursor, limit=limit)
        pages += 1
        ids += [r.id for r in p.rows]
        assert len(p.rows) <= limit
        if p.next_cursor is None:
            return ids, pages
        cursor = p.next_cursor


@pytest.fixture
def base(actor, frozen_clock):
    mgr = users.actor_for(users.create_user("mgr2", "Second Manager", "manager"))
    retail = contacts.create_company(actor, "Ромашка", segment="retail", tags=["VIP"])
    whole = contacts.create_company(actor, "Василёк", segment="wholesale", owner_id=mgr.user_id)
    names = ["Яковлев Ян", "Антонов Антон", "Борисов Борис", "Ёлкин Егор", "Волков Виктор", "Громов Глеб", "Дятлов Денис"]
    ids = {}
    for i, name in enumerate(names):
        ids[name] = contacts.create_person(
            actor, full_name=name, company_id=retail if i % 2 else whole, phones=[f"+7 916 000-00-0{i}"],
            owner_id=mgr.user_id if i >= 5 else None, tags=["VIP"] if i in (1, 2) else [],
        )
    now = frozen_clock()
    # last contacts: Антонов (2 days ago), Борисов (1 day ago); next tasks: Волков tomorrow, Громов in 2 days
    activities.log_call(actor, outcome="reached", person_id=ids["Антонов Антон"], at=now - dt.timedelta(days=2))
    activities.log_call(actor, outcome="reached", person_id=ids["Борисов Борис"], at=now - dt.timedelta(days=1))
    activities.create_activity(actor, "call_out", "Call about the offer", person_id=ids["Громов Глеб"], due_at=now + dt.timedelta(days=2))
    activities.create_activity(actor, "meeting", "Meet", person_id=ids["Волков Виктор"], due_at=now + dt.timedelta(days=1))
    return ids, mgr, retail, whole


def test_by_name_pages_cover_everyone_once_in_order(actor, base):
    ids, *_ = base
    got, pages = _all(actor)
    expected = sorted(ids, key=lambda n: n.lower().replace("ё", "е"))
    assert got == [ids[n] for n in expected]
    assert pages == 3  # 7 rows, 3 a page


def test_first_page_has_phone_company_owner_and_next_task(actor, base):
    ids, mgr, retail, whole = base
    rows = contact_list.page(actor, "person", limit=100).rows
    by_id = {r.id: r for r in rows}
    gromov = by_id[ids["Громов Глеб"]]
    assert gromov.phone_e164 == "+79160000005" and gromov.owner == "Second Manager"
    assert gromov.company == "Ромашка" and gromov.next_subject == "Call about the offer"
    assert by_id[ids["Антонов Антон"]].last_contact_at is not None


def test_sort_by_last_contact_puts_recent_first_and_never_contacted_last(actor, base):
    ids, *_ = base
    got, _ = _all(actor, sort="last", limit=2)
    assert got[:2] == [ids["Борисов Борис"], ids["Антонов Антон"]]
    assert sorted(got) == sorted(ids.values()) and len(got) == len(set(got))


def test_sort_by_next_task_soonest_first(actor, base):
    ids, *_ = base
    got, _ = _all(actor, sort="next", limit=1)
    assert got[:2] == [ids["Волков Виктор"], ids["Громов Глеб"]]
    assert len(got) == 7 and len(set(got)) == 7


def test_filters(actor, base):
    ids, mgr, retail, whole = base
    mine, _ = _all(actor, flt=ListFilter(owner="mine"))
    assert set(mine) == {ids[n] for n in list(ids)[:5]}
    theirs, _ = _all(actor, flt=ListFilter(owner=str(mgr.user_id)))
    assert set(theirs) == {ids["Громов Глеб"], ids["Дятлов Денис"]}
    vip, _ = _all(actor, flt=ListFilter(tag="vip"))
    assert set(vip) == {ids["Антонов Антон"], ids["Борисов Борис"]}
    seg, _ = _all(actor, flt=ListFilter(segment="retail"))
    assert set(seg) == {ids[n] for i, n in enumerate(ids) if i % 2}
    no_next, _ = _all(actor, flt=ListFilter(no_next_step=True))
    assert set(no_next) == set(ids.values()) - {ids["Волков Виктор"], ids["Громов Глеб"]}
    both, _ = _all(actor, flt=ListFilter(tag="VIP", segment="retail"))
    assert both == [ids["Антонов Антон"]]
    assert contact_list.count(actor, "person", ListFilter(tag="VIP")) == (2, False)


def test_companies_and_archived(actor, base):
    ids, mgr, retail, whole = base
    got, _ = _all(actor, "company")
    assert got == [whole, retail]  # Василёк < Ромашка
    assert _all(actor, "company", flt=ListFilter(tag="vip"))[0] == [retail]
    assert _all(actor, "company", flt=ListFilter(segment="wholesale"))[0] == [whole]
    contacts.archive(actor, "person", ids["Антонов Антон"])
    assert ids["Антонов Антон"] not in _all(actor)[0]
    assert ids["Антонов Антон"] in _all(actor, flt=ListFilter(include_archived=True))[0]


def test_private_cards_hidden_from_other_managers(actor, base):
    ids, mgr, *_ = base
    contacts.update_person(actor, ids["Антонов Антон"], None, visibility="private")
    assert ids["Антонов Антон"] not in _all(mgr)[0]
    assert ids["Антонов Антон"] in _all(actor)[0]


def test_bad_sort_is_refused(actor):
    with pytest.raises(ValueError):
        contact_list.page(actor, "person", sort="nope")
