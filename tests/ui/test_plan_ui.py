"""The Plan pane with Pilot: complete with a result and a next step, a conflict, reschedule (and a
past time refused), a call session through several calls, plan tomorrow from candidates,
another user's day as a head and refused as a manager, reminders."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from textual.widgets import DataTable, Input

from tuicrm.model import Activity, Person, User
from tuicrm.services import activities, contacts, deals, plan, users
from tuicrm.ui.app import create_app
from tuicrm.ui.modals.complete import CompleteModal
from tuicrm.ui.modals.confirm import ConfirmScreen
from tuicrm.ui.modals.reschedule import RescheduleModal
from tuicrm.ui.screens.call_session import CallSessionScreen
from tuicrm.ui.screens.plan import PlanScreen
from tuicrm.ui.screens.plan_tomorrow import PlanTomorrowScreen
from tuicrm.ui.widgets.plan_users import UserPickerModal

NOW = dt.datetime(2026, 11, 27, 7, 0)  # Friday 10:00 Moscow


def utc(d, h, mi=0, month=11):
    return dt.datetime(2026, month, d, h, mi)


async def until(pilot, cond, what="the condition", tries=200):
    for _ in range(tries):
        if cond():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def crm(ui_session, frozen_clock):
    """Tester (admin) in Moscow with: one overdue call, three calls today, a task today."""
    a = ui_session.actor
    User.update(timezone="Europe/Moscow").where(User.id == a.user_id).execute()
    ui_session.settings.timezone = "Europe/Moscow"
    co = contacts.create_company(a, "ООО Ромашка", phones=["+7 495 111-22-33"])
    ivanov = contacts.create_person(a, full_name="Иванов Иван", company_id=co, phones=["+7 916 123-45-67"])
    petrova = contacts.create_person(a, full_name="Петрова Анна", phones=["8 903 555 66 77"])
    sidorov = contacts.create_person(a, full_name="Сидоров Пётр", phones=["+7 926 000-11-22"])
    ids = {
        "overdue": activities.create_activity(a, "call_out", "Check samples", due_at=utc(26, 9), person_id=petrova),
        "call1": activities.create_activity(a, "call_out", "Discuss the offer", due_at=utc(27, 8), person_id=ivanov),
        "call2": activities.create_activity(a, "call_out", "Agree the price", due_at=utc(27, 9), person_id=sidorov),
        "task": activities.create_activity(a, "task", "Send the contract", due_at=utc(27, 11), person_id=ivanov),
    }
    ids.update(ivanov=ivanov, petrova=petrova, sidorov=sidorov, company=co)
    return ids


def plan_screen(app) -> PlanScreen:
    return next(s for s in reversed(app.screen_stack) if isinstance(s, PlanScreen))


def table(app) -> DataTable:
    return plan_screen(app).query_one("#plan-table", DataTable)


def row_texts(app) -> list[str]:
    t = table(app)
    return [" ".join(str(c) for c in t.get_row_at(i)) for i in range(t.row_count)]


async def open_plan(pilot, app, rows: int):
    await pilot.press("2")
    await until(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.view is not None
                and table(app).row_count == rows, what=f"{rows} plan rows")
    await pilot.pause()


async def goto(pilot, app, activity_id: int):
    t = table(app)
    t.move_cursor(row=t.get_row_index(str(activity_id)))
    await pilot.pause()
    assert app.screen.current_row().id == activity_id


def record_notices(app) -> list[str]:
    seen: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        seen.append(str(message))
        return original(message, *args, **kwargs)

    app.notify = notify
    return seen


async def test_day_view_order_and_marks(ui_session, crm, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_plan(pilot, app, 4)
        texts = row_texts(app)
        assert texts[0].startswith("! 26.11 12:00") and "Check samples" in texts[0]  # overdue first
        assert [t.split()[0] for t in texts[1:]] == ["11:00", "12:00", "14:00"]
        assert "8 (916) 123-45-67" in texts[1] and "Иванов Иван · ООО Ромашка" in texts[1]
        status = str(app.screen.query_one("#plan-status").render())
        assert "today" in status and "4 open" in status and "1 overdue" in status
        # next day / previous day / today
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: app.screen.view.day == dt.date(2026, 11, 28), what="Saturday")
        assert table(app).row_count == 0
        await pilot.press("left")
        await pilot.press("left")
        await until(pilot, lambda: app.screen.view.day == dt.date(2026, 11, 26), what="Thursday")
        assert [r.id for r in app.screen.view.rows] == [crm["overdue"]]
        await pilot.press("t")
        await until(pilot, lambda: app.screen.view.day == dt.date(2026, 11, 27), what="today")
        await pilot.press("T")
        await until(pilot, lambda: app.screen.view.day == dt.date(2026, 11, 28), what="tomorrow")


async def test_complete_with_result_and_follow_up(ui_session, crm, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_plan(pilot, app, 4)
        await goto(pilot, app, crm["call1"])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CompleteModal), what="the dialog")
        await pilot.press("n")  # no answer: next step prefilled, focus on the result
        assert isinstance(app.focused, Input) and app.focused.id == "result"
        assert app.screen.query_one("#fu-when", Input).value == "27.11.2026 12:00"  # in 2 hours
        assert app.screen.query_one("#fu-subject", Input).value == "Call again: Discuss the offer"
        await pilot.press(*"long beeps", "enter")
        await until(pilot, lambda: isinstance(app.screen, PlanScreen) and table(app).row_count == 5, what="reload")
        done = Activity.get_by_id(crm["call1"])
        assert (done.outcome, done.result, done.done_at) == ("no_answer", "long beeps", NOW)
        follow = Activity.get(Activity.follow_up_of == crm["call1"])
        assert (follow.kind, follow.due_at, follow.subject, follow.person_id) == (
            "call_out", utc(27, 9), "Call again: Discuss the offer", crm["ivanov"])
        texts = row_texts(app)
        assert any(t.startswith("✓ 11:00") and "no answer" in t for t in texts)
        assert any("Call again: Discuss" in t for t in texts)
        assert Person.get_by_id(crm["ivanov"]).last_contact_at == NOW


async def test_complete_refused_when_changed_meanwhile(ui_session, crm, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        notices = record_notices(app)
        await open_plan(pilot, app, 4)
        await goto(pilot, app, crm["call2"])
        other = users.actor_for(users.create_user("colleague"))
        v = Activity.get_by_id(crm["call2"]).row_version
        plan.reschedule(other, crm["call2"], v, utc(27, 10), now=NOW)  # someone else moves it
        await pilot.press("c", "r", *"talked", "enter")
        await until(pilot, lambda: any("changed this activity" in n for n in notices), what="the conflict notice")
        a = Activity.get_by_id(crm["call2"])
        assert a.done_at is None and a.result is None and a.due_at == utc(27, 10)
        assert Activity.select().where(Activity.follow_up_of == crm["call2"]).count() == 0


async def test_reschedule_by_key_and_past_date_warned(ui_session, crm, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_plan(pilot, app, 4)
        await goto(pilot, app, crm["call1"])
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, RescheduleModal), what="the dialog")
        await pilot.press("w")  # next working day, same time: Monday 11:00 Moscow
        await until(pilot, lambda: table(app).row_count == 3, what="reload")
        assert Activity.get_by_id(crm["call1"]).due_at == utc(30, 8)
        # a typed time in the past is not accepted silently
        await goto(pilot, app, crm["call2"])
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, RescheduleModal), what="the dialog")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press(*"25.11 10:00", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, RescheduleModal), what="back in the dialog")
        assert "past" in str(app.screen.query_one("#reschedule-error").render())
        assert Activity.get_by_id(crm["call2"]).due_at == utc(27, 9)
        # a typed time in the future is applied
        field = app.screen.query_one("#reschedule-when", Input)
        field.value = ""
        await pilot.press(*"tomorrow 15:30", "enter")
        await until(pilot, lambda: isinstance(app.screen, PlanScreen) and table(app).row_count == 2, what="reload")
        assert Activity.get_by_id(crm["call2"]).due_at == utc(28, 12, 30)


async def test_call_session_through_several_calls(ui_session, crm, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_plan(pilot, app, 4)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, CallSessionScreen), what="the session")
        session = app.screen
        assert [r.id for r in session.queue] == [crm["overdue"], crm["call1"], crm["call2"]]  # calls only
        card = session.query_one("#session-card")
        await until(pilot, lambda: "8 (903) 555-66-77" in str(card.render()), what="the first card")

        async def record(key: str, text: str = ""):
            before = session.index
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, CompleteModal), what="the dialog")
            await pilot.press(*text, "enter")
            await until(pilot, lambda: session.index == before + 1 or session._ending, what="the next call")

        await record("n")  # overdue call: no answer → comes back at the end
        assert len(session.queue) == 4 and session.queue[-1].id in session.retry_ids
        await until(pilot, lambda: "Иванов Иван" in str(card.render()), what="the second card")
        await record("r", "agreed")  # reached
        await record("x", "not interested")  # refused: no next step
        await until(pilot, lambda: "second try" in str(session.query_one("#session-progress").render()), what="retry")
        await record("b")  # busy again → asked to roll to tomorrow
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the roll question")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, PlanScreen), what="back to the plan")

    a = {k: Activity.get_by_id(crm[k]) for k in ("overdue", "call1", "call2")}
    assert (a["overdue"].outcome, a["call1"].outcome, a["call1"].result, a["call2"].outcome) == (
        "no_answer", "reached", "agreed", "refused")
    assert Activity.select().where(Activity.follow_up_of == crm["call2"]).count() == 0
    retry = Activity.get(Activity.follow_up_of == crm["overdue"])
    assert retry.outcome == "busy" and retry.done_at == NOW
    rolled = Activity.get(Activity.follow_up_of == retry.id)
    assert rolled.done_at is None and rolled.due_at == utc(30, 6)  # Monday 09:00 Moscow, first free slot


async def test_plan_tomorrow_from_candidates(ui_session, crm, frozen_clock):
    a = ui_session.actor
    deal_person = contacts.create_person(a, full_name="Орлов Олег")
    d = deals.create_deal(a, "Cables", person_id=deal_person, amount_minor=5_000_000)
    stale = contacts.create_person(a, full_name="Забытый Клиент")
    activities.log_call(a, outcome="reached", person_id=stale, at=utc(1, 7, month=9))
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_plan(pilot, app, 4)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PlanTomorrowScreen) and app.screen.plan is not None,
                    what="candidates")
        scr = app.screen
        assert scr.plan.day == dt.date(2026, 11, 30)  # Friday → Monday
        reasons = {c.key: c.reason for c in scr.plan.candidates}
        assert reasons[f"d:{d}"] == "deal" and reasons[f"p:{stale}"] == "stale"
        assert reasons[f"a:{crm['overdue']}"] == "overdue"
        assert "planned calls 0 of 30" in str(scr.query_one("#tomorrow-status").render())
        t = scr.query_one("#tomorrow-table", DataTable)
        t.move_cursor(row=t.get_row_index(f"d:{d}"))
        await pilot.press("enter")
        await until(pilot, lambda: scr.plan.planned_calls == 1, what="the deal's call")
        call = Activity.get(Activity.deal == d)
        assert (call.kind, call.due_at, call.subject) == ("call_out", utc(30, 6), "Next step: Cables")
        t.move_cursor(row=t.get_row_index(f"p:{stale}"))
        await pilot.press("space")
        await until(pilot, lambda: scr.plan.planned_calls == 2, what="the stale client's call")
        assert Activity.get((Activity.person == stale) & Activity.done_at.is_null()).due_at == utc(30, 6, 15)
        t.move_cursor(row=t.get_row_index(f"a:{crm['overdue']}"))
        await pilot.press("x")  # skipped: nothing written
        assert "skipped" in str(t.get_row(f"a:{crm['overdue']}")[0])
        assert Activity.get_by_id(crm["overdue"]).due_at == utc(26, 9)
        assert "planned calls 2 of 30" in str(scr.query_one("#tomorrow-status").render())
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, PlanScreen), what="back")


async def test_another_users_day_as_head_and_refused_as_manager(ui_session, crm, frozen_clock):
    mgr_info = users.create_user("mgr", "Мария Менеджер", timezone="Europe/Moscow")
    mgr = users.actor_for(mgr_info)
    activities.create_activity(mgr, "call_out", "Manager's call", due_at=utc(27, 8))
    head = users.actor_for(users.create_user("boss", "Борис Начальник", role="head", timezone="Europe/Moscow"))
    app = create_app(dataclasses.replace(ui_session, actor=head), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_plan(pilot, app, 0)
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, UserPickerModal), what="the user list")
        logins = [u.login for u in app.screen.users]
        await pilot.press(*["down"] * (logins.index("mgr") - app.screen.query_one("#plan-users").highlighted), "enter")
        await until(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.view.user_id == mgr_info.id,
                    what="the manager's day")
        await until(pilot, lambda: table(app).row_count == 1, what="the row")
        assert "Manager's call" in row_texts(app)[0]
        assert "Мария Менеджер" in str(app.screen.query_one("#plan-status").render())

    app = create_app(dataclasses.replace(ui_session, actor=mgr), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        notices = record_notices(app)
        await open_plan(pilot, app, 1)
        await pilot.press("u")
        await until(pilot, lambda: any("Only heads" in n for n in notices), what="the refusal")
        assert not isinstance(app.screen, UserPickerModal)
        assert app.screen.view.user_id == mgr_info.id


async def test_reminders_notify_while_the_app_is_open(ui_session, crm, frozen_clock):
    a = ui_session.actor
    soon = activities.create_activity(a, "call_out", "Ring the buyer", due_at=NOW + dt.timedelta(minutes=5),
                                      person_id=crm["sidorov"])
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        found = app.reminders.poll_now()
        assert [(r.notice, r.activity_id) for r in found] == [("lead", soon)]
        assert app.reminders.shown == ["Coming up at 10:05: Outgoing call — Ring the buyer — Сидоров Пётр"]
        assert app.reminders.poll_now() == []  # announced once


async def test_new_call_from_the_plan_choosing_the_client_by_search(ui_session, crm, frozen_clock):
    from tuicrm.ui.modals.activity_form import ActivityForm
    from tuicrm.ui.modals.client_picker import ClientPicker

    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_plan(pilot, app, 4)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ClientPicker), what="the client search")
        await pilot.press(*"Сидор")
        await until(pilot, lambda: [h.id for h in app.screen.hits] == [crm["sidorov"]], what="the hit")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ActivityForm), what="the form")
        assert app.screen.person_id == crm["sidorov"]
        app.screen.query_one("#subject", Input).focus()
        await pilot.press(*"Confirm delivery", "tab", *"tomorrow 15:30", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PlanScreen), what="back to the plan")
    new = Activity.get(Activity.subject == "Confirm delivery")
    assert (new.person_id, new.kind, new.due_at, new.done_at) == (crm["sidorov"], "call_out", utc(28, 12, 30), None)
