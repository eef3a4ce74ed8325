"""Hand a card (with its open activities and open deals) to another manager; or, for a head,
every client of one manager to another."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, Footer, Select, Static

from tuicrm.i18n import _
from tuicrm.services import cards, contacts, users
from tuicrm.ui.modals.common import FieldMessage, FormModal, field, select_value


def counts_text(r: contacts.HandoverResult, *, cards_too: bool = True) -> str:
    parts = []
    if cards_too:
        if r.companies:
            parts.append(_("{n} companies").format(n=r.companies))
        if r.persons:
            parts.append(_("{n} persons").format(n=r.persons))
    parts.append(_("{n} open activities").format(n=r.activities))
    parts.append(_("{n} open deals").format(n=r.deals))
    return ", ".join(parts)


class HandoverModal(FormModal[bool]):
    FIELD_ALIASES = {"user": "to_user"}

    def __init__(self, kind: str, id: int) -> None:  # noqa: A002 - the agreed signature
        super().__init__()
        self.card_kind = kind
        self.card_id = id
        self.owner_id: int | None = None
        self.row_version: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Static(_("Hand over to another manager"), classes="dialog-title", id="form-title")
            yield Static("", id="current-owner", classes="field-message -hint")
            yield from field(_("To"), Select([], id="to_user", prompt=_("choose a manager"), compact=True), "to_user")
            if self.card_kind == "company":
                yield Checkbox(_("with the company's people"), value=True, id="with_people", compact=True)
            yield FieldMessage(id="preview-msg")
        yield Footer()

    def on_mount(self) -> None:
        self.run_db(cards.card, self.actor, self.card_kind, self.card_id, done=self._card, group="form-load")

    def _card(self, card) -> None:
        self.owner_id = card.owner_id
        self.row_version = card.row_version
        self.query_one("#form-title", Static).update(Text(_("Hand over to another manager") + " — " + card.name))
        self.query_one("#current-owner", Static).update(Text(_("Now: {name}").format(name=card.owner or _("nobody"))))
        self.run_db(users.list_users, done=self._users, group="form-users")

    def _users(self, rows) -> None:
        sel = self.query_one("#to_user", Select)
        with self.filling():
            sel.set_options([(Text(u.name + (f" ({u.role})" if u.role != "manager" else "")), u.id) for u in rows if u.id != self.owner_id])
        sel.focus()

    def _with_people(self) -> bool:
        try:
            return self.query_one("#with_people", Checkbox).value
        except Exception:  # noqa: BLE001
            return False

    def field_changed(self, name: str, value) -> None:
        self._preview()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._preview()

    def _preview(self) -> None:
        to = select_value(self.query_one("#to_user", Select))
        if to is None:
            self.say("preview")
            return
        self.run_db(contacts.handover, self.actor, self.card_kind, self.card_id, to, include_company_people=self._with_people(),
                    dry_run=True, done=lambda r: self.say("preview", _("Will move: {what}").format(what=counts_text(r)), "hint"),
                    error=self.save_failed, group="form-preview")

    def action_save(self) -> None:
        if self.saving:
            return
        to = select_value(self.query_one("#to_user", Select))
        if to is None:
            self.say("to_user", _("choose a manager"))
            self.focus_field("to_user")
            return
        self.run_db(contacts.handover, self.actor, self.card_kind, self.card_id, to,
                    include_company_people=self._with_people(), expected_version=self.row_version,
                    done=self._saved, error=self.save_failed, group="form-save")

    def _saved(self, r: contacts.HandoverResult) -> None:
        self.notify(_("Handed over: {what}").format(what=counts_text(r)), timeout=5)
        self.finish(True)

    def finish(self, value) -> None:
        super().finish(bool(value))


class HandoverAllModal(FormModal[bool]):
    """All clients of one manager (with open activities and deals) to another: heads and admins."""

    FIELD_ALIASES = {"user": "to_user"}

    def __init__(self, from_user_id: int | None = None) -> None:
        super().__init__()
        self.from_user_id = from_user_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Static(_("Hand over all clients of a manager"), classes="dialog-title")
            yield from field(_("From"), Select([], id="from_user", prompt=_("choose a manager"), compact=True), "from_user")
            yield from field(_("To"), Select([], id="to_user", prompt=_("choose a manager"), compact=True), "to_user")
            yield FieldMessage(id="preview-msg")
        yield Footer()

    def on_mount(self) -> None:
        if not self.actor.sees_all:
            self.say("preview", _("only a head or an admin may hand over all clients of a manager"))
        self.run_db(users.list_users, False, done=self._users, group="form-users")

    def _users(self, rows) -> None:
        with self.filling():
            self.query_one("#from_user", Select).set_options([(Text(u.name + ("" if u.is_active else " ✗")), u.id) for u in rows])
            self.query_one("#to_user", Select).set_options([(Text(u.name), u.id) for u in rows if u.is_active])
            if self.from_user_id is not None and any(u.id == self.from_user_id for u in rows):
                self.query_one("#from_user", Select).value = self.from_user_id
        self.query_one("#to_user" if self.from_user_id else "#from_user", Select).focus()

    def field_changed(self, name: str, value) -> None:
        src = select_value(self.query_one("#from_user", Select))
        dst = select_value(self.query_one("#to_user", Select))
        if src is None or dst is None or not self.actor.sees_all:
            return
        if src == dst:
            self.say("preview", _("choose two different managers"))
            return
        self.run_db(users.handover_all, self.actor, src, dst, dry_run=True,
                    done=lambda r: self.say("preview", _("Will move: {what}").format(what=counts_text(r)), "hint"),
                    error=self.save_failed, group="form-preview")

    def action_save(self) -> None:
        if self.saving:
            return
        src = select_value(self.query_one("#from_user", Select))
        dst = select_value(self.query_one("#to_user", Select))
        if src is None:
            self.say("from_user", _("choose a manager"))
            return
        if dst is None:
            self.say("to_user", _("choose a manager"))
            return
        self.run_db(users.handover_all, self.actor, src, dst, done=self._saved, error=self.save_failed, group="form-save")

    def _saved(self, r) -> None:
        self.notify(_("Handed over: {what}").format(what=counts_text(r)), timeout=6)
        self.finish(True)

    def finish(self, value) -> None:
        super().finish(bool(value))
