"""One way in: a database URL.

``sqlite:///relative.db`` / ``sqlite:////absolute.db`` or ``postgresql://user:pass@host:port/db``,
from ``--db``, ``TUICRM_DB`` or the config; default: a SQLite file in the user data dir.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import peewee

from tuicrm import paths
from tuicrm.i18n import _
from tuicrm.model import database

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

# pathlib and urllib.parse (with ipaddress) cost `tuicrm lookup` ~4 ms to import: a plain
# sqlite:/// URL is read with string operations that give exactly what urlparse gives for it,
# every other URL (and every error message) goes through them, imported when needed.

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "cache_size": -64000,
    "synchronous": "normal",
    "busy_timeout": 5000,
}


def register_sqlite_adapters() -> None:
    """SQLITE_ADAPT_NOTE: Python 3.11's sqlite3 module binds int, float and str parameters directly,
    but every other value, None and bool included, goes through its adapter lookup. With no adapter
    registered for the type, it looks up ``__adapt__`` on its PrepareProtocol class and then
    ``__conform__`` on the value. The class lookup fails with an AttributeError whose message is
    formatted and then dropped, ≈ 2,000 instructions for each NULL bound.
    An import binds ≈ 10 NULLs and ≈ 5 bools per row: 106,638 such errors and 208 M of the ≈ 2,700 M
    instructions of a 5,000-row import (callgrind), ≈ 8 % of the importing process's work. An adapter registered for each type answers
    from the module's registry: None gives None (bound as NULL), a bool gives its int (bound as the
    1/0 it was bound as before). The values stored are the same. The adapters are process-wide and
    idempotent."""
    import sqlite3

    sqlite3.register_adapter(type(None), _NONE)
    sqlite3.register_adapter(bool, int)


_NONE = {}.get  # f(None) → None, a C method: no Python frame per value bound


class DatabaseUnavailable(Exception):
    """The base cannot be opened or reached; the message is one clear line for the user."""


def resolve_url(url: str | None = None) -> str:
    """The URL to use: the argument, else TUICRM_DB, else the default SQLite file."""
    url = (url or os.environ.get("TUICRM_DB") or "").strip()
    if not url:
        return f"sqlite:///{paths.default_db_path()}"
    if "://" not in url:  # a bare path is taken as a SQLite file
        from pathlib import Path

        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def _plain_sqlite(url: str) -> bool:
    """sqlite:///… with nothing urlparse would read differently from the plain string."""
    return url.startswith("sqlite:///") and not any(c in url for c in "?#\t\r\n")


def _scheme(url: str) -> str:
    """``urlparse(url).scheme``."""
    if _plain_sqlite(url):
        return "sqlite"
    from urllib.parse import urlparse

    return urlparse(url).scheme


def sqlite_file(url: str) -> str | None:
    """``str(sqlite_path(url))`` before pathlib's normalisation, without importing pathlib."""
    if not _scheme(url).startswith("sqlite"):
        return None
    path = url.split("://", 1)[1]
    path = path[1:] if path.startswith("/") else path
    if path in ("", ":memory:"):
        return None
    return path.split("?", 1)[0]


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL, or None for other engines and :memory:."""
    name = sqlite_file(url)
    if name is None:
        return None
    from pathlib import Path

    return Path(name)


def describe(url: str) -> str:
    """A URL fit to show: no password."""
    from urllib.parse import urlparse

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
    scheme = _scheme(url)
    if scheme.startswith("sqlite"):
        name = sqlite_file(url)
        if name is not None and paths.exists(name, is_dir=True):
            raise DatabaseUnavailable(_("{path} is a directory: give the path of a database file inside it").format(path=sqlite_path(url)))
        if name is not None and create_dir and not paths.exists(os.path.dirname(name) or ".", is_dir=True):
            parent = sqlite_path(url).parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(_("cannot create {path}: {reason}").format(path=parent, reason=exc.strerror)) from exc
        kwargs = {"pragmas": SQLITE_PRAGMAS, "timeout": 5}
        register_sqlite_adapters()
    elif scheme.startswith(("postgres", "postgresql")):
        from tuicrm.startup import ensure_postgres_driver

        ensure_postgres_driver()  # peewee may have been imported without it (a start on SQLite)
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
            path = sqlite_path(url)
            raise DatabaseUnavailable(_("{path} is not a tuicrm base: {reason}").format(path=path, reason=exc)) from exc
    db.tuicrm_url = url
    return db


def direct_database(url: str, kwargs: dict) -> peewee.Database | None:
    """The database playhouse.db_url.connect(url, **kwargs) would build, for the common URLs
    (plain sqlite:/// and postgresql:// with a database name and no query string), without
    importing db_url: it imports every backend (a slower start for `tuicrm lookup`). None: use db_url."""
    if "?" in url:
        return None
    if _plain_sqlite(url):  # urlparse's path, less its leading "/"
        return peewee.SqliteDatabase(url[len("sqlite:///"):] or ":memory:", **kwargs)
    from urllib.parse import urlparse

    parsed = urlparse(url)
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
