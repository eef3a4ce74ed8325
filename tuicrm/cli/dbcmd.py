"""`tuicrm db upgrade|backup|info`."""

from __future__ import annotations

from pathlib import Path

import click

from tuicrm.cli.common import cli_errors, command, common_options


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
                click.echo(f"created {describe(session.url)} at schema version {r.after}")
            elif r.changed:
                click.echo(f"upgraded {describe(session.url)} from version {r.before} to {r.after}")
                if r.backup:
                    click.echo(f"backup of the old base: {r.backup}")
            else:
                click.echo(f"{describe(session.url)} is up to date (schema version {r.after})")

    @command(db, "backup")
    @click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
                  help="File or directory for the copy (default: beside the base).")
    def backup(obj, output: Path | None) -> None:
        """Copy the base while it is in use (SQLite online backup; PostgreSQL via pg_dump)."""
        with cli_errors():
            from tuicrm.db import schema

            session = obj.session(must_exist=True, read_only=True)
            path = schema.backup(session.url, output)
            click.echo(f"backup written to {path}")

    @command(db, "info")
    def info(obj) -> None:
        """Where the base is, its schema version and row counts."""
        with cli_errors():
            from tuicrm.db.connection import describe
            from tuicrm.db.schema import current_version
            from tuicrm.model import Activity, Company, Deal, Person, Phone

            session = obj.session(must_exist=True, read_only=True)
            click.echo(f"base: {describe(session.url)}")
            click.echo(f"schema version: {current_version()}")
            known = "" if session.actor.user_id else ", not a user of this base yet"
            click.echo(f"user: {session.actor.login} ({session.actor.role}{known})")
            for model in (Company, Person, Phone, Deal, Activity):
                click.echo(f"{model.__name__.lower():>10}: {model.select().count()}")
