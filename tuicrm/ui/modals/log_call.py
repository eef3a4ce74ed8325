"""Log a call in a few keys: o/i direction, 1–6 outcome, the result, and the next step in the
same dialog (a follow-up call, task or meeting with its date and time)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Select, Static

from tuicrm.i18n import _
from tuicrm.model.enums import ActivityKind, Outcome
from tuicrm.services import cards, contacts
from tuicrm.ui.modals import checks
from tuicrm.ui.modals.client_picker import ClientPicker, client_ids
from tuicrm.ui.modals.common import FieldMessage, FormModal, field, select_value

OUTCOME_KEYS = [
    ("1", Outcome.REACHED), ("2", Outcome.NO_ANSWER), ("3", Outcome.BUSY), ("4", Outcome.CALL_BACK),
    ("5", Outcome.REFUSED), ("6", Outcome.OTHER),
]
NEXT_KINDS = [(ActivityKind.CALL_OUT, "Call"), (ActivityKind.TASK, "Task"), (ActivityKind.MEETING, "Meeting")]


class KeyStrip(Static, can_focus=True):
    """The direction and outcome, chosen with single keys while this strip has focus."""

    DEFAULT_CLASSES = "keys-strip"


class LogCallModal(FormModal["int | None"]):
    BINDINGS = [
        Binding("o", "direction('call_out')", "Outgoing", id="log_call.out"),
        Binding("i", "direction('call_in')", "Incoming", id="log_call.in"),
        *[Binding(key, f"outcome('{value}')", checks.OUTCOME_LABELS[value], show=False, id=f"log_call.{key}")
          for key, value in OUTCOME_KEYS],
        Binding("ctrl+o", "pick_client", "Client", id="log_call.client"),
    ]
    FIELD_ALIASES = {"outcome": "strip", "next_due": "next_due", "client": "strip"}

    def __init__(self, person_id: int | None = None, company_id: int | None = None, deal_id: int | None = None) -> None:
        super().__init__()
        self.person_id, self.company_id, self.deal_id = person_id, company_id, deal_id
        self.direction = ActivityKind.CALL_OUT
        self.outcome: str | None = None
        self.client_name = ""
        self._past_ok: object = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Static(_("Log a call"), classes="dialog-title", id="form-title")
            with VerticalScroll(classes="form-body"):
                yield KeyStrip(id="strip")
                yield FieldMessage(id="strip-msg")
                yield from field(_("Result"), Input(id="result", placeholder=_("what was said, agreed"), compact=True), "result")
                yield Static(_("Next step (optional)"), classes="field-message -hint section-title")
                yield from field(_("When"), Input(id="next_due", placeholder=_("tomorrow 15:30, +1d, 28.11 10:00"), compact=True), "next_due")
                yield from field(_("What"), Select([(_(label), str(k)) for k, label in NEXT_KINDS], id="next_kind",
                                                   value=str(ActivityKind.CALL_OUT), allow_blank=False, compact=True), "next_kind")
                yield from field(_("Subject"), Input(id="next_subject", placeholder=_("call again about the offer"), compact=True), "next_subject")
        yield Footer()

    def on_mount(self) -> None:
        self._render_strip()
        self.query_one("#strip", KeyStrip).focus()
        if self.person_id or self.company_id:
            kind, rid = ("person", self.person_id) if self.person_id else ("company", self.company_id)
            self.run_db(cards.card, self.actor, kind, rid, done=self._client_loaded, group="form-load")
        elif not self.deal_id:
            self.say("strip", _("No client yet: ctrl+o chooses one"), "hint")

    def extra_state(self) -> tuple:
        return (self.direction, self.outcome, self.person_id, self.company_id)

    def _client_loaded(self, card) -> None:
        self.client_name = card.name + (f" · {card.company}" if card.company else "")
        self.query_one("#form-title", Static).update(Text(_("Log a call") + " — " + self.client_name))

    def _render_strip(self) -> None:
        text = Text()
        text.append(_("Direction") + ": ", style="bold")
        for key, kind, label in (("o", ActivityKind.CALL_OUT, _("outgoing")), ("i", ActivityKind.CALL_IN, _("incoming"))):
            style = "reverse bold" if self.direction == kind else ""
            text.append(f" {key} {label} ", style=style)
        text.append("\n" + _("Outcome") + ":   ", style="bold")
        for key, value in OUTCOME_KEYS:
            style = "reverse bold" if self.outcome == value else ""
            text.append(f"{key} {_(checks.OUTCOME_LABELS[value])}", style=style)
            text.append(" ")
        self.query_one("#strip", KeyStrip).update(text)

    # --- keys -----------------------------------------------------------------------------------
    def action_direction(self, kind: str) -> None:
        self.direction = ActivityKind(kind)
        self.recheck_dirty()
        self._render_strip()

    def action_outcome(self, value: str) -> None:
        self.outcome = value
        self.recheck_dirty()
        self.say("strip")
        self._render_strip()
        if value in (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.CALL_BACK):
            nxt = self.query_one("#next_due", Input)
            if not nxt.value.strip():
                nxt.placeholder = _("tomorrow 10:00 — call again?")
        self.query_one("#result", Input).focus()

    def action_pick_client(self) -> None:
        def picked(hit) -> None:
            if hit is None:
                return
            self.person_id, self.company_id = client_ids(hit)
            self.client_name = hit.name
            self.query_one("#form-title", Static).update(Text(_("Log a call") + " — " + hit.name))
            self.say("strip")
            self.query_one("#strip", KeyStrip).focus()

        self.app.push_screen(ClientPicker(), picked)

    def field_changed(self, name: str, value) -> None:
        if name == "next_due":
            msg, level, _utc = checks.check_when(value, self.app)
            self.say("next_due", msg, level)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "next_subject":
            self.action_save()
        else:
            self.focus_next()

    # --- save -------------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.saving:
            return
        if not (self.person_id or self.company_id or self.deal_id):
            self.say("strip", _("Choose the client first: ctrl+o"))
            return
        if self.outcome is None:
            self.say("strip", _("Press 1–6 for the outcome"))
            self.query_one("#strip", KeyStrip).focus()
            return
        due_text = self.query_one("#next_due", Input).value
        msg, level, due = checks.check_when(due_text, self.app)
        if level == "error":
            self.say("next_due", msg)
            self.focus_field("next_due")
            return
        if level == "warning" and self._past_ok != due:
            self._past_ok = due
            self.say("next_due", msg + " — " + _("ctrl+s again to keep it"), "warning")
            self.focus_field("next_due")
            return
        next_kind = select_value(self.query_one("#next_kind", Select)) if due else None
        subject = self.query_one("#next_subject", Input).value.strip()
        if due and not subject:
            subject = _("Call back") if next_kind == ActivityKind.CALL_OUT else ""
        self.run_db(
            contacts.log_call_with_next, self.actor, direction=str(self.direction), outcome=self.outcome,
            result=self.query_one("#result", Input).value.strip(), person_id=self.person_id, company_id=self.company_id,
            deal_id=self.deal_id, at=self.app.clock(), next_kind=next_kind, next_due=due, next_subject=subject,
            done=self._saved, error=self.save_failed, group="form-save",
        )

    def _saved(self, ids: tuple[int, int | None]) -> None:
        call_id, next_id = ids
        self.notify(_("Call logged") + (" · " + _("next step planned") if next_id else ""), timeout=3)
        self.finish(call_id)
