"""Plan services on SQLite and PostgreSQL: day bounds across zones, overdue ordering, reschedule
rules (weekends, past times, conflicts), completing with a follow-up, candidates, reminders."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tuicrm.config import Settings
from tuicrm.model import Activity, Person, User, set_clock
from tuicrm.services import activities, contacts, deals, plan, reminders, users
from tuicrm.services.base import Conflict, Forbidden, ValidationError

MSK = ZoneInfo("Europe/Moscow")
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 27, 7, 0)  # Friday 10:00 in Moscow
FRI = dt.date(2026, 11, 27)


def utc(y, mo, d, h, mi=0):
    return dt.datetime(y, mo, d, h, mi)


@pytest.fixture
def crm(session, frozen_clock):
    a = session.actor
    pid = contacts.create_person(a, full_name="Иванов Иван", phones=["+7 916 123-45-67"],
                                 company_id=contacts.create_company(a, "ООО Ромашка", phones=["+7 495 111-22-33"]))
    return a, pid


def test_day_bounds_follow_the_zone():
    assert plan.day_bounds(FRI, MSK) == (utc(2026, 11, 26, 21), utc(2026, 11, 27, 21))
    assert plan.day_bounds(FRI, NY) == (utc(2026, 11, 27, 5), utc(2026, 11, 28, 5))
    # DST change day in New York (2026-03-08): 23 hours long
    s, e = plan.day_bounds(dt.date(2026, 3, 8), NY)
    assert e - s == dt.timedelta(hours=23)


def test_day_view_uses_the_users_zone_overdue_first(crm):
    a, pid = crm
    mk = lambda subj, due, **kw: activities.create_activity(a, "call_out", subj, due_at=due, person_id=pid, **kw)
    late_evening = mk("23:30 Moscow Thursday", utc(2026, 11, 26, 20, 30))  # Thu 23:30 MSK: yesterday, overdue
    early = mk("00:30 Moscow Friday", utc(2026, 11, 26, 21, 30))  # Fri 00:30 MSK: today
    noon = mk("noon", utc(2026, 11, 27, 9))
    morning = mk("morning", utc(2026, 11, 27, 6))
    old = mk("last week", utc(2026, 11, 20, 9))
    done_old = mk("done last week", utc(2026, 11, 20, 10), done_at=utc(2026, 11, 20, 10), outcome="reached")
    next_day = mk("saturday", utc(2026, 11, 27, 21, 30))  # Sat 00:30 MSK
    done_today = mk("late, done this morning", utc(2026, 11, 19, 9), done_at=utc(2026, 11, 27, 6), outcome="reached")
    rows = plan.day_plan(a, a.user_id, FRI, MSK, now=NOW)
    ids = [r.id for r in rows]
    assert ids == [done_today, old, late_evening, early, morning, noon]
    assert done_old not in ids and next_day not in ids
    assert [r.overdue for r in rows] == [True, True, True, True, True, False]
    assert rows[0].is_done and plan.counts(rows).overdue == 4
    assert rows[-1].phone_e164 == "+79161234567" and rows[-1].company_name == "ООО Ромашка"
    # the same data seen from New York: Friday there starts at 05:00 UTC
    ny = [r.id for r in plan.day_plan(a, a.user_id, FRI, NY, now=NOW, with_overdue=False)]
    assert ny == [done_today, morning, noon, next_day]  # done on Friday there too
    # another day shows no overdue block
    assert [r.id for r in plan.day_plan(a, a.user_id, FRI + dt.timedelta(days=1), MSK, now=NOW)] == [next_day]


def test_done_items_stay_and_archived_client_is_marked(crm):
    a, pid = crm
    aid = activities.create_activity(a, "call_out", "call", due_at=utc(2026, 11, 27, 8), person_id=pid)
    row = plan.day_plan(a, a.user_id, FRI, MSK, now=NOW)[0]
    plan.complete_with_follow_up(a, aid, row.row_version, outcome="reached", result="agreed on price")
    contacts.archive(a, "person", pid)
    row = plan.day_plan(a, a.user_id, FRI, MSK, now=NOW)[0]
    assert row.is_done and row.outcome == "reached" and row.result == "agreed on price"
    assert row.client_archived


def test_another_users_day_only_for_heads(session, frozen_clock):
    a = session.actor  # admin
    mgr = users.actor_for(users.create_user("mgr", "Manager One"))
    head = users.actor_for(users.create_user("boss", "Head", role="head"))
    activities.create_activity(mgr, "task", "prepare offer", due_at=utc(2026, 11, 27, 9))
    assert [r.subject for r in plan.day_plan(head, mgr.user_id, FRI, MSK, now=NOW)] == ["prepare offer"]
    assert [r.subject for r in plan.day_plan(a, mgr.user_id, FRI, MSK, now=NOW)] == ["prepare offer"]
    with pytest.raises(Forbidden):
        plan.day_plan(mgr, a.user_id, FRI, MSK, now=NOW)
    with pytest.raises(Forbidden):
        plan.users_to_view(mgr)
    assert {u.login for u in plan.users_to_view(head)} == {"tester", "mgr", "boss"}


def test_user_zone_prefers_the_users_own(session):
    a = session.actor
    User.update(timezone="Asia/Novosibirsk").where(User.id == a.user_id).execute()
    assert str(plan.user_zone(a.user_id, "Europe/Moscow")) == "Asia/Novosibirsk"
    User.update(timezone=None).where(User.id == a.user_id).execute()
    assert str(plan.user_zone(a.user_id, "Europe/Moscow")) == "Europe/Moscow"


def test_reschedule_options_skip_weekends():
    due = utc(2026, 11, 27, 8)  # Fri 11:00 MSK
    opts = plan.reschedule_options(due, NOW, MSK)
    assert opts["hour"] == utc(2026, 11, 27, 9)
    assert opts["later"] == utc(2026, 11, 27, 10)  # now + 3h
    assert opts["tomorrow"] == utc(2026, 11, 28, 8)  # Saturday, same time
    assert opts["workday"] == utc(2026, 11, 30, 8)  # Monday, same time
    # an overdue item moves an hour from now, not from its old time
    assert plan.reschedule_options(utc(2026, 11, 25, 8), NOW, MSK)["hour"] == utc(2026, 11, 27, 8)
    # after working hours "later today" is not offered
    evening = utc(2026, 11, 27, 15)  # 18:00 MSK
    assert plan.reschedule_options(None, evening, MSK)["later"] is None


def test_reschedule_refuses_past_and_conflicts(crm):
    a, pid = crm
    aid = activities.create_activity(a, "call_out", "c", due_at=utc(2026, 11, 27, 8), person_id=pid)
    v = Activity.get_by_id(aid).row_version
    with pytest.raises(ValidationError, match="past"):
        plan.reschedule(a, aid, v, utc(2026, 11, 26, 8), now=NOW)
    assert Activity.get_by_id(aid).due_at == utc(2026, 11, 27, 8)
    v2 = plan.reschedule(a, aid, v, utc(2026, 11, 30, 8), now=NOW)
    assert Activity.get_by_id(aid).due_at == utc(2026, 11, 30, 8)
    assert Person.get_by_id(pid).next_activity_at == utc(2026, 11, 30, 8)
    with pytest.raises(Conflict):
        plan.reschedule(a, aid, v, utc(2026, 12, 1, 8), now=NOW)  # stale version
    assert Activity.get_by_id(aid).due_at == utc(2026, 11, 30, 8)
    plan.reschedule(a, aid, v2, utc(2026, 11, 20, 8), now=NOW, allow_past=True)
    assert Activity.get_by_id(aid).due_at == utc(2026, 11, 20, 8)


def test_parse_when_in_the_users_zone():
    assert plan.parse_when("tomorrow 15:30", NOW, MSK) == utc(2026, 11, 28, 12, 30)
    assert plan.parse_when("01.12.2026 09:00", NOW, MSK) == utc(2026, 12, 1, 6)
    assert plan.parse_when("+2h", NOW, MSK) == utc(2026, 11, 27, 9)
    with pytest.raises(ValidationError):
        plan.parse_when("31.02.2026", NOW, MSK)
    with pytest.raises(ValidationError):
        plan.parse_when("whenever", NOW, MSK)


def test_follow_up_suggestions():
    due = utc(2026, 11, 27, 8)  # Fri 11:00 MSK
    assert plan.suggest_follow_up("no_answer", "call_out", due, NOW, MSK) == ("call_out", utc(2026, 11, 27, 9))
    evening = utc(2026, 11, 27, 14)  # 17:00 MSK: +2h is after hours → Monday 09:00
    assert plan.suggest_follow_up("busy", "call_out", due, evening, MSK) == ("call_out", utc(2026, 11, 30, 6))
    assert plan.suggest_follow_up("call_back", "call_out", due, NOW, MSK) == ("call_out", utc(2026, 11, 30, 8))
    thu = utc(2026, 11, 26, 8)
    assert plan.suggest_follow_up("call_back", "call_out", thu, thu, MSK) == ("call_out", utc(2026, 11, 27, 8))
    assert plan.suggest_follow_up("refused", "call_out", due, NOW, MSK) is None
    assert plan.suggest_follow_up("reached", "meeting", due, NOW, MSK) == ("meeting", utc(2026, 12, 2, 8))


def test_complete_with_follow_up_and_conflict(crm):
    a, pid = crm
    aid = activities.create_activity(a, "call_out", "first call", due_at=utc(2026, 11, 27, 8), person_id=pid)
    v = Activity.get_by_id(aid).row_version
    other = users.actor_for(users.create_user("other"))
    plan.reschedule(other, aid, v, utc(2026, 11, 27, 10), now=NOW)  # someone edits it meanwhile
    fu = plan.FollowUp("call_out", utc(2026, 11, 27, 11), "call again")
    with pytest.raises(Conflict):
        plan.complete_with_follow_up(a, aid, v, outcome="no_answer", result="", follow_up=fu)
    assert Activity.get_by_id(aid).done_at is None
    assert Activity.select().count() == 1  # no follow-up created either
    v = Activity.get_by_id(aid).row_version
    _, fid = plan.complete_with_follow_up(a, aid, v, outcome="no_answer", result="rang out", follow_up=fu)
    done = Activity.get_by_id(aid)
    assert done.done_at == NOW and done.outcome == "no_answer" and done.result == "rang out"
    f = Activity.get_by_id(fid)
    assert (f.follow_up_of_id, f.person_id, f.due_at, f.subject) == (aid, pid, utc(2026, 11, 27, 11), "call again")
    p = Person.get_by_id(pid)
    assert p.last_contact_at == NOW and p.next_activity_at == utc(2026, 11, 27, 11)


def test_candidates_rules(session, frozen_clock):
    a = session.actor
    s = Settings(stale_contact_days=30, daily_call_target=5)
    sat = FRI + dt.timedelta(days=1)
    mk_person = lambda name: contacts.create_person(a, full_name=name)
    planned_p, overdue_p, deal_p, deal_busy_p, stale_p, fresh_p, stale_planned_p = (
        mk_person(n) for n in ("Planned P", "Overdue P", "Deal P", "Busy Deal P", "Stale P", "Fresh P", "Stale Planned P"))
    planned = activities.create_activity(a, "call_out", "follow-up", due_at=utc(2026, 11, 28, 7), person_id=planned_p)
    overdue = activities.create_activity(a, "task", "send offer", due_at=utc(2026, 11, 24, 7), person_id=overdue_p)
    d_free = deals.create_deal(a, "Free deal", person_id=deal_p, amount_minor=100000)
    d_busy = deals.create_deal(a, "Busy deal", person_id=deal_busy_p)
    activities.create_activity(a, "call_out", "next step", due_at=utc(2026, 12, 3, 7), deal_id=d_busy, person_id=deal_busy_p)
    won = deals.create_deal(a, "Won deal", stage_id=[st.id for st in deals.stages(deals.default_pipeline().id) if st.kind == "won"][0])
    activities.log_call(a, outcome="reached", person_id=stale_p, at=utc(2026, 10, 1, 7))
    activities.log_call(a, outcome="reached", person_id=fresh_p, at=utc(2026, 11, 20, 7))
    activities.log_call(a, outcome="reached", person_id=stale_planned_p, at=utc(2026, 10, 1, 7))
    activities.create_activity(a, "call_out", "later", due_at=utc(2026, 12, 10, 7), person_id=stale_planned_p)
    other = users.actor_for(users.create_user("other"))
    other_p = contacts.create_person(other, full_name="Other's stale")
    activities.log_call(other, outcome="reached", person_id=other_p, at=utc(2026, 9, 1, 7))
    tp = plan.candidates(a, a.user_id, sat, MSK, s, now=NOW)
    got = {(c.reason, c.key) for c in tp.candidates}
    assert got == {("planned", f"a:{planned}"), ("overdue", f"a:{overdue}"), ("deal", f"d:{d_free}"), ("stale", f"p:{stale_p}")}
    assert won not in {c.deal_id for c in tp.candidates}
    assert (tp.planned_calls, tp.planned_total, tp.target) == (1, 1, 5)
    User.update(daily_call_target=12).where(User.id == a.user_id).execute()
    assert plan.candidates(a, a.user_id, sat, MSK, s, now=NOW).target == 12

    # scheduling: a deal gets a new call in the next free slot; the overdue task is moved
    slot = plan.next_free_slot(a.user_id, sat, MSK, now=NOW)
    assert slot == utc(2026, 11, 28, 6)  # 09:00 MSK
    deal_c = next(c for c in tp.candidates if c.reason == "deal")
    nid = plan.schedule_candidate(a, deal_c, slot, "Next step: Free deal", now=NOW)
    assert Activity.get_by_id(nid).deal_id == d_free
    slot2 = plan.next_free_slot(a.user_id, sat, MSK, now=NOW)
    assert slot2 == utc(2026, 11, 28, 6, 15)
    ov = next(c for c in tp.candidates if c.reason == "overdue")
    plan.schedule_candidate(a, ov, slot2, "", now=NOW)
    assert Activity.get_by_id(overdue).due_at == slot2
    tp2 = plan.candidates(a, a.user_id, sat, MSK, s, now=NOW)
    assert {c.reason for c in tp2.candidates} == {"planned", "stale"}
    assert tp2.planned_calls == 2 and tp2.planned_total == 3


def test_free_slot_skips_busy_and_starts_after_now(session, frozen_clock):
    a = session.actor
    activities.create_activity(a, "call_out", "x", due_at=utc(2026, 11, 27, 7, 0))  # 10:00 MSK
    activities.create_activity(a, "call_out", "y", due_at=utc(2026, 11, 27, 7, 20))  # 10:20 → slot 10:15
    assert plan.next_free_slot(a.user_id, FRI, MSK, now=NOW) == utc(2026, 11, 27, 7, 30)
    taken = {utc(2026, 11, 27, 7, 30)}
    assert plan.next_free_slot(a.user_id, FRI, MSK, now=NOW, taken=taken) == utc(2026, 11, 27, 7, 45)


def test_reminders_announce_once_lead_due_and_assigned(session, frozen_clock):
    a = session.actor
    other = users.actor_for(users.create_user("other"))
    soon = activities.create_activity(a, "call_out", "soon", due_at=NOW + dt.timedelta(minutes=5))
    later = activities.create_activity(a, "call_out", "later", due_at=NOW + dt.timedelta(minutes=40))
    activities.create_activity(a, "call_out", "long overdue", due_at=NOW - dt.timedelta(days=1))
    tr = reminders.ReminderTracker(a.user_id, lead_minutes=10, started=NOW)
    first = tr.poll(NOW)
    assert [(r.notice, r.activity_id) for r in first] == [("lead", soon)]
    assert tr.poll(NOW + dt.timedelta(seconds=30)) == []
    at6 = NOW + dt.timedelta(minutes=6)
    assert [(r.notice, r.activity_id) for r in tr.poll(at6)] == [("due", soon)]
    set_clock(lambda: at6 + dt.timedelta(seconds=10))
    assigned = activities.create_activity(other, "task", "from a colleague", due_at=NOW + dt.timedelta(days=1),
                                          assignee_id=a.user_id)
    got = tr.poll(at6 + dt.timedelta(seconds=30))
    assert [(r.notice, r.activity_id, r.author) for r in got] == [("assigned", assigned, "other")]
    at31 = NOW + dt.timedelta(minutes=31)
    assert [(r.notice, r.activity_id) for r in tr.poll(at31)] == [("lead", later)]
    assert tr.poll(at31 + dt.timedelta(seconds=30)) == []
