"""New / edit person: names, position, company (picked or typed), phones and emails checked as
they are typed, birthday, source, owner; duplicate warning before saving; optimistic locking."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Select, Static, TextArea

from tuicrm.i18n import _
from tuicrm.services import contacts, users
from tuicrm.services.base import Conflict
from tuicrm.services.contacts import PersonData, PhoneIn
from tuicrm.services.when import WhenError, parse_date
from tuicrm.ui.modals import checks
from tuicrm.ui.modals.client_picker import ClientPicker
from tuicrm.ui.modals.common import CustomFieldsMixin, FormModal, field, select_value


def _date_text(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


class PersonForm(CustomFieldsMixin, FormModal["FormResult | None"]):
    BINDINGS = [
        Binding("ctrl+o", "pick_company", "Choose company", id="person_form.company"),
    ]
    FIELD_ALIASES = {"name": "last_name", "phone": "phones", "email": "emails", "company": "company"}
    TEXT_FIELDS = ("last_name", "first_name", "middle_name", "position", "company", "emails", "birthday", "source")

    def __init__(self, person_id: int | None = None, company_id: int | None = None) -> None:
        super().__init__()
        self.person_id = person_id
        self.company_id = company_id  # the chosen company
        self.company_name: str | None = None  # its name as chosen
        self.loaded: PersonData | None = None
        self.row_version: int | None = None

    # --- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        title = _("Edit person") if self.person_id else _("New person")
        with Vertical(classes="dialog form-dialog"):
            yield Static(title, classes="dialog-title", id="form-title")
            with VerticalScroll(classes="form-body"):
                yield from field(_("Last name"), Input(id="last_name", compact=True), "last_name")
                yield from field(_("First name"), Input(id="first_name", compact=True), "first_name")
                yield from field(_("Middle name"), Input(id="middle_name", compact=True), "middle_name")
                yield from field(_("Position"), Input(id="position", placeholder=_("buyer, accountant, director…"), compact=True), "position")
                yield from field(_("Company"), Input(id="company", placeholder=_("type a name; Enter or ctrl+o: search"), compact=True), "company")
                yield from field(_("Phones"), TextArea(id="phones", compact=True, placeholder=_("one per line")), "phones")
                yield from field(_("Emails"), Input(id="emails", placeholder=_("several: comma-separated"), compact=True), "emails")
                yield from field(_("Birthday"), Input(id="birthday", placeholder=_("dd.mm.yyyy"), compact=True), "birthday")
                yield from field(_("Source"), Input(id="source", placeholder=_("call, site, exhibition…"), compact=True), "source")
                yield from field(_("Owner"), Select([], id="owner", prompt=_("(me)"), compact=True), "owner")
                yield Vertical(id="custom-fields")
        yield Footer()

    def on_mount(self) -> None:
        self.run_db(users.list_users, done=self._users, group="form-users")
        self.load_custom_fields("person")
        if self.person_id:
            self.query_one("#form-title", Static).update(_("Edit person") + " — " + _("loading…"))
            self.run_db(contacts.person_form_data, self.actor, self.person_id, done=self._loaded, group="form-load")
        elif self.company_id:
            self.run_db(contacts.company_form_data, self.actor, self.company_id, done=self._company_loaded, group="form-load")
        self.query_one("#last_name", Input).focus()

    def extra_state(self) -> tuple:
        return (self.company_id,)

    def _users(self, rows) -> None:
        sel = self.query_one("#owner", Select)
        with self.filling():
            sel.set_options([(Text(u.name), u.id) for u in rows])
            wanted = self.loaded.owner_id if self.loaded else self.actor.user_id
            if wanted is not None and any(u.id == wanted for u in rows):
                sel.value = wanted

    def _company_loaded(self, data) -> None:
        self.company_name = data.name
        with self.filling():
            self.query_one("#company", Input).value = data.name

    def _loaded(self, data: PersonData) -> None:
        self.loaded = data
        self.row_version = data.row_version
        self.company_id = data.company_id
        self.company_name = data.company_name
        self.query_one("#form-title", Static).update(Text(_("Edit person") + " — " + data.full_name))
        with self.filling():
            self._fill(data)

    def _fill(self, data: PersonData) -> None:
        values = {
            "last_name": data.last_name, "first_name": data.first_name, "middle_name": data.middle_name,
            "position": data.position or "", "company": data.company_name or "", "emails": ", ".join(data.emails),
            "birthday": _date_text(data.birthday), "source": data.source or "",
        }
        if not (data.last_name or data.first_name or data.middle_name):
            values["last_name"] = data.full_name
        for name, value in values.items():
            self.query_one(f"#{name}", Input).value = value
        self.query_one("#phones", TextArea).text = "\n".join(
            p.raw + (f" доб. {p.extension}" if p.extension and p.extension not in p.raw else "") for p in data.phones
        )
        self.fill_custom(data.custom)
        sel = self.query_one("#owner", Select)
        if data.owner_id is not None:
            try:
                sel.value = data.owner_id
            except Exception:  # noqa: BLE001 - users not loaded yet; _users sets it
                pass

    # --- live checks ------------------------------------------------------------------------
    def field_changed(self, name: str, value) -> None:
        s = self.settings
        if name.startswith("cf-"):
            self.check_custom(name, value)
        elif name == "phones":
            text, ok = checks.check_phones(value, s.phone_region, "international")
            self.say("phones", text, "ok" if ok else "error")
        elif name == "emails":
            text, ok = checks.check_emails(value)
            self.say("emails", text if not ok else "", "error")
        elif name == "birthday":
            try:
                parse_date(value, self.app.today_local())
                self.say("birthday")
            except WhenError as exc:
                self.say("birthday", str(exc))
        elif name == "company":
            typed = (value or "").strip()
            if self.company_name and typed == self.company_name:
                self.say("company", "")
            elif typed:
                self.say("company", _("not chosen: saved as a new company unless one has exactly this name (Enter: search)"), "hint")
            else:
                self.say("company")
        elif name in ("last_name", "first_name", "middle_name") and value.strip():
            self.say("last_name")

    # --- company ------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "company":
            self.action_pick_company()
        else:
            self.focus_next()

    def action_pick_company(self) -> None:
        typed = self.query_one("#company", Input).value.strip()
        query = "" if typed == (self.company_name or "") and self.company_id else typed
        self.app.push_screen(ClientPicker(("company",), query=query), self._company_picked)

    def _company_picked(self, hit) -> None:
        if hit is None:
            return
        self.company_id = hit.id
        self.company_name = hit.name
        self.query_one("#company", Input).value = hit.name  # marks the form dirty: a real change
        self.say("company")
        self.focus_field("phones")

    # --- save -----------------------------------------------------------------------------------
    def collect(self) -> PersonData | None:
        """The typed values, or None after saying what is wrong next to each bad field."""
        get = lambda name: self.query_one(f"#{name}", Input).value.strip()  # noqa: E731
        ok = True
        last, first, middle = get("last_name"), get("first_name"), get("middle_name")
        if not (last or first or middle):
            self.say("last_name", _("a person needs a name"))
            ok = False
        s = self.settings
        phones_text = self.query_one("#phones", TextArea).text
        text, phones_ok = checks.check_phones(phones_text, s.phone_region, "international")
        if not phones_ok:
            self.say("phones", text + " — " + _("fix or delete the number"), "error")
            ok = False
        text, emails_ok = checks.check_emails(get("emails"))
        if not emails_ok:
            self.say("emails", text, "error")
            ok = False
        birthday = None
        try:
            birthday = parse_date(get("birthday"), self.app.today_local())
        except WhenError as exc:
            self.say("birthday", str(exc))
            ok = False
        custom, custom_ok = self.collect_custom()
        if not custom_ok:
            ok = False
        if not ok:
            for name in ("last_name", "phones", "emails", "birthday", *[f"cf-{f.id}" for f in self.custom_defs]):
                if self.message_of(name) and "-error" in self.query_one(f"#{name}-msg").classes:
                    self.focus_field(name)
                    break
            return None
        company_text = get("company")
        same_company = bool(self.company_id) and company_text == (self.company_name or "")
        if len([w for w in (last, first, middle) if w]) == 1 and not (first or middle) and " " in last:
            # the whole name typed into one box
            last, first, middle = contacts.split_full_name(last)
        return PersonData(
            last_name=last, first_name=first, middle_name=middle, position=get("position") or None,
            company_id=self.company_id if same_company else None, company_name=company_text or None,
            birthday=birthday, source=get("source") or None, owner_id=select_value(self.query_one("#owner", Select)),
            phones=[PhoneIn(line) for line in checks.phone_lines(phones_text)],
            emails=contacts.split_emails(get("emails")), row_version=self.row_version,
            visibility=self.loaded.visibility if self.loaded else "shared", custom=custom,
        )

    def action_save(self) -> None:
        if self.saving:
            return
        if self.person_id and self.loaded is None:
            self.notify(_("Still loading the card…"), severity="warning")
            return
        data = self.collect()
        if data is None:
            return
        exclude = ("person", self.person_id) if self.person_id else None
        phones, emails = checks.new_entries([p.raw for p in data.phones], data.emails, self.loaded, self.settings.phone_region)
        self.check_then_save(
            "person",
            dict(phones=phones, emails=emails, region=self.settings.phone_region, exclude=exclude),
            contacts.save_person, self.actor, data, self.person_id, region=self.settings.phone_region,
        )

    def on_conflict(self, exc: Conflict) -> None:
        """Someone saved the card meanwhile: reload it, show what changed, keep what was typed."""
        self.notify(_("Someone else saved this card meanwhile: their changes are shown under the fields. "
                      "Check them; ctrl+s saves yours over them."), severity="warning", timeout=12)
        self.run_db(contacts.person_form_data, self.actor, self.person_id, done=self._reloaded, group="form-load")

    def _reloaded(self, fresh: PersonData) -> None:
        old = self.loaded
        self.loaded = fresh
        self.row_version = fresh.row_version
        if old is None:
            return
        pairs = {
            "last_name": (old.last_name, fresh.last_name), "first_name": (old.first_name, fresh.first_name),
            "middle_name": (old.middle_name, fresh.middle_name), "position": (old.position, fresh.position),
            "company": (old.company_name, fresh.company_name), "birthday": (_date_text(old.birthday), _date_text(fresh.birthday)),
            "source": (old.source, fresh.source), "emails": (", ".join(old.emails), ", ".join(fresh.emails)),
            "phones": (" · ".join(p.raw for p in old.phones), " · ".join(p.raw for p in fresh.phones)),
        }
        for name, (was, now) in pairs.items():
            if (was or "") != (now or ""):
                self.say(name, _("changed meanwhile to: {value}").format(value=now or _("(empty)")), "warning")
