"""A new task or call from the Plan pane: choose the client by search (ClientPicker), then the
activity form (modals.activity_form.ActivityForm when this build has it, else a short form here:
kind, when, subject)."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from tuicrm import formatting
from tuicrm.i18n import _
from tuicrm.model.enums import ActivityKind
from tuicrm.services import activities
from tuicrm.services import plan as plan_svc
from tuicrm.services.base import ValidationError
from tuicrm.ui.modals.complete import KindCycler, when_text
from tuicrm.ui.screens.base import CrmModal
from tuicrm.ui.widgets import modal_launch


class NewActivityModal(CrmModal[int | None]):
    """Kind (←/→), when, subject; Enter saves through services.activities.create_activity."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="plan_new.save"),
        Binding("escape", "cancel", "Cancel", id="plan_new.cancel"),
    ]

    def __init__(self, client: str, person_id: int | None, company_id: int | None, tz, now: dt.datetime,
                 due: dt.datetime, assignee_id: int | None = None) -> None:
        super().__init__()
        self.client = client
        self.person_id = person_id
        self.company_id = company_id
        self.tz = tz
        self.now = now
        self.due = due
        self.assignee_id = assignee_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog plan-dialog", id="new-activity-dialog"):
            yield Static(escape(_("New task or call: {client}").format(client=self.client)), classes="dialog-title")
            with Horizontal(classes="plan-row"):
                yield KindCycler(id="new-kind")
                yield Input(value=when_text(self.due, self.tz), placeholder=_("when: tomorrow 10:00, +2h, 28.11 15:30"),
                            id="new-when", classes="plan-input")
            yield Input(placeholder=_("subject"), id="new-subject", classes="plan-input")
            yield Static("", id="new-error", classes="plan-error")
            yield Static(_("←/→ kind · Enter or Ctrl+S: save · Esc: cancel"), classes="plan-hint")

    def on_mount(self) -> None:
        self.query_one("#new-subject").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        error = self.query_one("#new-error", Static)
        try:
            due = plan_svc.parse_when(self.query_one("#new-when", Input).value, self.now, self.tz)
        except ValidationError as exc:
            error.update(escape(str(exc)))
            self.query_one("#new-when").focus()
            return
        if due < self.now - dt.timedelta(minutes=1):
            error.update(escape(_("That time is in the past: {when}").format(when=formatting.datetime(due, self.tz))))
            self.query_one("#new-when").focus()
            return
        kind = self.query_one(KindCycler).kind
        subject = self.query_one("#new-subject", Input).value.strip()
        self.run_db(activities.create_activity, self.actor, kind, subject, due_at=due, person_id=self.person_id,
                    company_id=self.company_id, assignee_id=self.assignee_id, done=self.dismiss, group="plan-new")

    def action_cancel(self) -> None:
        self.dismiss(None)


def start_new_activity(screen, then: Callable[[int | None], None] | None = None) -> None:
    """ClientPicker → the activity form; ``then(new id)`` after a save."""
    from tuicrm.ui.modals.client_picker import ClientPicker

    def after(result) -> None:
        if result and then:
            then(result)

    def picked(hit) -> None:
        if hit is None:
            return
        ids = {"person_id": hit.id} if hit.kind == "person" else {"company_id": hit.id}
        form = modal_launch.load("activity_form", "ActivityForm")
        if form is not None:
            screen.app.push_screen(form(kind=ActivityKind.CALL_OUT, **ids), after)
            return
        tz = screen.tz
        now = screen.crm.clock()
        user_id = getattr(screen, "user_id", None)
        day = screen.view.day if getattr(screen, "view", None) else plan_svc.local_today(tz, now)

        def slot(due) -> None:
            screen.app.push_screen(
                NewActivityModal(hit.name, ids.get("person_id"), ids.get("company_id"), tz, now, due, user_id), after)

        screen.run_db(plan_svc.next_free_slot, user_id or screen.actor.user_id, max(day, plan_svc.local_today(tz, now)), tz,
                      plan_svc.WorkHours.from_settings(screen.settings), now=now, done=slot, group="plan-slot")

    screen.app.push_screen(ClientPicker(("person", "company")), picked)
