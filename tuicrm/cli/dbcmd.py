"""`tuicrm db upgrade|backup|info`."""

from __future__ import annotations

from pathlib import Path

import click

from tuicrm.cli.common import cli_errors, command, common_options
from tuicrm.i18n import N_, _

ROLES = (N_("admin"), N_("head"), N_("manager"))


def register(main: click.Group) -> None:
    @main.group("db")
    @common_options
    def db() -> None:
        """Schema upgrades and backups of the base."""

    @command(db, "upgrade")
    def upgrade(obj) -> None:
        """Create the base or bring its schema to this version (SQLite: backup first)."""
        with cli_errors():
            session = obj.session()
            r = session.upgrade
            from tuicrm.db.connection import describe

            if r.before == 0:
                click.echo(_("created {url} at schema version {version}").format(url=describe(session.url), version=r.after))
            elif r.changed:
                click.echo(_("upgraded {url} from version {before} to {after}").format(url=describe(session.url), before=r.before, after=r.after))
                if r.backup:
                    click.echo(_("backup of the old base: {path}").format(path=r.backup))
            else:
                click.echo(_("{url} is up to date (schema version {version})").format(url=describe(session.url), version=r.after))

    @command(db, "backup")
    @click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
                  help="File or directory for the copy (default: beside the base).")
    def backup(obj, output: Path | None) -> None:
        """Copy the base while it is in use (SQLite online backup; PostgreSQL via pg_dump)."""
        with cli_errors():
            from tuicrm.db import schema

            session = obj.session(must_exist=True, read_only=True)
            path = schema.backup(session.url, output)
            click.echo(_("backup written to {path}").format(path=path))

    @command(db, "info")
    def info(obj) -> None:
        """Where the base is, its schema version and row counts."""
        with cli_errors():
            from tuicrm.db.connection import describe
            from tuicrm.db.schema import current_version
            from tuicrm.model import Activity, Company, Deal, Person, Phone

            session = obj.session(must_exist=True, read_only=True)
            click.echo(_("base: {url}").format(url=describe(session.url)))
            click.echo(_("schema version: {version}").format(version=current_version()))
            known = "" if session.actor.user_id else _(", not a user of this base yet")
            click.echo(_("user: {login} ({role})").format(login=session.actor.login, role=_(str(session.actor.role)) + known))
            for model, label in ((Company, N_("companies")), (Person, N_("persons")), (Phone, N_("phones")),
                                 (Deal, N_("deals")), (Activity, N_("activities"))):
                click.echo(f"{_(label):>12}: {model.select().count()}")
