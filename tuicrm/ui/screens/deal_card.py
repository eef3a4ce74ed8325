"""A deal's card: its fields, the client, stage history, activities and notes; the next step is
scheduled from here; Enter opens the client's card."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tuicrm import formatting
from tuicrm.i18n import N_, _
from tuicrm.model.enums import StageKind
from tuicrm.services import funnel
from tuicrm.services.base import NotFound, ServiceError
from tuicrm.services.funnel import DealDetail
from tuicrm.ui.screens.base import CrmScreen
from tuicrm.ui.widgets import labels, modal_launch

KIND_LABELS = {
    "call_out": N_("call"), "call_in": N_("incoming call"), "email": N_("email"), "fax": N_("fax"),
    "letter": N_("letter"), "meeting": N_("meeting"), "task": N_("task"),
}


class DealCardScreen(CrmScreen):
    PANE_TITLE = N_("Deal")
    AUTO_FOCUS = "#deal-scroll"
    BINDINGS = [
        Binding("escape", "back", "Back", id="deal.back"),
        Binding("enter", "client", "Client card", id="deal.client"),
        Binding("t", "schedule", "Next step", id="deal.schedule"),
        Binding("o", "note", "Note", id="deal.note"),
        Binding("e", "edit", "Edit", id="deal.edit"),
        Binding("w", "won", "Won", id="deal.won"),
        Binding("x", "lost", "Lost", id="deal.lost"),
        Binding("r", "reload", "Reload", id="deal.reload", show=False),
    ]

    def __init__(self, deal_id: int) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.detail: DealDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="deal-title")
        with VerticalScroll(id="deal-scroll"):
            yield Static(id="deal-fields")
            yield Static(_("Stage history"), classes="deal-section")
            yield Static(id="deal-history")
            yield Static(_("Activities"), classes="deal-section")
            yield Static(id="deal-activities")
            yield Static(_("Notes"), classes="deal-section")
            yield Static(id="deal-notes")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.detail is not None:
            self.load()

    def load(self) -> None:
        self.run_db(funnel.deal_detail, self.actor, self.deal_id, now=self.crm.clock(), done=self.show,
                    error=self._failed, group="deal-card")

    def _failed(self, exc: ServiceError) -> None:
        self.notify(_(str(exc)), severity="error")
        if isinstance(exc, NotFound) and self.app.screen is self:
            self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    # --- showing -------------------------------------------------------------------------------
    def show(self, d: DealDetail) -> None:
        self.detail = d
        c = d.card
        zone = self.crm.user_zone()
        title = Text(c.title, style="bold")
        title.append(f"  ·  {d.stage}")
        if d.stage_kind == StageKind.WON:
            title.append("  ✓", style="bold")
        elif d.stage_kind == StageKind.LOST:
            title.append("  ✗", style="bold")
        self.query_one("#deal-title", Static).update(title)

        fields = labels.text_cells(Table.grid(padding=(0, 1)))  # names, titles: the user's text, never markup
        fields.add_column(style="bold", no_wrap=True)
        fields.add_column()
        prob = f"{c.probability}%" + ("" if c.probability_own is not None else " " + _("(stage default)"))

        def row(label: str, value: str | None) -> None:
            fields.add_row(label, value or "—")

        row(_("Client"), " · ".join(x for x in (d.company, d.person) if x) or _("no client"))
        row(_("Amount"), formatting.money(c.amount_minor, c.currency))
        row(_("Probability"), prob)
        row(_("Expected close"), formatting.date(c.expected_close) if c.expected_close else None)
        row(_("Owner"), c.owner)
        row(_("In stage"), _("{n} days").format(n=c.days_in_stage) + (" ⚠ " + _("stale") if c.stale else ""))
        nxt = (f"{formatting.datetime(c.next_at, zone)} {c.next_subject}" if c.next_at else _("none — press t to schedule"))
        row(_("Next step"), nxt)
        row(_("Created"), formatting.datetime(d.created_at, zone))
        if d.closed_at:
            row(_("Closed"), formatting.datetime(d.closed_at, zone))
        if d.loss_reason:
            row(_("Loss reason"), d.loss_reason)
        if d.competitor:
            row(_("Competitor"), d.competitor)
        if d.tags:
            row(_("Tags"), ", ".join("#" + t for t in d.tags))
        if d.source:
            row(_("Source"), d.source)
        self.query_one("#deal-fields", Static).update(fields)

        hist = labels.text_cells(Table(show_edge=False, expand=True, box=None))
        hist.add_column(_("When"), no_wrap=True)
        hist.add_column(_("Stage"))
        hist.add_column(_("Who"))
        for h in d.history:
            move = f"{h.from_stage} → {h.to_stage}" if h.from_stage else f"→ {h.to_stage}"
            hist.add_row(formatting.datetime(h.at, zone), move, h.user)
        self.query_one("#deal-history", Static).update(hist)

        acts = labels.text_cells(Table(show_edge=False, expand=True, box=None, show_header=bool(d.activities)))
        acts.add_column(_("When"), no_wrap=True)
        acts.add_column(_("What"))
        acts.add_column(_("Subject"))
        acts.add_column(_("Who"))
        for a in d.activities:
            when = formatting.datetime(a.done_at or a.due_at, zone)
            state = "✓ " if a.done_at else "○ "
            acts.add_row(state + when, _(KIND_LABELS.get(a.kind, a.kind)), a.subject, a.assignee)
        self.query_one("#deal-activities", Static).update(acts if d.activities else _("No activities yet."))

        notes = Text()
        for n in d.notes:
            notes.append(f"{formatting.datetime(n.at, zone)} {n.author}\n", style="bold")
            notes.append(n.text.strip() + "\n\n")
        self.query_one("#deal-notes", Static).update(notes if d.notes else _("No notes."))

    # --- actions ---------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_client(self) -> None:
        d = self.detail
        if d is None:
            return
        if d.card.person_id:
            kind, rid = "person", d.card.person_id
        elif d.card.company_id:
            kind, rid = "company", d.card.company_id
        else:
            self.notify(_("This deal has no client."), severity="warning")
            return
        try:
            from tuicrm.ui.screens.card import CardScreen
        except ImportError:
            self.notify(_("This action is not available in this build yet."), severity="warning")
            return
        self.app.push_screen(CardScreen(kind, rid))

    def _ids(self) -> dict:
        c = self.detail.card
        return {"person_id": c.person_id, "company_id": c.company_id, "deal_id": c.id}

    def _after(self, result) -> None:
        if result == "conflict":
            self.notify(_("This deal was changed by someone else meanwhile; reloaded — look and try again."),
                        severity="warning", timeout=8)
        self.load()

    def action_schedule(self) -> None:
        if self.detail is not None:
            modal_launch.push(self, "activity_form", "ActivityForm", then=self._after, **self._ids())

    def action_note(self) -> None:
        if self.detail is not None:
            modal_launch.push(self, "note_form", "NoteModal", then=self._after, deal_id=self.deal_id)

    def action_edit(self) -> None:
        if self.detail is not None:
            from tuicrm.ui.modals.deal_form import DealForm

            self.app.push_screen(DealForm(card=self.detail.card), self._after)

    def action_won(self) -> None:
        if self.detail is not None:
            from tuicrm.ui.modals.deal_won import WonModal

            self.app.push_screen(WonModal(self.detail.card), self._after)

    def action_lost(self) -> None:
        if self.detail is not None:
            from tuicrm.ui.modals.deal_lost import LostModal

            self.app.push_screen(LostModal(self.detail.card), self._after)
