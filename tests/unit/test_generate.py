"""bench/generate.py at a tiny scale, on SQLite and PostgreSQL, through its command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]


def _run(url: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "--db", url, "--scale", "0.002", "--seed", "3", *extra],
        capture_output=True, text=True, timeout=300,
    )


def test_generate_tiny_base(db_url, engine):
    import peewee

    from tuicrm.db.connection import close_database, open_database
    from tuicrm.model import Activity, Company, Deal, Person, Phone, SearchToken, StageChange, User
    from tuicrm.services import contacts, search
    from tuicrm.services.users import actor_for

    close_database()
    proc = _run(db_url, "--replace")
    assert proc.returncode == 0, proc.stderr
    assert "rows/s" in proc.stdout

    open_database(db_url)
    assert Company.select().count() == 100
    assert Person.select().count() == 400
    assert 700 <= Phone.select().count() <= 900
    assert Deal.select().count() == 100
    assert Activity.select().count() == 4000
    assert StageChange.select().count() >= Deal.select().count()
    assert Phone.select().where(Phone.is_valid == False).count() >= 1  # noqa: E712
    assert Phone.select().where((Phone.is_valid == False) & Phone.invalid_reason.is_null()).count() == 0  # noqa: E712
    head = User.get(User.login == "demo")
    assert head.role == "head"
    actor = actor_for(head)

    # open work for every manager today; denormalized columns agree with the activities
    managers = [u.id for u in User.select().where(User.role == "manager")]
    assert managers
    for uid in managers:
        assert Activity.select().where((Activity.assignee == uid) & Activity.done_at.is_null()).count() >= 20
    p = Person.select().where(Person.next_activity_at.is_null(False)).order_by(Person.id).first()
    expected = Activity.select(peewee.fn.MIN(Activity.due_at)).where((Activity.person == p.id) & Activity.done_at.is_null()).scalar()
    assert p.next_activity_at == expected
    last = Activity.select(peewee.fn.MAX(Activity.done_at)).where(Activity.person == p.id).scalar()
    assert p.last_contact_at == last

    # search tokens are exactly what the services would make
    person = Person.select().where(Person.company.is_null(False)).order_by(Person.id.desc()).first()
    generated = sorted(t for (t,) in SearchToken.select(SearchToken.token).where((SearchToken.kind == "p") & (SearchToken.ref_id == person.id)).tuples())
    contacts.reindex_person(person.id)
    remade = sorted(t for (t,) in SearchToken.select(SearchToken.token).where((SearchToken.kind == "p") & (SearchToken.ref_id == person.id)).tuples())
    assert generated == remade and generated

    # services.search finds a generated person by name and by the last digits of a phone
    hits = search.search(actor, person.full_name, limit=200)
    assert ("person", person.id) in {(h.kind, h.id) for h in hits}
    phone = Phone.select().where(Phone.person.is_null(False) & (Phone.is_valid == True)).order_by(Phone.id.desc()).first()  # noqa: E712
    for query in (phone.e164[-6:], phone.raw):
        hits = search.search(actor, query, limit=200)
        assert ("person", phone.person_id) in {(h.kind, h.id) for h in hits}, query
    close_database()

    # a second run into the same base refuses without --replace, and says why
    again = _run(db_url)
    assert again.returncode != 0 and "not empty" in (again.stderr + again.stdout)


def test_generate_is_deterministic(tmp_path):
    import sqlite3

    a, b = tmp_path / "a.db", tmp_path / "b.db"
    for path in (a, b):
        proc = _run(f"sqlite:///{path}")
        assert proc.returncode == 0, proc.stderr
    q = "SELECT full_name, company_id FROM person ORDER BY id"
    with sqlite3.connect(a) as ca, sqlite3.connect(b) as cb:
        assert ca.execute(q).fetchall() == cb.execute(q).fetchall()
        q = "SELECT raw, e164 FROM phone ORDER BY id"
        assert ca.execute(q).fetchall() == cb.execute(q).fetchall()


def test_bad_url_is_one_line():
    proc = _run("mysql://nowhere/db")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "unsupported database URL" in proc.stderr
