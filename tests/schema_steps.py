"""Shared steps of the upgrade tests: a base put back to an older schema version, then upgraded."""

from __future__ import annotations


def upgrade_from(version: int, blank_url: str, backup_dir):
    """Stamp the connected base as schema ``version`` (the test has already undone what the later
    versions added), reopen it, check it reads as that version, and upgrade it to the latest one.
    Returns ensure_schema's result, checked to have gone from ``version`` to the latest."""
    from tuicrm.db import migrations
    from tuicrm.db.connection import close_database, open_database
    from tuicrm.db.schema import SchemaVersion, current_version, ensure_schema

    SchemaVersion.delete().where(SchemaVersion.version > version).execute()
    if not SchemaVersion.select().where(SchemaVersion.version == version).exists():
        SchemaVersion.create(version=version)
    close_database()
    open_database(blank_url)
    assert current_version() == version
    result = ensure_schema(backup_dir=backup_dir)
    assert (result.before, result.after) == (version, migrations.LATEST) and migrations.LATEST > version
    return result
