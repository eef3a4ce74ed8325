"""`tuicrm plan` through the entry point: readable list in the user's zone, --json, --overdue,
--user, a bad date (one line, exit 2)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from tuicrm import i18n
from tuicrm.config import Settings
from tuicrm.db.connection import close_database
from tuicrm.model import User
from tuicrm.services import activities, contacts, users
from tuicrm.session import open_session

DAY = dt.date(2030, 1, 15)  # a fixed future Tuesday


def run(*args, db):
    return subprocess.run([sys.executable, "-m", "tuicrm", "--db", db, "--lang", "en", *map(str, args)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


@pytest.fixture
def base(sqlite_url):
    i18n.set_language("en")
    s = open_session(sqlite_url, Settings(language="en"), user="tester")
    a = s.actor
    User.update(timezone="Europe/Moscow").where(User.id == a.user_id).execute()
    co = contacts.create_company(a, "ООО Ромашка")
    p = contacts.create_person(a, full_name="Иванов Иван", company_id=co, phones=["+7 916 123-45-67"])
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    ids = {
        "morning": activities.create_activity(a, "call_out", "Discuss the offer", due_at=dt.datetime(2030, 1, 15, 6), person_id=p),
        "late": activities.create_activity(a, "task", "Send the contract", due_at=dt.datetime(2030, 1, 15, 20, 30), person_id=p),
        "next_day": activities.create_activity(a, "task", "Wednesday in Moscow", due_at=dt.datetime(2030, 1, 15, 21, 30)),
        "overdue": activities.create_activity(a, "call_out", "Forgotten call", due_at=now - dt.timedelta(days=2), person_id=p),
        "done": activities.create_activity(a, "call_out", "Done call", due_at=now - dt.timedelta(days=3),
                                           done_at=now - dt.timedelta(days=3), outcome="reached", person_id=p),
    }
    mgr = users.actor_for(users.create_user("mgr", "Мария Менеджер", timezone="Asia/Novosibirsk"))
    ids["mgr"] = activities.create_activity(mgr, "meeting", "Manager's meeting", due_at=dt.datetime(2030, 1, 15, 6))
    close_database()
    return sqlite_url, ids


def test_plan_of_a_date_in_the_users_zone(base):
    db, ids = base
    r = run("plan", "--date", "2030-01-15", "--user", "tester", db=db)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Plan of tester for Tuesday 2030-01-15"
    assert "09:00  call      Discuss the offer" in r.stdout  # 06:00 UTC = 09:00 Moscow
    assert "23:30  task      Send the contract" in r.stdout
    assert "Wednesday in Moscow" not in r.stdout
    assert "Иванов Иван · ООО Ромашка · 8 (916) 123-45-67" in r.stdout


def test_plan_json_and_another_users_plan(base):
    db, ids = base
    r = run("plan", "--date", "2030-01-15", "--json", "--user", "tester", db=db)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["timezone"] == "Europe/Moscow" and data["date"] == "2030-01-15"
    assert [i["id"] for i in data["items"]] == [ids["morning"], ids["late"]]
    assert data["items"][0]["due_local"] == "2030-01-15T09:00:00+03:00" and data["items"][0]["phone"] == "+79161234567"
    m = run("plan", "--date", "2030-01-15", "--user", "Мария Менеджер", db=db)  # by name
    assert m.returncode == 0, m.stderr
    assert "Plan of Мария Менеджер" in m.stdout and "13:00  meeting   Manager's meeting" in m.stdout  # Novosibirsk


def test_overdue_only_open_items(base):
    db, ids = base
    r = run("plan", "--overdue", "--json", "--user", "tester", db=db)
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)["items"]
    assert [i["id"] for i in items] == [ids["overdue"]] and items[0]["overdue"] is True
    text = run("plan", "--overdue", "--user", "tester", db=db)
    assert "[!]" in text.stdout and "Forgotten call" in text.stdout and "Done call" not in text.stdout


def test_empty_day_and_bad_input(base):
    db, _ids = base
    r = run("plan", "--date", "2031-03-03", "--user", "tester", db=db)
    assert r.returncode == 0 and "nothing planned" in r.stdout
    bad = run("plan", "--date", "31.02", "--user", "tester", db=db)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr
    bad_day = run("plan", "--date", "2030-02-30", "--user", "tester", db=db)
    assert bad_day.returncode == 2 and "Traceback" not in bad_day.stderr
    nobody = run("plan", "--user", "nobody", db=db)
    assert nobody.returncode == 2 and "no user 'nobody'" in nobody.stderr and "Traceback" not in nobody.stderr
    again = run("plan", "--user", "nobody", db=db)
    assert again.returncode == 2  # the unknown user was not created by the first call
