"""The Plan pane: one day of a user's calls and tasks — overdue first, then by time.

Keys: [ / ] or ←/→ previous/next day, t today, T tomorrow, u another user's day (heads/admins),
Enter the client's card, c complete (outcome, result, next step), r reschedule, n new task or
call, s call session, p plan tomorrow. All data comes from services.plan through run_db.
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
from tuicrm.services.base import Conflict, NotFound, ServiceError
from tuicrm.services.plan import DayView, PlanRow, WorkHours
from tuicrm.ui.modals.complete import CompleteModal, CompleteResult
from tuicrm.ui.modals.reschedule import RescheduleChoice, RescheduleModal
from tuicrm.ui.screens.base import CrmScreen
from tuicrm.ui.widgets.labels import OUTCOMES, label, phone_text

KIND_SHORT = {
    "call_out": N_("call"), "call_in": N_("in call"), "email": N_("email"), "fax": N_("fax"),
    "letter": N_("letter"), "meeting": N_("meeting"), "task": N_("task"),
}


TOP = 0  # reload(keep=TOP): a new day starts at its first row


def kind_short(kind: str) -> str:
    return _(KIND_SHORT.get(kind, kind))


def day_label(day: dt.date, today: dt.date) -> str:
    delta = (day - today).days
    names = {0: _("today"), 1: _("tomorrow"), -1: _("yesterday")}
    text = f"{formatting.weekday(day)}, {formatting.date(day)}"
    return f"{text} · {names[delta]}" if delta in names else text


class PlanScreen(CrmScreen):
    PANE_TITLE = N_("Plan")
    BINDINGS = [
        Binding("c", "complete", "Complete", id="plan.complete"),
        Binding("r", "reschedule", "Move", id="plan.reschedule"),
        Binding("n", "new", "New", id="plan.new"),
        Binding("s", "call_session", "Call session", id="plan.session"),
        Binding("p", "plan_tomorrow", "Plan tomorrow", id="plan.tomorrow"),
        Binding("left_square_bracket", "day(-1)", "Prev day", id="plan.prev", show=False),
        Binding("right_square_bracket", "day(1)", "Next day", id="plan.next", show=False),
        Binding("left", "day(-1)", "Previous day", id="plan.prev_arrow", show=False, priority=True),
        Binding("right", "day(1)", "Next day", id="plan.next_arrow", show=False, priority=True),
        Binding("t", "today", "Today", id="plan.today"),
        Binding("T,shift+t", "tomorrow", "Tomorrow", id="plan.tomorrow_day", show=False),
        Binding("u", "user", "User's day", id="plan.user"),
        Binding("enter", "open_card", "Card", id="plan.card", show=False),
        Binding("f5", "reload", "Reload", id="plan.reload", show=False),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_id: int | None = None
        self.day: dt.date | None = None
        self.view: DayView | None = None
        self.rows: dict[str, PlanRow] = {}
        self._busy_write = False

    # --- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="plan-status")
        table = DataTable(id="plan-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="plan-detail")
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#plan-table", DataTable)

    def on_mount(self) -> None:
        self.user_id = self.actor.user_id
        self.table.focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.view is not None:
            self.reload()

    @property
    def hours(self) -> WorkHours:
        return WorkHours.from_settings(self.settings)

    @property
    def tz(self):
        return self.view.tz if self.view else self.crm.user_zone()

    def now(self) -> dt.datetime:
        return self.crm.clock()

    # --- loading -----------------------------------------------------------------------------
    def reload(self, keep: int | None = None) -> None:
        if keep is None:
            current = self.current_row()
            keep = current.id if current else None
        self.run_db(plan_svc.load_day, self.actor, self.user_id, self.day, self.settings.timezone or None,
                    now=self.now(), done=lambda v: self.show(v, keep), group="plan-load")

    def show(self, view: DayView, keep: int | None = None) -> None:
        self.view = view
        self.day = view.day
        self.rows = {str(r.id): r for r in view.rows}
        table = self.table
        previous_index = table.cursor_row if table.row_count else 0
        table.clear(columns=True)
        width = max(60, self.size.width or 80)
        fixed = 13 + 7 + 17 + 10 + 1  # time, kind, phone, cell paddings, scrollbar
        rest = max(20, width - fixed)
        subj = rest // 2
        table.add_column(_("Time"), width=13, key="time")
        table.add_column(_("Kind"), width=7, key="kind")
        table.add_column(_("Subject"), width=subj, key="subject")
        table.add_column(_("Client"), width=rest - subj, key="client")
        table.add_column(_("Phone"), width=17, key="phone")
        # stay on the same activity; if it left the day (moved, done on another day) stay on its place
        target_index = 0 if keep == TOP else min(previous_index, max(0, len(view.rows) - 1))
        for i, r in enumerate(view.rows):
            table.add_row(*self._cells(r, view), key=str(r.id))
            if keep is not None and r.id == keep:
                target_index = i
        if view.rows:
            table.move_cursor(row=target_index)
        self._status()
        self._detail()

    def _cells(self, r: PlanRow, view: DayView) -> list[Text]:
        tz = view.tz
        local = formatting.to_local(r.due_at, tz)
        if local is None:
            when = ""
        elif local.date() == view.day:
            when = formatting.time(r.due_at, tz)
        else:
            when = f"{local.strftime('%d.%m')} {formatting.time(r.due_at, tz)}"
        mark = "✓" if r.is_done else ("!" if r.overdue else " ")
        client = r.client or "—"
        if r.client_archived:
            client = "⌫ " + client
        phone = phone_text(self.session, r.phone_e164, r.phone_raw) if r.phone_raw else ""
        subject = r.subject or (r.deal_title or "")
        if r.is_done:
            style = "dim strike"
            if r.outcome:
                subject = f"{subject} → {label(OUTCOMES, r.outcome)}"
        elif r.overdue:
            style = "bold"
        else:
            style = ""
        cells = [f"{mark} {when}", kind_short(r.kind), subject, client, phone]
        out = [Text(c, style=style, no_wrap=True, overflow="ellipsis") for c in cells]
        if r.overdue and not r.is_done:
            out[0].stylize("reverse", 0, 1)
        return out

    def _status(self) -> None:
        v = self.view
        if v is None:
            return
        c = v.counts
        whose = "" if v.user_id == self.actor.user_id else f" · [b]{escape(v.user_name)}[/b]"
        parts = [f"[b]{escape(day_label(v.day, v.today))}[/b]{whose}"]
        if c.total:
            bits = [_("{n} open").format(n=c.open), _("{n} done").format(n=c.done)]
            if c.overdue:
                bits.append(_("{n} overdue").format(n=c.overdue))
            parts.append(" · ".join(bits))
        else:
            parts.append(_("nothing planned — n: new, p: plan tomorrow"))
        self.query_one("#plan-status", Static).update(" — ".join(parts))

    def current_row(self) -> PlanRow | None:
        table = self.table
        if not self.rows or table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no cursor yet
            return None
        return self.rows.get(key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        r = self.current_row()
        box = self.query_one("#plan-detail", Static)
        if r is None:
            box.update("")
            return
        tz = self.tz
        first = [escape(r.client or _("no client"))]
        if r.client_archived:
            first.append("[reverse] " + escape(_("archived client")) + " [/reverse]")
        middle = escape(_("deal: {title}").format(title=r.deal_title)) if r.deal_title else ""
        second = [escape(formatting.datetime(r.due_at, tz))]
        if r.phone_raw:
            phone = phone_text(self.session, r.phone_e164, r.phone_raw)
            if r.phone_ext:
                phone += " " + _("ext. {n}").format(n=r.phone_ext)
            second.append("☎ " + escape(phone))
        if r.is_done:
            res = " ".join(x for x in (label(OUTCOMES, r.outcome), r.result or "") if x)
            second.append(escape(_("done: {result}").format(result=res or "✓")))
        elif r.overdue:
            second.append(escape(_("overdue")))
        box.update("\n".join((" · ".join(first), middle, " · ".join(second))))

    # --- moving between days -----------------------------------------------------------------
    def action_day(self, step: int) -> None:
        if self.view is None:
            return
        self.day = self.view.day + dt.timedelta(days=step)
        self.reload(keep=TOP)

    def action_today(self) -> None:
        self.day = None
        self.reload(keep=TOP)

    def action_tomorrow(self) -> None:
        today = self.view.today if self.view else self.crm.today_local()
        self.day = today + dt.timedelta(days=1)
        self.reload(keep=TOP)

    def action_reload(self) -> None:
        self.reload()

    def action_user(self) -> None:
        if not self.actor.sees_all:
            self.notify(_("Only heads of sales and admins can open another user's day."), severity="warning")
            return
        from tuicrm.ui.widgets.plan_users import UserPickerModal

        def picked(user_id: int | None) -> None:
            if user_id is not None:
                self.user_id = user_id
                self.reload(keep=TOP)

        self.run_db(plan_svc.users_to_view, self.actor,
                    done=lambda users: self.app.push_screen(UserPickerModal(users, self.user_id), picked),
                    group="plan-users")

    # --- the client's card -------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_card()

    def action_open_card(self) -> None:
        r = self.current_row()
        if r is None:
            return
        if r.person_id is None and r.company_id is None:
            self.notify(_("This activity has no client."), severity="warning")
            return
        if self._open_contacts_card(r):
            return
        from tuicrm.ui.widgets.plan_card import ClientCardModal

        tz = self.tz
        self.run_db(plan_svc.client_brief, self.actor, r,
                    done=lambda brief: self.app.push_screen(ClientCardModal(brief, tz)), group="plan-card")

    def _open_contacts_card(self, r: PlanRow) -> bool:
        """The Contacts pane's card screen, when this build has it."""
        try:
            from tuicrm.ui.screens import card as card_mod
        except ImportError:
            return False
        cls = getattr(card_mod, "CardScreen", None)
        if cls is None:
            return False
        kind, rid = ("person", r.person_id) if r.person_id else ("company", r.company_id)
        try:
            screen = cls(kind, rid)
        except TypeError:
            return False
        self.app.push_screen(screen)
        return True

    def open_row(self) -> PlanRow | None:
        """The highlighted activity if it is still open; a done one is said, not acted on."""
        r = self.current_row()
        if r is not None and r.is_done:
            self.notify(_("Already done. Press n to plan a new one."), severity="warning")
            return None
        return r

    # --- complete ------------------------------------------------------------------------------
    def action_complete(self) -> None:
        r = self.open_row()
        if r is None:
            return
        self.app.push_screen(CompleteModal(r, self.tz, self.now(), self.hours), lambda res: self._completed(r, res))

    def _completed(self, r: PlanRow, res: CompleteResult | None) -> None:
        if res is None:
            return
        save_complete(self, r, res, then=lambda _v: self.reload(keep=r.id))

    # --- reschedule ----------------------------------------------------------------------------
    def action_reschedule(self) -> None:
        r = self.open_row()
        if r is None:
            return
        self.app.push_screen(RescheduleModal(r.subject or kind_short(r.kind), r.due_at, self.tz, self.now(), self.hours),
                             lambda choice: self._moved(r, choice))

    def _moved(self, r: PlanRow, choice: RescheduleChoice | None) -> None:
        if choice is None:
            return

        def done(_v) -> None:
            self.notify(_("Moved to {when}").format(when=formatting.datetime(choice.due_at, self.tz)))
            self.reload(keep=r.id)

        self.run_db(plan_svc.reschedule, self.actor, r.id, r.row_version, choice.due_at, now=self.now(),
                    allow_past=choice.allow_past, done=done, error=lambda exc: write_failed(self, exc),
                    group="plan-write")

    # --- new -----------------------------------------------------------------------------------
    def action_new(self) -> None:
        from tuicrm.ui.widgets.plan_new import start_new_activity

        start_new_activity(self, then=lambda _id: self.reload())

    # --- call session and plan tomorrow --------------------------------------------------------
    def action_call_session(self) -> None:
        if self.view is None:
            return
        calls = [r for r in self.view.rows if r.is_call and not r.is_done]
        if not calls:
            self.notify(_("No open calls on this day."), severity="warning")
            return
        from tuicrm.ui.screens.call_session import CallSessionScreen

        self.app.push_screen(CallSessionScreen(calls, self.view.tz), lambda _r: self.reload())

    def action_plan_tomorrow(self) -> None:
        from tuicrm.ui.screens.plan_tomorrow import PlanTomorrowScreen

        user_id = self.user_id if self.user_id is not None else self.actor.user_id
        self.app.push_screen(PlanTomorrowScreen(user_id), lambda _r: self.reload())

    # --- palette -------------------------------------------------------------------------------
    def commands(self):
        return [
            (_("Plan: complete the selected activity"), "c", self.action_complete),
            (_("Plan: reschedule the selected activity"), "r", self.action_reschedule),
            (_("Plan: new task or call"), "n", self.action_new),
            (_("Plan: call session"), "s", self.action_call_session),
            (_("Plan: plan tomorrow"), "p", self.action_plan_tomorrow),
            (_("Plan: today"), "t", self.action_today),
            (_("Plan: tomorrow"), "T", self.action_tomorrow),
            (_("Plan: another user's day"), "u", self.action_user),
        ]


def write_failed(screen, exc: ServiceError) -> None:
    """A refused write: say why; on a conflict reload so the user sees the other person's change."""
    if isinstance(exc, Conflict):
        screen.notify(_("Someone else changed this activity meanwhile; nothing was overwritten. The plan was reloaded."),
                      severity="error", timeout=8)
    elif isinstance(exc, NotFound):
        screen.notify(_("This activity no longer exists; the plan was reloaded."), severity="error", timeout=8)
    else:
        screen.notify(str(exc), severity="error", timeout=8)
    reload = getattr(screen, "reload", None)
    if callable(reload):
        reload()


def save_complete(screen, r: PlanRow, res: CompleteResult, then=None) -> None:
    """Write a completion (+ next step) with the row version the user saw."""

    def done(value) -> None:
        _version, fid = value
        text = _("Done.") if fid is None else _("Done; next step planned.")
        screen.notify(text)
        if then:
            then(value)

    screen.run_db(plan_svc.complete_with_follow_up, screen.actor, r.id, r.row_version, outcome=res.outcome,
                  result=res.result, follow_up=res.follow_up, done_at=screen.crm.clock(), done=done,
                  error=lambda exc: write_failed(screen, exc), group="plan-write")
