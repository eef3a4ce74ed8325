"""The ``activity_day`` summary (schema version 4), on SQLite and PostgreSQL:

- every write path (services, hand-over, merge, import and its undo, raw SQL, foreign-key
  actions, bulk inserts) leaves it equal to a fresh GROUP BY over ``activity`` (the triggers);
- the activity report gives the same numbers from it (whole UTC days) plus ``activity`` (the
  partial days at bucket edges) as from ``activity`` alone, in zones with and without DST and
  half-hour offsets, across DST switches and month/year boundaries, by day/week/month;
- an upgrade from version 3 builds it and installs the triggers.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures.import_files import write_xlsx
from tests.unit.test_schema import blank_url  # noqa: F401 - fixture
from tuicrm.db import activity_summary
from tuicrm.db.connection import close_database, open_database
from tuicrm.model import Activity, ActivityDay, Person, User, database
from tuicrm.model.enums import ActivityKind, Outcome
from tuicrm.services import activities, contacts, plan, reports, users
from tuicrm.services.reports import Filters, Period
from tuicrm.transfer import importer, undo

T = dt.datetime
ZONES = ("UTC", "Europe/Moscow", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")


def in_step() -> set[tuple]:
    """The stored summary equals a fresh GROUP BY (and returns it)."""
    db = database.obj
    stored = activity_summary.stored_rows(db)
    assert stored == activity_summary.fresh_rows(db)
    return stored


def _is_pg() -> bool:
    return database.obj.__class__.__name__.startswith("Postgres")


# --- the triggers -----------------------------------------------------------------------------


def test_every_write_path_keeps_the_summary(session, actor, tmp_path):
    ann, bob, cid = (users.create_user(login, login.title()) for login in ("ann", "bob", "cid"))
    p1 = contacts.create_person(actor, full_name="Иванов Пётр", phones=["8 916 123-45-67"])
    p2 = contacts.create_person(actor, full_name="Иванов Пётр Сергеевич", phones=["8 903 765 43 21"])
    assert in_step() == set()

    # create: planned, done, a logged call (due and done the same moment), nobody's
    planned = activities.create_activity(actor, "call_out", "x", due_at=T(2026, 3, 2, 9), assignee_id=ann.id, person_id=p1)
    done = activities.create_activity(actor, "meeting", "x", due_at=T(2026, 3, 1, 23, 30), done_at=T(2026, 3, 2, 0, 30),
                                      assignee_id=ann.id, person_id=p2)
    activities.log_call(actor, outcome="reached", person_id=p1, at=T(2026, 3, 2, 10))
    nobody = activities.create_activity(actor, "task", "x", due_at=T(2026, 3, 3, 9))
    Activity.update(assignee=None).where(Activity.id == nobody).execute()
    rows = in_step()
    assert ("2026-03-02", ann.id, "call_out", 0, 0, 1, 0) in rows  # planned on its due day
    assert ("2026-03-02", ann.id, "meeting", 1, 0, 0, 0) in rows  # done on its own day …
    assert ("2026-03-01", ann.id, "meeting", 0, 0, 1, 1) in rows  # … planned (and done) the day before
    assert ("2026-03-03", 0, "task", 0, 0, 1, 0) in rows  # nobody is 0

    # complete, reschedule, complete with a follow-up
    v = activities.complete_activity(actor, planned, None, outcome="no_answer", done_at=T(2026, 3, 4, 12))
    in_step()
    follow = activities.create_activity(actor, "task", "y", due_at=T(2026, 3, 5, 9), assignee_id=bob.id, person_id=p2)
    plan.reschedule(actor, follow, None, T(2026, 3, 6, 21, 59), now=T(2026, 3, 1), allow_past=True)
    in_step()
    plan.complete_with_follow_up(actor, follow, None, outcome=None, result="ok", done_at=T(2026, 3, 6, 22),
                                 follow_up=plan.FollowUp(kind="call_out", due_at=T(2026, 3, 9, 9), subject="next"))
    in_step()
    # an outcome, a kind, a due or done time changed directly; a completion undone
    Activity.update(outcome="reached").where(Activity.id == planned).execute()
    in_step()
    Activity.update(kind="call_in").where(Activity.id == planned).execute()
    Activity.update(done_at=None, outcome=None).where(Activity.id == done).execute()
    Activity.update(due_at=None).where(Activity.id == nobody).execute()
    in_step()
    # archive (cancel) and restore; an update of other columns only
    Activity.update(archived_at=T(2026, 3, 7)).where(Activity.id.in_([planned, done])).execute()
    in_step()
    Activity.update(archived_at=T(2026, 3, 8)).where(Activity.id == planned).execute()  # archived again: no change
    Activity.update(subject="renamed", result="r").execute()
    in_step()
    Activity.update(archived_at=None).where(Activity.id == planned).execute()
    in_step()
    # reassign: a card's hand-over, all of a user's open work, then a raw bulk update
    contacts.handover(actor, "person", p2, cid.id)
    in_step()
    users.handover_all(actor, ann.id, bob.id)
    in_step()
    Activity.update(assignee=cid.id).where(Activity.done_at.is_null(False)).execute()
    in_step()
    # merge of cards (activities move to the survivor; not a counted column, but a write)
    contacts.merge(actor, "person", p1, p2)
    in_step()
    # bulk insert, delete, a deleted user (ON DELETE SET NULL moves his rows to nobody)
    temp = users.create_user("temp", "Temp")
    Activity.insert_many([
        {"kind": k.value, "subject": "bulk", "due_at": T(2026, 4, 1 + i % 3, 8 + i % 12), "assignee": temp.id,
         "done_at": T(2026, 4, 2, 10) if i % 2 else None, "outcome": "refused" if i % 2 else None}
        for i, k in enumerate(list(ActivityKind) * 3)
    ]).execute()
    in_step()
    User.delete().where(User.id == temp.id).execute()
    rows = in_step()
    assert any(r[1] == 0 and r[0].startswith("2026-04") for r in rows)
    Activity.delete().where(Activity.id == done).execute()
    in_step()

    # an import and its undo (the imported people's activities lose their person, nothing else)
    sheet = write_xlsx(tmp_path / "people.xlsx", ["ФИО", "Моб. телефон"], [["Сидоров Сидор", "8 916 000-11-22"]])
    rep = importer.run_import(actor, sheet)
    sid = Person.get(Person.import_batch == rep.batch_id).id
    activities.log_call(actor, outcome="busy", person_id=sid, at=T(2026, 5, 1, 12))
    in_step()
    undo.undo_batch(actor, rep.batch_id)
    in_step()

    # everything gone: nothing left in the summary (rows at zero are deleted)
    if _is_pg():
        database.obj.execute_sql('TRUNCATE "activity" CASCADE')
    else:
        Activity.delete().execute()
    assert in_step() == set()


def test_rebuild_equals_the_triggers(session, actor):
    ann = users.create_user("ann", "Ann")
    for i in range(30):
        activities.create_activity(actor, ("call_out", "task", "email")[i % 3], "x", due_at=T(2026, 1, 1 + i, 9),
                                   done_at=T(2026, 1, 1 + i, 9 + i % 12) if i % 4 else None,
                                   outcome="reached" if i % 3 == 0 and i % 4 else None, assignee_id=ann.id)
    kept = in_step()
    activity_summary.rebuild(database.obj)
    assert activity_summary.stored_rows(database.obj) == kept and len(kept) > 20


# --- the report: summary + edges == activity alone ----------------------------------------------


def _anchor_days() -> list[dt.date]:
    days = [dt.date(2026, m, 1) for m in range(1, 13)] + [dt.date(2027, 1, 1)]
    days += [dt.date(2026, 3, 8), dt.date(2026, 3, 29), dt.date(2026, 4, 5),  # DST: New York, Berlin, Lord Howe
             dt.date(2026, 10, 4), dt.date(2026, 10, 25), dt.date(2026, 11, 1),
             dt.date(2026, 1, 5), dt.date(2026, 12, 28)]  # Mondays (week buckets)
    return days


@pytest.fixture
def spread(session, actor):
    """~2,700 activities at every half hour (plus odd minutes) of the two days around each month
    boundary, DST switch and week start of 2026, of three managers and nobody, every kind, some
    archived, some open, some done on another day than due."""
    rng = random.Random(7)
    team = [users.create_user(login, login.title()).id for login in ("ann", "bob", "cid")]
    kinds = [k.value for k in ActivityKind]
    outcomes = [None, *(o.value for o in Outcome)]
    rows = []
    for day in _anchor_days():
        start = T(day.year, day.month, day.day) - dt.timedelta(days=1)
        for step in range(96):
            at = start + dt.timedelta(minutes=30 * step + rng.choice((0, 0, 1, 29)), seconds=rng.choice((0, 0, 59)))
            kind = rng.choice(kinds)
            due = at if rng.random() < 0.8 else at - dt.timedelta(hours=rng.randint(1, 40))
            done = None if rng.random() < 0.25 else at + dt.timedelta(minutes=rng.choice((0, 0, 5, 600)))
            rows.append({
                "kind": kind, "subject": "s", "due_at": due if rng.random() < 0.9 else None, "done_at": done,
                "outcome": rng.choice(outcomes) if done else None,
                "assignee": rng.choice(team + [None]),
                "archived_at": at if rng.random() < 0.07 else None,
            })
    for k in range(0, len(rows), 300):
        Activity.insert_many(rows[k:k + 300]).execute()
    in_step()
    return team


def _same(a: reports.ReportResult, b: reports.ReportResult) -> None:
    assert a.tables == b.tables
    assert a.chart == b.chart
    assert a.totals == b.totals


CASES = [
    (Period(dt.date(2026, 1, 1), dt.date(2027, 1, 1)), "month"),
    (Period(dt.date(2026, 1, 1), dt.date(2027, 1, 1)), "week"),  # 53 buckets: each edge a run of two partial days
    (Period(dt.date(2025, 12, 1), dt.date(2026, 4, 1)), "day"),  # 121 buckets: runs merged, CASE per row
    (Period(dt.date(2026, 3, 1), dt.date(2026, 4, 1)), "auto"),  # March by day (DST in New York, Berlin)
    (Period(dt.date(2026, 10, 20), dt.date(2026, 11, 10)), "auto"),  # the autumn switches by day
    (Period(dt.date(2025, 12, 28), dt.date(2026, 1, 12)), "week"),  # across the year
    (Period(dt.date(2026, 3, 29), dt.date(2026, 3, 30)), "auto"),  # one day of 23 hours in Berlin
]


@pytest.mark.parametrize("zone", ZONES)
def test_report_from_the_summary_equals_activity_alone(spread, actor, zone):
    tz = ZoneInfo(zone)
    now = T(2026, 6, 15, 12)
    ann, bob, _cid = spread
    done_total = 0
    for period, bucket in CASES:
        for filters in (Filters(), Filters(managers=(ann, bob))):
            fast = reports.manager_activity(actor, period, tz=tz, now=now, filters=filters, bucket=bucket)
            slow = reports.manager_activity(actor, period, tz=tz, now=now, filters=filters, bucket=bucket, summary=False)
            _same(fast, slow)
            done_total += fast.totals["done"]
    assert done_total > 1000  # the data is there: the comparisons are not of empty reports


def test_the_report_reads_the_summary(spread, actor):
    """The whole days do come from the summary: a summary out of step shows in the report (and
    only there), and rebuild() puts it right."""
    year = Period(dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    kw = dict(tz=ZoneInfo("Europe/Moscow"), now=T(2026, 6, 15, 12), bucket="month")
    before = reports.manager_activity(actor, year, **kw)
    ActivityDay.update(done=ActivityDay.done + 1, planned=ActivityDay.planned + 1).where(
        (ActivityDay.day == dt.date(2026, 3, 8)) & (ActivityDay.done > 0) & (ActivityDay.planned > 0)).execute()
    skewed = reports.manager_activity(actor, year, **kw)
    assert skewed.totals["done"] > before.totals["done"] and skewed.totals["planned"] > before.totals["planned"]
    assert reports.manager_activity(actor, year, summary=False, **kw).totals == before.totals
    activity_summary.rebuild(database.obj)
    assert reports.manager_activity(actor, year, **kw).totals == before.totals


def test_tag_filter_counts_from_activity(spread, actor):
    """Tags are not in the summary: a tag filter counts from activity alone (and finds nothing
    here: the activities have no person)."""
    from tuicrm.model import Tag

    Tag.create(name="VIP", name_key="vip")
    year = Period(dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    r = reports.manager_activity(actor, year, tz=ZoneInfo("Europe/Berlin"), now=T(2026, 6, 15), filters=Filters(tags=("VIP",)))
    assert r.totals["done"] == 0 and r.totals["planned"] == 0


def test_split_days_covers_each_range_once():
    parts = [(0, T(2025, 12, 31, 21), T(2026, 1, 31, 21)), (1, T(2026, 1, 31, 21), T(2026, 2, 28, 21)),
             (2, T(2026, 3, 1), T(2026, 3, 1, 23)), (3, T(2026, 3, 2), T(2026, 3, 4))]
    days, raw = reports._split_days(parts)
    assert days == [(0, dt.date(2026, 1, 1), dt.date(2026, 1, 31)), (1, dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
                    (3, dt.date(2026, 3, 2), dt.date(2026, 3, 4))]
    assert raw == [(0, T(2025, 12, 31, 21), T(2026, 1, 1)), (0, T(2026, 1, 31), T(2026, 1, 31, 21)),
                   (1, T(2026, 1, 31, 21), T(2026, 2, 1)), (1, T(2026, 2, 28), T(2026, 2, 28, 21)),
                   (2, T(2026, 3, 1), T(2026, 3, 1, 23))]
    runs = reports._raw_runs(raw)
    assert [len(r) for r in runs] == [1, 2, 1, 1]  # the two partial days around 31 Jan 21:00 are one run


# --- the upgrade --------------------------------------------------------------------------------


def test_upgrade_from_version_3_builds_the_summary(blank_url, tmp_path):  # noqa: F811
    from tests.schema_steps import upgrade_from
    from tuicrm.config import Settings
    from tuicrm.session import open_session

    session = open_session(blank_url, Settings(language="en"), user="tester")
    actor = session.actor
    for i in range(12):
        activities.create_activity(actor, ("call_out", "meeting")[i % 2], "x", due_at=T(2026, 2, 1 + i, 10),
                                   done_at=T(2026, 2, 1 + i, 11) if i % 3 else None, outcome="reached" if i % 2 == 0 else None)
    expected = in_step()
    db = database.obj
    activity_summary.drop_triggers(db)  # what version 3 had: no summary, no triggers
    db.execute_sql('DROP TABLE "activity_day"')
    if _is_pg():
        db.execute_sql(f"DROP FUNCTION {activity_summary.PG_FUNCTION}()")
        db.execute_sql(f"DROP FUNCTION {activity_summary.PG_TRUNCATE_FUNCTION}()")
    upgrade_from(3, blank_url, tmp_path)
    assert in_step() == expected and activity_summary.triggers_installed(database.obj)
    activities.log_call(actor, outcome="busy", at=T(2026, 2, 20, 9))  # the triggers run after the upgrade
    assert len(in_step()) == len(expected) + 1


def test_fresh_base_has_the_triggers(session):
    assert activity_summary.triggers_installed(database.obj)


def test_generated_base_has_the_summary_and_the_triggers(db_url):
    """bench/generate.py loads activities with the triggers off and builds the summary after."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    close_database()
    proc = subprocess.run([sys.executable, str(root / "bench" / "generate.py"), "--db", db_url, "--scale", "0.002",
                           "--seed", "5", "--replace"], capture_output=True, text=True, timeout=300, cwd=root)
    assert proc.returncode == 0, proc.stderr
    open_database(db_url)
    assert len(in_step()) > 100 and activity_summary.triggers_installed(database.obj)
    close_database()
    again = subprocess.run([sys.executable, str(root / "bench" / "generate.py"), "--db", db_url, "--scale", "0.002"],
                           capture_output=True, text=True, timeout=300, cwd=root)
    assert again.returncode != 0  # refused (not empty): the triggers stay
    open_database(db_url)
    assert activity_summary.triggers_installed(database.obj)
