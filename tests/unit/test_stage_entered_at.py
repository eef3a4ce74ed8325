"""StageChange.entered_at (schema version 3) and the funnel built on it, on SQLite and PostgreSQL.

- every writer stores entered_at = the changed_at of the deal's previous change in (changed_at, id)
  order, i.e. what a LAG window over the history gives (moves, back-moves, Lost, reopen, a move in
  the same second, a back-dated move that lands before later ones);
- the migration to version 3 backfills it on a version 2 base;
- the funnel (entered, moved on, average days in stage, lost at) equals a straightforward Python
  computation of the documented definitions over random histories.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from tests.unit.test_schema import blank_url  # noqa: F401 - fixture
from tuicrm.db import migrations
from tuicrm.db.connection import close_database, open_database
from tuicrm.db.migrations import m0003_stage_entered_at as m3
from tuicrm.db.schema import SchemaVersion, current_version, ensure_schema
from tuicrm.model import Deal, LossReason, Stage, StageChange, database
from tuicrm.model.enums import StageKind
from tuicrm.services import deals, reports, users
from tuicrm.services.reports import Filters, Period

T = dt.datetime
UTC = ZoneInfo("UTC")
MSK = ZoneInfo("Europe/Moscow")

LAG_SQL = ('SELECT "id", LAG("changed_at") OVER (PARTITION BY "deal_id" ORDER BY "changed_at", "id") '
           'FROM "stage_change" ORDER BY "id"')


def _dt(v):
    if v is None or isinstance(v, dt.datetime):
        return v
    return dt.datetime.fromisoformat(str(v))


def lag_by_id() -> dict[int, dt.datetime | None]:
    return {i: _dt(prev) for i, prev in database.obj.execute_sql(LAG_SQL).fetchall()}


def stored_by_id() -> dict[int, dt.datetime | None]:
    return {i: _dt(e) for i, e in StageChange.select(StageChange.id, StageChange.entered_at).tuples()}


def _stages():
    return {s.name: s for s in Stage.select()}


def _reason():
    return LossReason.select().where(LossReason.needs_competitor == False).get().id


def test_every_move_stores_the_previous_change_time(session, actor):
    st = _stages()
    reason = _reason()
    t0 = T(2026, 3, 2, 9, 0)
    a = deals.create_deal(actor, "A", created_at=t0)
    b = deals.create_deal(actor, "B", created_at=t0)  # same second as A: another deal, no effect
    v = Deal.get_by_id(a).row_version
    v = deals.move_deal(actor, a, st["Qualified"].id, v, at=t0 + dt.timedelta(days=1))
    v = deals.move_deal(actor, a, st["Proposal"].id, v, at=t0 + dt.timedelta(days=1))  # same second
    v = deals.move_deal(actor, a, st["Qualified"].id, v, at=t0 + dt.timedelta(days=3))  # back
    v = deals.move_deal(actor, a, st["Lost"].id, v, loss_reason_id=reason, at=t0 + dt.timedelta(days=4))
    v = deals.move_deal(actor, a, st["Negotiation"].id, v, at=t0 + dt.timedelta(days=9))  # reopen
    v = deals.move_deal(actor, a, st["Won"].id, v, at=t0 + dt.timedelta(days=10))
    # a back-dated move: lands between two earlier changes of B and becomes the entry of the next one
    w = Deal.get_by_id(b).row_version
    w = deals.move_deal(actor, b, st["Qualified"].id, w, at=t0 + dt.timedelta(days=5))
    w = deals.move_deal(actor, b, st["Proposal"].id, w, at=t0 + dt.timedelta(days=8))
    w = deals.move_deal(actor, b, st["Negotiation"].id, w, at=t0 + dt.timedelta(days=6))
    # moves without a date (now) after all of that
    deals.move_deal(actor, b, st["Proposal"].id, w)

    stored = stored_by_id()
    assert stored == lag_by_id()
    firsts = [c.id for c in StageChange.select().where(StageChange.from_stage.is_null())]
    assert len(firsts) == 2 and all(stored[i] is None for i in firsts)
    a_hist = [(_dt(c.changed_at), _dt(c.entered_at)) for c in
              StageChange.select().where(StageChange.deal == a).order_by(StageChange.changed_at, StageChange.id)]
    assert a_hist[2] == (t0 + dt.timedelta(days=1), t0 + dt.timedelta(days=1))  # the same-second move
    assert a_hist[-1] == (t0 + dt.timedelta(days=10), t0 + dt.timedelta(days=9))


def _assert_file_stores_lag(path) -> None:
    """Every stage change of the SQLite file at ``path`` stores the LAG of its deal's history."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        lag = dict(conn.execute(LAG_SQL).fetchall())
        stored = dict(conn.execute('SELECT "id", "entered_at" FROM "stage_change"').fetchall())
    finally:
        conn.close()
    assert len(stored) > 10 and any(v is not None for v in stored.values())
    assert stored == lag


