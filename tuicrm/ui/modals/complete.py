"""Complete an activity: the outcome (single keys), the result text and the next step, in one dialog.

Returns a ``CompleteResult`` (the caller writes it with services.plan.complete_with_follow_up and
the row version it read, so a change made meanwhile by someone else is refused) or None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.markup import escape
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Static

from tuicrm import formatting
from tuicrm.i18n import N_, _
from tuicrm.labels import ACTIVITY_KINDS
from tuicrm.model.enums import ActivityKind, Outcome
from tuicrm.services import plan as plan_svc
from tuicrm.services.base import ValidationError
from tuicrm.services.plan import FollowUp, PlanRow, WorkHours
from tuicrm.ui.screens.base import CrmModal

# key → outcome, in the order shown
OUTCOME_KEYS = (
    ("r", Outcome.REACHED, N_("reached")),
    ("n", Outcome.NO_ANSWER, N_("no answer")),
    ("b", Outcome.BUSY, N_("busy")),
    ("c", Outcome.CALL_BACK, N_("call back")),
    ("x", Outcome.REFUSED, N_("refused")),
    ("o", Outcome.OTHER, N_("other")),
)
KIND_ORDER = (ActivityKind.CALL_OUT, ActivityKind.MEETING, ActivityKind.TASK, ActivityKind.EMAIL,
              ActivityKind.LETTER, ActivityKind.FAX, ActivityKind.CALL_IN)
KIND_NAMES = ACTIVITY_KINDS


@dataclass(frozen=True)
class CompleteResult:
    outcome: str | None
    result: str
    follow_up: FollowUp | None


def _prefixes() -> list[str]:
    return [t.split("{subject}")[0] for t in (_("Call again: {subject}"), _("Call back as agreed: {subject}"),
                                              _("Follow up: {subject}"))]


def follow_up_subject(outcome: str | None, subject: str) -> str:
    """The next step's subject: "Call again: <subject>" etc., without piling prefixes up."""
    subject = subject or ""
    stripped = True
    while stripped:
        stripped = False
        for prefix in _prefixes():
            if prefix and subject.startswith(prefix):
                subject = subject[len(prefix):]
                stripped = True
    if outcome in (Outcome.NO_ANSWER, Outcome.BUSY):
        text = _("Call again: {subject}")
    elif outcome == Outcome.CALL_BACK:
        text = _("Call back as agreed: {subject}")
    else:
        text = _("Follow up: {subject}")
    return text.format(subject=subject).rstrip(": ").strip()


def when_text(value: dt.datetime, tz) -> str:
    """A UTC time as the user types it (services.when reads it back): 28.11.2026 10:00."""
    local = formatting.to_local(value, tz)
    return local.strftime("%d.%m.%Y %H:%M")


class OutcomeBar(Widget, can_focus=True):
    """The outcomes with their keys; the chosen one is highlighted."""

    DEFAULT_CSS = "OutcomeBar { height: auto; }"
    outcome: reactive[str | None] = reactive(None)

    def render(self) -> str:
        parts = []
        for key, code, name in OUTCOME_KEYS:
            text = f"[b]{key}[/b] {escape(_(name))}"
            parts.append(f"[reverse]{text}[/reverse]" if code == self.outcome else text)
        return "  ".join(parts)


class KindCycler(Widget, can_focus=True):
    """The next step's kind; ←/→ or space change it."""

    DEFAULT_CSS = "KindCycler { height: 1; width: auto; min-width: 18; }"
    BINDINGS = [
        Binding("right,space", "cycle(1)", "Next kind", show=False),
        Binding("left", "cycle(-1)", "Previous kind", show=False),
    ]
    kind: reactive[str] = reactive(ActivityKind.CALL_OUT)

    def render(self) -> str:
        return f"◂ {escape(_(KIND_NAMES.get(self.kind, self.kind)))} ▸"

    def action_cycle(self, step: int) -> None:
        i = KIND_ORDER.index(self.kind) if self.kind in KIND_ORDER else 0
        self.kind = KIND_ORDER[(i + step) % len(KIND_ORDER)]


