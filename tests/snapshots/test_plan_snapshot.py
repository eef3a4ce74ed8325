"""The Plan pane's day view at 80×24 (frozen clock, fixed data): overdue first, done dimmed."""

from __future__ import annotations

import datetime as dt

from tuicrm.model import User
from tuicrm.services import activities, contacts
from tuicrm.ui.app import create_app


def test_plan_day_view_80x24(ui_session, frozen_clock, snap_compare):
    a = ui_session.actor
    User.update(timezone="Europe/Moscow").where(User.id == a.user_id).execute()
    ui_session.settings.timezone = "Europe/Moscow"
    co = contacts.create_company(a, "ООО Ромашка", phones=["+7 495 111-22-33"])
    ivanov = contacts.create_person(a, full_name="Иванов Иван", company_id=co, phones=["+7 916 123-45-67"])
    petrova = contacts.create_person(a, full_name="Петрова Анна", phones=["8 903 555 66 77"])
    gone = contacts.create_person(a, full_name="Старый Клиент", phones=["+7 926 000-11-22"])
    contacts.archive(a, "person", gone)
    activities.create_activity(a, "call_out", "Check the samples", due_at=dt.datetime(2026, 11, 26, 9), person_id=petrova)
    activities.create_activity(a, "call_out", "Intro call", due_at=dt.datetime(2026, 11, 27, 6),
                               done_at=dt.datetime(2026, 11, 27, 6, 10), outcome="reached", result="interested",
                               person_id=ivanov)
    activities.create_activity(a, "call_out", "Discuss the offer", due_at=dt.datetime(2026, 11, 27, 8), person_id=ivanov)
    activities.create_activity(a, "meeting", "Visit the office", due_at=dt.datetime(2026, 11, 27, 11), company_id=co)
    activities.create_activity(a, "task", "Close the old account", due_at=dt.datetime(2026, 11, 27, 13), person_id=gone)
    app = create_app(ui_session, clock=frozen_clock)

    async def ready(pilot):
        await pilot.press("2")
        for _ in range(300):
            screen = pilot.app.screen
            if getattr(screen, "view", None) is not None and screen.query_one("#plan-table").row_count == 5:
                break
            await pilot.pause(0.01)
        await pilot.press("down", "down")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)
