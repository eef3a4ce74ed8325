"""`tuicrm plan`: a day's plan as a readable list (a second terminal, cron, mail) or JSON.

Times are shown in the user's zone (User.timezone, else settings.timezone, else the machine's).
Exit 0 (also for an empty day); a bad date or unknown user: one line on stderr, exit 2.
Never imports Textual.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys

import click

from tuicrm.cli.common import EXIT_OK, cli_errors, command, fail


def _parse_day(text: str, today: dt.date) -> dt.date:
    from tuicrm.i18n import _

    t = text.strip().lower()
    if t in ("today", "сегодня"):
        return today
    if t in ("tomorrow", "завтра"):
        return today + dt.timedelta(days=1)
    if t in ("yesterday", "вчера"):
        return today - dt.timedelta(days=1)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        try:
            return dt.date.fromisoformat(t)
        except ValueError:
            pass
    fail(_("bad --date {value!r}: use today, tomorrow or YYYY-MM-DD").format(value=text))
    raise AssertionError  # unreachable


def _kind_label(kind: str) -> str:
    from tuicrm.i18n import _

    return {
        "call_out": _("call"), "call_in": _("incoming"), "email": _("email"), "fax": _("fax"),
        "letter": _("letter"), "meeting": _("meeting"), "task": _("task"),
    }.get(kind, kind)


def render_rows(rows, tz, day: dt.date, user_name: str, style: str, region: str, now: dt.datetime) -> str:
    from tuicrm import formatting
    from tuicrm.i18n import _
    from tuicrm.services.phones import format_phone

    lines = [_("Plan of {user} for {day}").format(user=user_name, day=f"{formatting.weekday(day)} {day.isoformat()}")]
    if not rows:
        lines.append("  " + _("nothing planned"))
        return "\n".join(lines)
    for r in rows:
        local = formatting.to_local(r.due_at, tz)
        when = local.strftime("%H:%M") if local.date() == day else local.strftime("%d.%m %H:%M")
        mark = "x" if r.is_done else ("!" if r.overdue else " ")
        head = f"[{mark}] {when:>11}  {_kind_label(r.kind):<9} {r.subject}".rstrip()
        lines.append(head)
        who = r.client
        if r.client_archived:
            who += " " + _("(archived)")
        extra = []
        if who:
            extra.append(who)
        if r.deal_title:
            extra.append(_("deal: {title}").format(title=r.deal_title))
        if r.phone_raw:
            phone = format_phone(r.phone_e164, r.phone_raw, style, region)
            if r.phone_ext:
                phone += " " + _("ext. {n}").format(n=r.phone_ext)
            extra.append(phone)
        if extra:
            lines.append("      " + " · ".join(extra))
        if r.is_done and (r.outcome or r.result):
            lines.append("      → " + " ".join(x for x in (_outcome_label(r.outcome), r.result or "") if x))
    return "\n".join(lines)


def _outcome_label(outcome: str | None) -> str:
    from tuicrm.i18n import _

    if not outcome:
        return ""
    return {
        "reached": _("reached"), "no_answer": _("no answer"), "busy": _("busy"), "call_back": _("call back"),
        "refused": _("refused"), "other": _("other"),
    }.get(outcome, outcome)


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def row_json(r, tz) -> dict:
    from tuicrm import formatting

    local = formatting.to_local(r.due_at, tz)
    return {
        "id": r.id, "kind": r.kind, "subject": r.subject, "due_at": _iso(r.due_at),
        "due_local": local.isoformat() if local else None, "done_at": _iso(r.done_at), "outcome": r.outcome,
        "result": r.result, "overdue": r.overdue, "person": r.person_name, "person_id": r.person_id,
        "company": r.company_name, "company_id": r.company_id, "deal": r.deal_title, "deal_id": r.deal_id,
        "phone": r.phone_e164 or r.phone_raw, "client_archived": r.client_archived,
    }


def _existing_login(obj, wanted: str) -> str:
    """--user takes a login or a full name of an existing user; an unknown one is an error
    (never a silently created user)."""
    from tuicrm.db.connection import DatabaseUnavailable, open_database, resolve_url, sqlite_path
    from tuicrm.i18n import _
    from tuicrm.model import User
    from tuicrm.services import users

    url = resolve_url(obj.db or obj.settings().db or None)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseUnavailable(f"no base at {path}: run `tuicrm` once to create it, or pass --db / TUICRM_DB")
    open_database(url)
    if not User.table_exists():
        fail(_("no user {name!r}").format(name=wanted))
    info = users.find_user(wanted)
    if info is None:
        fail(_("no user {name!r}").format(name=wanted))
    return info.login


def register(main: click.Group) -> None:
    @command(main, "plan")
    @click.option("--date", "date_text", default="today", show_default=True,
                  help="today, tomorrow or YYYY-MM-DD (in the user's time zone).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
    @click.option("--overdue", is_flag=True, help="Only open items that are overdue.")
    def plan_cmd(obj, date_text: str, as_json: bool, overdue: bool) -> None:
        """Print a day's calls and tasks (overdue first, then by time). --user NAME: whose plan
        (a login or a name of an existing user; default: the current user)."""
        with cli_errors():
            from tuicrm.model import utcnow
            from tuicrm.services import plan

            if obj.user:
                obj.user = _existing_login(obj, obj.user)
            session = obj.session(must_exist=True)
            actor = session.actor
            user_id = actor.user_id
            name = actor.name
            tz = plan.user_zone(user_id, session.settings.timezone or None)
            now = utcnow()
            day = _parse_day(date_text, plan.local_today(tz, now))
            if overdue:
                plan.check_can_view(actor, user_id)
                rows = plan.overdue_items(user_id, min(now, plan.day_bounds(day, tz)[1]), with_phones=True)
            else:
                rows = plan.day_plan(actor, user_id, day, tz, now=now)
        if as_json:
            click.echo(json.dumps({"user": name, "date": day.isoformat(), "timezone": str(tz),
                                   "items": [row_json(r, tz) for r in rows]}, ensure_ascii=False, indent=2))
        else:
            click.echo(render_rows(rows, tz, day, name, session.settings.phone_format, session.settings.phone_region, now))
        sys.exit(EXIT_OK)
