"""Schema versions, upgrades, refusals, backups and transactions — on SQLite and PostgreSQL.

Each schema test gets a BLANK base of its own (a new SQLite file, or a new PostgreSQL database on
the throwaway server), because these tests create, stamp and upgrade schemas.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
import types
from pathlib import Path

import peewee
import pytest
from playhouse.migrate import migrate

from tests import pgserver
from tuicrm.db import migrations, schema
from tuicrm.db.connection import DatabaseUnavailable, close_database, open_database, write_tx
from tuicrm.db.schema import SchemaTooNew, SchemaVersion, current_version, ensure_schema
from tuicrm.model import ALL_MODELS, AuditLog, Person, Phone, SearchToken, User, database

_counter = itertools.count()


@pytest.fixture
def blank_url(engine, tmp_path, request, worker_id):
    """An empty base nobody else uses: a new SQLite file or a new PostgreSQL database."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        close_database()
        return
    server = request.getfixturevalue("pg_server_url")
    name = f"tuicrm_schema_{worker_id}_{next(_counter)}"
    url = pgserver.create_database(server, name)
    yield url
    close_database()
    conn = pgserver.admin_connect(server)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def add_nickname_up(migrator, db):
    migrate(migrator.add_column("person", "nickname", peewee.CharField(max_length=50, null=True)))


MIGRATION_2 = types.SimpleNamespace(up=add_nickname_up)
NEXT = migrations.LATEST + 1  # a test migration comes after the real ones


def failing_up(migrator, db):
    migrate(migrator.add_column("person", "half_done", peewee.CharField(max_length=50, null=True)))
    raise RuntimeError("disk on fire")


def steps_up_to(*extra):
    return migrations.load() + list(extra)


def columns(table: str) -> set[str]:
    return {c.name for c in database.obj.get_columns(table)}


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tables() -> set[str]:
    return set(database.obj.get_tables())


# --- creating and upgrading ----------------------------------------------------------------------


def test_fresh_base_is_created_at_latest(blank_url):
    open_database(blank_url)
    assert current_version() == 0
    result = ensure_schema()
    assert (result.before, result.after, result.backup) == (0, migrations.LATEST, None)
    assert current_version() == migrations.LATEST
    assert {m._meta.table_name for m in ALL_MODELS} <= tables()
    # idempotent: a second start changes nothing
    again = ensure_schema()
    assert (again.before, again.after, again.changed) == (migrations.LATEST, migrations.LATEST, False)
    assert SchemaVersion.select().count() == 1


def test_older_base_is_upgraded_and_keeps_its_data(blank_url, tmp_path, engine):
    open_database(blank_url)
    ensure_schema()
    User.create(login="anna", name="Анна")
    Person.create(full_name="Иванов Иван", name_key="иванов иван")
    assert "nickname" not in columns("person")

    result = ensure_schema(steps=steps_up_to((NEXT, MIGRATION_2)), latest=NEXT, backup_dir=tmp_path / "backups")

    assert (result.before, result.after, result.changed) == (NEXT - 1, NEXT, True)
    assert current_version() == NEXT
    assert "nickname" in columns("person")
    assert [p.full_name for p in Person.select()] == ["Иванов Иван"]
    assert [v.version for v in SchemaVersion.select().order_by(SchemaVersion.version)] == [NEXT - 1, NEXT]
    if engine == "sqlite":
        # the backup was written BEFORE the migration: a readable base at the old version
        assert result.backup is not None and result.backup.parent == tmp_path / "backups"
        copy = sqlite3.connect(result.backup)
        try:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert copy.execute("SELECT max(version) FROM tuicrm_schema").fetchone() == (NEXT - 1,)
            assert "nickname" not in {r[1] for r in copy.execute("PRAGMA table_info(person)")}
            assert copy.execute("SELECT full_name FROM person").fetchall() == [("Иванов Иван",)]
        finally:
            copy.close()
    else:
        assert result.backup is None  # PostgreSQL: `tuicrm db backup` (pg_dump) is the way


