"""A person's or company's card: every field, phones/emails, tags, custom fields, open deals, next
task, the company's people and the history timeline; the card's actions by key."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Header, Static

from tuicrm import formatting
from tuicrm.i18n import N_, _
from tuicrm.services import cards as card_svc
from tuicrm.services import contacts as contact_svc
from tuicrm.services.base import Forbidden, NotFound
from tuicrm.services.cards import CardDetail
from tuicrm.ui.screens.base import CrmScreen
from tuicrm.ui.widgets import labels, modal_launch
from tuicrm.ui.widgets.footer import CrmFooter
from tuicrm.ui.widgets.history import HistoryTable

VISIBILITY = {"shared": N_("shared"), "private": N_("private")}


class CardScreen(CrmScreen):
    PANE_TITLE = N_("Card")
    BINDINGS = [
        Binding("escape", "back", "Back", id="card.back"),
        Binding("c", "log_call", "Log call", id="card.log_call"),
        Binding("t", "schedule", "Schedule", id="card.schedule"),
        Binding("o", "note", "Note", id="card.note"),
        Binding("e", "edit", "Edit", id="card.edit"),
        Binding("p", "add_phone", "Add phone", id="card.add_phone"),
        Binding("m", "add_email", "Add email", id="card.add_email"),
        Binding("g", "tags", "Tags", id="card.tags"),
        Binding("C", "company", "Company", id="card.company"),
        Binding("h", "handover", "Hand over", id="card.handover"),
        Binding("a", "archive", "Archive/restore", id="card.archive"),
        Binding("M", "merge", "Merge", id="card.merge"),
        Binding("y", "copy_phone", "Copy phone", id="card.copy_phone"),
        Binding("Y", "copy_summary", "Copy card", id="card.copy_summary"),
        Binding("n", "new_person", "New person", id="card.new_person", show=False),
        Binding("N", "new_company", "New company", id="card.new_company", show=False),
        Binding("r", "reload", "Reload", id="card.reload", show=False),
    ]

    def __init__(self, kind: str, record_id: int) -> None:
        super().__init__()
        self.kind = kind
        self.record_id = record_id
        self.detail: CardDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="card-title")
        with VerticalScroll(id="card-info"):
            with Horizontal(id="card-columns"):
                yield Static(id="card-fields")
                yield Static(id="card-contacts")
        if self.kind == "company":
            yield Static(_("People"), id="people-title", classes="section-title")
            yield DataTable(id="card-people", cursor_type="row", zebra_stripes=True)
        yield Static(_("History"), id="history-title", classes="section-title")
        yield HistoryTable(self.kind, self.record_id, id="card-history")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.load()
        self.history.reload()
        self.history.focus()

    @property
    def history(self) -> HistoryTable:
        return self.query_one("#card-history", HistoryTable)

    # --- loading -------------------------------------------------------------------------------
    def load(self) -> None:
        self.run_db(card_svc.card_detail, self.actor, self.kind, self.record_id, done=self.show, error=self._failed, group="card")

    def _failed(self, exc) -> None:
        self.app.notify(str(exc), severity="error")
        if isinstance(exc, (NotFound, Forbidden)) and self.app.screen is self:
            self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()
        self.history.reload()

    def refresh_after(self, result) -> None:
        if result:
            self.action_reload()

    def show(self, detail: CardDetail) -> None:
        self.detail = detail
        s = detail.summary
        kind = _("Company") if s.kind == "company" else _("Person")
        title = Text.assemble((s.name, "bold"), "  ·  ", kind)
        if s.kind == "person" and s.company:
            title.append(f"  ·  {s.company}")
        if s.archived:
            title.append("  [" + _("ARCHIVED") + "]", style="bold reverse")
        self.query_one("#card-title", Static).update(title)
        self.query_one("#card-fields", Static).update(self._fields_table(detail))
        self.query_one("#card-contacts", Static).update(self._contacts_table(detail))
        if s.kind == "company":
            self._fill_people(detail)

    def _grid(self) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        return labels.text_cells(grid)

    def _value(self, f) -> str:
        v = f.value
        if v is None or v == "":
            return "—"
        if f.kind == "date" or hasattr(v, "isoformat") and not isinstance(v, str):
            return formatting.date(v)
        if f.kind == "number":
            return formatting.number(v, 0 if float(v).is_integer() else 2)
        return str(v)

    def _fields_table(self, d: CardDetail) -> Table:
        grid = self._grid()
        skip = {"last_name", "first_name", "middle_name"}
        for f in d.fields:
            if f.code in skip:
                continue
            grid.add_row(_(f.label), self._value(f))
        grid.add_row(_("Visibility"), _(VISIBILITY.get(d.visibility, d.visibility)))
        for f in d.custom:
            grid.add_row(f.label, self._value(f))
        grid.add_row(_("Created"), labels.full_when(self.app, d.created_at))
        return grid

    def _contacts_table(self, d: CardDetail) -> Table:
        s = d.summary
        grid = self._grid()
        if not s.phones:
            grid.add_row(_("Phone"), "—")
        for i, p in enumerate(s.phones):
            text = Text()
            if p.is_valid:
                text.append(labels.phone_text(self.session, p.e164, p.raw))
            else:
                text.append("⚠ ", style="bold")
                text.append(p.raw)
            extra = [labels.label(labels.PHONE_KINDS, p.kind)]
            if p.extension:
                extra.append(_("ext. {n}").format(n=p.extension))
            if p.note:
                extra.append(p.note)
            if p.is_primary and len(s.phones) > 1:
                extra.append(_("main"))
            text.append(" " + ", ".join(x for x in extra if x), style="dim" if p.is_valid else "")
            if not p.is_valid:
                text.append(" — " + _("invalid: {reason}").format(reason=labels.reason_text(p.invalid_reason)), style="bold")
            grid.add_row(_("Phone") if i == 0 else "", text)
        for i, e in enumerate(s.emails):
            line = e.address + " " + labels.label(labels.EMAIL_KINDS, e.kind)
            if not e.is_valid:
                line += " — " + _("invalid address")
            grid.add_row(_("Email") if i == 0 else "", line)
        if s.tags:
            grid.add_row(_("Tags"), ", ".join("#" + t for t in s.tags))
        nxt = s.next_activity
        if nxt:
            grid.add_row(_("Next"), f"{labels.full_when(self.app, nxt.due_at)} {labels.label(labels.ACTIVITY_KINDS, nxt.kind)}"
                         + (f": {nxt.subject}" if nxt.subject else "") + (f" ({nxt.assignee})" if nxt.assignee else ""))
        else:
            grid.add_row(_("Next"), _("no next step"))
        last = s.last_activity
        if last:
            out = labels.label(labels.OUTCOMES, last.outcome)
            grid.add_row(_("Last"), f"{labels.full_when(self.app, last.done_at)} {labels.label(labels.ACTIVITY_KINDS, last.kind)}"
                         + (f", {out}" if out else ""))
        for i, deal in enumerate(s.open_deals):
            grid.add_row(_("Deals") if i == 0 else "", f"{deal.title} · {deal.stage} · {formatting.money(deal.amount_minor, deal.currency)}")
        return grid

    def _fill_people(self, d: CardDetail) -> None:
        table = self.query_one("#card-people", DataTable)
        table.clear(columns=True)
        width = table.size.width or self.app.size.width
        name_w = max(16, (width - 2 - 6 - 17) * 3 // 5)
        table.add_column(_("Name"), width=name_w)
        table.add_column(_("Position"), width=max(8, width - 2 - 6 - 17 - name_w))
        table.add_column(_("Phone"), width=17)
        for p in d.people:
            name = p.name + (" " + _("[archived]") if p.archived else "")
            table.add_row(Text(name), Text(p.position or ""), Text(labels.phone_text(self.session, p.phone_e164, p.phone_raw)), key=str(p.id))
        title = _("People ({n})").format(n=d.people_total)
        if d.people_total > len(d.people):
            title += " " + _("— first {n} shown; search finds the others").format(n=len(d.people))
        self.query_one("#people-title", Static).update(title)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "card-people" and event.row_key.value:
            event.stop()
            self.app.push_screen(CardScreen("person", int(event.row_key.value)))

    # --- navigation ------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def focus_search(self) -> None:
        """`/` on a card: back to the Contacts pane's search box."""
        from tuicrm.ui.screens.contacts import ContactsScreen

        app = self.app
        while len(app.screen_stack) > 1 and not isinstance(app.screen, ContactsScreen):
            app.pop_screen()
        if isinstance(app.screen, ContactsScreen):
            app.screen.focus_search()

    def action_company(self) -> None:
        if self.detail and self.detail.summary.company_id:
            self.app.push_screen(CardScreen("company", self.detail.summary.company_id))
        elif self.kind == "company":
            self.app.notify(_("This is a company card."))
        else:
            self.app.notify(_("This person has no company."))

    # --- actions (dialogs) -----------------------------------------------------------------------
    def _ids(self) -> dict:
        if self.kind == "person":
            return {"person_id": self.record_id}
        return {"company_id": self.record_id}

    def action_log_call(self) -> None:
        modal_launch.push(self, "log_call", "LogCallModal", then=self.refresh_after, **self._ids())

    def action_schedule(self) -> None:
        modal_launch.push(self, "activity_form", "ActivityForm", then=self.refresh_after, **self._ids())

    def action_note(self) -> None:
        modal_launch.push(self, "note_form", "NoteModal", then=self.refresh_after, **self._ids())

    def action_edit(self) -> None:
        if self.kind == "person":
            modal_launch.push(self, "person_form", "PersonForm", then=self.refresh_after, person_id=self.record_id)
        else:
            modal_launch.push(self, "company_form", "CompanyForm", then=self.refresh_after, company_id=self.record_id)

    def action_add_phone(self) -> None:
        modal_launch.push(self, "contact_info", "AddContactInfo", self.kind, self.record_id, what="phone", then=self.refresh_after)

    def action_add_email(self) -> None:
        modal_launch.push(self, "contact_info", "AddContactInfo", self.kind, self.record_id, what="email", then=self.refresh_after)

    def action_tags(self) -> None:
        modal_launch.push(self, "tags", "TagsModal", self.kind, self.record_id, then=self.refresh_after)

    def action_handover(self) -> None:
        modal_launch.push(self, "handover", "HandoverModal", self.kind, self.record_id, then=self.refresh_after)

    def action_merge(self) -> None:
        def merged(result) -> None:
            if not result:
                return
            kind, rid = result
            if (kind, rid) == (self.kind, self.record_id):
                self.action_reload()
            else:
                self.app.pop_screen()
                self.app.push_screen(CardScreen(kind, rid))

        modal_launch.push(self, "merge", "MergeModal", self.kind, self.record_id, then=merged)

    def action_archive(self) -> None:
        if self.detail is None:
            return
        from tuicrm.ui.modals.confirm import ConfirmScreen

        restore = self.detail.summary.archived
        name = self.detail.summary.name
        question = (_("Restore “{name}” from the archive?") if restore else _("Archive “{name}”? It can be restored later.")).format(name=name)

        def answer(ok: bool | None) -> None:
            if not ok:
                return

            def done(_result) -> None:
                self.app.notify(_("Restored.") if restore else _("Archived."))
                self.action_reload()

            self.run_db(contact_svc.archive, self.actor, self.kind, self.record_id, restore=restore, done=done, group="card-write")

        self.app.push_screen(ConfirmScreen(question), answer)

    def action_new_person(self) -> None:
        def opened(result) -> None:
            if result:
                self.app.push_screen(CardScreen(result.kind, result.id))
                self.action_reload()

        kwargs = {"company_id": self.record_id} if self.kind == "company" else {}
        modal_launch.push(self, "person_form", "PersonForm", then=opened, **kwargs)

    def action_new_company(self) -> None:
        def opened(result) -> None:
            if result:
                self.app.push_screen(CardScreen(result.kind, result.id))

        modal_launch.push(self, "company_form", "CompanyForm", then=opened)

    # --- clipboard -------------------------------------------------------------------------------
    def _clipboard(self):
        return modal_launch.load("clipboard", "copy_text"), modal_launch.load("clipboard", "card_summary_text")

    def action_copy_phone(self) -> None:
        if self.detail is None:
            return
        phones = self.detail.summary.phones
        if not phones:
            self.app.notify(_("This card has no phone."), severity="warning")
            return
        p = phones[0]
        text = p.e164 or p.raw
        copy, _summary = self._clipboard()
        if copy is None:
            self.app.copy_to_clipboard(text)
        else:
            copy(self.app, text)
        self.app.notify(_("Copied: {text}").format(text=text))

    def action_copy_summary(self) -> None:
        if self.detail is None:
            return
        copy, summary_text = self._clipboard()
        if copy is None or summary_text is None:
            self.app.notify(_("This action is not available in this build yet."), severity="warning")
            return
        copy(self.app, summary_text(self.detail.summary))
        self.app.notify(_("The card was copied to the clipboard."))

    def commands(self):
        return [
            (_("Card: log a call"), "c", self.action_log_call),
            (_("Card: schedule a task or call"), "t", self.action_schedule),
            (_("Card: add a note"), "o", self.action_note),
            (_("Card: edit"), "e", self.action_edit),
            (_("Card: add a phone"), "p", self.action_add_phone),
            (_("Card: add an email"), "m", self.action_add_email),
            (_("Card: tags"), "g", self.action_tags),
            (_("Card: go to the company"), "C", self.action_company),
            (_("Card: hand over to another manager"), "h", self.action_handover),
            (_("Card: archive or restore"), "a", self.action_archive),
            (_("Card: merge with another card"), "M", self.action_merge),
            (_("Card: copy the phone"), "y", self.action_copy_phone),
            (_("Card: copy the card summary"), "Y", self.action_copy_summary),
            (_("Card: more history"), "L", self.history.action_more),
            (_("New person"), "n", self.action_new_person),
            (_("New company"), "N", self.action_new_company),
        ]
