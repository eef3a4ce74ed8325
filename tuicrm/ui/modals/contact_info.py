"""Add one phone or email to a card: kind, extension, checked as it is typed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, Select, Static

from tuicrm.i18n import _
from tuicrm.model.enums import EmailKind, PhoneKind
from tuicrm.services import contacts
from tuicrm.services import phones as phone_svc
from tuicrm.ui.modals import checks
from tuicrm.ui.modals.common import FormModal, field, select_value

PHONE_KINDS = [(PhoneKind.MOBILE, "mobile"), (PhoneKind.WORK, "work"), (PhoneKind.HOME, "home"), (PhoneKind.FAX, "fax"),
               (PhoneKind.OTHER, "other")]
EMAIL_KINDS = [(EmailKind.WORK, "work"), (EmailKind.PERSONAL, "personal"), (EmailKind.OTHER, "other")]


class AddContactInfo(FormModal[bool]):
    FIELD_ALIASES = {"phone": "value", "email": "value", "extension": "extension"}

    def __init__(self, kind: str, id: int, what: str = "phone") -> None:  # noqa: A002 - the agreed signature
        super().__init__()
        if what not in ("phone", "email"):
            raise ValueError(what)
        self.card_kind = kind
        self.card_id = id
        self.what = what
        self._kind_touched = False
        self._auto_kind: object = None

    def compose(self) -> ComposeResult:
        title = _("Add a phone") if self.what == "phone" else _("Add an email")
        kinds = PHONE_KINDS if self.what == "phone" else EMAIL_KINDS
        with Vertical(classes="dialog form-dialog"):
            yield Static(title, classes="dialog-title")
            if self.what == "phone":
                yield from field(_("Number"), Input(id="value", placeholder="+7 916 123-45-67", compact=True), "value")
            else:
                yield from field(_("Address"), Input(id="value", placeholder="name@example.ru", compact=True), "value")
            yield from field(_("Kind"), Select([(_(label), str(k)) for k, label in kinds], id="info_kind",
                                               value=str(kinds[0][0]), allow_blank=False, compact=True), "info_kind")
            if self.what == "phone":
                yield from field(_("Extension"), Input(id="extension", restrict=r"\d*", max_length=7, compact=True), "extension")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#value", Input).focus()

    def field_changed(self, name: str, value) -> None:
        if name == "info_kind" and value != self._auto_kind and self.query_one("#info_kind", Select).has_focus_within:
            self._kind_touched = True  # the user chose it: no more guessing from the number
        if name != "value":
            return
        if self.what == "email":
            text, ok = checks.check_emails(value)
            self.say("value", text, "ok" if ok else "error")
            return
        text, ok = checks.check_phones(value, self.settings.phone_region, "international")
        self.say("value", text, "ok" if ok else "error")
        parsed = phone_svc.parse_cell(value, self.settings.phone_region)
        if len(parsed) == 1 and parsed[0].is_valid and parsed[0].kind and not self._kind_touched:
            sel = self.query_one("#info_kind", Select)
            if sel.value != parsed[0].kind:
                self._auto_kind = parsed[0].kind
                sel.value = parsed[0].kind

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        value = self.query_one("#value", Input).value.strip()
        if not value:
            self.say("value", _("type a number") if self.what == "phone" else _("type an address"))
            return
        if self.what == "phone":
            text, ok = checks.check_phones(value, self.settings.phone_region, "international")
            if not ok:
                self.say("value", text)
                return
            ext = self.query_one("#extension", Input).value.strip() or None
        else:
            text, ok = checks.check_emails(value)
            if not ok:
                self.say("value", text)
                return
            ext = None
        self.run_db(contacts.add_contact_info, self.actor, self.card_kind, self.card_id, self.what, value,
                    info_kind=select_value(self.query_one("#info_kind", Select)), extension=ext,
                    region=self.settings.phone_region, done=self._saved, error=self.save_failed, group="form-save")

    def _saved(self, _row_id: int) -> None:
        self.notify(_("Added"), timeout=3)
        self.finish(True)

    def action_cancel(self) -> None:
        if not self.dirty:
            self.finish(False)
            return
        super().action_cancel()

    def finish(self, value) -> None:
        super().finish(bool(value))
