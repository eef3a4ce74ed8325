"""Schedule (or edit) an activity: kind, subject, date and time typed freely ("завтра 15:30",
"+1d", "28.11 10:00"), duration, assignee, client. A past time is warned about, not silently taken."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Select, Static

from tuicrm import formatting
from tuicrm.i18n import _
from tuicrm.model.enums import ActivityKind
from tuicrm.services import activities, cards, contacts, users
from tuicrm.services.when import WhenError, parse_duration
from tuicrm.ui.modals import checks
from tuicrm.ui.modals.client_picker import ClientPicker, client_ids
from tuicrm.ui.modals.common import FormModal, field, select_value

KINDS = [ActivityKind.CALL_OUT, ActivityKind.CALL_IN, ActivityKind.MEETING, ActivityKind.TASK, ActivityKind.EMAIL,
         ActivityKind.LETTER, ActivityKind.FAX]


class ActivityForm(FormModal["int | None"]):
    BINDINGS = [
        Binding("ctrl+o", "pick_client", "Client", id="activity_form.client"),
    ]
    FIELD_ALIASES = {"due_at": "due", "kind": "kind", "subject": "subject", "client": "client"}

    def __init__(self, person_id: int | None = None, company_id: int | None = None, deal_id: int | None = None,
                 activity_id: int | None = None, kind: str | None = None) -> None:
        super().__init__()
        self.person_id, self.company_id, self.deal_id = person_id, company_id, deal_id
        self.activity_id = activity_id
        self.kind = kind or ActivityKind.CALL_OUT
        self.row_version: int | None = None
        self.loaded = None
        self._past_ok: object = None

    def compose(self) -> ComposeResult:
        title = _("Edit activity") if self.activity_id else _("Schedule")
        with Vertical(classes="dialog form-dialog"):
            yield Static(title, classes="dialog-title", id="form-title")
            with VerticalScroll(classes="form-body"):
                yield from field(_("Kind"), Select([(_(checks.KIND_LABELS[k]), str(k)) for k in KINDS], id="kind",
                                                   value=str(self.kind), allow_blank=False, compact=True), "kind")
                yield from field(_("Subject"), Input(id="subject", placeholder=_("call about the offer"), compact=True), "subject")
                yield from field(_("When"), Input(id="due", placeholder=_("tomorrow 15:30, +1d, 28.11 10:00"), compact=True), "due")
                yield from field(_("Duration"), Input(id="duration", placeholder=_("minutes: 30, 1h, 1:30"), compact=True), "duration")
                yield from field(_("Assignee"), Select([], id="assignee", prompt=_("(me)"), compact=True), "assignee")
                yield from field(_("Client"), Static(_("(none) — ctrl+o to choose"), id="client"), "client")
        yield Footer()

    def on_mount(self) -> None:
        self.run_db(users.list_users, done=self._users, group="form-users")
        if self.activity_id:
            self.run_db(contacts.activity_form_data, self.actor, self.activity_id, done=self._loaded, group="form-load")
        elif self.person_id or self.company_id:
            kind, rid = ("person", self.person_id) if self.person_id else ("company", self.company_id)
            self.run_db(cards.card, self.actor, kind, rid, done=self._client_loaded, group="form-client")
        self.query_one("#subject", Input).focus()

    def extra_state(self) -> tuple:
        return (self.person_id, self.company_id)

    def _users(self, rows) -> None:
        sel = self.query_one("#assignee", Select)
        with self.filling():
            sel.set_options([(Text(u.name), u.id) for u in rows])
            wanted = self.loaded.assignee_id if self.loaded else self.actor.user_id
            if wanted is not None and any(u.id == wanted for u in rows):
                sel.value = wanted

    def _client_loaded(self, card) -> None:
        name = card.name + (f" · {card.company}" if card.company else "")
        self.query_one("#client", Static).update(name)

    def _loaded(self, data: contacts.ActivityData) -> None:
        self.loaded = data
        self.row_version = data.row_version
        self.person_id, self.company_id, self.deal_id = data.person_id, data.company_id, data.deal_id
        self.query_one("#client", Static).update(data.client_name or _("(none) — ctrl+o to choose"))
        with self.filling():
            self.query_one("#kind", Select).value = data.kind
            self.query_one("#subject", Input).value = data.subject
            if data.due_at:
                local = formatting.to_local(data.due_at, self.app.user_zone())
                self.query_one("#due", Input).value = local.strftime("%d.%m.%Y %H:%M")
            self.query_one("#duration", Input).value = str(data.duration_min or "")
            if data.assignee_id is not None:
                try:
                    self.query_one("#assignee", Select).value = data.assignee_id
                except Exception:  # noqa: BLE001 - users not loaded yet
                    pass
        if data.done:
            self.say("due", _("this activity is already done"), "warning")

    def field_changed(self, name: str, value) -> None:
        if name == "due":
            msg, level, _utc = checks.check_when(value, self.app)
            self.say("due", msg, level)
        elif name == "duration":
            try:
                minutes = parse_duration(value)
                self.say("duration", _("{n} min").format(n=minutes) if minutes else "", "ok")
            except WhenError as exc:
                self.say("duration", str(exc))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_pick_client(self) -> None:
        def picked(hit) -> None:
            if hit is None:
                return
            self.person_id, self.company_id = client_ids(hit)
            self.recheck_dirty()
            self.query_one("#client", Static).update(hit.name + (f" · {hit.company}" if hit.company else ""))
            self.say("client")

        self.app.push_screen(ClientPicker(), picked)

    def action_save(self) -> None:
        if self.saving:
            return
        if self.activity_id and self.loaded is None:
            self.notify(_("Still loading…"), severity="warning")
            return
        kind = select_value(self.query_one("#kind", Select)) or str(ActivityKind.TASK)
        subject = self.query_one("#subject", Input).value.strip()
        due_text = self.query_one("#due", Input).value
        msg, level, due = checks.check_when(due_text, self.app)
        ok = True
        if level == "error":
            self.say("due", msg)
            ok = False
        elif due is None:
            self.say("due", _("when? e.g. tomorrow 10:00"))
            ok = False
        try:
            duration = parse_duration(self.query_one("#duration", Input).value)
        except WhenError as exc:
            self.say("duration", str(exc))
            ok = False
        if not (self.person_id or self.company_id or self.deal_id) and kind != ActivityKind.TASK:
            self.say("client", _("choose the client: ctrl+o"))
            ok = False
        if not ok:
            for name in ("due", "duration", "client"):
                if self.message_of(name) and "-error" in self.query_one(f"#{name}-msg").classes:
                    self.focus_field(name)
                    break
            return
        if level == "warning" and self._past_ok != due and not (self.loaded and self.loaded.due_at == due):
            self._past_ok = due
            self.say("due", msg + " — " + _("ctrl+s again to keep it"), "warning")
            self.focus_field("due")
            return
        if not subject:
            subject = _(checks.KIND_LABELS.get(kind, kind))
        assignee = select_value(self.query_one("#assignee", Select))
        if self.activity_id:
            self.run_db(contacts.edit_activity, self.actor, self.activity_id, self.row_version, kind=kind, subject=subject,
                        due_at=due, duration_min=duration, assignee=assignee or self.actor.user_id,
                        person=self.person_id, company=self.company_id, deal=self.deal_id,
                        done=lambda _v: self._saved(self.activity_id), error=self.save_failed, group="form-save")
        else:
            self.run_db(activities.create_activity, self.actor, kind, subject, due_at=due, duration_min=duration,
                        person_id=self.person_id, company_id=self.company_id, deal_id=self.deal_id, assignee_id=assignee,
                        done=self._saved, error=self.save_failed, group="form-save")

    def _saved(self, activity_id: int) -> None:
        self.notify(_("Planned"), timeout=3)
        self.finish(activity_id)

    def on_conflict(self, exc) -> None:
        self.notify(_("Someone else changed this activity meanwhile; see below. ctrl+s saves yours over it."),
                    severity="warning", timeout=10)

        def reloaded(fresh: contacts.ActivityData) -> None:
            old, self.loaded, self.row_version = self.loaded, fresh, fresh.row_version
            if old and old.due_at != fresh.due_at and fresh.due_at:
                self.say("due", _("changed meanwhile to: {value}").format(
                    value=formatting.datetime(fresh.due_at, self.app.user_zone())), "warning")
            if old and old.subject != fresh.subject:
                self.say("subject", _("changed meanwhile to: {value}").format(value=fresh.subject), "warning")

        self.run_db(contacts.activity_form_data, self.actor, self.activity_id, done=reloaded, group="form-load")



