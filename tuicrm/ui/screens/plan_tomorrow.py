"""Plan tomorrow: who needs a call — what is already planned, overdue items, open deals with no
next step, clients not contacted for N days — each scheduled with a key.

Enter/space: schedule at the next free slot of working hours; a: at a typed time; x: skip for now;
[ / ] another day; Esc: back. The header counts planned calls against the daily target.
"""

from __future__ import annotations

import datetime as dt

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from tuicrm import formatting
from tuicrm.i18n import N_, _
from tuicrm.services import plan as plan_svc
from tuicrm.services.plan import Candidate, TomorrowPlan, WorkHours
from tuicrm.ui.modals.reschedule import RescheduleChoice, RescheduleModal
from tuicrm.ui.screens.base import CrmScreen
from tuicrm.ui.screens.plan import write_failed

REASONS = {
    "planned": N_("planned"), "overdue": N_("overdue"), "deal": N_("no next step"), "stale": N_("not contacted"),
}


class PlanTomorrowScreen(CrmScreen):
    PANE_TITLE = N_("Plan tomorrow")
    BINDINGS = [
        Binding("space", "schedule", "Schedule", id="tomorrow.schedule"),
        Binding("a", "schedule_at", "At a time…", id="tomorrow.at"),
        Binding("x", "skip", "Skip", id="tomorrow.skip"),
        Binding("left_square_bracket", "day(-1)", "Prev day", id="tomorrow.prev", show=False),
        Binding("right_square_bracket", "day(1)", "Next day", id="tomorrow.next", show=False),
        Binding("escape", "back", "Back", id="tomorrow.back"),
    ]

    def __init__(self, user_id: int, day: dt.date | None = None) -> None:
        super().__init__()
        self.user_id = user_id
        self.day = day
        self.plan: TomorrowPlan | None = None
        self.tz = None
        self.by_key: dict[str, Candidate] = {}
        self.scheduled: dict[str, dt.datetime] = {}
        self.skipped: set[str] = set()
        self._focus_key: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="tomorrow-status")
        yield DataTable(id="tomorrow-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="tomorrow-detail")
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#tomorrow-table", DataTable)

    @property
    def hours(self) -> WorkHours:
        return WorkHours.from_settings(self.settings)

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    def _load(self, day: dt.date | None, now: dt.datetime):
        tz = plan_svc.user_zone(self.user_id, self.settings.timezone or None)
        if day is None:
            day = plan_svc.working_day_on_or_after(plan_svc.local_today(tz, now) + dt.timedelta(days=1))
        return tz, plan_svc.candidates(self.actor, self.user_id, day, tz, self.settings, now=now)

    def reload(self) -> None:
        self.run_db(self._load, self.day, self.crm.clock(), done=self.show, group="tomorrow-load")

    def show(self, loaded) -> None:
        tz, tp = loaded
        keep_key = self._focus_key or (self.current().key if self.current() else None)
        self._focus_key = None
        self.tz, self.plan, self.day = tz, tp, tp.day
        self.by_key = {c.key: c for c in tp.candidates}
        table = self.table
        table.clear(columns=True)
        width = max(60, self.size.width or 80)
        rest = max(24, width - (14 + 10 + 8 + 2))
        table.add_column(_("Why"), width=14, key="why")
        table.add_column(_("Client"), width=rest // 2, key="client")
        table.add_column(_("What"), width=rest - rest // 2, key="what")
        table.add_column(_("When"), width=10, key="when")
        target = 0
        for i, c in enumerate(tp.candidates):
            table.add_row(*self._cells(c), key=c.key)
            if keep_key is not None and c.key == keep_key:
                target = i
        if tp.candidates:
            table.move_cursor(row=target)
        self._status()
        self._detail()

    def _cells(self, c: Candidate) -> list[Text]:
        when = ""
        if c.key in self.scheduled:
            when = "✓ " + formatting.time(self.scheduled[c.key], self.tz)
        elif c.reason == "planned" and c.due_at:
            when = formatting.time(c.due_at, self.tz)
        elif c.reason == "overdue" and c.due_at:
            when = formatting.short_date(formatting.to_local(c.due_at, self.tz).date())
        what = c.detail
        if c.reason == "deal" and c.amount_minor:
            what = f"{what} · {formatting.money(c.amount_minor, c.currency or 'RUB')}"
        if c.reason == "stale" and c.last_contact_at:
            what = _("last contact {date}").format(date=formatting.short_date(formatting.to_local(c.last_contact_at, self.tz).date()))
        style = "dim" if (c.key in self.skipped or c.key in self.scheduled or c.reason == "planned") else ""
        cells = [_(REASONS.get(c.reason, c.reason)), c.name + (" ⌫" if c.archived else ""), what, when]
        return [Text(x, style=style, no_wrap=True, overflow="ellipsis") for x in cells]

    def _status(self) -> None:
        tp = self.plan
        if tp is None:
            return
        day = f"{formatting.weekday(tp.day)}, {formatting.date(tp.day)}"
        todo = sum(1 for c in tp.candidates if c.reason != "planned" and c.key not in self.scheduled and c.key not in self.skipped)
        count = _("planned calls {n} of {target}").format(n=tp.planned_calls, target=tp.target)
        mark = "✓ " if tp.planned_calls >= tp.target else ""
        self.query_one("#tomorrow-status", Static).update(
            f"[b]{escape(_('Plan for {day}').format(day=day))}[/b] — {mark}{escape(count)} · "
            f"{escape(_('{n} to schedule').format(n=todo))}")

    def current(self) -> Candidate | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001
            return None
        return self.by_key.get(key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        c = self.current()
        box = self.query_one("#tomorrow-detail", Static)
        if c is None:
            box.update(escape(_("Nobody to call: everything is planned.")) if self.plan else "")
            return
        hints = {
            "planned": _("Already on the plan; Enter moves it to the next free slot."),
            "overdue": _("Overdue; Enter moves it to the next free slot."),
            "deal": _("An open deal with no next step; Enter plans a call."),
            "stale": _("Not contacted for a while; Enter plans a call."),
        }
        box.update(escape(f"{c.name} — {hints.get(c.reason, '')}"))

    # --- scheduling ----------------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_schedule()

    def _subject(self, c: Candidate) -> str:
        if c.reason == "deal":
            return _("Next step: {deal}").format(deal=c.detail)
        if c.reason == "stale":
            return _("Get back in touch")
        return c.detail

    def action_schedule(self, at: dt.datetime | None = None) -> None:
        c = self.current()
        if c is None or self.plan is None:
            return
        if c.key in self.scheduled and c.activity_id is None:
            self.notify(_("Already scheduled."), severity="warning")
            return
        now = self.crm.clock()
        tz, day, hours = self.tz, self.plan.day, self.hours
        taken = set(self.scheduled.values())
        subject = self._subject(c)
        actor, user_id = self.actor, self.user_id

        def work():
            due = at or plan_svc.next_free_slot(user_id, day, tz, hours, now=now, taken=taken)
            aid = plan_svc.schedule_candidate(actor, c, due, subject, user_id=user_id, now=now)
            return due, aid

        def done(value) -> None:
            due, _aid = value
            self.scheduled[c.key] = due
            self.notify(_("Planned at {time}").format(time=formatting.time(due, tz)))
            self._focus_key = self._neighbour_key()
            self.reload()

        self.run_db(work, done=done, error=lambda exc: write_failed(self, exc), group="tomorrow-write")

    def _neighbour_key(self) -> str | None:
        """The row to land on after this one is scheduled: the next one (else the previous)."""
        table = self.table
        row = table.cursor_row
        for r in (row + 1, row - 1):
            if 0 <= r < table.row_count:
                return table.coordinate_to_cell_key((r, 0)).row_key.value
        return None

    def action_schedule_at(self) -> None:
        c = self.current()
        if c is None or self.plan is None:
            return
        now = self.crm.clock()
        due = c.due_at if c.reason == "planned" else plan_svc.at_local(self.plan.day, self.hours.start, self.tz)

        def chosen(choice: RescheduleChoice | None) -> None:
            if choice is not None:
                self.action_schedule(at=choice.due_at)

        self.app.push_screen(RescheduleModal(c.name, due, self.tz, now, self.hours), chosen)

    def action_skip(self) -> None:
        c = self.current()
        if c is None:
            return
        self.skipped.add(c.key)
        table = self.table
        table.update_cell(c.key, "why", Text(_("skipped"), style="dim"))
        if table.cursor_row + 1 < table.row_count:
            table.move_cursor(row=table.cursor_row + 1)
        self._status()

    def action_day(self, step: int) -> None:
        if self.plan is None:
            return
        self.day = self.plan.day + dt.timedelta(days=step)
        self.scheduled.clear()
        self.skipped.clear()
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)