class CompleteModal(CrmModal[CompleteResult | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="complete.save"),
        Binding("escape", "cancel", "Cancel", id="complete.cancel"),
    ] + [Binding(key, f"outcome('{code}')", name, id=f"complete.{code}", show=False) for key, code, name in OUTCOME_KEYS]

    def __init__(self, row: PlanRow, tz, now: dt.datetime, hours: WorkHours = WorkHours(),
                 outcome: str | None = None) -> None:
        super().__init__()
        self.row = row
        self.tz = tz
        self.now = now
        self.hours = hours
        self.initial_outcome = outcome
        self._subject_auto = True
        self._filling = False

    # --- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        r = self.row
        with Vertical(classes="dialog plan-dialog", id="complete-dialog"):
            title = _("Complete: {subject}").format(subject=r.subject or _(KIND_NAMES.get(r.kind, r.kind)))
            yield Static(escape(title), classes="dialog-title")
            client = r.client + ("  " + _("(archived)") if r.client_archived else "")
            if client:
                yield Static(escape(client), classes="plan-muted")
            yield Static(_("Outcome (press a key):"), classes="plan-label")
            yield OutcomeBar(id="outcome-bar")
            yield Static(_("Result:"), classes="plan-label")
            yield Input(placeholder=_("what was said or done"), id="result", classes="plan-input")
            yield Checkbox(_("Next step"), id="next", value=False)
            with Horizontal(classes="plan-row"):
                yield KindCycler(id="fu-kind")
                yield Input(placeholder=_("when: tomorrow 10:00, +2h, 28.11 15:30"), id="fu-when", classes="plan-input")
            yield Input(placeholder=_("subject of the next step"), id="fu-subject", classes="plan-input")
            yield Static("", id="complete-error", classes="plan-error")
            yield Static(_("Enter or Ctrl+S: save · Tab: next field · Esc: cancel"), classes="plan-hint")

    def on_mount(self) -> None:
        if self.initial_outcome:
            self.action_outcome(self.initial_outcome)
        elif self.row.is_call:
            self.query_one("#outcome-bar").focus()
        else:
            self.query_one("#result").focus()
        self._sync_next_enabled()

    # --- outcome ---------------------------------------------------------------------------
    def action_outcome(self, code: str) -> None:
        bar = self.query_one(OutcomeBar)
        bar.outcome = code
        self._prefill(code)
        self.query_one("#result", Input).focus()

    def on_key(self, event: events.Key) -> None:
        # the outcome keys work while the outcome bar has focus (inputs take letters as text)
        if isinstance(self.focused, OutcomeBar) and event.key == "enter":
            event.stop()
            self.action_save()

    def _prefill(self, outcome: str | None) -> None:
        suggestion = plan_svc.suggest_follow_up(outcome or Outcome.REACHED, self.row.kind, self.row.due_at, self.now,
                                                self.tz, self.hours)
        nxt = self.query_one("#next", Checkbox)
        self._filling = True
        try:
            if suggestion is None:
                nxt.value = False
            else:
                kind, due = suggestion
                nxt.value = outcome is not None or nxt.value
                self.query_one(KindCycler).kind = kind
                self.query_one("#fu-when", Input).value = when_text(due, self.tz)
                if self._subject_auto:
                    self.query_one("#fu-subject", Input).value = follow_up_subject(outcome, self.row.subject)
        finally:
            self._filling = False
        self._sync_next_enabled()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if self._filling:
            return
        if event.value and not self.query_one("#fu-when", Input).value:
            self._prefill(self.query_one(OutcomeBar).outcome or Outcome.REACHED)
            self.query_one("#next", Checkbox).value = True
        self._sync_next_enabled()

    def _sync_next_enabled(self) -> None:
        on = self.query_one("#next", Checkbox).value
        for wid in ("#fu-kind", "#fu-when", "#fu-subject"):
            self.query_one(wid).disabled = not on

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "fu-subject" and not self._filling and event.input.has_focus:
            self._subject_auto = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    # --- save ------------------------------------------------------------------------------
    def _error(self, text: str) -> None:
        self.query_one("#complete-error", Static).update(escape(text))

    def action_save(self) -> None:
        outcome = self.query_one(OutcomeBar).outcome
        if self.row.is_call and not outcome:
            self._error(_("Choose the outcome first: r, n, b, c, x or o."))
            self.query_one("#outcome-bar").focus()
            return
        result = self.query_one("#result", Input).value.strip()
        follow_up = None
        if self.query_one("#next", Checkbox).value:
            text = self.query_one("#fu-when", Input).value
            try:
                due = plan_svc.parse_when(text, self.now, self.tz, default_time=self.hours.start)
            except ValidationError as exc:
                self._error(_("Next step: {error}").format(error=str(exc)))
                self.query_one("#fu-when").focus()
                return
            if due < self.now - dt.timedelta(minutes=1):
                self._error(_("The next step's time is in the past: {when}").format(when=formatting.datetime(due, self.tz)))
                self.query_one("#fu-when").focus()
                return
            subject = self.query_one("#fu-subject", Input).value.strip() or follow_up_subject(outcome, self.row.subject)
            follow_up = FollowUp(self.query_one(KindCycler).kind, due, subject)
        self.dismiss(CompleteResult(outcome, result, follow_up))

    def action_cancel(self) -> None:
        self.dismiss(None)
