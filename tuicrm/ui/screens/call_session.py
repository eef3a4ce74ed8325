"""Call session: the day's open calls card by card.

The client's card (name, company, phones, open deals, last results) is on screen; a single key
records the outcome (r reached, n no answer, b busy, c call back, x refused, o other) and opens
the completion dialog with the outcome chosen and the next step prefilled; saving moves on to
the next call. A call not reached (no answer / busy) comes back once at the end of the session
(its follow-up); what is still unreached when the session ends can be rolled to tomorrow (asked).
"""

from __future__ import annotations

import datetime as dt

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tuicrm import formatting
from tuicrm.i18n import N_, _
from tuicrm.model.enums import Outcome
from tuicrm.services import plan as plan_svc
from tuicrm.services.plan import PlanRow, WorkHours
from tuicrm.ui.modals.complete import OUTCOME_KEYS, CompleteModal, CompleteResult
from tuicrm.ui.modals.confirm import ConfirmScreen
from tuicrm.ui.screens.base import CrmScreen
from tuicrm.ui.screens.plan import kind_short, write_failed
from tuicrm.ui.widgets.plan_card import brief_markup

UNREACHED = (Outcome.NO_ANSWER, Outcome.BUSY)


class CallSessionScreen(CrmScreen):
    PANE_TITLE = N_("Call session")
    BINDINGS = [Binding(key, f"outcome('{code}')", name, id=f"session.{code}") for key, code, name in OUTCOME_KEYS] + [
        Binding("enter", "outcome('')", "Result…", id="session.result", show=False),
        Binding("k", "skip", "Skip", id="session.skip"),
        Binding("escape", "end", "End session", id="session.end"),
    ]

    def __init__(self, calls: list[PlanRow], tz) -> None:
        super().__init__()
        self.queue: list[PlanRow] = list(calls)
        self.index = 0
        self.tz = tz
        self.retry_ids: set[int] = set()
        self.unreached: list[int] = []
        self.done_count = 0
        self.skipped = 0
        self._saving = False
        self._ending = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="session-progress")
        yield Static("", id="session-call")
        with VerticalScroll(id="session-card-box"):
            yield Static("", id="session-card")
        yield Static(self._keys_text(), id="session-keys", classes="plan-hint")
        yield Footer()

    def _keys_text(self) -> str:
        keys = "  ".join(f"[b]{k}[/b] {escape(_(name))}" for k, _code, name in OUTCOME_KEYS)
        return keys + "  ·  " + f"[b]k[/b] {escape(_('skip'))}  [b]Esc[/b] {escape(_('end'))}"

    def on_mount(self) -> None:
        self.show_current()

    @property
    def current(self) -> PlanRow | None:
        return self.queue[self.index] if self.index < len(self.queue) else None

    def show_current(self) -> None:
        r = self.current
        if r is None:
            self.finish()
            return
        total = len(self.queue)
        progress = _("Call {n} of {total}").format(n=self.index + 1, total=total)
        extra = [_("{n} done").format(n=self.done_count)]
        back = sum(1 for q in self.queue[self.index:] if q.id in self.retry_ids)
        if back:
            extra.append(_("{n} to try again").format(n=back))
        again = "  [reverse] " + escape(_("second try")) + " [/reverse]" if r.id in self.retry_ids else ""
        self.query_one("#session-progress", Static).update(f"[b]{escape(progress)}[/b] · {escape(' · '.join(extra))}{again}")
        when = formatting.datetime(r.due_at, self.tz)
        line = f"{escape(when)}  {escape(kind_short(r.kind))}  [b]{escape(r.subject or '')}[/b]"
        if r.overdue:
            line += "  " + escape(_("overdue"))
        self.query_one("#session-call", Static).update(line)
        self.query_one("#session-card", Static).update(escape(r.client or ""))
        self.run_db(plan_svc.client_brief, self.actor, r, done=self._show_brief, group="session-card")

    def _show_brief(self, brief) -> None:
        if self.current is None or brief.row is None or brief.row.id != self.current.id:
            return
        self.query_one("#session-card", Static).update(brief_markup(self.session, brief, self.tz))

    # --- recording -----------------------------------------------------------------------------
    def action_outcome(self, code: str) -> None:
        r = self.current
        if r is None or self._saving:
            return
        hours = WorkHours.from_settings(self.settings)
        self.app.push_screen(CompleteModal(r, self.tz, self.crm.clock(), hours, outcome=code or None),
                             lambda res: self._save(r, res))

    def _save(self, r: PlanRow, res: CompleteResult | None) -> None:
        if res is None:
            return
        self._saving = True

        def done(value) -> None:
            self._saving = False
            _version, follow = value
            self.done_count += 1
            if res.outcome in UNREACHED and follow is not None:
                if r.id in self.retry_ids:
                    self.unreached.append(follow.id)
                else:
                    self.retry_ids.add(follow.id)
                    self.queue.append(follow)
            self.index += 1
            self.show_current()

        def failed(exc) -> None:
            self._saving = False
            write_failed(self, exc)
            self.index += 1  # the other person's change stands; go on with the next call
            self.show_current()

        self.run_db(plan_svc.complete_and_fetch, self.actor, r.id, r.row_version, outcome=res.outcome,
                    result=res.result, follow_up=res.follow_up, done_at=self.crm.clock(), done=done, error=failed,
                    group="session-write")

    def action_skip(self) -> None:
        if self.current is None:
            return
        self.skipped += 1
        self.index += 1
        self.show_current()

    def action_end(self) -> None:
        self.finish()

    # --- the end -------------------------------------------------------------------------------
    def finish(self) -> None:
        if self._ending:
            return
        self._ending = True
        pending = [q.id for q in self.queue[self.index:] if q.id in self.retry_ids]
        unreached = self.unreached + pending
        if not unreached:
            self.notify(_("Call session over: {n} recorded.").format(n=self.done_count))
            self.dismiss(None)
            return
        now = self.crm.clock()
        tomorrow = plan_svc.working_day_on_or_after(plan_svc.local_today(self.tz, now) + dt.timedelta(days=1))
        question = _("{n} call(s) not reached. Move them to {day}?").format(
            n=len(unreached), day=f"{formatting.weekday(tomorrow)} {formatting.short_date(tomorrow)}")

        def answer(ok: bool | None) -> None:
            if not ok:
                self.notify(_("Call session over: {n} recorded.").format(n=self.done_count))
                self.dismiss(None)
                return

            def rolled(moved) -> None:
                self.notify(_("Call session over: {n} recorded, {m} moved to {day}.").format(
                    n=self.done_count, m=len(moved), day=formatting.short_date(tomorrow)))
                self.dismiss(None)

            self.run_db(plan_svc.roll_to_day, self.actor, unreached, tomorrow, self.tz,
                        WorkHours.from_settings(self.settings), now=now, done=rolled,
                        error=lambda exc: (write_failed(self, exc), self.dismiss(None)), group="session-write")

        self.app.push_screen(ConfirmScreen(question), answer)