def test_demo_base_stores_it(tmp_path):
    from tuicrm.services.demo import build_demo

    path = tmp_path / "demo.db"
    build_demo(path)
    _assert_file_stores_lag(path)


def test_generator_stores_it(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    path = tmp_path / "gen.db"
    subprocess.run([sys.executable, str(root / "bench" / "generate.py"), "--db", f"sqlite:///{path}", "--scale", "0.002",
                    "--seed", "7"], check=True, capture_output=True, cwd=root)
    _assert_file_stores_lag(path)


# --- migration -------------------------------------------------------------------------------


def _make_version_2() -> None:
    """Turn the connected version 3 base into what version 2 had: no entered_at, the old indexes."""
    db = database.obj
    for old, new, _cols in m3.INDEXES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{new}"')
    db.execute_sql('CREATE INDEX "stage_change_deal_id_changed_at" ON "stage_change" ("deal_id", "changed_at")')
    db.execute_sql('CREATE INDEX "stage_change_changed_at_to_stage_id_deal_id_from_stage_id" '
                   'ON "stage_change" ("changed_at", "to_stage_id", "deal_id", "from_stage_id")')
    db.execute_sql('ALTER TABLE "stage_change" DROP COLUMN "entered_at"')
    SchemaVersion.delete().where(SchemaVersion.version > 2).execute()  # a fresh base has only its latest
    if not SchemaVersion.select().where(SchemaVersion.version == 2).exists():
        SchemaVersion.create(version=2)


def test_upgrade_from_version_2_backfills_entered_at(blank_url, tmp_path):  # noqa: F811
    from tuicrm.config import Settings
    from tuicrm.session import open_session

    session = open_session(blank_url, Settings(language="en"), user="tester")
    actor = session.actor
    st = _stages()
    t0 = T(2026, 1, 10, 8, 0)
    ids = []
    for n in range(3):
        d = deals.create_deal(actor, f"D{n}", created_at=t0 + dt.timedelta(hours=n))
        v = Deal.get_by_id(d).row_version
        for k, name in enumerate(["Qualified", "Proposal", "Qualified", "Proposal"][: n + 2]):
            # deal 2 gets two changes in one second
            when = t0 + dt.timedelta(days=k + 1, hours=n) if not (n == 2 and k == 3) else t0 + dt.timedelta(days=k, hours=n)
            v = deals.move_deal(actor, d, st[name].id, v, at=when)
        ids.append(d)
    expected = stored_by_id()
    assert expected == lag_by_id() and any(v is not None for v in expected.values())
    _make_version_2()
    close_database()

    open_database(blank_url)
    assert current_version() == 2
    assert "entered_at" not in {c.name for c in database.obj.get_columns("stage_change")}
    result = ensure_schema(backup_dir=tmp_path)
    assert (result.before, result.after) == (2, migrations.LATEST) and migrations.LATEST >= 3
    assert stored_by_id() == expected
    names = {i.name[:63] for i in database.obj.get_indexes("stage_change")}  # PostgreSQL keeps 63 characters
    assert {new[:63] for _old, new, _c in m3.INDEXES} <= names
    assert not {old for old, _new, _c in m3.INDEXES} & names


def test_correlated_backfill_equals_update_from(session, actor):
    """The fallback for SQLite < 3.33 (no UPDATE … FROM) gives the same values."""
    st = _stages()
    t0 = T(2026, 5, 1, 8, 0)
    for n in range(3):
        d = deals.create_deal(actor, f"C{n}", created_at=t0)
        v = Deal.get_by_id(d).row_version
        v = deals.move_deal(actor, d, st["Qualified"].id, v, at=t0)  # same second as the creation
        deals.move_deal(actor, d, st["Proposal"].id, v, at=t0 + dt.timedelta(days=n + 1))
    expected = stored_by_id()
    StageChange.update(entered_at=None).execute()
    database.obj.execute_sql(m3.BACKFILL_CORRELATED)
    assert stored_by_id() == expected == lag_by_id()
    StageChange.update(entered_at=None).execute()
    database.obj.execute_sql(m3.BACKFILL_UPDATE_FROM)
    assert stored_by_id() == expected


# --- the funnel against Python ---------------------------------------------------------------


def python_funnel(period: Period, tz, owners: set[int] | None):
    """The documented definitions, computed from the stored history in Python (default pipeline)."""
    start, end = period.utc_bounds(tz)
    stage_rows = list(Stage.select().where(Stage.pipeline == deals.default_pipeline().id))
    pos = {s.id: s.position for s in stage_rows}
    kind = {s.id: s.kind for s in stage_rows}
    owner_of = dict(Deal.select(Deal.id, Deal.owner).tuples())
    hist: dict[int, list] = {}
    for c in StageChange.select().order_by(StageChange.changed_at, StageChange.id):
        if (owners is not None and owner_of[c.deal_id] not in owners) or c.to_stage_id not in pos:
            continue
        hist.setdefault(c.deal_id, []).append((c.id, _dt(c.changed_at), c.from_stage_id, c.to_stage_id))
    entered: dict[int, set] = {}
    moved: dict[int, set] = {}
    stays: dict[int, list] = {}
    lost: dict[int | None, int] = {}
    for deal_id, changes in hist.items():
        for i, (cid, at, frm, to) in enumerate(changes):
            if not start <= at < end:
                continue
            entered.setdefault(to, set()).add(deal_id)
            later = [c for c in changes[i + 1:] if start <= c[1] < end]
            if any(kind[c[3]] != StageKind.LOST and pos[c[3]] > pos[to] for c in later):
                moved.setdefault(to, set()).add(deal_id)
            if frm is not None and i > 0:
                stays.setdefault(frm, []).append((at - changes[i - 1][1]).total_seconds())
            if kind[to] == StageKind.LOST:
                lost[frm] = lost.get(frm, 0) + 1
    out = {}
    for s in stage_rows:
        n_in = len(entered.get(s.id, ()))
        is_open = s.kind == StageKind.OPEN
        n_moved = len(moved.get(s.id, ())) if is_open else None
        secs = stays.get(s.id, [])
        out[s.name] = (n_in, n_moved, (n_moved / n_in) if is_open and n_in else None,
                       (sum(secs) / len(secs) / 86400) if secs else None, lost.get(s.id, 0) if is_open else None)
    return out, sum(lost.values())


def _random_history(actor, owners, rng: random.Random, n_deals: int, pipeline_id: int | None = None) -> None:
    pipeline_id = pipeline_id or deals.default_pipeline().id
    stage_list = list(Stage.select().where(Stage.pipeline == pipeline_id).order_by(Stage.position))
    reason = _reason()
    base = T(2026, 1, 1, 6, 0)
    for n in range(n_deals):
        at = base + dt.timedelta(hours=rng.randint(0, 24 * 300), seconds=rng.randint(0, 59))
        d = deals.create_deal(actor, f"R{n}", owner_id=rng.choice(owners), created_at=at, stage_id=stage_list[0].id)
        v = Deal.get_by_id(d).row_version
        current = Deal.get_by_id(d).stage_id
        for _ in range(rng.randint(0, 9)):
            # same second, minutes or weeks later
            at = at + rng.choice([dt.timedelta(0), dt.timedelta(0), dt.timedelta(minutes=rng.randint(1, 90)),
                                  dt.timedelta(days=rng.randint(1, 40), seconds=rng.randint(0, 3600))])
            target = rng.choice([s for s in stage_list if s.id != current])
            extra = {"loss_reason_id": reason} if target.kind == StageKind.LOST else {}
            v = deals.move_deal(actor, d, target.id, v, at=at, **extra)
            current = target.id


def _check(actor, period, tz, owners=None):
    expected, lost_total = python_funnel(period, tz, set(owners) if owners else None)
    r = reports.funnel(actor, period, tz=tz, filters=Filters(managers=tuple(owners) if owners else ()))
    got = {row[0]: (row[3], row[4], row[6], row[7], row[8]) for row in r.tables[0].rows}
    assert set(got) == set(expected)
    for name, (n_in, n_moved, conv, days, n_lost) in expected.items():
        g = got[name]
        assert (g[0], g[1], g[4]) == (n_in, n_moved, n_lost), name
        assert g[2] == pytest.approx(conv) if conv is not None else g[2] is None, name
        assert g[3] == pytest.approx(days, rel=1e-12) if days is not None else g[3] is None, name
    assert r.totals["lost_in_period"] == lost_total


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_funnel_equals_python_on_random_histories(session, actor, seed):
    rng = random.Random(seed)
    owners = [users.create_user(f"m{seed}{i}", f"Manager {i}").id for i in range(2)]
    _random_history(actor, owners, rng, n_deals=14)
    assert stored_by_id() == lag_by_id()
    for period, tz in [(Period(dt.date(2026, 1, 1), dt.date(2027, 1, 1)), MSK),
                       (Period(dt.date(2026, 3, 1), dt.date(2026, 7, 1)), UTC),
                       (Period(dt.date(2026, 5, 10), dt.date(2026, 5, 20)), MSK)]:
        _check(actor, period, tz)
        _check(actor, period, tz, owners=[owners[0]])


@pytest.mark.parametrize("unixepoch", [True, False])
def test_funnel_time_in_stage_with_and_without_sqlite_unixepoch(session, actor, monkeypatch, unixepoch):
    """SQLite libraries before 3.38 have no unixepoch(): the julianday() form gives the same days."""
    monkeypatch.setattr(reports, "SQLITE_HAS_UNIXEPOCH", unixepoch)
    rng = random.Random(7)
    owners = [users.create_user(f"u{i}", f"Manager {i}").id for i in range(2)]
    _random_history(actor, owners, rng, n_deals=10)
    _check(actor, Period(dt.date(2026, 1, 1), dt.date(2027, 1, 1)), MSK)


def test_funnel_same_second_ties_follow_the_id_order(session, actor):
    """Two changes in one second: the order is the id's (entered Qualified, then on to Proposal in
    the same second = moved on; Proposal then back to Qualified in the same second = not)."""
    st = _stages()
    t = T(2026, 6, 3, 10, 0, 0)
    a = deals.create_deal(actor, "tie-forward", created_at=t - dt.timedelta(days=1))
    v = Deal.get_by_id(a).row_version
    v = deals.move_deal(actor, a, st["Qualified"].id, v, at=t)
    deals.move_deal(actor, a, st["Proposal"].id, v, at=t)
    b = deals.create_deal(actor, "tie-back", created_at=t - dt.timedelta(days=1))
    w = Deal.get_by_id(b).row_version
    w = deals.move_deal(actor, b, st["Proposal"].id, w, at=t - dt.timedelta(hours=1))
    w = deals.move_deal(actor, b, st["Qualified"].id, w, at=t)
    deals.move_deal(actor, b, st["Proposal"].id, w, at=t - dt.timedelta(hours=1))  # back-dated, before
    period = Period(dt.date(2026, 6, 1), dt.date(2026, 7, 1))
    _check(actor, period, UTC)
    r = reports.funnel(actor, period, tz=UTC)
    q = next(row for row in r.tables[0].rows if row[0] == "Qualified")
    assert (q[3], q[4]) == (2, 1)


def test_funnel_with_two_pipelines_and_a_stage_added_later(session, actor):
    """Another pipeline's changes are left out, and a stage added to the default pipeline after it
    (its id lies beyond the other pipeline's) is counted in its place."""
    from tuicrm.model import Pipeline

    other = Pipeline.create(name="Tenders")
    for i, (name, kind) in enumerate([("Bid", "open"), ("Shortlist", "open"), ("Awarded", "won"), ("Rejected", "lost")]):
        Stage.create(pipeline=other, name=name, position=i, kind=kind)
    default = deals.default_pipeline()
    st = _stages()
    deals.add_stage(actor, default.id, "Demo", after_stage_id=st["Qualified"].id)
    rng = random.Random(11)
    owners = [users.create_user("p1", "P One").id]
    _random_history(actor, owners, rng, n_deals=8, pipeline_id=other.id)
    _random_history(actor, owners, rng, n_deals=12)
    assert stored_by_id() == lag_by_id()
    for period, tz in [(Period(dt.date(2026, 1, 1), dt.date(2027, 1, 1)), MSK),
                       (Period(dt.date(2026, 4, 1), dt.date(2026, 6, 1)), UTC)]:
        _check(actor, period, tz)


def test_upgrade_survives_an_index_made_early_by_a_newer_model(blank_url, tmp_path):  # noqa: F811
    """A version-2 base on which the version-3 model's indexes were created before the upgrade
    (``StageChange._schema.create_indexes(safe=True)``, as tools that add missing indexes do): on
    SQLite the not-yet-existing "entered_at" reads as a string literal, the index is made on that
    constant, and once the column is added the index no longer matches its rows ("database disk
    image is malformed" during the backfill). The upgrade drops such an index and builds it again."""
    from tuicrm.config import Settings
    from tuicrm.session import open_session

    session = open_session(blank_url, Settings(language="en"), user="tester")
    st = _stages()
    d = deals.create_deal(session.actor, "D", created_at=T(2026, 1, 10, 8, 0))
    deals.move_deal(session.actor, d, st["Qualified"].id, Deal.get_by_id(d).row_version, at=T(2026, 1, 11, 8, 0))
    expected = stored_by_id()
    _make_version_2()
    if database.obj.__class__.__name__.startswith("Sqlite"):
        _old, new, _cols = m3.INDEXES[1]
        database.obj.execute_sql(f'CREATE INDEX "{new}" ON "stage_change" '
                                 '("changed_at", "to_stage_id", "deal_id", "from_stage_id", "entered_at")')
    close_database()

    open_database(blank_url)
    result = ensure_schema(backup_dir=tmp_path)
    assert result.after == migrations.LATEST
    assert stored_by_id() == expected
    if database.obj.__class__.__name__.startswith("Sqlite"):
        assert database.obj.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
