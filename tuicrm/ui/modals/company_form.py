"""New / edit company: name, ИНН (length and check digits), КПП, address, site, industry, segment,
phones and emails checked as typed, owner, visibility; duplicates by ИНН/phone/email."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Select, Static, TextArea

from tuicrm.i18n import _
from tuicrm.services import contacts, users
from tuicrm.services.base import Conflict, ValidationError
from tuicrm.services.contacts import CompanyData, PhoneIn
from tuicrm.ui.modals import checks
from tuicrm.ui.modals.common import CustomFieldsMixin, FormModal, field, select_value


def inn_message(text: str) -> tuple[str, str]:
    """(message, level) for a tax id as typed."""
    digits = "".join(text.split())
    if not digits:
        return "", "hint"
    if not digits.isdigit():
        return _("a tax id is digits only"), "error"
    if len(digits) < 10 or len(digits) == 11:
        return _("{n} digits so far: 10 for an organization, 12 for an individual").format(n=len(digits)), "hint"
    try:
        contacts.check_inn(digits)
    except ValidationError as exc:
        return str(exc), "error"
    return ("✓ " + (_("organization") if len(digits) == 10 else _("individual entrepreneur"))), "ok"


class CompanyForm(CustomFieldsMixin, FormModal["FormResult | None"]):
    FIELD_ALIASES = {"phone": "phones", "email": "emails"}
    TEXT_FIELDS = ("name", "inn", "kpp", "address", "site", "industry", "segment", "emails")

    def __init__(self, company_id: int | None = None) -> None:
        super().__init__()
        self.company_id = company_id
        self.loaded: CompanyData | None = None
        self.row_version: int | None = None

    def compose(self) -> ComposeResult:
        title = _("Edit company") if self.company_id else _("New company")
        with Vertical(classes="dialog form-dialog"):
            yield Static(title, classes="dialog-title", id="form-title")
            with VerticalScroll(classes="form-body"):
                yield from field(_("Company name"), Input(id="name", placeholder=_("Acme Ltd"), compact=True), "name")
                yield from field(_("Tax id"), Input(id="inn", restrict=r"[\d ]*", max_length=14, compact=True), "inn")
                yield from field(_("KPP (КПП)"), Input(id="kpp", max_length=9, compact=True), "kpp")
                yield from field(_("Address"), Input(id="address", compact=True), "address")
                yield from field(_("Site"), Input(id="site", compact=True), "site")
                yield from field(_("Industry"), Input(id="industry", compact=True), "industry")
                yield from field(_("Segment"), Input(id="segment", compact=True), "segment")
                yield from field(_("Phones"), TextArea(id="phones", compact=True, placeholder=_("one per line")), "phones")
                yield from field(_("Emails"), Input(id="emails", placeholder=_("several: comma-separated"), compact=True), "emails")
                yield from field(_("Owner"), Select([], id="owner", prompt=_("(me)"), compact=True), "owner")
                yield from field(_("Visible to"), Select(
                    [(_("everyone (shared)"), "shared"), (_("owner and heads only (private)"), "private")],
                    id="visibility", value="shared", allow_blank=False, compact=True), "visibility")
                yield Vertical(id="custom-fields")
        yield Footer()

    def on_mount(self) -> None:
        self.run_db(users.list_users, done=self._users, group="form-users")
        self.load_custom_fields("company")
        if self.company_id:
            self.query_one("#form-title", Static).update(_("Edit company") + " — " + _("loading…"))
            self.run_db(contacts.company_form_data, self.actor, self.company_id, done=self._loaded, group="form-load")
        self.query_one("#name", Input).focus()

    def _users(self, rows) -> None:
        sel = self.query_one("#owner", Select)
        with self.filling():
            sel.set_options([(Text(u.name), u.id) for u in rows])
            wanted = self.loaded.owner_id if self.loaded else self.actor.user_id
            if wanted is not None and any(u.id == wanted for u in rows):
                sel.value = wanted

    def _loaded(self, data: CompanyData) -> None:
        self.loaded = data
        self.row_version = data.row_version
        self.query_one("#form-title", Static).update(Text(_("Edit company") + " — " + data.name))
        with self.filling():
            for name in ("name", "inn", "kpp", "address", "site", "industry", "segment"):
                self.query_one(f"#{name}", Input).value = getattr(data, name) or ""
            self.query_one("#emails", Input).value = ", ".join(data.emails)
            self.query_one("#phones", TextArea).text = "\n".join(
                p.raw + (f" доб. {p.extension}" if p.extension and p.extension not in p.raw else "") for p in data.phones
            )
            self.query_one("#visibility", Select).value = data.visibility
            self.fill_custom(data.custom)
            if data.owner_id is not None:
                try:
                    self.query_one("#owner", Select).value = data.owner_id
                except Exception:  # noqa: BLE001 - users not loaded yet
                    pass

    def field_changed(self, name: str, value) -> None:
        if name.startswith("cf-"):
            self.check_custom(name, value)
        elif name == "phones":
            text, ok = checks.check_phones(value, self.settings.phone_region, "international")
            self.say("phones", text, "ok" if ok else "error")
        elif name == "emails":
            text, ok = checks.check_emails(value)
            self.say("emails", text if not ok else "", "error")
        elif name == "inn":
            self.say("inn", *inn_message(value))
        elif name == "kpp":
            try:
                contacts.check_kpp(value)
                self.say("kpp")
            except ValidationError as exc:
                self.say("kpp", str(exc) if len(value.strip()) >= 9 else "", "error")
        elif name == "name" and value.strip():
            self.say("name")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def collect(self) -> CompanyData | None:
        get = lambda name: self.query_one(f"#{name}", Input).value.strip()  # noqa: E731
        ok = True
        first_bad = None
        if not get("name"):
            self.say("name", _("a company needs a name"))
            ok, first_bad = False, first_bad or "name"
        try:
            contacts.check_inn(get("inn"))
        except ValidationError as exc:
            self.say("inn", str(exc))
            ok, first_bad = False, first_bad or "inn"
        try:
            contacts.check_kpp(get("kpp"))
        except ValidationError as exc:
            self.say("kpp", str(exc))
            ok, first_bad = False, first_bad or "kpp"
        phones_text = self.query_one("#phones", TextArea).text
        text, phones_ok = checks.check_phones(phones_text, self.settings.phone_region, "international")
        if not phones_ok:
            self.say("phones", text + " — " + _("fix or delete the number"))
            ok, first_bad = False, first_bad or "phones"
        text, emails_ok = checks.check_emails(get("emails"))
        if not emails_ok:
            self.say("emails", text)
            ok, first_bad = False, first_bad or "emails"
        custom, custom_ok = self.collect_custom()
        if not custom_ok:
            ok = False
            first_bad = first_bad or next(
                (f"cf-{f.id}" for f in self.custom_defs if "-error" in self.query_one(f"#cf-{f.id}-msg").classes), None)
        if not ok:
            self.focus_field(first_bad)
            return None
        return CompanyData(
            name=get("name"), inn=get("inn") or None, kpp=get("kpp") or None, address=get("address") or None,
            site=get("site") or None, industry=get("industry") or None, segment=get("segment") or None,
            owner_id=select_value(self.query_one("#owner", Select)),
            visibility=select_value(self.query_one("#visibility", Select)) or "shared",
            phones=[PhoneIn(line) for line in checks.phone_lines(phones_text)],
            emails=contacts.split_emails(get("emails")), row_version=self.row_version,
            source=self.loaded.source if self.loaded else None, custom=custom,
        )

    def action_save(self) -> None:
        if self.saving:
            return
        if self.company_id and self.loaded is None:
            self.notify(_("Still loading the card…"), severity="warning")
            return
        data = self.collect()
        if data is None:
            return
        exclude = ("company", self.company_id) if self.company_id else None
        phones, emails = checks.new_entries([p.raw for p in data.phones], data.emails, self.loaded, self.settings.phone_region)
        inn = "".join((data.inn or "").split()) or None
        if self.loaded is not None and inn == self.loaded.inn:
            inn = None  # unchanged: not a new duplicate
        self.check_then_save(
            "company",
            dict(phones=phones, emails=emails, inn=inn, region=self.settings.phone_region, exclude=exclude),
            contacts.save_company, self.actor, data, self.company_id, region=self.settings.phone_region,
        )

    def on_conflict(self, exc: Conflict) -> None:
        self.notify(_("Someone else saved this card meanwhile: their changes are shown under the fields. "
                      "Check them; ctrl+s saves yours over them."), severity="warning", timeout=12)
        self.run_db(contacts.company_form_data, self.actor, self.company_id, done=self._reloaded, group="form-load")

    def _reloaded(self, fresh: CompanyData) -> None:
        old = self.loaded
        self.loaded = fresh
        self.row_version = fresh.row_version
        if old is None:
            return
        for name in ("name", "inn", "kpp", "address", "site", "industry", "segment"):
            was, now = getattr(old, name), getattr(fresh, name)
            if (was or "") != (now or ""):
                self.say(name, _("changed meanwhile to: {value}").format(value=now or _("(empty)")), "warning")
        if old.emails != fresh.emails:
            self.say("emails", _("changed meanwhile to: {value}").format(value=", ".join(fresh.emails) or _("(empty)")), "warning")
        if [p.raw for p in old.phones] != [p.raw for p in fresh.phones]:
            self.say("phones", _("changed meanwhile to: {value}").format(
                value=" · ".join(p.raw for p in fresh.phones) or _("(empty)")), "warning")
