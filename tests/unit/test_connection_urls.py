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
