"""Schema versions: create, check, upgrade, back up.

- ``current_version()`` reads the version table (0 for an empty base).
- ``ensure_schema(url)`` is what the app and CLI call on start: an empty base is created at
  the latest version; an older base is upgraded (SQLite: after a backup copy beside the file);
  a base newer than this tuicrm is refused and left untouched.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import peewee
from playhouse.migrate import SchemaMigrator

from tuicrm.db import migrations
from tuicrm.db.connection import DatabaseUnavailable, describe, is_sqlite, sqlite_path
from tuicrm.model import ALL_MODELS, database, utcnow


class SchemaVersion(peewee.Model):
    version = peewee.IntegerField(primary_key=True)
    applied_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        database = database
        table_name = "tuicrm_schema"


class SchemaTooNew(DatabaseUnavailable):
    pass


@dataclass
class UpgradeResult:
    before: int
    after: int
    backup: Path | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def current_version() -> int:
    db = database.obj
    if not db.table_exists(SchemaVersion._meta.table_name):
        if db.table_exists("person"):
            raise DatabaseUnavailable("this base has tables but no tuicrm schema version; refusing to touch it")
        return 0
    row = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return int(row or 0)


def check_not_newer(version: int, latest: int = migrations.LATEST) -> None:
    if version > latest:
        raise SchemaTooNew(
            f"this base has schema version {version}, newer than this tuicrm understands ({latest}); "
            "upgrade tuicrm (pip install -U tuicrm). The base was left untouched."
        )


def ensure_schema(
    *,
    backup_dir: Path | None = None,
    steps: Iterable[tuple[int, object]] | None = None,
    latest: int | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> UpgradeResult:
    """Create or upgrade the schema of the connected base. ``steps``/``latest`` are for tests."""
    steps = list(steps) if steps is not None else migrations.load()
    latest = latest if latest is not None else migrations.LATEST
    db = database.obj
    before = current_version()
    check_not_newer(before, latest)
    if before == latest:
        return UpgradeResult(before, before)
    if before == 0:
        with db.atomic():
            db.create_tables(ALL_MODELS + [SchemaVersion])
            SchemaVersion.create(version=latest)
        return UpgradeResult(0, latest)
    backup = None
    if is_sqlite():
        backup = backup_sqlite(db, backup_dir, suffix=f"v{before}")
        if on_progress:
            on_progress(f"backup written to {backup}")
    migrator = SchemaMigrator.from_database(db)
    for number, module in steps:
        if number <= before:
            continue
        if on_progress:
            on_progress(f"migrating to version {number}")
        with db.atomic():
            module.up(migrator, db)
            SchemaVersion.create(version=number)
    return UpgradeResult(before, current_version(), backup)


def backup_sqlite(db: peewee.SqliteDatabase, target_dir: Path | None = None, suffix: str = "") -> Path:
    """Copy a live SQLite base with the online backup API (safe while others write)."""
    src_path = Path(db.database)
    target_dir = target_dir or src_path.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{src_path.stem}-{stamp}{('-' + suffix) if suffix else ''}.backup.db"
    target = target_dir / name
    n = 1
    while target.exists():
        n += 1
        target = target_dir / f"{src_path.stem}-{stamp}-{n}{('-' + suffix) if suffix else ''}.backup.db"
    src = sqlite3.connect(str(src_path))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def backup(url: str, output: Path | None = None) -> Path:
    """`tuicrm db backup`: SQLite through the online backup API, PostgreSQL through pg_dump."""
    path = sqlite_path(url)
    if path is not None:
        if output is not None and output.suffix:
            src = sqlite3.connect(str(path))
            try:
                output.parent.mkdir(parents=True, exist_ok=True)
                dst = sqlite3.connect(str(output))
                try:
                    src.backup(dst)
                finally:
                    dst.close()
            finally:
                src.close()
            return output
        return backup_sqlite(database.obj, output)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise DatabaseUnavailable(
            "pg_dump was not found on PATH: install the PostgreSQL client tools "
            f"(apt-get install postgresql-client) and run: pg_dump -Fc -f tuicrm.dump '{describe(url)}'"
        )
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    output = output or Path(f"tuicrm-{stamp}.dump")
    if output.is_dir():
        output = output / f"tuicrm-{stamp}.dump"
    proc = subprocess.run([pg_dump, "-Fc", "-f", str(output), url], capture_output=True, text=True)
    if proc.returncode != 0:
        raise DatabaseUnavailable(f"pg_dump failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
    return output
