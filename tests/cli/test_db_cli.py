"""`tuicrm db upgrade|info|backup` through the installed entry point, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_lookup_cli import assert_one_clear_error, build_base, run
from tuicrm.db import migrations


def sqlite_file(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def test_upgrade_creates_then_reports_up_to_date(tmp_path):
    url = f"sqlite:///{tmp_path / 'sub' / 'crm.db'}"
    proc = run("db", "upgrade", "--db", url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"created {url} at schema version {migrations.LATEST}"
    conn = sqlite3.connect(sqlite_file(url))
    try:
        assert conn.execute("SELECT max(version) FROM tuicrm_schema").fetchone() == (migrations.LATEST,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT count(*) FROM stage").fetchone()[0] >= 6  # default pipeline seeded
    finally:
        conn.close()
    again = run("db", "upgrade", "--db", url)
    assert again.returncode == 0
    assert again.stdout.strip() == f"{url} is up to date (schema version {migrations.LATEST})"


def test_options_before_the_subcommand_and_env(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert run("--db", url, "db", "upgrade").returncode == 0
    proc = run("db", "info", env={"TUICRM_DB": url})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"base: {url}"


def test_info_prints_version_user_and_counts(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    build_base(url)
    proc = run("db", "info", "--db", url, "--user", "anna")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:3] == [f"base: {url}", f"schema version: {migrations.LATEST}", "user: anna (manager)"]
    counts = dict(line.strip().split(": ") for line in lines[3:])
    assert counts == {"companies": "1", "persons": "2", "phones": "4", "deals": "1", "activities": "2"}
    unknown = run("db", "info", "--db", url, "--user", "cron")
    assert "user: cron (manager, not a user of this base yet)" in unknown.stdout


def test_info_and_backup_of_a_missing_base(tmp_path):
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    assert_one_clear_error(run("db", "info", "--db", missing), "no base at")
    assert_one_clear_error(run("db", "backup", "--db", missing), "no base at")
    assert not (tmp_path / "missing.db").exists()


def test_upgrade_refuses_a_newer_base_untouched(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert run("db", "upgrade", "--db", url).returncode == 0
    path = sqlite_file(url)
    with sqlite3.connect(path) as conn:
        conn.execute(f"INSERT INTO tuicrm_schema (version, applied_at) VALUES ({migrations.LATEST + 1}, '2030-01-01')")
    conn.close()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    listing = sorted(p.name for p in tmp_path.iterdir())
    proc = run("db", "upgrade", "--db", url)
    assert_one_clear_error(proc, f"schema version {migrations.LATEST + 1}", "left untouched")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_upgrade_with_a_bad_url(tmp_path):
    assert_one_clear_error(run("db", "upgrade", "--db", "oracle://x/y"), "unsupported database URL")
    notdb = tmp_path / "notes.txt"
    notdb.write_text("hello")
    assert_one_clear_error(run("db", "upgrade", "--db", str(notdb)), "file is not a database")
    assert notdb.read_text() == "hello"


def test_backup_while_another_connection_holds_a_write_transaction(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    build_base(url)
    writer = sqlite3.connect(sqlite_file(url), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM phone")  # uncommitted: must not be in the copy
        proc = run("db", "backup", "--db", url, "-o", str(tmp_path / "copies" / "crm-copy.db"), timeout=30)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert proc.returncode == 0, proc.stderr
    copy = tmp_path / "copies" / "crm-copy.db"
    assert proc.stdout.strip() == f"backup written to {copy}"
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM phone").fetchone() == (4,)
        assert conn.execute("SELECT full_name FROM person ORDER BY id").fetchall() == [
            ("Иванов Пётр Сергеевич",), ("Петрова Анна",),
        ]
    finally:
        conn.close()
    # the copy is itself a base tuicrm opens
    proc = run("lookup", "--db", f"sqlite:///{copy}", "--json", "4567")
    assert proc.returncode == 0, proc.stderr


def test_backup_default_target_is_beside_the_base(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert run("db", "upgrade", "--db", url).returncode == 0
    proc = run("db", "backup", "--db", url)
    assert proc.returncode == 0, proc.stderr
    written = Path(proc.stdout.strip().removeprefix("backup written to "))
    assert written.parent == tmp_path and written.name.startswith("crm-") and written.exists()


@pytest.mark.pg
def test_postgresql_upgrade_info_and_backup(pg_server_url, tmp_path, worker_id):
    from tests import pgserver

    name = f"tuicrm_dbcli_{worker_id}"
    url = pgserver.create_database(pg_server_url, name)
    try:
        proc = run("db", "upgrade", "--db", url)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == f"created {url} at schema version {migrations.LATEST}"
        info = run("db", "info", "--db", url)
        assert info.returncode == 0 and f"schema version: {migrations.LATEST}" in info.stdout
        backup = run("db", "backup", "--db", url, "-o", str(tmp_path / "dumps"))
        assert backup.returncode == 0, backup.stderr
        dump = Path(backup.stdout.strip().removeprefix("backup written to "))
        assert dump.parent == tmp_path / "dumps" and dump.read_bytes()[:5] == b"PGDMP"
    finally:
        conn = pgserver.admin_connect(pg_server_url)
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()


def test_backup_refuses_unsafe_targets_with_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    build_base(url)
    base_bytes = sqlite_file(url).read_bytes()
    assert_one_clear_error(run("db", "backup", "--db", url, "-o", str(tmp_path / "crm.db")), "cannot be the base itself")
    notes = tmp_path / "notes.db"
    notes.write_text("my notes")
    assert_one_clear_error(run("db", "backup", "--db", url, "-o", str(notes)), "is not a SQLite base")
    assert notes.read_text() == "my notes"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_one_clear_error(run("db", "backup", "--db", url, "-o", str(blocker / "copy.db")), "cannot write the copy")
    assert sqlite_file(url).read_bytes() == base_bytes
    # a nightly copy to the same name replaces the previous copy
    target = tmp_path / "nightly.db"
    assert run("db", "backup", "--db", url, "-o", str(target)).returncode == 0
    assert run("db", "backup", "--db", url, "-o", str(target)).returncode == 0
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("SELECT count(*) FROM person").fetchone() == (2,)
    finally:
        conn.close()