def test_opening_a_session_upgrades_an_older_base(blank_url, monkeypatch, engine):
    """The real path the app and CLI take: open_session sees an older base and upgrades it."""
    from tuicrm.config import Settings
    from tuicrm.session import open_session

    open_database(blank_url)
    ensure_schema()
    close_database()
    monkeypatch.setattr(migrations, "LATEST", NEXT)
    steps = steps_up_to((NEXT, MIGRATION_2))
    monkeypatch.setattr(migrations, "load", lambda: steps)

    session = open_session(blank_url, Settings(language="en"), user="tester")

    assert (session.upgrade.before, session.upgrade.after) == (NEXT - 1, NEXT)
    assert "nickname" in columns("person")
    if engine == "sqlite":
        assert session.upgrade.backup is not None and session.upgrade.backup.exists()
        assert session.upgrade.backup.parent == Path(blank_url.split(":///", 1)[1]).parent


def test_failed_migration_leaves_the_base_at_its_version(blank_url, tmp_path):
    open_database(blank_url)
    ensure_schema()
    Person.create(full_name="Иванов Иван", name_key="иванов иван")

    with pytest.raises(DatabaseUnavailable) as info:
        ensure_schema(steps=steps_up_to((NEXT, types.SimpleNamespace(up=failing_up))), latest=NEXT, backup_dir=tmp_path)

    assert f"version {NEXT} failed (disk on fire)" in str(info.value)
    assert f"left at version {NEXT - 1}" in str(info.value)
    assert current_version() == NEXT - 1
    assert "half_done" not in columns("person")  # the DDL was rolled back with the step
    assert Person.select().count() == 1
    if database.obj.__class__.__name__.startswith("Sqlite"):
        assert database.obj.execute_sql("PRAGMA foreign_keys").fetchone() == (1,)  # switched back on


# --- refusing bases it must not touch ----------------------------------------------------------------


def _stamp_newer(version: int) -> None:
    SchemaVersion.create(version=version)


