"""Copy to the clipboard through the terminal (OSC 52: works over SSH), with a notification."""

from __future__ import annotations

from tuicrm.i18n import _
from tuicrm.services import phones as phone_svc
from tuicrm.services.cards import CardSummary


def copy_text(app, text: str, what: str | None = None) -> None:
    """Put ``text`` on the clipboard of the user's terminal and say so."""
    app.copy_to_clipboard(text)
    first = text.splitlines()[0] if text else ""
    shown = what or (first if len(first) <= 40 else first[:39] + "…")
    more = _(" (+{n} lines)").format(n=len(text.splitlines()) - 1) if len(text.splitlines()) > 1 else ""
    app.notify(_("Copied: {text}").format(text=shown) + more, timeout=3)


def phone_text(phone, style: str = "international", region: str = phone_svc.DEFAULT_REGION) -> str:
    text = phone_svc.format_phone(phone.e164, phone.raw, style, region)
    if phone.extension:
        text += " " + _("ext. {n}").format(n=phone.extension)
    return text


def card_summary_text(card: CardSummary, style: str = "international", region: str = phone_svc.DEFAULT_REGION) -> str:
    """Name, company, position, phones (formatted) and emails, one per line."""
    lines = [card.name]
    if card.kind == "person":
        if card.company:
            lines.append(card.company)
        if card.position:
            lines.append(card.position)
    elif card.position:
        lines.append(card.position)
    for p in card.phones:
        lines.append(f"{_('tel.')} {phone_text(p, style, region)}")
    for e in card.emails:
        lines.append(e.address)
    return "\n".join(lines)
