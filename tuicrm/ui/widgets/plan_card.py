"""The client's card as the Plan pane shows it (call session, Enter without the Contacts card):
name, company, position, phones formatted, open deals, the last results."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tuicrm import formatting
from tuicrm.i18n import _
from tuicrm.services.plan import ClientBrief
from tuicrm.ui.screens.base import CrmModal
from tuicrm.ui.widgets.labels import ACTIVITY_KINDS, OUTCOMES, PHONE_KINDS, label, phone_text


def brief_markup(session, brief: ClientBrief, tz) -> str:
    card, row = brief.card, brief.row
    lines: list[str] = []
    if card is not None:
        name = f"[b]{escape(card.name)}[/b]"
        if card.archived:
            name += "  [reverse] " + escape(_("archived")) + " [/reverse]"
        lines.append(name)
        where = ", ".join(x for x in ((card.position or ""), (card.company or "")) if x)
        if where:
            lines.append(escape(where))
        for p in card.phones[:4]:
            text = phone_text(session, p.e164, p.raw)
            if p.extension:
                text += " " + _("ext. {n}").format(n=p.extension)
            flag = "" if p.is_valid else "  (!)"
            lines.append(f"☎ [b]{escape(text)}[/b]  {escape(label(PHONE_KINDS, p.kind))}{flag}")
        for e in card.emails[:2]:
            lines.append(f"✉ {escape(e.address)}")
        for d in card.open_deals[:2]:
            lines.append("◆ " + escape(_("{title} — {stage}, {amount}").format(
                title=d.title, stage=d.stage, amount=formatting.money(d.amount_minor, d.currency))))
    elif row is not None:
        lines.append(f"[b]{escape(row.client or _('no client'))}[/b]")
        if row.phone_raw:
            lines.append("☎ " + escape(phone_text(session, row.phone_e164, row.phone_raw)))
    if row is not None and row.deal_title:
        lines.append(escape(_("Deal: {title}").format(title=row.deal_title)))
    lines.append("")
    lines.append(f"[u]{escape(_('Last results'))}[/u]")
    if not brief.recent:
        lines.append("  " + escape(_("no calls or results yet")))
    for a in brief.recent:
        when = formatting.datetime(a.done_at or a.due_at, tz)
        outcome = " " + escape(f"[{label(OUTCOMES, a.outcome)}]") if a.outcome else ""
        text = " — ".join(x for x in (a.subject, a.result or "") if x)
        lines.append(f"  {escape(when)} {escape(label(ACTIVITY_KINDS, a.kind))}{outcome} {escape(text)}")
    return "\n".join(lines)


class ClientCardModal(CrmModal[None]):
    """The client's details in a panel (used when the Contacts card screen is not available)."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="plan.card_close")]

    def __init__(self, brief: ClientBrief, tz) -> None:
        super().__init__()
        self.brief = brief
        self.tz = tz

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog plan-card-dialog"):
            yield Static(brief_markup(self.session, self.brief, self.tz), id="plan-card-text")
            yield Static(_("Esc closes"), classes="plan-hint")

    def action_close(self) -> None:
        self.dismiss(None)
