"""`tuicrm report NAME|activity|funnel|winloss|forecast` and `tuicrm report-target`.

Prints a report as a table (for the language), CSV or JSON, or writes .xlsx/.csv/.json with -o.
NAME is a saved report of the current user (saved in the app with `s`). Exit 2 with one line on
bad input (an unknown report, a period that cannot be read or ends before it starts, an
unwritable file). Never imports Textual.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from tuicrm.cli.common import cli_errors, command, fail

FORMATS = ("table", "csv", "json", "xlsx")


def _zone(session, tz_name: str | None):
    from tuicrm import formatting
    from tuicrm.model import User

    name = tz_name or session.settings.timezone or None
    if not name and session.actor.user_id is not None:
        name = User.select(User.timezone).where(User.id == session.actor.user_id).scalar()
    if tz_name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            fail(f"unknown time zone {tz_name!r} (use an IANA name such as Europe/Moscow)")
    return formatting.zone(name)


def _managers(names: tuple[str, ...]) -> tuple[int, ...]:
    from tuicrm.services import users

    ids = []
    for name in names:
        info = users.find_user(name)
        if info is None:
            fail(f"no user {name!r} (use a login or a name)")
        ids.append(info.id)
    return tuple(ids)


def _pipeline(name: str | None) -> int | None:
    if not name:
        return None
    from tuicrm.services import reports
    from tuicrm.services.base import search_key

    for choice in reports.pipeline_choices():
        if search_key(choice.name) == search_key(name) or str(choice.id) == name.strip():
            return choice.id
    fail(f"no pipeline {name!r}")


def register(main: click.Group) -> None:
    @command(main, "report")
    @click.argument("name", required=False)
    @click.option("--period", "-p", default=None,
                  help="this-week|this-month|this-quarter|this-year, last-…/next-…, 2026, 2026-03, 2026-Q1, "
                       "2026-01..2026-03, 2026-01-05..2026-02-10 (default: the saved report's, else this-month).")
    @click.option("--manager", "-m", "managers", multiple=True, help="Only this manager (login or name); repeatable.")
    @click.option("--pipeline", default=None, help="Pipeline name or id (funnel; default: the default pipeline).")
    @click.option("--tag", "tags", multiple=True, help="Only clients/deals with this tag; repeatable.")
    @click.option("--bucket", type=click.Choice(["auto", "day", "week", "month"]), default=None,
                  help="Chart buckets (default auto: days up to a month, weeks up to 16 weeks, else months).")
    @click.option("--tz", "tz_name", default=None, help="Time zone of the period (default: settings, the user's, the machine's).")
    @click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default=None,
                  help="table (default on screen), csv, json, xlsx (needs -o); default from the -o suffix.")
    @click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Write to this file.")
    @click.option("--list", "list_saved", is_flag=True, help="List the saved reports and exit.")
    def report(obj, name, period, managers, pipeline, tags, bucket, tz_name, fmt, output, list_saved) -> None:
        """Run a report (activity, funnel, winloss, forecast) or a saved report by NAME."""
        with cli_errors():
            from tuicrm.model import utcnow
            from tuicrm.services import reports
            from tuicrm.transfer import report_export

            session = obj.session(must_exist=False)
            actor = session.actor
            if list_saved or not name:
                saved = reports.list_saved(actor)
                click.echo("built-in: activity, funnel, winloss, forecast")
                for s in saved:
                    slot = f"[{s.slot}] " if s.slot else ""
                    click.echo(f"{slot}{s.name}: {s.params.report}, {s.params.period}")
                if not name:
                    return
            key = name.strip().lower()
            if key in reports.REPORT_ALIASES:
                params = reports.ReportParams(reports.REPORT_ALIASES[key], "this-month")
            else:
                found = reports.get_saved(actor, name)
                if found is None:
                    fail(f"no report {name!r}: use activity, funnel, winloss, forecast or a saved report (tuicrm report --list)")
                params = found.params
            changes = {}
            if period:
                changes["period"] = period
            if managers:
                changes["managers"] = _managers(managers)
            if pipeline:
                changes["pipeline_id"] = _pipeline(pipeline)
            if tags:
                changes["tags"] = tuple(tags)
            if bucket:
                changes["bucket"] = bucket
            if changes:
                from dataclasses import replace

                params = replace(params, **changes)
            if fmt is None:
                suffix = output.suffix.lower().lstrip(".") if output else ""
                fmt = suffix if suffix in FORMATS else "table"
            if fmt == "xlsx" and output is None:
                fail("--format xlsx needs -o FILE.xlsx")
            tz = _zone(session, tz_name)
            now = utcnow()
            result = reports.run(actor, params, tz=tz, now=now)
            if fmt == "xlsx":
                path = report_export.write_xlsx(result, output)
                click.echo(f"wrote {path}", err=True)
            elif fmt == "csv":
                report_export.write_csv(result, output, sys.stdout)
            elif fmt == "json":
                report_export.write_json(result, output, sys.stdout)
            else:
                text = report_export.render_text(result)
                if output is not None:
                    path = report_export._check_target(output)
                    try:
                        path.write_text(text + "\n", encoding="utf-8")
                    except OSError as exc:
                        raise report_export._write_failed(path, exc) from exc
                else:
                    click.echo(text)

    @command(main, "report-target")
    @click.argument("manager")
    @click.argument("month")
    @click.argument("amount")
    def report_target(obj, manager: str, month: str, amount: str) -> None:
        """Set a manager's plan for a month: tuicrm report-target ann 2026-11 500000 (a head or an admin)."""
        with cli_errors():
            from tuicrm.services import reports

            session = obj.session(must_exist=False)
            (user_id,) = _managers((manager,))
            try:
                first = dt.date.fromisoformat(month.strip() + "-01" if len(month.strip()) == 7 else month.strip())
            except ValueError:
                fail(f"not a month: {month!r} (use 2026-11)")
            try:
                value = round(float(amount.replace(" ", "").replace(",", ".")) * 100)
            except ValueError:
                fail(f"not an amount: {amount!r}")
            reports.set_target(session.actor, user_id, first, value)
            click.echo(f"plan for {manager} in {first:%Y-%m}: {value / 100:,.2f}")
