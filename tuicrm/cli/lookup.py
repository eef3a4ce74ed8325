"""`tuicrm lookup QUERY`: who is calling? A phone in any format, a name, company, email or tax id.

Exit 0 when something was found, 1 when nothing, 2 on error. Never imports Textual; in its
common shape (``fast_main``) not even click: a phone system starts it for every call.
"""

from __future__ import annotations

import sys

from tuicrm.cli.common import EXIT_NOTHING, EXIT_OK, CliContext, cli_errors, echo, plain_args, plain_context
from tuicrm.i18n import _
from tuicrm.labels import ACTIVITY_KINDS, OUTCOMES, PHONE_KINDS


def _zone(name: str | None):
    """The zone times are shown in: the setting, else the user's zone in the base, else the machine's."""
    import datetime as dt

    if name:
        from zoneinfo import ZoneInfo

        try:
            return ZoneInfo(name)
        except (ValueError, KeyError, OSError):
            pass
    return dt.datetime.now().astimezone().tzinfo


def _when(value, tz) -> str:
    """A stored naive-UTC time as local wall-clock time."""
    import datetime as dt

    if not value:
        return ""
    return value.replace(tzinfo=dt.timezone.utc).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _money(minor: int, currency: str) -> str:
    whole = f"{minor / 100:,.0f}".replace(",", "\u00a0")
    return f"{whole} {'₽' if currency == 'RUB' else currency}"


def _label(table: dict, code: str | None) -> str:
    return _(table[code]) if code in table else (code or "")


def render_card(card, style: str, region: str, tz=None) -> str:
    """The short card a person at a phone reads: who, where, numbers, owner, last/next, open deals."""
    from tuicrm.services.phones import format_phone

    tz = tz or _zone(None)
    lines = []
    lines.append(card.name + ("  [{}]".format(_("archived")) if card.archived else ""))
    if card.kind == "person":
        where = ", ".join(p for p in (card.position, card.company) if p)
        if where:
            lines.append(f"  {where}")
    else:
        lines.append("  " + _("company"))
    for p in card.phones:
        text = format_phone(p.e164, p.raw, style, region)
        if p.extension:
            text += " " + _("ext. {number}").format(number=p.extension)
        flag = "  (!) " + _(p.invalid_reason) if not p.is_valid and p.invalid_reason else ""
        note = f"  — {p.note}" if p.note else ""
        lines.append(f"  ☎ {text:<24} {_label(PHONE_KINDS, p.kind)}{note}{flag}")
    for e in card.emails:
        lines.append(f"  ✉ {e.address}")
    if card.owner:
        lines.append("  " + _("owner: {name}").format(name=card.owner))
    if card.last_activity:
        a = card.last_activity
        outcome = f" [{_label(OUTCOMES, a.outcome)}]" if a.outcome else ""
        text = f"{_when(a.done_at, tz)} {_label(ACTIVITY_KINDS, a.kind)}{outcome} {a.subject or ''}".rstrip()
        lines.append("  " + _("last: {activity}").format(activity=text))
        if a.result:
            lines.append(f"        {a.result}")
    if card.next_activity:
        a = card.next_activity
        text = f"{_when(a.due_at, tz)} {_label(ACTIVITY_KINDS, a.kind)} {a.subject or ''}".rstrip()
        lines.append("  " + _("next: {activity}").format(activity=text))
    for d in card.open_deals:
        lines.append("  " + _("deal: {title} — {stage}, {amount}").format(
            title=d.title, stage=d.stage, amount=_money(d.amount_minor, d.currency)))
    return "\n".join(lines)


def card_json(card) -> dict:
    return {
        "id": card.id,
        "kind": card.kind,
        "name": card.name,
        "company": card.company,
        "company_id": card.company_id,
        "position": card.position,
        "owner": card.owner,
        "archived": card.archived,
        "phones": [
            {"raw": p.raw, "e164": p.e164, "extension": p.extension, "kind": p.kind, "valid": p.is_valid,
             "invalid_reason": p.invalid_reason}
            for p in card.phones
        ],
        "emails": [e.address for e in card.emails],
        "tags": card.tags,
        "last_activity": _activity_json(card.last_activity),
        "next_activity": _activity_json(card.next_activity),
        "open_deals": [
            {"id": d.id, "title": d.title, "stage": d.stage, "amount": d.amount_minor / 100, "currency": d.currency}
            for d in card.open_deals
        ],
    }


