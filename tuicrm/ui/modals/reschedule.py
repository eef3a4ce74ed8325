"""Reschedule an activity by key: +1 hour, later today, tomorrow same time, next working day, or a
typed date/time. A time in the past is not accepted silently: the user is asked to confirm.

Returns ``RescheduleChoice`` (new due time, naive UTC; whether a past time was confirmed) or None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from tuicrm import formatting
from tuicrm.i18n import N_, _
from tuicrm.services import plan as plan_svc
from tuicrm.services.base import ValidationError
from tuicrm.services.plan import WorkHours
from tuicrm.ui.modals.confirm import ConfirmScreen
from tuicrm.ui.screens.base import CrmModal

CHOICES = (
    ("h", "hour", N_("+1 hour")),
    ("l", "later", N_("later today")),
    ("t", "tomorrow", N_("tomorrow, same time")),
    ("w", "workday", N_("next working day")),
)


@dataclass(frozen=True)
class RescheduleChoice:
    due_at: dt.datetime
    allow_past: bool = False


def describe(value: dt.datetime, tz, today: dt.date) -> str:
    local = formatting.to_local(value, tz)
    time = formatting.time(value, tz)
    if local.date() == today:
        return _("today {time}").format(time=time)
    return f"{formatting.weekday(local.date())} {formatting.short_date(local.date())} {time}"


class RescheduleModal(CrmModal[RescheduleChoice | None]):
    AUTO_FOCUS = ""  # no field focused: the choice keys work at once
    BINDINGS = [Binding(key, f"pick('{code}')", name, id=f"reschedule.{code}") for key, code, name in CHOICES] + [
        Binding("d", "type_date", "Type a date/time", id="reschedule.date"),
        Binding("escape", "cancel", "Cancel", id="reschedule.cancel"),
    ]

    def __init__(self, subject: str, due_at: dt.datetime | None, tz, now: dt.datetime,
                 hours: WorkHours = WorkHours()) -> None:
        super().__init__()
        self.subject = subject
        self.due_at = due_at
        self.tz = tz
        self.now = now
        self.hours = hours
        self.options = plan_svc.reschedule_options(due_at, now, tz, hours)
        self.today = plan_svc.local_today(tz, now)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog plan-dialog", id="reschedule-dialog"):
            yield Static(escape(_("Move: {subject}").format(subject=self.subject)), classes="dialog-title")
            if self.due_at:
                yield Static(escape(_("Now planned: {when}").format(when=describe(self.due_at, self.tz, self.today))),
                             classes="plan-muted")
            lines = []
            for key, code, name in CHOICES:
                value = self.options.get(code)
                when = describe(value, self.tz, self.today) if value else _("not possible now")
                line = f"[b]{key}[/b]  {escape(_(name)):<24} {escape(when)}"
                lines.append(line if value else f"[dim]{line}[/dim]")
            lines.append(f"[b]d[/b]  {escape(_('a date/time:'))}")
            yield Static("\n".join(lines), id="reschedule-options")
            yield Input(placeholder=_("tomorrow 15:30, 28.11 10:00, +2h, mon 9:00"), id="reschedule-when",
                        classes="plan-input")
            yield Static("", id="reschedule-error", classes="plan-error")
            yield Static(_("A key picks a choice · Enter in the field applies it · Esc: cancel"), classes="plan-hint")

    def action_pick(self, code: str) -> None:
        value = self.options.get(code)
        if value is None:
            self._error(_("Working hours are over for today; pick another choice."))
            return
        self.dismiss(RescheduleChoice(value))

    def action_type_date(self) -> None:
        # focus after this key is handled, so the "d" itself is not typed into the field
        self.call_after_refresh(self.query_one("#reschedule-when", Input).focus)

    def _error(self, text: str) -> None:
        self.query_one("#reschedule-error", Static).update(escape(text))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        default = formatting.to_local(self.due_at, self.tz).time() if self.due_at else self.hours.start
        try:
            value = plan_svc.parse_when(event.value, self.now, self.tz, default_time=default)
        except ValidationError as exc:
            self._error(str(exc))
            return
        if value < self.now - dt.timedelta(minutes=1):
            question = _("{when} is in the past. Plan it there anyway?").format(
                when=formatting.datetime(value, self.tz))

            def answer(ok: bool | None) -> None:
                if ok:
                    self.dismiss(RescheduleChoice(value, allow_past=True))
                else:
                    self._error(_("That time is in the past; type another one."))

            self.app.push_screen(ConfirmScreen(question), answer)
            return
        self.dismiss(RescheduleChoice(value))

    def action_cancel(self) -> None:
        self.dismiss(None)