def test_newer_base_is_refused_and_left_untouched_sqlite(tmp_path):
    from tuicrm.config import Settings
    from tuicrm.session import open_session

    url = f"sqlite:///{tmp_path / 'new.db'}"
    open_database(url)
    ensure_schema()
    _stamp_newer(migrations.LATEST + 1)
    close_database()  # checkpoints the WAL into the file
    path = tmp_path / "new.db"
    before = file_hash(path)
    listing = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(SchemaTooNew) as info:
        open_session(url, Settings(language="en"), user="someone-new")
    close_database()

    assert f"schema version {migrations.LATEST + 1}" in str(info.value)
    assert "left untouched" in str(info.value)
    assert file_hash(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no backup, no stray files


@pytest.mark.pg
def test_newer_base_is_refused_and_left_untouched_pg(request, worker_id):
    server = request.getfixturevalue("pg_server_url")
    name = f"tuicrm_newer_{worker_id}"
    url = pgserver.create_database(server, name)
    try:
        from tuicrm.config import Settings
        from tuicrm.session import open_session

        open_database(url)
        ensure_schema()
        _stamp_newer(migrations.LATEST + 1)
        close_database()

        def snapshot():
            conn = pgserver.admin_connect(url)
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT version, applied_at FROM tuicrm_schema ORDER BY version")
                    versions = cur.fetchall()
                    cur.execute('SELECT count(*) FROM "user"')
                    users = cur.fetchone()
                    cur.execute("SELECT count(*) FROM pipeline")
                    pipelines = cur.fetchone()
                    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
                    names = cur.fetchall()
                return versions, users, pipelines, names
            finally:
                conn.close()

        before = snapshot()
        with pytest.raises(SchemaTooNew):
            open_session(url, Settings(language="en"), user="someone-new")
        close_database()
        assert snapshot() == before
        assert before[1] == (0,) and before[2] == (0,)  # no user, no pipeline was added
    finally:
        close_database()
        conn = pgserver.admin_connect(server)
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()


def test_base_with_foreign_tables_is_refused(blank_url):
    db = open_database(blank_url)
    with db.atomic():
        db.execute_sql("CREATE TABLE invoices (id integer primary key, total integer)")
        db.execute_sql("INSERT INTO invoices (id, total) VALUES (1, 100)")

    with pytest.raises(DatabaseUnavailable) as info:
        ensure_schema()

    assert "invoices" in str(info.value) and "not a tuicrm base" in str(info.value)
    assert tables() == {"invoices"}  # nothing of ours was created in somebody else's base
    assert db.execute_sql("SELECT total FROM invoices").fetchall() == [(100,)]


def test_non_sqlite_file_is_refused_with_a_clear_message(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("this is not a database\n" * 100)
    before = file_hash(junk)
    with pytest.raises(DatabaseUnavailable) as info:
        open_database(f"sqlite:///{junk}")
    assert "file is not a database" in str(info.value) and "notes.txt" in str(info.value)
    assert "\n" not in str(info.value)
    assert file_hash(junk) == before


# --- backups -----------------------------------------------------------------------------------


def test_sqlite_backup_while_another_connection_writes(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    open_database(url)
    ensure_schema()
    User.create(login="committed", name="Committed")
    close_database()

    writer = sqlite3.connect(tmp_path / "live.db", isolation_level=None)
    writer.execute("PRAGMA busy_timeout = 100")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute('INSERT INTO "user" (login, name, role, is_active, created_at, updated_at, row_version) '
                   "VALUES ('uncommitted', 'U', 'manager', 1, '2026-01-01', '2026-01-01', 1)")
    try:
        open_database(url)
        copy = schema.backup(url, tmp_path / "copies" / "live-copy.db")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert copy == tmp_path / "copies" / "live-copy.db"
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert [r[0] for r in conn.execute('SELECT login FROM "user"')] == ["committed"]
        assert conn.execute("SELECT max(version) FROM tuicrm_schema").fetchone() == (migrations.LATEST,)
    finally:
        conn.close()
    # default target: a timestamped copy beside the base
    beside = schema.backup(url)
    assert beside.parent == tmp_path and beside.name.startswith("live-") and beside.name.endswith(".backup.db")


def test_pg_dump_is_found_outside_path(monkeypatch, tmp_path):
    bindir = tmp_path / "lib" / "postgresql" / "15" / "bin"
    bindir.mkdir(parents=True)
    exe = bindir / "pg_dump"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    older = tmp_path / "lib" / "postgresql" / "9" / "bin"
    older.mkdir(parents=True)
    (older / "pg_dump").write_text("#!/bin/sh\nexit 0\n")
    (older / "pg_dump").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(schema, "PG_BIN_GLOBS", [str(tmp_path / "lib" / "postgresql" / "*" / "bin")])
    assert schema.find_pg_dump() == str(exe)  # the newest version


def test_pg_backup_without_pg_dump_says_how(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(schema, "PG_BIN_GLOBS", [])
    with pytest.raises(DatabaseUnavailable) as info:
        schema.backup("postgresql://crm:secret@db.example:5432/crm")
    message = str(info.value)
    assert "pg_dump" in message and "postgresql-client" in message
    assert "secret" not in message  # never print the password


@pytest.mark.pg
def test_pg_backup_calls_pg_dump(request, tmp_path):
    if schema.find_pg_dump() is None:
        pytest.skip("pg_dump is not installed")
    url = request.getfixturevalue("pg_db_url")
    open_database(url)
    try:
        out = schema.backup(url, tmp_path / "dumps")
    finally:
        close_database()
    assert out.parent == tmp_path / "dumps" and out.suffix == ".dump"
    assert out.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format


def test_libpq_url_drops_peewee_only_parts():
    assert schema._libpq_url("postgresql+pool://u:p@h:5/db?max_connections=5&sslmode=require") == \
        "postgresql://u:p@h:5/db?sslmode=require"
    assert schema._libpq_url("postgresql:///db?host=/run/pg&port=5433") == "postgresql:///db?host=%2Frun%2Fpg&port=5433"


# --- transactions and optimistic locking (services on both engines) -------------------------------


def test_exception_inside_write_tx_persists_nothing(session):
    users_before = User.select().count()
    with pytest.raises(RuntimeError):
        with write_tx():
            User.create(login="half", name="Half")
            Person.create(full_name="Наполовину", name_key="наполовину")
            raise RuntimeError("power cut")
    assert User.select().count() == users_before
    assert Person.select().count() == 0


def test_database_error_inside_write_tx_rolls_back_everything(session):
    with pytest.raises(peewee.IntegrityError):
        with write_tx():
            pid = Person.create(full_name="Петров", name_key="петров").id
            Phone.insert(person=pid, raw=None, digits_rev="1").execute()  # NOT NULL violated
    assert Person.select().count() == 0
    assert Phone.select().count() == 0


def test_create_person_failing_midway_leaves_no_person(session, actor, monkeypatch):
    from tuicrm.services import contacts

    real_add_phones = contacts.add_phones
    calls = []

    def add_phones_then_fail(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:
            raise peewee.OperationalError("connection lost")
        return real_add_phones(*args, **kwargs)

    monkeypatch.setattr(contacts, "add_phones", add_phones_then_fail)
    audit_before = AuditLog.select().count()
    with pytest.raises(peewee.OperationalError):
        contacts.create_person(actor, full_name="Сидоров Сидор", phones=["8 916 123-45-67", "8 495 123-45-67"],
                               emails=["s@example.com"])
    assert len(calls) == 2  # the first phone WAS inserted before the failure
    assert Person.select().count() == 0
    assert Phone.select().count() == 0
    assert SearchToken.select().count() == 0
    assert AuditLog.select().count() == audit_before


def test_versioned_update_with_stale_version_raises_conflict_and_writes_nothing(session, actor):
    from tuicrm.services import contacts
    from tuicrm.services.base import Conflict, NotFound, versioned_update

    pid = contacts.create_person(actor, full_name="Иванов Иван", position="Бухгалтер")
    v1 = Person.get_by_id(pid).row_version
    v2 = versioned_update(Person, pid, v1, {"position": "Главный бухгалтер"})  # user A saves
    assert v2 == v1 + 1
    with pytest.raises(Conflict) as info:  # user B still holds v1
        versioned_update(Person, pid, v1, {"position": "Кладовщик"})
    assert info.value.current_version == v2
    row = Person.get_by_id(pid)
    assert (row.position, row.row_version) == ("Главный бухгалтер", v2)
    with pytest.raises(NotFound):
        versioned_update(Person, pid + 999, v2, {"position": "x"})


def test_stale_update_through_the_service_leaves_no_audit_row(session, actor):
    from tuicrm.services import contacts
    from tuicrm.services.base import Conflict

    pid = contacts.create_person(actor, full_name="Иванов Иван")
    v1 = Person.get_by_id(pid).row_version
    contacts.update_person(actor, pid, v1, position="Директор")
    audits = AuditLog.select().where((AuditLog.entity == "person") & (AuditLog.entity_id == pid)).count()
    with pytest.raises(Conflict):
        contacts.update_person(actor, pid, v1, full_name="Петров Пётр")
    assert Person.get_by_id(pid).full_name == "Иванов Иван"
    assert AuditLog.select().where((AuditLog.entity == "person") & (AuditLog.entity_id == pid)).count() == audits
    # the search index still points at the old name (the reindex was rolled back too)
    assert SearchToken.select().where(SearchToken.token == "петров").count() == 0


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'p.db'}")
    ensure_schema()
    assert db.execute_sql("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute_sql("PRAGMA foreign_keys").fetchone() == (1,)
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000
    # foreign keys really hold: a phone of a person that does not exist is refused
    with pytest.raises(peewee.IntegrityError):
        with write_tx():
            Phone.insert(person=12345, raw="1", digits_rev="1").execute()


def test_bare_path_and_env_resolve_to_sqlite(tmp_path, monkeypatch):
    from tuicrm.db.connection import describe, resolve_url

    assert resolve_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setenv("TUICRM_DB", "postgresql://u:pw@h/db")
    assert resolve_url(None) == "postgresql://u:pw@h/db"
    assert resolve_url("sqlite:///x.db") == "sqlite:///x.db"  # an explicit URL wins over the env
    monkeypatch.delenv("TUICRM_DB")
    assert resolve_url(None).endswith("/data/tuicrm.db")  # TUICRM_DATA_DIR (set by conftest)
    assert describe("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"


# --- version 6: no foreign-key index that a composite index repeats -------------------------------

IMPORT_TABLES = ("person", "company", "phone", "email", "person_tag", "company_tag", "search_token", "note",
                 "import_item", "tag")  # the contact side (a deal's indexes were chosen for the funnel's plans)


def _indexes(table: str) -> dict[str, tuple[tuple[str, ...], bool]]:
    return {ix.name: (tuple(ix.columns), bool(ix.unique)) for ix in database.obj.get_indexes(table)
            if not ix.name.endswith("_pkey") and not ix.name.startswith("sqlite_autoindex")}


def test_no_index_repeats_the_start_of_another_on_the_tables_an_import_writes(blank_url):
    """Every insert pays for every index: on these tables none may be a non-unique index whose columns
    begin another index (peewee's own foreign-key indexes did, until schema version 6)."""
    open_database(blank_url)
    ensure_schema()
    for table in IMPORT_TABLES:
        have = _indexes(table)
        for name, (cols, unique) in have.items():
            longer = [other for other, (c2, _u) in have.items() if other != name and len(c2) > len(cols) and c2[:len(cols)] == cols]
            # the explicit next_activity_at ones are the contact list's sort (models: Person/Company.Meta)
            if not unique and cols != ("next_activity_at",):
                assert not longer, f"{table}: {name} {cols} repeats the start of {longer}"


def test_upgrade_to_version_6_drops_the_repeated_indexes_and_keeps_the_data(blank_url, tmp_path):
    from tests.schema_steps import upgrade_from
    from tuicrm.db.migrations import m0006_no_prefix_indexes as m6

    open_database(blank_url)
    ensure_schema()
    fresh = {t: _indexes(t) for t in IMPORT_TABLES}
    assert not {name for t in fresh.values() for name in t} & set(m6.REDUNDANT)
    anna = User.create(login="anna", name="Анна")
    Person.create(full_name="Иванов Иван", name_key="иванов иван", owner=anna.id)
    # the base as version 5 made it: peewee's foreign-key indexes beside the composite ones
    db = database.obj
    for name in m6.REDUNDANT:
        table, column = {"person_owner_id": ("person", "owner_id"), "company_owner_id": ("company", "owner_id"),
                         "person_tag_person_id": ("person_tag", "person_id"), "company_tag_company_id": ("company_tag", "company_id"),
                         "import_item_batch_id": ("import_item", "batch_id"), "note_person_id": ("note", "person_id"),
                         "note_company_id": ("note", "company_id"), "note_deal_id": ("note", "deal_id")}[name]
        db.execute_sql(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
    assert "person_owner_id" in _indexes("person")
    upgrade_from(5, blank_url, tmp_path)
    assert {t: _indexes(t) for t in IMPORT_TABLES} == fresh
    assert [(p.full_name, p.owner_id) for p in Person.select()] == [("Иванов Иван", anna.id)]
    assert Person.select().where(Person.owner == anna.id).count() == 1