def _activity_json(a) -> dict | None:
    if a is None:
        return None
    return {"id": a.id, "kind": a.kind, "subject": a.subject, "due_at": _iso(a.due_at), "done_at": _iso(a.done_at),
            "outcome": a.outcome, "result": a.result}


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def register(main) -> None:
    import click

    from tuicrm.cli.common import command

    @command(main, "lookup")
    @click.argument("query", nargs=-1, required=True)
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON list of the matching cards.")
    @click.option("--limit", default=20, show_default=True, help="At most this many cards.")
    @click.option("--archived", is_flag=True, help="Include archived cards.")
    def lookup(obj, query: tuple[str, ...], as_json: bool, limit: int, archived: bool) -> None:
        """Print the card(s) a phone number, name, company, email or tax id belongs to."""
        sys.exit(run(obj, query, as_json=as_json, limit=limit, archived=archived))


def run(obj: CliContext, query, *, as_json: bool = False, limit: int = 20, archived: bool = False) -> int:
    """The command itself (click or not): print the cards, return the exit code."""
    text = " ".join(query)
    with cli_errors():
        from tuicrm.services import cards, search

        session = obj.session(must_exist=True, read_only=True)
        region = session.settings.phone_region
        hits = search.search(session.actor, text, limit=limit, include_archived=archived, region=region, with_phones=False)
        found = cards.summaries(session.actor, [(h.kind, h.id) for h in hits])
        tz = None if as_json else _zone(session.settings.timezone or _user_zone(session.actor.user_id))
    if as_json:
        import json

        echo(json.dumps([card_json(c) for c in found], ensure_ascii=False, indent=2))
    else:
        if not found:
            echo(_("nothing found for {query}").format(query=repr(text)), err=True)
        for i, c in enumerate(found):
            if i:
                echo("")
            echo(render_card(c, session.settings.phone_format, region, tz))
    return EXIT_OK if found else EXIT_NOTHING


# --- without click ---------------------------------------------------------------------------

_VALUE_OPTIONS = {"--db": "db", "--user": "user", "--lang": "lang", "--config": "config", "--limit": "limit"}
_FLAGS = {"--json": "as_json", "--archived": "archived"}


def fast_main(argv: list[str]) -> int | None:
    """`tuicrm lookup ARGS` without importing click, when ARGS are options lookup documents
    (after ``lookup``) and query words; the exit code, or None to leave it to click (help,
    errors, options before ``lookup``, shell completion, a stream click would re-encode). Gives
    what the click command gives: same settings, output, exit codes."""
    parsed = plain_args(argv, _VALUE_OPTIONS, _FLAGS, words=True)
    if parsed is None or not parsed[1]:
        return None
    given, words = parsed
    try:
        limit = int(given.get("limit", 20))
    except ValueError:
        return None
    obj = plain_context(given)
    try:
        return run(obj, words, as_json=bool(given.get("as_json")), limit=limit, archived=bool(given.get("archived")))
    except (EOFError, KeyboardInterrupt):  # as click's main: a blank line, "Aborted!", exit 1
        echo("", err=True)
        echo("Aborted!", err=True)
        return 1
    except OSError as exc:  # a closed pipe (… | head -1): quietly, exit 1, as click does
        import errno

        if exc.errno != errno.EPIPE:
            raise
        sys.stdout = _Pacified(sys.stdout)
        sys.stderr = _Pacified(sys.stderr)
        return 1


class _Pacified:
    """A stream whose flush ignores a closed pipe (click's _PacifyFlushWrapper)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped

    def flush(self) -> None:
        import errno

        try:
            self.wrapped.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, name):
        return getattr(self.wrapped, name)


def _user_zone(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    from tuicrm.model import User

    db = User._meta.database
    row = db.execute_sql(f'SELECT timezone FROM "user" WHERE id = {db.param}', [user_id]).fetchone()
    return row[0] if row else None
