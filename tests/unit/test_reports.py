"""Reports against hand-computed numbers on crafted data, on SQLite and PostgreSQL.

The data (all times naive UTC; Moscow is UTC+3 all year):
- activities of ann and bob around the November 2026 boundaries (a call at 31 Oct 22:30 UTC is
  1 Nov in Moscow; one at 30 Nov 21:30 UTC is 1 Dec in Moscow), cid has nothing;
- deals D1…D9 moving through the default pipeline, D1 going back a stage and forward again.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tuicrm.model import Activity, Competitor, DealTag, LossReason, SalesTarget, Stage, Tag
from tuicrm.services import activities, deals, reports, users
from tuicrm.services.base import Actor, Forbidden, ValidationError
from tuicrm.services.reports import Filters, Period, ReportParams

MSK = ZoneInfo("Europe/Moscow")
UTC = ZoneInfo("UTC")
NOW = dt.datetime(2026, 11, 27, 7, 0)
NOV = Period(dt.date(2026, 11, 1), dt.date(2026, 12, 1))
T = dt.datetime


def at(month, day, hour=10, minute=0, year=2026):
    return T(year, month, day, hour, minute)


@pytest.fixture
def crm(session, actor):
    ann = users.create_user("ann", "Ann Antonova")
    bob = users.create_user("bob", "Bob Borisov")
    cid = users.create_user("cid", "Cid Cidorov")
    st = {s.position: s.id for s in Stage.select()}
    new, qual, prop, nego, won, lost = (st[i] for i in range(6))
    price = LossReason.get(LossReason.name == "Price").id
    chose = LossReason.get(LossReason.name == "Chose a competitor").id
    acme = Competitor.create(name="Acme").id

    def act(user, kind, *, due=None, done=None, outcome=None):
        return activities.create_activity(actor, kind, "x", due_at=due, done_at=done, outcome=outcome, assignee_id=user.id)

    # ann
    act(ann, "call_out", due=at(10, 31, 22, 30), done=at(10, 31, 22, 30), outcome="reached")
    act(ann, "call_out", due=at(11, 30, 21, 30), done=at(11, 30, 21, 30), outcome="no_answer")
    act(ann, "call_in", due=at(11, 10), done=at(11, 10), outcome="call_back")
    act(ann, "meeting", due=at(11, 10, 12), done=at(11, 10, 12))
    act(ann, "email", due=at(11, 11, 9), done=at(11, 11, 9))
    act(ann, "task", due=at(11, 12, 9), done=at(11, 12, 15))
    act(ann, "task", due=at(11, 20, 9))
    act(ann, "task", due=at(12, 5, 9))
    gone = act(ann, "call_out", due=at(11, 15), done=at(11, 15), outcome="reached")
    Activity.update(archived_at=at(11, 16)).where(Activity.id == gone).execute()
    # bob
    act(bob, "call_out", due=at(11, 5, 8), done=at(11, 5, 8), outcome="busy")
    act(bob, "call_out", due=at(11, 26, 8))

    def deal(title, amount, created, *, stage=new, owner=ann, close=None, prob=None):
        return deals.create_deal(actor, title, amount_minor=amount, stage_id=stage, owner_id=owner.id,
                                 expected_close=close, probability=prob, created_at=created)

    def move(d, stage, when, **kw):
        deals.move_deal(actor, d, stage, None, at=when, **kw)

    d1 = deal("D1", 10_000_000, at(11, 2))
    move(d1, qual, at(11, 4)); move(d1, prop, at(11, 6)); move(d1, qual, at(11, 8))
    move(d1, prop, at(11, 10)); move(d1, won, at(11, 15))
    d2 = deal("D2", 500_000, at(11, 3)); move(d2, lost, at(11, 5), loss_reason_id=price)
    d3 = deal("D3", 2_000_000, at(11, 3)); move(d3, qual, at(11, 7))
    move(d3, lost, at(11, 9), loss_reason_id=chose, competitor_id=acme)
    d4 = deal("D4", 300_000, at(10, 20), owner=bob, close=dt.date(2026, 12, 15)); move(d4, qual, at(11, 1))
    deal("D5", 1_000_000, at(11, 20), stage=nego, close=dt.date(2026, 11, 30), prob=60)
    d6 = deal("D6", 4_000_000, at(11, 21)); move(d6, lost, at(11, 22), loss_reason_id=chose, competitor_id=acme)
    d7 = deal("D7", 700_000, at(10, 25, 22)); move(d7, lost, at(10, 31, 22), loss_reason_id=price)
    deal("D8", 333, at(10, 1), stage=prop, close=dt.date(2026, 12, 1))
    deal("D9", 999, at(10, 1), close=dt.date(2027, 1, 10))
    vip = Tag.create(name="VIP", name_key="vip")
    DealTag.create(deal=d1, tag=vip)
    reports.set_target(actor, ann.id, dt.date(2026, 11, 1), 5_000_000)
    reports.set_target(actor, ann.id, dt.date(2026, 12, 1), 1_000_000)
    reports.set_target(actor, bob.id, dt.date(2026, 11, 1), 2_000_000)
    return {"ann": ann, "bob": bob, "cid": cid, "tester": actor, "stages": st}


def rows_by_name(table):
    return {r[0]: r[1:] for r in table.rows}


# --- periods ---------------------------------------------------------------------------------

def test_parse_period_forms():
    today = dt.date(2026, 11, 27)
    p = reports.parse_period
    assert (p("this-month", today).start, p("this-month", today).end) == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert (p("last-month", today).start, p("last-month", today).end) == (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    assert (p("this-week", today).start, p("this-week", today).end) == (dt.date(2026, 11, 23), dt.date(2026, 11, 30))
    assert (p("this-quarter", today).start, p("this-quarter", today).end) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert (p("last-year", today).start, p("last-year", today).end) == (dt.date(2025, 1, 1), dt.date(2026, 1, 1))
    assert (p("2026-01..2026-03", today).start, p("2026-01..2026-03", today).end) == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    assert (p("2026-01-05..2026-02-10", today).end) == dt.date(2026, 2, 11)
    assert (p("2026-Q2", today).start, p("2026-Q2", today).end) == (dt.date(2026, 4, 1), dt.date(2026, 7, 1))
    with pytest.raises(ValidationError, match="ends before it starts"):
        p("2026-03..2026-01", today)
    with pytest.raises(ValidationError, match="cannot read the period"):
        p("someday", today)
    with pytest.raises(ValidationError, match="ends before it starts"):
        reports.period_from_dates(dt.date(2026, 3, 2), dt.date(2026, 3, 1))


def test_shift_periods():
    nov = reports.parse_period("this-month", dt.date(2026, 11, 27))
    assert nov.shift(-1).start == dt.date(2026, 10, 1) and nov.shift(1).end == dt.date(2027, 1, 1)
    week = reports.parse_period("this-week", dt.date(2026, 11, 27))
    assert week.shift(-1).start == dt.date(2026, 11, 16)


def test_buckets_are_local_midnights_in_utc():
    bs = reports.make_buckets(NOV, "week", MSK)
    assert bs[0].start == dt.date(2026, 11, 1) and bs[0].end == dt.date(2026, 11, 2)  # Sunday: a one-day week
    assert bs[1].start_utc == T(2026, 11, 1, 21, 0)
    assert reports.pick_granularity(NOV) == "day"
    assert reports.pick_granularity(reports.parse_period("2026", dt.date(2026, 1, 1))) == "month"


# --- a. activity -----------------------------------------------------------------------------

def test_activity_moscow(crm, actor):
    r = reports.manager_activity(actor, NOV, tz=MSK, now=NOW)
    rows = rows_by_name(r.tables[0])
    # out, in, meetings, emails, tasks, done all, planned, planned done, overdue, reached, not reached
    assert rows["Ann Antonova"] == (1, 1, 1, 1, 1, 5, 6, 5, 1, 2, 0)
    assert rows["Bob Borisov"] == (1, 0, 0, 0, 0, 1, 2, 1, 1, 0, 1)
    assert rows["Cid Cidorov"] == (0,) * 11  # a manager with nothing is a row of zeros
    assert rows["Total"] == (2, 1, 1, 1, 1, 6, 8, 6, 2, 2, 1)
    assert r.granularity == "day" and len(r.chart.labels) == 30
    calls = next(s for s in r.chart.series if s.name == "Calls")
    assert calls.values[0] == 1  # 31 Oct 22:30 UTC is 1 Nov in Moscow
    assert calls.values[29] == 0
    assert sum(calls.values) == 3
    assert r.totals["done"] == 6
    matrix = rows_by_name(r.tables[1])  # done per manager per day, then the total
    assert matrix["Ann Antonova"][0] == 1 and matrix["Ann Antonova"][9] == 2 and matrix["Ann Antonova"][-1] == 5
    assert matrix["Bob Borisov"][4] == 1 and sum(matrix["Cid Cidorov"]) == 0


def test_activity_counts_unassigned_and_many_buckets(crm, actor):
    """Activities nobody is assigned to are a "(nobody)" row on both engines (SQLite reads them
    with their own index seek), and a period of more than 62 day buckets gives the same counts."""
    nobody = activities.create_activity(actor, "call_out", "x", due_at=at(11, 3), done_at=at(11, 3), outcome="refused")
    Activity.update(assignee=None).where(Activity.id == nobody).execute()
    r = reports.manager_activity(actor, NOV, tz=MSK, now=NOW)
    rows = rows_by_name(r.tables[0])
    assert rows["(nobody)"][0] == 1 and rows["(nobody)"][5] == 1 and rows["(nobody)"][9] == 1
    assert rows["Total"][5] == 7
    long = reports.Period(dt.date(2026, 9, 1), dt.date(2026, 12, 1))
    by_day = reports.manager_activity(actor, long, tz=MSK, now=NOW, bucket="day")
    by_month = reports.manager_activity(actor, long, tz=MSK, now=NOW, bucket="month")
    assert len(by_day.chart.labels) > reports.BUCKET_PARTS_MAX
    assert by_day.tables[0].rows == by_month.tables[0].rows
    assert [sum(s.values) for s in by_day.chart.series] == [sum(s.values) for s in by_month.chart.series]


def test_activity_utc_moves_the_boundary_calls(crm, actor):
    r = reports.manager_activity(actor, NOV, tz=UTC, now=NOW)
    rows = rows_by_name(r.tables[0])
    assert rows["Ann Antonova"] == (1, 1, 1, 1, 1, 5, 6, 5, 1, 1, 1)
    calls = next(s for s in r.chart.series if s.name == "Calls")
    assert calls.values[0] == 0 and calls.values[29] == 1
    assert rows_by_name(r.tables[1])["Ann Antonova"][29] == 1


def test_activity_by_week_and_month(crm, actor):
    r = reports.manager_activity(actor, NOV, tz=MSK, now=NOW, bucket="week")
    calls = next(s for s in r.chart.series if s.name == "Calls")
    assert len(r.chart.labels) == 6  # 1 Nov (Sun), then 5 Monday weeks to 30 Nov
    assert calls.values == (1.0, 1.0, 1.0, 0.0, 0.0, 0.0)
    q = reports.manager_activity(actor, Period(dt.date(2026, 10, 1), dt.date(2027, 1, 1)), tz=MSK, now=NOW)
    assert q.granularity == "week" or q.granularity == "month"
    m = reports.manager_activity(actor, Period(dt.date(2026, 10, 1), dt.date(2027, 1, 1)), tz=MSK, now=NOW, bucket="month")
    calls = next(s for s in m.chart.series if s.name == "Calls")
    assert calls.values == (0.0, 3.0, 1.0)  # the 30 Nov 21:30 UTC call is December in Moscow


def test_activity_filter_and_empty_period(crm, actor):
    bob = crm["bob"]
    r = reports.manager_activity(actor, NOV, tz=MSK, now=NOW, filters=Filters(managers=(bob.id,)))
    assert [row[0] for row in r.tables[0].rows] == ["Bob Borisov"]
    empty = reports.manager_activity(actor, Period(dt.date(2025, 1, 1), dt.date(2025, 2, 1)), tz=MSK, now=NOW,
                                     filters=Filters(managers=(crm["cid"].id,)))
    assert empty.chart.empty
    assert rows_by_name(empty.tables[0])["Cid Cidorov"] == (0,) * 11


def test_manager_sees_only_himself(crm):
    ann = crm["ann"]
    me = Actor(ann.id, "manager", "ann", ann.name)
    r = reports.manager_activity(me, NOV, tz=MSK, now=NOW)
    assert [row[0] for row in r.tables[0].rows] == ["Ann Antonova"]
    with pytest.raises(Forbidden):
        reports.manager_activity(me, NOV, tz=MSK, now=NOW, filters=Filters(managers=(crm["bob"].id,)))


# --- b. funnel -------------------------------------------------------------------------------

def test_funnel_moscow(crm, actor):
    r = reports.funnel(actor, NOV, tz=MSK, now=NOW)
    rows = rows_by_name(r.tables[0])
    # deals now, amount now, entered, moved on, next, conversion, avg days, lost here
    assert rows["New lead"] == (1, 999, 4, 2, "Qualified", 0.5, 4.5, 3)
    assert rows["Qualified"][:5] == (1, 300_000, 3, 1, "Proposal")
    assert rows["Qualified"][5] == pytest.approx(1 / 3) and rows["Qualified"][6] == 2.0 and rows["Qualified"][7] == 1
    assert rows["Proposal"] == (1, 333, 1, 1, "Negotiation", 1.0, 3.5, 0)  # D1 went back and forward: counted once
    assert rows["Negotiation"] == (1, 1_000_000, 1, 0, "Won", 0.0, None, 0)
    assert rows["Won"][:3] == (1, 10_000_000, 1)
    assert rows["Lost"][:3] == (4, 7_200_000, 4)
    assert r.totals["worst_stage_id"] == crm["stages"][0] and "New lead" in r.callout
    assert r.chart.labels == ("New lead", "Qualified", "Proposal", "Negotiation", "Won")


def test_funnel_utc_and_tags(crm, actor):
    r = reports.funnel(actor, NOV, tz=UTC, now=NOW)
    rows = rows_by_name(r.tables[0])
    assert rows["New lead"][2:] == (4, 2, "Qualified", 0.5, 4.2, 2)
    vip = reports.funnel(actor, NOV, tz=MSK, now=NOW, filters=Filters(tags=("vip",)))
    rows = rows_by_name(vip.tables[0])
    assert rows["Qualified"][2:4] == (1, 1) and rows["Won"][0] == 1 and rows["Lost"][0] == 0
    with pytest.raises(ValidationError, match="no such tag"):
        reports.funnel(actor, NOV, tz=MSK, now=NOW, filters=Filters(tags=("nope",)))


def test_funnel_empty_period(crm, actor):
    r = reports.funnel(actor, Period(dt.date(2025, 1, 1), dt.date(2025, 2, 1)), tz=MSK, now=NOW)
    rows = rows_by_name(r.tables[0])
    assert rows["Qualified"][2:] == (0, 0, "Proposal", None, None, 0)
    assert r.callout == ""
    assert all(v == 0 for v in r.chart.series[0].values)


# --- c. won and lost --------------------------------------------------------------------------

def test_won_lost_moscow(crm, actor):
    r = reports.won_lost(actor, NOV, tz=MSK, now=NOW)
    main, reasons, comps = r.tables[:3]
    assert main.rows[0][1:] == (1, 10_000_000, 4, 7_200_000, 0.2)  # D7 lost 1 Nov 01:00 Moscow
    assert rows_by_name(reasons) == {"Chose a competitor": (2, 6_000_000, 0.5), "Price": (2, 1_200_000, 0.5)}
    assert rows_by_name(comps) == {"Acme": (2, 6_000_000, 3_000_000, 4_000_000, 0.5)}
    assert "Acme" in r.callout


def test_won_lost_utc_and_months(crm, actor):
    r = reports.won_lost(actor, NOV, tz=UTC, now=NOW)
    assert r.tables[0].rows[0][1:] == (1, 10_000_000, 3, 6_500_000, 0.25)
    assert rows_by_name(r.tables[1])["Price"] == (1, 500_000, pytest.approx(1 / 3))
    two = reports.won_lost(actor, Period(dt.date(2026, 10, 1), dt.date(2026, 12, 1)), tz=UTC, now=NOW)
    assert [row[1:4:2] for row in two.tables[0].rows] == [(0, 1), (1, 3), (1, 4)]  # Oct, Nov, Total
    assert two.chart.series[1].values == (1.0, 3.0)


# --- d. forecast ------------------------------------------------------------------------------

def test_forecast(crm, actor):
    period = reports.parse_period("2026-11..2026-12", dt.date(2026, 11, 27))
    r = reports.forecast(actor, period, tz=MSK, now=NOW)
    rows = rows_by_name(r.tables[0])
    # open deals, weighted, best case, won to date, plan, of plan
    assert rows["Ann Antonova"][:5] == (2, 600_167, 1_000_333, 10_000_000, 6_000_000)
    assert rows["Ann Antonova"][5] == pytest.approx(10 / 6)
    assert rows["Bob Borisov"] == (1, 75_000, 300_000, 0, 2_000_000, 0.0)
    assert rows["Cid Cidorov"] == (0, 0, 0, 0, 0, None)
    assert rows["Total"][:5] == (3, 675_167, 1_300_333, 10_000_000, 8_000_000)
    months = r.tables[1].rows
    assert [m[1:6] for m in months] == [(1, 600_000, 1_000_000, 10_000_000, 7_000_000), (2, 75_167, 300_333, 0, 1_000_000)]
    assert r.chart.series[0].values == (6000.0, 751.67)


def test_targets_need_a_head(crm):
    ann = crm["ann"]
    with pytest.raises(Forbidden):
        reports.set_target(Actor(ann.id, "manager"), ann.id, dt.date(2026, 11, 1), 1)
    reports.set_target(crm["tester"], ann.id, dt.date(2026, 11, 20), 7)  # any day means its month
    assert reports.get_target(ann.id, dt.date(2026, 11, 1)) == 7
    assert SalesTarget.select().where(SalesTarget.user == ann.id).count() == 2


# --- run by params, saved reports -------------------------------------------------------------

def test_run_and_saved_reports(crm, actor):
    params = ReportParams("winloss", "this-month", (), None, ("vip",))
    r = reports.run(actor, params, tz=MSK, now=NOW)
    assert r.report == "winloss" and r.tables[0].rows[0][1] == 1
    saved = reports.save_report(actor, "VIP wins", params, slot=1)
    assert reports.get_saved(actor, "vip wins").params == params
    other = reports.save_report(actor, "All funnel", ReportParams("funnel", "last-quarter"), slot=1)
    assert reports.saved_in_slot(actor, 1).id == other.id  # a slot holds one report
    assert [s.name for s in reports.list_saved(actor)] == ["All funnel", "VIP wins"]
    reports.save_report(actor, "VIP wins", ReportParams("winloss", "this-year", (), None, ("vip",)))
    assert reports.get_saved(actor, "VIP wins").params.period == "this-year"
    with pytest.raises(ValidationError):
        reports.save_report(actor, "funnel", params)
    with pytest.raises(ValidationError):
        reports.save_report(actor, "bad", ReportParams("funnel", "2026-05..2026-01"))
    reports.delete_saved(actor, saved.id)
    assert reports.get_saved(actor, "VIP wins") is None
    with pytest.raises(ValidationError, match="unknown report"):
        reports.run(actor, ReportParams("nope"), tz=MSK, now=NOW)
