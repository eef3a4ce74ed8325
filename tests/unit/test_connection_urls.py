"""Opening a base without playhouse.db_url (a faster start) builds exactly the database db_url would."""

from __future__ import annotations

import pytest

from tuicrm.db.connection import direct_database

KW = {"connect_timeout": 5, "application_name": "tuicrm"}


@pytest.mark.parametrize("url", [
    "postgresql://postgres@127.0.0.1:5432/crm",
    "postgres://user:p%40ss@db.example:6432/crm_main",
    "postgresql:///crm",
    "postgresql://[::1]:5432/crm",
    "postgresql://user:secret@host/crm",
    "sqlite:///relative.db",
    "sqlite:////abs/path/crm.db",
    "sqlite:///:memory:",
])
def test_same_database_as_db_url(url):
    from playhouse.db_url import connect

    kwargs = KW if url.startswith("postgres") else {"pragmas": {"foreign_keys": 1}, "timeout": 5}
    expected = connect(url, **kwargs)
    got = direct_database(url, kwargs)
    assert type(got) is type(expected)
    assert got.database == expected.database
    assert got.connect_params == expected.connect_params
    if url.startswith("sqlite"):
        assert got._pragmas == expected._pragmas


@pytest.mark.parametrize("url", [
    "postgresql://host:5432",  # no database name: db_url's own error message
    "postgresql:///crm?host=/run/postgresql&port=5432",
    "postgresql+pool://user@host/crm",
    "sqlite:///crm.db?timeout=3",
    "sqlite+pool:///crm.db",
])
def test_anything_else_goes_to_db_url(url):
    assert direct_database(url, {}) is None


URLS = ["sqlite:///crm.db", "sqlite:////srv/crm/crm.db", "sqlite:///:memory:", "sqlite:///", "sqlite:///a b/c.db",
        "sqlite:///x.db#frag", "sqlite:///x.db?timeout=3", "SQLite:///x.db", "sqlite+pool:///x.db", "sqlite://host/x.db",
        "postgresql://u:p@h:5/db", "postgresql:///crm", "mysql://h/db", "sqlite:///x\t.db"]


@pytest.mark.parametrize("url", URLS)
def test_sqlite_file_and_scheme_as_urlparse_reads_them(url):
    from pathlib import Path
    from urllib.parse import urlparse

    from tuicrm.db import connection

    assert connection._scheme(url) == urlparse(url).scheme
    # what sqlite_path gave when it asked urlparse for the scheme
    if urlparse(url).scheme.startswith("sqlite"):
        rest = url.split("://", 1)[1]
        rest = rest[1:] if rest.startswith("/") else rest
        expected = None if rest in ("", ":memory:") else Path(rest.split("?", 1)[0])
    else:
        expected = None
    assert connection.sqlite_path(url) == expected
    assert connection.sqlite_file(url) == (None if expected is None else rest.split("?", 1)[0])


def test_exists_reads_the_file_system_as_pathlib_does(tmp_path):
    import os
    from pathlib import Path

    from tuicrm import paths

    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    os.symlink(tmp_path / "dir", tmp_path / "link")
    for name in ("file", "dir", "missing", "file/below", "loop", "link", "dir/", "file\x00x", ""):
        p = str(tmp_path / name) if name else ""
        assert paths.exists(p) == Path(p).exists(), name
        assert paths.exists(p, is_dir=True) == Path(p).is_dir(), name


def test_config_file_name_is_config_file(monkeypatch, tmp_path):
    from pathlib import Path

    from tuicrm import paths

    for env in ({"TUICRM_CONFIG": "~/my.toml"}, {"TUICRM_CONFIG": str(tmp_path / "c.toml")},
                {"XDG_CONFIG_HOME": str(tmp_path / "xdg/")}, {"XDG_CONFIG_HOME": "  "}, {}):
        monkeypatch.delenv("TUICRM_CONFIG", raising=False)
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        assert Path(paths.config_file_name()) == paths.config_file()


def test_a_sqlite_base_binds_null_and_bools_through_registered_adapters(tmp_path):
    """SQLITE_ADAPT_NOTE: opening a SQLite base registers the adapters for None and bool (without
    them each NULL bound cost a formatted-and-dropped AttributeError); the values stored are the ones
    bound before: NULL, and 1/0."""
    import sqlite3

    from tuicrm.db.connection import close_database, open_database
    from tuicrm.model import database

    for t in (type(None), bool):
        sqlite3.adapters.pop((t, sqlite3.PrepareProtocol), None)
    open_database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        assert sqlite3.adapters[(type(None), sqlite3.PrepareProtocol)](None) is None
        assert sqlite3.adapters[(bool, sqlite3.PrepareProtocol)] is int
        db = database.obj
        db.execute_sql("CREATE TABLE t (a, b, c)")
        db.execute_sql("INSERT INTO t VALUES (?, ?, ?)", (None, True, False))
        assert db.execute_sql("SELECT a, typeof(a), b, typeof(b), c FROM t").fetchone() == (None, "null", 1, "integer", 0)
    finally:
        close_database()
