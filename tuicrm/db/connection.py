"""One way in: a database URL.

``sqlite:///relative.db`` / ``sqlite:////absolute.db`` or ``postgresql://user:pass@host:port/db``,
from ``--db``, ``TUICRM_DB`` or the config; default: a SQLite file in the user data dir.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import peewee

from tuicrm import paths
from tuicrm.i18n import _
from tuicrm.model import database

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "cache_size": -64000,
    "synchronous": "normal",
    "busy_timeout": 5000,
}


class DatabaseUnavailable(Exception):
    """The base cannot be opened or reached; the message is one clear line for the user."""


def resolve_url(url: str | None = None) -> str:
    """The URL to use: the argument, else TUICRM_DB, else the default SQLite file."""
    url = (url or os.environ.get("TUICRM_DB") or "").strip()
    if not url:
        return f"sqlite:///{paths.default_db_path()}"
    if "://" not in url:  # a bare path is taken as a SQLite file
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL, or None for other engines and :memory:."""
    parsed = urlparse(url)
    if not parsed.scheme.startswith("sqlite"):
        return None
    path = url.split("://", 1)[1]
    path = path[1:] if path.startswith("/") else path
    if path in ("", ":memory:"):
        return None
    return Path(path.split("?", 1)[0])


def describe(url: str) -> str:
    """A URL fit to show: no password."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url


def open_database(url: str | None = None, *, create_dir: bool = True) -> peewee.Database:
    """Connect the shared proxy to ``url`` and return the concrete database.

    Raises DatabaseUnavailable with a readable message for a wrong URL or an unreachable server.
    """
    url = resolve_url(url)
    scheme = urlparse(url).scheme
    if scheme.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None and path.is_dir():
            raise DatabaseUnavailable(_("{path} is a directory: give the path of a database file inside it").format(path=path))
        if path is not None and create_dir:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(_("cannot create {path}: {reason}").format(path=path.parent, reason=exc.strerror)) from exc
        kwargs = {"pragmas": SQLITE_PRAGMAS, "timeout": 5}
    elif scheme.startswith(("postgres", "postgresql")):
        kwargs = {"connect_timeout": 5, "application_name": "tuicrm"}
    else:
        raise DatabaseUnavailable(
            _("unsupported database URL {url}: use sqlite:///path/to/file.db "
              "or postgresql://user:password@host:port/dbname").format(url=repr(describe(url)))
        )
    try:
        db = direct_database(url, kwargs)
        if db is None:
            from playhouse.db_url import connect

            db = connect(url, **kwargs)
    except (ValueError, RuntimeError, ImportError) as exc:
        raise DatabaseUnavailable(_("bad database URL {url}: {reason}").format(url=repr(describe(url)), reason=exc)) from exc
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(_("cannot open {url}: {reason}").format(url=describe(url), reason=msg)) from exc
    except peewee.DatabaseError as exc:
        raise DatabaseUnavailable(_("cannot open {url}: {reason}").format(url=describe(url), reason=exc)) from exc
    if isinstance(db, peewee.SqliteDatabase):
        try:
            db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
        except peewee.DatabaseError as exc:
            db.close()
            raise DatabaseUnavailable(_("{path} is not a tuicrm base: {reason}").format(path=path, reason=exc)) from exc
    db.tuicrm_url = url
    return db


def direct_database(url: str, kwargs: dict) -> peewee.Database | None:
    """The database playhouse.db_url.connect(url, **kwargs) would build, for the common URLs
    (plain sqlite:/// and postgresql:// with a database name and no query string), without
    importing db_url: it imports every backend (a slower start for `tuicrm lookup`). None: use db_url."""
    parsed = urlparse(url)
    if "?" in url:
        return None
    if parsed.scheme == "sqlite":
        return peewee.SqliteDatabase(parsed.path[1:] or ":memory:", **kwargs)
    if parsed.scheme in ("postgresql", "postgres") and parsed.path[1:]:
        params: dict = {"database": parsed.path[1:]}
        if parsed.username:
            params["user"] = parsed.username
        if parsed.password:
            params["password"] = parsed.password
        if parsed.hostname:
            params["host"] = parsed.hostname
        if parsed.port:
            params["port"] = parsed.port
        return peewee.PostgresqlDatabase(**{**params, **kwargs})
    return None


def close_database() -> None:
    obj = database.obj
    if obj is not None and not obj.is_closed():
        obj.close()


def is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


@contextmanager
def write_tx():
    """A write transaction; on SQLite take the write lock up front (IMMEDIATE) so a
    read-then-write never fails half way with 'database is locked'."""
    if is_sqlite():
        with database.obj.atomic("IMMEDIATE") as tx:
            yield tx
    else:
        with database.atomic() as tx:
            yield tx
