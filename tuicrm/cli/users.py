"""`tuicrm user add LOGIN --name --role` and `tuicrm user list`: who works on the base."""

from __future__ import annotations

import click

from tuicrm.cli.common import cli_errors, command


def register(main: click.Group) -> None:
    @main.group("user")
    def user() -> None:
        """Users of the base (managers, heads, admins)."""

    @command(user, "add")
    @click.argument("login")
    @click.option("--name", default=None, help="Full name shown in the app (default: the login).")
    @click.option("--role", type=click.Choice(["manager", "head", "admin"]), default="manager", show_default=True)
    @click.option("--timezone", default=None, help="IANA zone, e.g. Europe/Moscow.")
    def add(obj, login: str, name: str | None, role: str, timezone: str | None) -> None:
        """Add a user."""
        with cli_errors():
            from tuicrm.services import users

            session = obj.session()
            if role != "manager" and not session.actor.sees_all:
                from tuicrm.services.base import Forbidden

                raise Forbidden("only a head or an admin may add heads and admins")
            info = users.create_user(login, name, role, timezone)
        click.echo(f"{info.login}\t{info.name}\t{info.role}")

    @command(user, "list")
    @click.option("--all", "show_all", is_flag=True, help="Include deactivated users.")
    def list_(obj, show_all: bool) -> None:
        """List the users: login, name, role."""
        with cli_errors():
            from tuicrm.services import users

            obj.session()
            rows = users.list_users(active_only=not show_all)
        for u in rows:
            flag = "" if u.is_active else "\t(deactivated)"
            click.echo(f"{u.login}\t{u.name}\t{u.role}{flag}")
