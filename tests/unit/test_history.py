"""The card's history timeline: every source, newest first, who did it, paged without gaps — both engines."""

import datetime as dt

from tuicrm.model import Note
from tuicrm.services import activities, contacts, deals, history


def _walk(actor, kind, rid, limit):
    out, cursor = [], None
    while True:
        page = history.timeline(actor, kind, rid, cursor=cursor, limit=limit)
        out += page.entries
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def test_timeline_merges_sources_newest_first(actor, frozen_clock):
    now = frozen_clock()
    company = contacts.create_company(actor, "Ромашка")
    person = contacts.create_person(actor, full_name="Иванов Пётр", company_id=company)
    other = contacts.create_person(actor, full_name="Петрова Анна", company_id=company)
    call = activities.log_call(actor, outcome="reached", result="Wants an offer", person_id=person, at=now - dt.timedelta(hours=5))
    Note.create(text="Prefers email", person=person, author=actor.user_id, created_at=now - dt.timedelta(hours=4))
    deal = deals.create_deal(actor, "Offer 2027", amount_minor=1_000_000, person_id=person, company_id=company,
                             created_at=now - dt.timedelta(hours=3))
    stage2 = deals.stages(deals.default_pipeline().id)[1]
    deals.move_deal(actor, deal, stage2.id, None, at=now - dt.timedelta(hours=2))
    activities.log_call(actor, outcome="no_answer", person_id=other, at=now - dt.timedelta(hours=1))

    entries = history.timeline(actor, "person", person).entries
    assert [e.source for e in entries] == ["stage", "deal", "note", "activity"]
    assert entries[-1].id == call and entries[-1].result == "Wants an offer" and entries[-1].outcome == "reached"
    assert entries[-1].who == actor.name and entries[0].to_stage == stage2.name and entries[0].from_stage
    assert entries[1].amount_minor == 1_000_000

    company_entries = history.timeline(actor, "company", company).entries
    assert len(company_entries) == 5 and company_entries[0].person == "Петрова Анна"


def test_paging_walks_every_entry_once_even_on_equal_times(actor, frozen_clock):
    now = frozen_clock()
    person = contacts.create_person(actor, full_name="Сидоров")
    made = set()
    for i in range(23):  # several at the very same second
        made.add(("activity", activities.log_call(actor, outcome="reached", person_id=person, at=now - dt.timedelta(minutes=i // 3))))
    for i in range(4):
        made.add(("note", Note.create(text=f"n{i}", person=person, created_at=now - dt.timedelta(minutes=i)).id))
    seen = _walk(actor, "person", person, limit=5)
    assert len(seen) == len(made) == 27
    assert {(e.source, e.id) for e in seen} == made
    assert [e.cursor for e in seen] == sorted((e.cursor for e in seen), reverse=True)


def test_empty_history(actor):
    person = contacts.create_person(actor, full_name="Новиков")
    page = history.timeline(actor, "person", person)
    assert page.entries == [] and page.next_cursor is None
