"""Opening a base from a URL, schema versions and migrations, backups."""

from tuicrm.db.connection import DatabaseUnavailable, close_database, open_database, resolve_url, write_tx  # noqa: F401
