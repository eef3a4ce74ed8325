"""Reminders while the app is open, whatever pane is shown.

``install(app)`` (called from the app's on_mount) starts a timer; every ``POLL_SECONDS`` a thread
worker asks services.reminders (two indexed queries) what is new and the app shows a
notification for each: at the lead time before an activity, when it falls due, and when a
colleague assigns one on a shared base.
"""

from __future__ import annotations

from textual.app import App

from tuicrm import formatting
from tuicrm.i18n import _
from tuicrm.services import reminders as svc
from tuicrm.services.plan import user_zone
from tuicrm.ui.dbcall import call_with_retry
from tuicrm.ui.widgets.labels import ACTIVITY_KINDS, label


class Reminders:
    def __init__(self, app: App, interval: float = svc.POLL_SECONDS) -> None:
        self.app = app
        session = app.session  # type: ignore[attr-defined]
        self.tracker = svc.ReminderTracker(
            session.actor.user_id, lead_minutes=session.settings.reminder_lead_minutes, started=app.clock(),  # type: ignore[attr-defined]
        )
        self.interval = interval
        self.shown: list[str] = []  # texts shown (tests, and the help of what was announced)
        self._tz = None
        self.timer = app.set_interval(interval, self.tick, name="reminders")

    def tick(self) -> None:
        self.app.run_worker(self._work, thread=True, exclusive=True, group="reminders", exit_on_error=False)

    def _work(self) -> None:
        app = self.app
        now = app.clock()  # type: ignore[attr-defined]

        def poll():
            if self._tz is None:
                self._tz = user_zone(self.tracker.user_id, app.session.settings.timezone or None)  # type: ignore[attr-defined]
            return self.tracker.poll(now)

        try:
            found = call_with_retry(poll)
        except Exception:  # noqa: BLE001 - a reminder poll must never take the app down; next tick retries
            return
        for r in found:
            app.call_from_thread(self.show, r)

    def poll_now(self) -> list[svc.Reminder]:
        """Run one poll on the caller's thread (tests)."""
        now = self.app.clock()  # type: ignore[attr-defined]
        if self._tz is None:
            self._tz = user_zone(self.tracker.user_id, self.app.session.settings.timezone or None)  # type: ignore[attr-defined]
        found = call_with_retry(self.tracker.poll, now)
        for r in found:
            self.show(r)
        return found

    def text(self, r: svc.Reminder) -> str:
        what = " — ".join(x for x in (label(ACTIVITY_KINDS, r.kind), r.subject, r.client) if x)
        at = formatting.time(r.due_at, self._tz) if r.due_at else ""
        if r.notice == svc.DUE:
            return _("Due now ({time}): {what}").format(time=at, what=what)
        if r.notice == svc.LEAD:
            return _("Coming up at {time}: {what}").format(time=at, what=what)
        return _("{author} assigned you: {what} ({when})").format(
            author=r.author or "?", what=what, when=formatting.datetime(r.due_at, self._tz) if r.due_at else "")

    def show(self, r: svc.Reminder) -> None:
        text = self.text(r)
        self.shown.append(text)
        self.app.notify(text, title=_("Reminder"), severity="warning" if r.notice == svc.DUE else "information",
                        timeout=12)


def install(app: App, interval: float = svc.POLL_SECONDS) -> Reminders:
    rem = Reminders(app, interval)
    app.reminders = rem  # type: ignore[attr-defined]
    return rem
