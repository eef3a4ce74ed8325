"""The demo base: deterministic, realistic, built through the services."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from tuicrm.services.demo import build_demo, inn_is_valid


@pytest.fixture(scope="module")
def demo_pair(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    a, b = base / "a.db", base / "b.db"
    stats_a = build_demo(a)
    stats_b = build_demo(b)
    return a, b, stats_a, stats_b


def _rows(path, sql, *args):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


def test_build_is_deterministic(demo_pair):
    a, b, stats_a, stats_b = demo_pair
    assert stats_a == stats_b
    assert stats_a["companies"] >= 95 and stats_a["persons"] >= 300 and stats_a["deals"] >= 80
    for sql in (
        "SELECT full_name, position, birthday FROM person ORDER BY id",
        "SELECT name, inn, kpp, site, address FROM company ORDER BY id",
        "SELECT raw, e164, extension, is_valid FROM phone ORDER BY id",
        "SELECT title, amount_minor, stage_id FROM deal ORDER BY id",
        "SELECT kind, subject, result, outcome FROM activity ORDER BY id",
    ):
        assert _rows(a, sql) == _rows(b, sql), sql


def test_rebuild_in_place_replaces_the_base(demo_pair, tmp_path):
    path = tmp_path / "demo.db"
    first = build_demo(path)
    again = build_demo(path, fresh=True)
    assert first == again
    kept = build_demo(path, fresh=False)
    assert kept == first


def test_demo_user_is_head_and_managers_exist(demo_pair):
    a = demo_pair[0]
    roles = dict(_rows(a, "SELECT login, role FROM user WHERE is_active"))
    assert roles["demo"] == "head"
    assert list(roles.values()).count("manager") >= 3
    assert "admin" in roles.values()


def test_tasks_today_tomorrow_and_overdue_for_every_manager(demo_pair):
    a = demo_pair[0]
    zone = ZoneInfo("Europe/Moscow")
    today = dt.datetime.now(zone).date()

    def utc(day):
        return dt.datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(dt.timezone.utc).replace(tzinfo=None)

    start, end = utc(today), utc(today + dt.timedelta(days=1))
    managers = [u for (u,) in _rows(a, "SELECT id FROM user WHERE role = 'manager' AND is_active")]
    for uid in managers:
        today_open = _rows(a, "SELECT count(*) FROM activity WHERE assignee_id = ? AND done_at IS NULL AND due_at >= ? AND due_at < ?",
                           uid, str(start), str(end))[0][0]
        later = _rows(a, "SELECT count(*) FROM activity WHERE assignee_id = ? AND done_at IS NULL AND due_at >= ?", uid, str(end))[0][0]
        overdue = _rows(a, "SELECT count(*) FROM activity WHERE assignee_id = ? AND done_at IS NULL AND due_at < ?", uid, str(start))[0][0]
        assert today_open >= 5 and later >= 5 and overdue >= 1, uid
    # the denormalized columns were kept by the services
    assert _rows(a, "SELECT count(*) FROM person WHERE next_activity_at IS NOT NULL")[0][0] > 20
    assert _rows(a, "SELECT count(*) FROM person WHERE last_contact_at IS NOT NULL")[0][0] > 100
    wrong = _rows(a, """SELECT count(*) FROM person p WHERE coalesce(p.last_contact_at, '') <>
                        coalesce((SELECT max(done_at) FROM activity WHERE person_id = p.id AND archived_at IS NULL), '')""")
    assert wrong == [(0,)]


def test_every_stage_has_deals_and_lost_ones_have_reasons(demo_pair):
    a = demo_pair[0]
    per_stage = _rows(a, "SELECT s.kind, s.name, count(d.id) FROM stage s LEFT JOIN deal d ON d.stage_id = s.id GROUP BY s.id")
    assert all(n > 0 for _k, _n, n in per_stage), per_stage
    assert _rows(a, "SELECT count(*) FROM deal d JOIN stage s ON s.id = d.stage_id WHERE s.kind = 'lost' AND d.loss_reason_id IS NULL") == [(0,)]
    assert _rows(a, """SELECT count(*) FROM deal d JOIN loss_reason r ON r.id = d.loss_reason_id
                       WHERE r.needs_competitor AND d.competitor_id IS NULL""") == [(0,)]
    # some deals went back a stage: a change to a lower position than where it came from
    back = _rows(a, """SELECT count(*) FROM stage_change c JOIN stage f ON f.id = c.from_stage_id
                       JOIN stage t ON t.id = c.to_stage_id WHERE t.position < f.position AND t.kind = 'open'""")[0][0]
    assert back > 0


def test_phones_valid_or_flagged_and_tax_ids_valid(demo_pair):
    a = demo_pair[0]
    bad = _rows(a, "SELECT raw FROM phone WHERE NOT ((is_valid AND e164 IS NOT NULL) OR (NOT is_valid AND invalid_reason IS NOT NULL))")
    assert bad == []
    assert _rows(a, "SELECT count(*) FROM phone WHERE NOT is_valid")[0][0] >= 3
    assert _rows(a, "SELECT count(*) FROM phone WHERE extension IS NOT NULL")[0][0] >= 10
    raws = [r for (r,) in _rows(a, "SELECT raw FROM phone")]
    assert any(r.startswith("+7 (") for r in raws) and any(r.startswith("8 ") for r in raws)
    assert any(r.isdigit() and len(r) == 10 for r in raws) and any("доб" in r for r in raws)
    for inn, kpp, name in _rows(a, "SELECT inn, kpp, name FROM company"):
        assert inn_is_valid(inn), (name, inn)
        assert (kpp is None) == name.startswith("ИП ")


def test_demo_command_through_entry_point(tmp_path):
    out = tmp_path / "x.db"
    proc = subprocess.run([sys.executable, "-m", "tuicrm", "demo", "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout and "companies: 100" in proc.stdout
    assert _rows(out, "SELECT count(*) FROM company")[0][0] == 100
    assert _rows(out, "SELECT name FROM stage ORDER BY position LIMIT 1") in ([("Новый лид",)], [("New lead",)])


def test_history_has_finished_tasks_for_every_manager(demo_pair):
    """The Reports pane's "tasks done" is not an empty column on the demo base."""
    a = demo_pair[0]
    month_ago = str(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=30))
    managers = [u for (u,) in _rows(a, "SELECT id FROM user WHERE role = 'manager' AND is_active")]
    for uid in managers:
        done = _rows(a, "SELECT count(*) FROM activity WHERE assignee_id = ? AND kind = 'task' AND done_at >= ? AND done_at >= due_at",
                     uid, month_ago)[0][0]
        assert done >= 2, uid
