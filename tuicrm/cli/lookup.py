"""`tuicrm lookup QUERY`: who is calling? A phone in any format, a name, company, email or tax id.

Exit 0 when something was found, 1 when nothing, 2 on error. Never imports Textual.
"""

from __future__ import annotations

import json
import sys

import click

from tuicrm.cli.common import EXIT_NOTHING, EXIT_OK, cli_errors, command


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _money(minor: int, currency: str) -> str:
    whole = f"{minor / 100:,.0f}".replace(",", " ")
    return f"{whole} {'₽' if currency == 'RUB' else currency}"


def render_card(card, style: str, region: str) -> str:
    from tuicrm.services.phones import format_phone

    lines = []
    title = card.name + ("  [archived]" if card.archived else "")
    lines.append(title)
    if card.kind == "person":
        where = ", ".join(p for p in (card.position, card.company) if p)
        if where:
            lines.append(f"  {where}")
    else:
        lines.append("  company" + (f" · {card.position}" if card.position else ""))
    for p in card.phones:
        text = format_phone(p.e164, p.raw, style, region)
        if p.extension:
            text += f" ext. {p.extension}"
        flag = "" if p.is_valid else f"  (!) {p.invalid_reason}"
        note = f"  — {p.note}" if p.note else ""
        lines.append(f"  ☎ {text:<24} {p.kind}{note}{flag}")
    for e in card.emails:
        lines.append(f"  ✉ {e.address}")
    if card.owner:
        lines.append(f"  owner: {card.owner}")
    if card.last_activity:
        a = card.last_activity
        outcome = f" [{a.outcome}]" if a.outcome else ""
        lines.append(f"  last: {_when(a.done_at)} {a.kind}{outcome} {a.subject}".rstrip())
    if card.next_activity:
        a = card.next_activity
        lines.append(f"  next: {_when(a.due_at)} {a.kind} {a.subject}".rstrip())
    for d in card.open_deals:
        lines.append(f"  deal: {d.title} — {d.stage}, {_money(d.amount_minor, d.currency)}")
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


def register(main: click.Group) -> None:
    @command(main, "lookup")
    @click.argument("query", nargs=-1, required=True)
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON list of the matching cards.")
    @click.option("--limit", default=20, show_default=True, help="At most this many cards.")
    @click.option("--archived", is_flag=True, help="Include archived cards.")
    def lookup(obj, query: tuple[str, ...], as_json: bool, limit: int, archived: bool) -> None:
        """Print the card(s) a phone number, name, company, email or tax id belongs to."""
        text = " ".join(query)
        with cli_errors():
            from tuicrm.services import cards, search

            session = obj.session(must_exist=True, read_only=True)
            region = session.settings.phone_region
            hits = search.search(session.actor, text, limit=limit, include_archived=archived, region=region)
            found = [cards.card(session.actor, h.kind, h.id) for h in hits]
        if as_json:
            click.echo(json.dumps([card_json(c) for c in found], ensure_ascii=False, indent=2))
        else:
            if not found:
                click.echo(f"nothing found for {text!r}", err=True)
            for i, c in enumerate(found):
                if i:
                    click.echo("")
                click.echo(render_card(c, session.settings.phone_format, region))
        sys.exit(EXIT_OK if found else EXIT_NOTHING)
