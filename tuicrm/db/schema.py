"""Schema versions: create, check, upgrade, back up.

- ``current_version()`` reads the version table (0 for an empty base).
- ``ensure_schema(url)`` is what the app and CLI call on start: an empty base is created at
  the latest version; an older base is upgraded (SQLite: after a backup copy beside the file);
  a base newer than this tuicrm is refused and left untouched.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable

import peewee

from tuicrm.db import migrations
from tuicrm.db.connection import DatabaseUnavailable, describe, is_sqlite, sqlite_path
from tuicrm.i18n import _
from tuicrm.model import ALL_MODELS, database, utcnow

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path  # imported where a backup is written: not on every start


class SchemaVersion(peewee.Model):
    version = peewee.IntegerField(primary_key=True)
    applied_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        database = database
        table_name = "tuicrm_schema"


class SchemaTooNew(DatabaseUnavailable):
    pass


class UpgradeResult:
    """What ensure_schema did. A plain class: a dataclass costs every start (tuicrm lookup) ~0.7 ms."""

    __slots__ = ("before", "after", "backup")

    def __init__(self, before: int, after: int, backup: Path | None = None):
        self.before, self.after, self.backup = before, after, backup

    def __repr__(self) -> str:
        return f"UpgradeResult(before={self.before!r}, after={self.after!r}, backup={self.backup!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UpgradeResult):
            return NotImplemented
        return (self.before, self.after, self.backup) == (other.before, other.after, other.backup)

    __hash__ = None  # as the dataclass it replaces

    @property
    def changed(self) -> bool:
        return self.before != self.after


def current_version() -> int:
    """The schema version of the connected base: 0 for an empty base.

    A base that holds tables but no version table is someone else's (or not a tuicrm base):
    it is refused, never written to.
    """
    db = database.obj
    if not db.in_transaction():
        # one statement on the usual path (every `tuicrm lookup` asks): a base without the
        # version table fails it (harmless outside a transaction: SQLite, and PostgreSQL in
        # peewee's autocommit mode) and takes the full check below
        try:
            return int(db.execute_sql('SELECT MAX(version) FROM "tuicrm_schema"').fetchone()[0] or 0)
        except (peewee.OperationalError, peewee.ProgrammingError):
            pass
    if not db.table_exists(SchemaVersion._meta.table_name):
        foreign = [t for t in db.get_tables() if not t.startswith("sqlite_")]
        if foreign:
            shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
            raise DatabaseUnavailable(
                _("this base has tables ({tables}) but no tuicrm schema version: it is not a tuicrm base; "
                  "refusing to touch it (use an empty database or a new file)").format(tables=shown)
            )
        return 0
    row = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return int(row or 0)


def check_not_newer(version: int, latest: int = migrations.LATEST) -> None:
    if version > latest:
        raise SchemaTooNew(
            _("this base has schema version {version}, newer than this tuicrm understands ({latest}); "
              "upgrade tuicrm (pip install -U tuicrm). The base was left untouched.").format(version=version, latest=latest)
        )


def ensure_schema(
    *,
    backup_dir: Path | None = None,
    steps: Iterable[tuple[int, object]] | None = None,
    latest: int | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> UpgradeResult:
    """Create or upgrade the schema of the connected base. ``steps``/``latest`` are for tests."""
    latest = latest if latest is not None else migrations.LATEST
    db = database.obj
    before = current_version()
    check_not_newer(before, latest)
    if before == latest:
        return UpgradeResult(before, before)
    steps = list(steps) if steps is not None else migrations.load()
    if before == 0:
        with db.atomic():
            db.create_tables(ALL_MODELS + [SchemaVersion])
            if latest >= 4:  # the activity summary's triggers (schema version 4) are not in the models
                from tuicrm.db import activity_summary

                activity_summary.install_triggers(db)
            SchemaVersion.create(version=latest)
        return UpgradeResult(0, latest)
    backup = None
    if is_sqlite():
        backup = backup_sqlite(db, backup_dir, suffix=f"v{before}")
        if on_progress:
            on_progress(f"backup written to {backup}")
    from playhouse.migrate import SchemaMigrator  # only for an upgrade: a lighter start

    migrator = SchemaMigrator.from_database(db)
    sqlite = is_sqlite()
    if sqlite:
        # SQLite rebuilds a table for some ALTERs (copy, drop, rename): with foreign keys on,
        # dropping the old table would cascade into its children. Off for the upgrade only.
        db.pragma("foreign_keys", 0)
    try:
        for number, module in steps:
            if number <= before:
                continue
            if on_progress:
                on_progress(f"migrating to version {number}")
            try:
                with db.atomic():  # each step whole or not at all (DDL is transactional on both engines)
                    module.up(migrator, db)
                    SchemaVersion.create(version=number)
            except Exception as exc:  # noqa: BLE001 - reported as one line, the base keeps its last good version
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                kept = _("; a copy of the base before the upgrade: {path}").format(path=backup) if backup else ""
                raise DatabaseUnavailable(
                    _("upgrading the schema to version {number} failed ({reason}); the base was left at version {version}")
                    .format(number=number, reason=first, version=current_version()) + kept
                ) from exc
    finally:
        if sqlite:
            db.pragma("foreign_keys", 1)
    return UpgradeResult(before, current_version(), backup)


def backup_sqlite(db: peewee.SqliteDatabase, target_dir: Path | None = None, suffix: str = "") -> Path:
    """Copy a live SQLite base with the online backup API (safe while others write) into a new,
    timestamped file in ``target_dir`` (default: beside the base)."""
    from pathlib import Path

    src_path = Path(db.database)
    target_dir = target_dir or src_path.parent
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{src_path.stem}-{stamp}{('-' + suffix) if suffix else ''}.backup.db"
    target = target_dir / name
    n = 1
    while target.exists():
        n += 1
        target = target_dir / f"{src_path.stem}-{stamp}-{n}{('-' + suffix) if suffix else ''}.backup.db"
    return _copy_sqlite(src_path, target)


_SQLITE_HEADER = b"SQLite format 3\x00"


def _copy_sqlite(src_path: Path, target: Path) -> Path:
    """The online backup of ``src_path`` into ``target``. Never onto the base itself, never over a
    file that is not a SQLite base; any failure is one clear line (DatabaseUnavailable)."""
    try:
        if target.exists():
            if target.resolve() == src_path.resolve():
                raise DatabaseUnavailable(_("the copy cannot be the base itself: choose another file"))
            with target.open("rb") as fh:
                if target.stat().st_size and fh.read(16) != _SQLITE_HEADER:
                    raise DatabaseUnavailable(
                        _("{path} exists and is not a SQLite base: it will not be overwritten").format(path=target))
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(str(src_path))
        try:
            dst = sqlite3.connect(str(target))
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise DatabaseUnavailable(_("cannot write the copy {path}: {reason}").format(path=target, reason=reason)) from exc
    return target


def backup(url: str, output: Path | None = None) -> Path:
    """`tuicrm db backup`: SQLite through the online backup API, PostgreSQL through pg_dump.

    ``output``: a file (has a suffix; an earlier copy there is replaced) or a directory (a new
    timestamped file in it); default: beside the base (SQLite) or the current folder (pg_dump)."""
    from pathlib import Path

    path = sqlite_path(url)
    if path is not None:
        if output is not None and output.suffix and not output.is_dir():
            return _copy_sqlite(path, output)
        return backup_sqlite(database.obj, output)
    pg_dump = find_pg_dump()
    if pg_dump is None:
        raise DatabaseUnavailable(
            _("pg_dump was not found (PATH, /usr/lib/postgresql/*/bin): install the PostgreSQL client tools "
              "(apt-get install postgresql-client) and run: {command}").format(
                command=f"pg_dump -Fc -f tuicrm.dump '{describe(url)}'")
        )
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    output = output or Path(f"tuicrm-{stamp}.dump")
    if output.is_dir() or not output.suffix:  # a directory (existing or to be made), as for SQLite
        output = output / f"tuicrm-{stamp}.dump"
    output.parent.mkdir(parents=True, exist_ok=True)
    import subprocess

    try:
        proc = subprocess.run([pg_dump, "-Fc", "-f", str(output), _libpq_url(url)], capture_output=True, text=True)
    except OSError as exc:
        raise DatabaseUnavailable(_("cannot run {program}: {reason}").format(program=pg_dump, reason=exc.strerror or exc)) from exc
    if proc.returncode != 0:
        raise DatabaseUnavailable(_("pg_dump failed: {reason}").format(
            reason=proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode))
    return output


PG_BIN_GLOBS = ["/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/opt/postgresql*/bin"]


def find_pg_dump() -> str | None:
    """pg_dump on PATH, else the newest one in the usual PostgreSQL install dirs (Debian keeps
    the versioned binaries in /usr/lib/postgresql/N/bin; a newer pg_dump can dump an older server)."""
    import glob
    import os
    import re
    import shutil
    from pathlib import Path

    found = shutil.which("pg_dump")
    if found:
        return found
    candidates = []
    for pattern in PG_BIN_GLOBS:
        for bindir in glob.glob(pattern):
            exe = Path(bindir) / "pg_dump"
            if exe.is_file() and os.access(exe, os.X_OK):
                version = [int(x) for x in re.findall(r"\d+", Path(bindir).parent.name)] or [0]
                candidates.append((version, str(exe)))
    return max(candidates)[1] if candidates else None


_PEEWEE_ONLY_PARAMS = {"max_connections", "stale_timeout", "timeout", "autorollback", "autoconnect", "thread_safe",
                       "register_hstore", "server_side_cursors", "prefer_psycopg3"}


def _libpq_url(url: str) -> str:
    """The URL as libpq (pg_dump) reads it: no peewee scheme variant (postgresql+pool://) and no
    peewee-only query parameters."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _PEEWEE_ONLY_PARAMS])
    return f"postgresql://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")
