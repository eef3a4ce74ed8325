"""JOURNAL_NOTE: a big import that is alone on a SQLite base writes through a rollback journal and
puts the base back in WAL mode after, whatever the outcome; beside another connection it stays in
WAL without waiting; killed half way, it leaves the base as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.fixtures.broken import person_with_a_broken_company
from tests.fixtures.import_files import write_xlsx
from tuicrm.model import Person
from tuicrm.transfer import importer

ROOT = Path(__file__).resolve().parents[2]


def _modes(db) -> tuple:
    return tuple(db.execute_sql(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "synchronous", "busy_timeout"))


def _file(tmp_path, name: str, n: int, prefix: str = "8916") -> Path:
    rows = [[f"Человек {name} {i}", f"ООО Фирма {i % 7}", f"{prefix}{i:07d}", "опт"] for i in range(n)]
    return write_xlsx(tmp_path / f"{name}.xlsx", ["ФИО", "Компания", "Телефон", "Теги"], rows)


def test_a_big_import_writes_through_a_rollback_journal_and_puts_wal_back(ui_session, tmp_path, monkeypatch):
    from tuicrm.model import database

    db, actor = database.obj, ui_session.actor
    before = _modes(db)
    assert before == ("wal", 1, 5000)
    monkeypatch.setattr(importer, "DEFER_INDEX_MIN_ROWS", 10)
    seen = []
    rep = importer.run_import(actor, _file(tmp_path, "big", 40), chunk_size=10, workers=0,
                              progress=lambda done, total: seen.append(_modes(db)))
    assert rep.persons_created == 40
    assert seen[0] == ("delete", 2, 5000)  # a rollback journal, synced in full, while the rows went in
    assert _modes(db) == before and not Path(db.database + "-journal").exists()
    assert db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"

    def fail(done, total):
        if done >= 20:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        importer.run_import(actor, _file(tmp_path, "failing", 40, "8917"), chunk_size=10, workers=0, progress=fail)
    assert Person.select().count() == 40 and _modes(db) == before  # rolled back, and WAL again

    seen.clear()  # a dry run writes nothing and keeps WAL; so does a file under DEFER_INDEX_MIN_ROWS rows
    importer.run_import(actor, _file(tmp_path, "dry", 40, "8918"), chunk_size=10, workers=0, dry_run=True,
                        progress=lambda done, total: seen.append(_modes(db)))
    monkeypatch.setattr(importer, "DEFER_INDEX_MIN_ROWS", 1000)
    importer.run_import(actor, _file(tmp_path, "small", 40, "8919"), chunk_size=10, workers=0,
                        progress=lambda done, total: seen.append(_modes(db)))
    assert {m[0] for m in seen} == {"wal"} and Person.select().count() == 80


def test_a_big_import_beside_another_connection_stays_in_wal_without_waiting(ui_session, tmp_path, monkeypatch):
    from tuicrm.model import database

    db, actor = database.obj, ui_session.actor
    monkeypatch.setattr(importer, "DEFER_INDEX_MIN_ROWS", 10)
    other = sqlite3.connect(db.database)  # the app, or a teammate's tuicrm, has the base open
    try:
        assert other.execute("SELECT count(*) FROM person").fetchone() == (0,)
        seen = []
        started = time.monotonic()
        rep = importer.run_import(actor, _file(tmp_path, "big", 40), chunk_size=10, workers=0,
                                  progress=lambda done, total: seen.append(_modes(db)))
        # the switch is tried without the 5 s busy timeout: it fails at once and the import goes on in WAL
        assert time.monotonic() - started < 4
        assert rep.persons_created == 40 and {m for m in seen} == {("wal", 1, 5000)}
        assert other.execute("SELECT count(*) FROM person").fetchone() == (40,)
    finally:
        other.close()


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from tuicrm.config import Settings
    from tuicrm.session import open_session
    from tuicrm.model import database
    from tuicrm.transfer import importer

    url, path, marker = sys.argv[1:4]
    s = open_session(url, Settings(language="en"), user="tester")
    importer.DEFER_INDEX_MIN_ROWS = 10
    database.obj.execute_sql("PRAGMA cache_size = 100")  # pages spill into the base file as the rows go in

    def progress(done, total):
        if done >= 1500:
            Path(marker).write_text(database.obj.execute_sql("PRAGMA journal_mode").fetchone()[0])
            time.sleep(120)  # killed here, the transaction open

    importer.run_import(s.actor, path, chunk_size=100, workers=0, progress=progress)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_big_import_killed_half_way_leaves_the_base_as_it_was(tmp_path):
    from tuicrm.config import Settings
    from tuicrm.db.connection import close_database
    from tuicrm.services import contacts
    from tuicrm.session import open_session

    base = tmp_path / "crm.db"
    url = f"sqlite:///{base}"
    s = open_session(url, Settings(language="en"), user="tester")
    contacts.create_person(s.actor, full_name="Старый Клиент", phones=["+7 900 000-00-01"])
    indexes = sorted(r[0] for r in sqlite3.connect(base).execute("SELECT name FROM sqlite_master WHERE type = 'index'"))
    close_database()
    size = base.stat().st_size
    path = _file(tmp_path, "big", 2000)
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(path), str(marker)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never reached the middle of its import"
            time.sleep(0.05)
        assert marker.read_text() == "delete"
        # the import has written into the base file itself, and its journal holds what it overwrote
        assert Path(f"{base}-journal").exists() and base.stat().st_size > size
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    s = open_session(url, Settings(language="en"), user="tester")  # rolls the hot journal back first
    from tuicrm.model import database

    db = database.obj
    try:
        assert db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert [p.full_name for p in Person.select()] == ["Старый Клиент"]
        assert sorted(r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")) == indexes
        assert not Path(f"{base}-journal").exists()
        rep = importer.run_import(s.actor, path, chunk_size=500, workers=0)  # and the base takes the file again
        assert rep.persons_created == 2000 and rep.rejected == 0
    finally:
        close_database()


def test_with_a_worker_the_broken_references_are_read_while_it_opens_the_file(ui_session, tmp_path, monkeypatch):
    """FK_CHECK_NOTE: with a worker, the references broken before the import are read while the
    worker opens the file (before the import knows how big it is); a base much bigger than the file
    does not need them, and that check is stopped."""
    from tuicrm.model import database

    db, actor = database.obj, ui_session.actor
    monkeypatch.setattr(importer, "DEFER_INDEX_MIN_ROWS", 10)
    pid = person_with_a_broken_company(db, actor, "+7 900 000-00-01")
    events = []
    real_start, real_big, real_cancel = importer._BrokenBefore.start_for_base, importer._big_import, importer._BrokenBefore.cancel
    monkeypatch.setattr(importer._BrokenBefore, "start_for_base",
                        classmethod(lambda cls: events.append("baseline") or real_start.__func__(cls)))
    monkeypatch.setattr(importer, "_big_import", lambda n: events.append("sized") or real_big(n))
    monkeypatch.setattr(importer._BrokenBefore, "cancel", lambda self: events.append("cancel") or real_cancel(self))
    rep = importer.run_import(actor, _file(tmp_path, "big", 30), chunk_size=10, workers=1)
    # one baseline, started before the file was sized, and used: without it the broken reference
    # would have failed the check at the end
    assert rep.persons_created == 30 and events[:2] == ["baseline", "sized"] and events.count("baseline") == 1
    assert [tuple(r)[:3] for r in db.execute_sql("PRAGMA foreign_key_check")] == [("person", pid, "company")]

    events.clear()
    monkeypatch.setattr(importer, "FK_CHECK_RATIO", 0.01)  # the base is now "much bigger" than a file of 20 rows
    rep = importer.run_import(actor, _file(tmp_path, "small", 20, "8917"), chunk_size=10, workers=1)
    assert rep.persons_created == 20 and events[:3] == ["baseline", "sized", "cancel"]
    assert not [t for t in threading.enumerate() if t.name == "tuicrm-import-fk-baseline"]
